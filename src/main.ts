import { createRequire } from "node:module";
import { ProbotOctokit, run } from "probot";
import type { Logger } from "pino";
import { createClaimcheckApp } from "./app/index.js";
import { boundHeapGrowth } from "./app/heap-policy.js";
import { createLogger } from "./app/logger.js";
import { browserSignIn, readEnv, type Env } from "./config/env.js";
import { ThrottledOctokit } from "./github/throttle.js";
import { PostgresQueue } from "./queue/postgres.js";
import { queueSchemaOf } from "./queue/postgres-schema.js";
import type { JobQueue } from "./queue/job-queue.js";
import { sharedLimits } from "./app/shared-limits.js";
import { nodeRuntimeProblem } from "./store/node-runtime.js";
import { isPostgresUrl, postgresPool } from "./store/postgres.js";
import { Store } from "./store/store.js";
import { VERSION } from "./version.js";

/** How long running jobs are given at shutdown: inside Kubernetes' default 30 s before SIGKILL. */
const SHUTDOWN_GRACE_MS = 20_000;

/*
 * The service: validate the environment, open (and migrate) the database, and hand the app to
 * Probot's server. On PostgreSQL the work goes through the PostgreSQL job queue, so any replica
 * can take any job; on SQLite (one process), through the in-process queue the app builds itself. Without credentials Probot serves its GitHub App registration flow from app.yml.
 * What a person needs to read at start (where to register, where webhooks go) is printed as a
 * short plain-text banner on stderr; the JSON log lines on stdout are for machines.
 */

/**
 * Probot reads `.env` itself, but only inside `run()`: load it first so the variables validated
 * here (and the database location) come from the same place as the credentials.
 */
function loadDotEnv(): void {
  try {
    process.loadEnvFile(".env");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      stop(`.env could not be read (${(error as NodeJS.ErrnoException).code ?? "malformed"})`);
    }
  }
}

function stop(message: string): never {
  console.error(message.startsWith("claimcheck:") ? message : `claimcheck: ${message}`);
  process.exit(1);
}

function smeeClientInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve("smee-client");
    return true;
  } catch {
    return false;
  }
}

/**
 * Webhooks through a smee.io channel are a development convenience. Probot would fetch the
 * smee-client package from the registry at run time when it is missing; here it is used only if
 * installed, and a configured proxy without it is one line saying what to install.
 */
function configureWebhookProxy(env: Env): string | undefined {
  if (!env.WEBHOOK_PROXY_URL) {
    // In setup mode Probot would otherwise try to create a smee.io channel on its own.
    process.env.NO_SMEE_SETUP = "true";
    return undefined;
  }
  if (smeeClientInstalled()) return `webhooks are proxied from ${new URL(env.WEBHOOK_PROXY_URL).origin} (WEBHOOK_PROXY_URL)`;
  // Blank rather than deleted: Probot loads .env again and would restore a deleted variable.
  process.env.WEBHOOK_PROXY_URL = "";
  process.env.NO_SMEE_SETUP = "true";
  return "WEBHOOK_PROXY_URL is set but the smee-client package is not installed: run `npm install --no-save smee-client` to receive webhooks through it (ignored until then)";
}

/** The lines of Probot's setup-mode welcome, one JSON log line each; the banner says the same in claimcheck's words. */
const PROBOT_WELCOME = [/^$/, /^Welcome to Probot!$/, /^Probot is in setup mode/, /^custom routes will not work/, /^are configured in \.env\.$/, /^Please follow the instructions at /, /^Once you are done, restart the server\.$/];

/** Probot's setup logger without its welcome lines; everything else it says (errors, "has been set up") still shows. */
function withoutSetupChatter(log: Logger): Logger {
  const quiet = (child: Logger): Logger =>
    new Proxy(child, {
      get(target, property, receiver) {
        if (property !== "info") return Reflect.get(target, property, receiver) as unknown;
        return (...args: unknown[]) => {
          if (typeof args[0] === "string" && args.length === 1 && PROBOT_WELCOME.some((line) => line.test(args[0] as string))) return;
          (target.info as (...a: unknown[]) => void)(...args);
        };
      },
    });
  return new Proxy(log, {
    get(target, property, receiver) {
      if (property !== "child") return Reflect.get(target, property, receiver) as unknown;
      return (bindings: Record<string, unknown>, options?: Record<string, unknown>) => (bindings?.name === "setup" ? quiet(target.child(bindings, options)) : target.child(bindings, options));
    },
  });
}

function banner(lines: string[]): void {
  console.error(lines.join("\n"));
}

async function main(): Promise<void> {
  const runtime = nodeRuntimeProblem(process.versions.node);
  if (runtime) stop(runtime);
  // Before anything is loaded into the heap: the app's RSS is mostly heap grown between collections.
  boundHeapGrowth();
  loadDotEnv();
  const outcome = readEnv(process.env);
  if (!outcome.ok) stop(outcome.message);
  const { env, setupMode } = outcome;
  if (setupMode && process.env.NODE_ENV === "production") {
    stop("environment variable APP_ID is required in production (NODE_ENV=production): register the app first, see docs/deployment.md");
  }
  const proxyNote = configureWebhookProxy(env);
  const log = createLogger(env.LOG_LEVEL);
  let store: Store;
  try {
    // Checkpoints of SQLite's log on a worker thread: the event loop serving webhooks does not wait on the disk.
    store = await Store.open(env.DATABASE_URL, { checkpoints: { inBackground: true, onError: (message) => log.warn({ err: message }, "the database's background checkpoint failed; the app's own connection checkpoints past its backstop") } });
  } catch (error) {
    stop(`environment variable DATABASE_URL: the database could not be opened (${error instanceof Error ? error.message : String(error)})`);
  }
  let queue: JobQueue | undefined;
  if (isPostgresUrl(env.DATABASE_URL)) {
    // The queue's schema follows the store's, so deployments sharing a database never share jobs.
    const schema = await queueSchemaOf(env.DATABASE_URL).catch((error: unknown) => stop(`environment variable DATABASE_URL: no job queue for this store (${error instanceof Error ? error.message : String(error)})`));
    queue = new PostgresQueue({ connectionString: env.DATABASE_URL, schema, log: log.child({ name: "claimcheck-queue" }), concurrency: env.ASSESS_CONCURRENCY });
  }
  // On PostgreSQL the replicas share their limits through the database (tables migrated with the store's).
  const limitsPool = isPostgresUrl(env.DATABASE_URL) ? postgresPool(env.DATABASE_URL, { max: 4 }) : null;
  const limits = sharedLimits(limitsPool, log);
  const { app, readiness, jobs } = createClaimcheckApp({ store, ...(queue ? { queue } : {}), concurrency: env.ASSESS_CONCURRENCY, browser: browserSignIn(env, process.env), limits });
  const server = await run(app, { Octokit: ThrottledOctokit as typeof ProbotOctokit, log: setupMode ? withoutSetupChatter(log) : log });
  const address = `http://${process.env.HOST && process.env.HOST !== "0.0.0.0" ? process.env.HOST : "localhost"}:${server.port}`;
  if (setupMode) {
    const where = env.GH_ORG ? `on the organisation ${env.GH_ORG} (GH_ORG)` : "on your personal account (to register it on an organisation instead, stop and start again with GH_ORG=your-org)";
    banner([
      `claimcheck ${VERSION}: no APP_ID yet, so this serves the GitHub App registration flow.`,
      `  Open ${address} and choose "Register GitHub App": the app will be registered ${where}.`,
      "  The new credentials are written to .env; then restart (npm start) and install the app on the organisation.",
      ...(proxyNote ? [`  ${proxyNote}`] : []),
    ]);
  } else {
    banner([
      `claimcheck ${VERSION}: GitHub App ${env.APP_ID} at ${address}`,
      `  webhooks: ${address}${process.env.WEBHOOK_PATH || "/api/github/webhooks"}; health: ${address}/healthz, ready: ${address}/readyz; ${env.ASSESS_CONCURRENCY} assessments at once`,
      ...(proxyNote ? [`  ${proxyNote}`] : []),
    ]);
  }
  const shutdown = async () => {
    // Not ready from the first moment: a probe answered while the server closes says so.
    readiness.stopping();
    await server.stop();
    // Running jobs get the grace period; on PostgreSQL those still running are then handed back
    // for another replica, and in one process a backfill resumes from the store at the next start.
    await jobs()?.stop({ graceMs: SHUTDOWN_GRACE_MS });
    await store.close();
    await limits.close();
    await limitsPool?.end();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
}

main().catch((error: unknown) => {
  stop(`failed to start: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
});
