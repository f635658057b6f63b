import { throttleOptions } from "../../src/github/throttle.js";
import Bottleneck from "bottleneck";
import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino, type Logger } from "pino";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { createClaimcheckApp, type AppDeps, type ClaimcheckApp } from "../../src/app/index.js";
import type { JobQueue } from "../../src/queue/job-queue.js";
import { Store } from "../../src/store/store.js";

/*
 * The app as it runs in production — Probot's webhook middleware on a real HTTP server, the
 * production Octokit (throttling and retries on) — pointed at the simulator instead of GitHub.
 */

export const WEBHOOK_PATH = "/api/github/webhooks";

export type AppOptions = {
  /** The simulator's base URL: REST under it, GraphQL at {url}/graphql, as for api.github.com. */
  githubUrl: string;
  secret?: string;
  store?: Store;
  concurrency?: number;
  log?: Logger;
  /** Base of the retry back-off in ms (Octokit's default is 1,000: waits of 1 s, 4 s, 9 s). */
  retryBaseMs?: number;
  /**
   * Octokit's throttling plugin spaces every write AND every GraphQL request of the process one
   * second apart (one shared limiter), and issue creation three seconds apart. True keeps that
   * production behaviour; false lets them run as fast as the simulator answers, leaving GitHub's
   * own limits (80 creations a minute) to the simulator.
   */
  spaceWrites?: boolean;
  /** The app's clock (scheduled re-assessment, evidence ages, reports and sessions); the real one when omitted. */
  now?: () => Date;
  /** The app's waits (backfill pauses, spacing of redelivery requests); real timers when omitted. */
  sleep?: (ms: number) => Promise<void>;
  /** Browser sign-in settings, as main.ts builds them from the environment. */
  browser?: AppDeps["browser"];
  /** The job queue (the caller starts nothing and stops it); the app's in-process queue when omitted. */
  queue?: JobQueue;
  /** The limits shared by replicas (content creation, rate budgets), as main.ts builds them; this process's own when omitted. */
  limits?: AppDeps["limits"];
};

export type RunningApp = { url: string; webhookUrl: string; secret: string; store: Store; probot: Probot; jobs: () => JobQueue | undefined; idle: () => Promise<void>; stop: () => Promise<void>; sweep: ClaimcheckApp["sweep"]; recoverDeliveries: ClaimcheckApp["recoverDeliveries"] };

/** The service's own throttling policy (src/github/throttle.ts), with an adjustable retry back-off. */
export function productionOctokit(retryBaseMs?: number, spaceWrites = true) {
  const relaxed = spaceWrites ? {} : { write: new Bottleneck.Group({ maxConcurrent: 16, minTime: 0 }), notifications: new Bottleneck.Group({ maxConcurrent: 16, minTime: 0 }) };
  return ProbotOctokit.defaults((options: Record<string, unknown>) => ({
    ...options,
    ...(retryBaseMs !== undefined ? { retry: { retryAfterBaseValue: retryBaseMs } } : {}),
    throttle: { ...throttleOptions, ...relaxed },
  }));
}

let key: string | undefined;
export function appPrivateKey(): string {
  key ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return key;
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const secret = options.secret ?? "simulator-secret";
  const store = options.store ?? await Store.open(":memory:");
  const log = options.log ?? pino({ level: "silent" });
  const probot = new Probot({ appId: 1, privateKey: appPrivateKey(), secret, baseUrl: options.githubUrl, Octokit: productionOctokit(options.retryBaseMs, options.spaceWrites) as typeof ProbotOctokit, log });
  const { app, jobs, sweep, recoverDeliveries } = createClaimcheckApp({ store, concurrency: options.concurrency ?? 4, maintenanceIntervalMs: null, redeliveryIntervalMs: null, sweepIntervalMs: null, ...(options.now ? { now: options.now } : {}), ...(options.sleep ? { sleep: options.sleep } : {}), ...(options.browser ? { browser: options.browser } : {}), ...(options.queue ? { queue: options.queue } : {}), ...(options.limits ? { limits: options.limits } : {}) });
  const middleware = await createNodeMiddleware(app, { probot, webhooksPath: WEBHOOK_PATH });
  const server: Server = createServer((req, res) => {
    void middleware(req, res, () => res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idle = async () => jobs()?.idle();
  return {
    url,
    webhookUrl: `${url}${WEBHOOK_PATH}`,
    secret,
    store,
    probot,
    jobs,
    idle,
    sweep,
    recoverDeliveries,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await idle();
      if (!options.store) await store.close();
    },
  };
}
