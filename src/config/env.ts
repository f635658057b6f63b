import { createPrivateKey } from "node:crypto";
import { getPrivateKey } from "@probot/get-private-key";
import { z } from "zod";

/*
 * The process environment, validated once at start. A bad value stops the app (or the CLI) with
 * one line that names the variable and what is wrong with it; a value itself is never echoed,
 * since several are secrets.
 */

const positiveInt = z.coerce.number().int().positive();
const DEFAULT_DATABASE_URL = "file:./data/claimcheck.db";

/** GitHub logins: letters, digits and single hyphens, not at either end, at most 39 characters. */
const githubLogin = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, "must be an organisation login such as my-org (letters, digits and hyphens)");

const httpUrl = z.string().refine((value) => {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, "must be an http(s) URL");

export const envSchema = z
  .object({
    APP_ID: z.string().regex(/^\d+$/, "must be the numeric App ID").optional(),
    PRIVATE_KEY: z.string().min(1, "is empty").optional(),
    PRIVATE_KEY_PATH: z.string().min(1, "is empty").optional(),
    WEBHOOK_SECRET: z.string().min(1, "is empty").optional(),
    DATABASE_URL: z.string().min(1).default(DEFAULT_DATABASE_URL),
    ASSESS_CONCURRENCY: positiveInt.max(32).default(4),
    PORT: positiveInt.max(65535).optional(),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional(),
    // The organisation Probot's registration flow registers the app on (Probot reads GH_ORG).
    GH_ORG: githubLogin.optional(),
    WEBHOOK_PROXY_URL: httpUrl.optional(),
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
    if (!env.APP_ID) {
      // With no credentials at all the app serves Probot's registration flow; half a set is a mistake.
      const stray = (["PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET"] as const).find((name) => env[name] !== undefined);
      if (stray) ctx.addIssue({ code: "custom", path: ["APP_ID"], message: `is required when ${stray} is set` });
      return;
    }
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

function problem(name: string, message: string): { ok: false; message: string } {
  return { ok: false, message: `claimcheck: environment variable ${name} ${message}` };
}

/** Empty variables count as unset, as a shell's `VAR=` usually means "not given". */
function withoutEmpty(source: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
}

export type KeyOutcome = { ok: true; privateKey: string } | { ok: false; message: string };

/**
 * The app's private key, read as Probot reads it (PRIVATE_KEY as PEM, with `\n` escapes or base64;
 * else the file at PRIVATE_KEY_PATH) and proved to be an RSA private key, which every GitHub App
 * key is. Without this a malformed key would send Probot back to its registration page.
 */
export function readPrivateKey(source: Record<string, string | undefined>): KeyOutcome {
  const env = withoutEmpty(source);
  const name = env.PRIVATE_KEY ? "PRIVATE_KEY" : "PRIVATE_KEY_PATH";
  let pem: string | null;
  try {
    pem = getPrivateKey({ env: { PRIVATE_KEY: env.PRIVATE_KEY, PRIVATE_KEY_PATH: env.PRIVATE_KEY_PATH } as NodeJS.ProcessEnv, cwd: process.cwd() });
  } catch (error) {
    if (name === "PRIVATE_KEY") return problem(name, "is not a PEM private key (copy the whole .pem file, or its base64)");
    const code = (error as NodeJS.ErrnoException).code;
    return problem(name, `names a file that cannot be read${code === "EACCES" ? " (permission denied)" : code === "EISDIR" ? " (it is a directory)" : " (no such file)"}`);
  }
  if (pem === null) return problem("PRIVATE_KEY", "is required with APP_ID (or set PRIVATE_KEY_PATH)");
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa") return problem(name, `holds a${key.asymmetricKeyType === "ec" || key.asymmetricKeyType === "ed25519" ? "n" : ""} ${key.asymmetricKeyType ?? "unknown"} key; a GitHub App's private key is RSA`);
  } catch {
    return problem(name, name === "PRIVATE_KEY" ? "is not a valid PEM private key" : "names a file that is not a valid PEM private key");
  }
  return { ok: true, privateKey: pem };
}

/** The service's environment: every variable above, and the private key when APP_ID is set. */
export function readEnv(source: Record<string, string | undefined>): EnvOutcome {
  const parsed = envSchema.safeParse(withoutEmpty(source));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return problem(issue.path.join("."), issue.message.replace(/^Invalid input: /, ""));
  }
  if (parsed.data.APP_ID) {
    const key = readPrivateKey(source);
    if (!key.ok) return key;
  }
  return { ok: true, env: parsed.data, setupMode: !parsed.data.APP_ID };
}

/** The database the CLI's `--store` and `audit` commands open. */
export function databaseUrlOf(source: Record<string, string | undefined>): string {
  return withoutEmpty(source).DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

export type CliCredentials = { ok: true; kind: "token"; token: string } | { ok: true; kind: "app"; appId: string; privateKey: string } | { ok: false; message: string };

/**
 * The CLI's credentials: GITHUB_TOKEN, or the app's APP_ID with its private key. GITHUB_TOKEN wins
 * when both are set, as the usage says.
 */
export function readCliCredentials(source: Record<string, string | undefined>): CliCredentials {
  const env = withoutEmpty(source);
  if (env.GITHUB_TOKEN !== undefined) {
    const token = env.GITHUB_TOKEN.trim();
    // A token is one printable word; anything else was pasted wrong and would only earn a 401.
    if (!/^[\x21-\x7e]+$/.test(token)) return problem("GITHUB_TOKEN", "is not a token (it holds spaces or characters no GitHub token has)");
    return { ok: true, kind: "token", token };
  }
  if (env.APP_ID !== undefined) {
    if (!/^\d+$/.test(env.APP_ID)) return problem("APP_ID", "must be the numeric App ID");
    if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) return problem("PRIVATE_KEY", "is required with APP_ID (or set PRIVATE_KEY_PATH)");
    const key = readPrivateKey(env);
    if (!key.ok) return key;
    return { ok: true, kind: "app", appId: env.APP_ID, privateKey: key.privateKey };
  }
  if (env.PRIVATE_KEY || env.PRIVATE_KEY_PATH) return problem("APP_ID", `is required when ${env.PRIVATE_KEY ? "PRIVATE_KEY" : "PRIVATE_KEY_PATH"} is set`);
  return { ok: false, message: "claimcheck: no credentials: set GITHUB_TOKEN, or APP_ID with PRIVATE_KEY or PRIVATE_KEY_PATH" };
}
