import { ProbotOctokit, run } from "probot";
import { createClaimcheckApp } from "./app/index.js";
import { createLogger } from "./app/logger.js";
import { browserSignIn, readEnv } from "./config/env.js";
import { ThrottledOctokit } from "./github/throttle.js";
import { Store } from "./store/store.js";

/*
 * The service: validate the environment, open (and migrate) the database, and hand the app to
 * Probot's server. Without credentials Probot serves its GitHub App registration flow from app.yml.
 */

/**
 * Probot reads `.env` itself, but only inside `run()`: load it first so the variables validated
 * here (and the database location) come from the same place as the credentials.
 */
function loadDotEnv(): void {
  try {
    process.loadEnvFile(".env");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  const outcome = readEnv(process.env);
  if (!outcome.ok) {
    console.error(outcome.message);
    process.exit(1);
  }
  const { env } = outcome;
  let store: Store;
  try {
    store = Store.open(env.DATABASE_URL);
  } catch (error) {
    console.error(`claimcheck: environment variable DATABASE_URL: the database could not be opened (${error instanceof Error ? error.message : String(error)})`);
    process.exit(1);
  }
  const { app, jobs, stopBackfills } = createClaimcheckApp({ store, concurrency: env.ASSESS_CONCURRENCY, browser: browserSignIn(env, process.env) });
  const server = await run(app, { Octokit: ThrottledOctokit as typeof ProbotOctokit, log: createLogger(env.LOG_LEVEL) });
  const stop = async () => {
    await server.stop();
    stopBackfills();
    await jobs()?.idle();
    store.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
}

main().catch((error: unknown) => {
  console.error(`claimcheck: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
