import { z } from "zod";

/*
 * The process environment, validated once at start. A bad value stops the app with one line
 * that names the variable; a value itself is never echoed, since several are secrets.
 */

const positiveInt = z.coerce.number().int().positive();

export const envSchema = z
  .object({
    APP_ID: z.string().regex(/^\d+$/, "must be the numeric App ID").optional(),
    PRIVATE_KEY: z.string().min(1).optional(),
    PRIVATE_KEY_PATH: z.string().min(1).optional(),
    WEBHOOK_SECRET: z.string().min(1).optional(),
    DATABASE_URL: z.string().min(1).default("file:./data/claimcheck.db"),
    ASSESS_CONCURRENCY: positiveInt.max(32).default(4),
    PORT: positiveInt.max(65535).optional(),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional(),
    // Browser sign-in (docs/deployment.md): the GitHub App's client id and secret, which Probot's registration writes.
    GITHUB_CLIENT_ID: z.string().min(1).optional(),
    GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
    SESSION_SECRET: z.string().min(32, "must be at least 32 characters (openssl rand -hex 32)").optional(),
    PUBLIC_URL: z
      .url()
      .refine((u) => { const url = new URL(u); return url.protocol === "https:" || ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname); }, "must be https:// (session cookies are Secure)")
      .optional(),
    SESSION_HOURS: positiveInt.max(24).default(8),
  })
  .superRefine((env, ctx) => {
    // Browser sign-in is on when SESSION_SECRET or PUBLIC_URL is set; then it needs all four.
    if (env.SESSION_SECRET || env.PUBLIC_URL) {
      for (const key of ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "SESSION_SECRET", "PUBLIC_URL"] as const) {
        if (!env[key]) ctx.addIssue({ code: "custom", path: [key], message: "is required for browser sign-in (set with SESSION_SECRET and PUBLIC_URL)" });
      }
    }
    // With no credentials at all the app serves Probot's registration flow; half a set is a mistake.
    if (!env.APP_ID) return;
    if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) {
      ctx.addIssue({ code: "custom", path: ["PRIVATE_KEY"], message: "is required with APP_ID (or set PRIVATE_KEY_PATH)" });
    }
    if (!env.WEBHOOK_SECRET) {
      ctx.addIssue({ code: "custom", path: ["WEBHOOK_SECRET"], message: "is required with APP_ID: webhooks must be verified" });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** The browser sign-in settings, when configured. */
export function browserSignIn(env: Env, source: Record<string, string | undefined>) {
  if (!env.GITHUB_CLIENT_ID || !env.GITHUB_CLIENT_SECRET || !env.SESSION_SECRET || !env.PUBLIC_URL) return undefined;
  const ghe = source.GHE_HOST ? `${source.GHE_PROTOCOL ?? "https"}://${source.GHE_HOST}` : undefined;
  return {
    clientId: env.GITHUB_CLIENT_ID,
    clientSecret: env.GITHUB_CLIENT_SECRET,
    sessionSecret: env.SESSION_SECRET,
    publicUrl: env.PUBLIC_URL,
    webUrl: ghe ?? "https://github.com",
    apiUrl: ghe ? `${ghe}/api/v3` : undefined,
    sessionTtlMs: env.SESSION_HOURS * 3_600_000,
  };
}

export type EnvOutcome = { ok: true; env: Env; setupMode: boolean } | { ok: false; message: string };

export function readEnv(source: Record<string, string | undefined>): EnvOutcome {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `claimcheck: environment variable ${issue.path.join(".")} ${issue.message.replace(/^Invalid input: /, "")}` };
  }
  return { ok: true, env: parsed.data, setupMode: !parsed.data.APP_ID };
}
