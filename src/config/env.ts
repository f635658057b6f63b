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
  })
  .superRefine((env, ctx) => {
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

export type EnvOutcome = { ok: true; env: Env; setupMode: boolean } | { ok: false; message: string };

export function readEnv(source: Record<string, string | undefined>): EnvOutcome {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `claimcheck: environment variable ${issue.path.join(".")} ${issue.message.replace(/^Invalid input: /, "")}` };
  }
  return { ok: true, env: parsed.data, setupMode: !parsed.data.APP_ID };
}
