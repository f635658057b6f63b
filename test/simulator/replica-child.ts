import { monitorEventLoopDelay } from "node:perf_hooks";
import { pino } from "pino";
import { z } from "zod";
import { sharedLimits } from "../../src/app/shared-limits.js";
import { InProcessQueue } from "../../src/queue/in-process.js";
import type { JobQueue } from "../../src/queue/job-queue.js";
import { PostgresQueue } from "../../src/queue/postgres.js";
import { queueSchemaOf } from "../../src/queue/postgres-schema.js";
import { isPostgresUrl, postgresPool } from "../../src/store/postgres.js";
import { Store } from "../../src/store/store.js";
import { startApp } from "./app-harness.js";

/*
 * One replica of the app in a process of its own, as main.ts runs it on PostgreSQL: the store, the
 * job queue and the shared limits all on one database, GitHub being the simulator. Several of
 * these on one database are a multi-replica deployment (test/e2e/replicas.test.ts, and the bench
 * with --replicas). Started with one JSON argument (`ReplicaConfig`); says "ready" with its
 * webhook URL over the IPC channel, then answers "stats", "idle" and "stop". Given a SQLite file
 * instead, it is the single-process deployment, for comparison.
 */

export const replicaConfig = z.object({
  githubUrl: z.string().url(),
  /** The store's database: PostgreSQL (its search_path naming the deployment's schema), or a SQLite file for one process. */
  databaseUrl: z.string().min(1),
  concurrency: z.number().int().min(1).max(32),
  /** A lost job (its replica killed) is failed and retried after this long; production's is 30 min. */
  expireInSeconds: z.number().int().min(1).optional(),
  /** GitHub's content-creation limits unless given. */
  contentLimits: z.object({ perMinute: z.number().int().min(1), perHour: z.number().int().min(1) }).optional(),
  /** false: the production spacing of writes off (a bench of claimcheck, not of Octokit's spacing). */
  spaceWrites: z.boolean(),
});
export type ReplicaConfig = z.infer<typeof replicaConfig>;

export type ReplicaStats = { type: "stats"; pid: number; jobs: Record<string, number>; running: Record<string, number>; peakRss: number; maxBlockMs: number };
export type ReplicaMessage = { type: "ready"; webhookUrl: string; secret: string; pid: number } | ReplicaStats | { type: "idle" } | { type: "stopped" };
type Command = { cmd: "stats" | "idle" | "stop" };

const parsed = replicaConfig.safeParse(JSON.parse(process.argv[2] ?? "null"));
if (!parsed.success || !process.send) {
  console.error(`replica-child: started without a valid configuration or an IPC channel${parsed.success ? "" : `: ${parsed.error.message}`}`);
  process.exit(2);
}
const config = parsed.data;
// REPLICA_LOG=FILE: this replica's log (info and up), appended to FILE, for a run that needs reading.
const log = process.env.REPLICA_LOG ? pino({ level: "info", base: { pid: process.pid } }, pino.destination({ dest: process.env.REPLICA_LOG, append: true, sync: true })) : pino({ level: "silent" });

const store = await Store.open(config.databaseUrl);
// On PostgreSQL the deployment's queue; on SQLite (one process, the comparison) the in-process one.
const onPostgres = isPostgresUrl(config.databaseUrl);
const queue: JobQueue = onPostgres
  ? new PostgresQueue({
      connectionString: config.databaseUrl,
      // As main.ts: the queue of the store's schema.
      schema: await queueSchemaOf(config.databaseUrl),
      log,
      concurrency: config.concurrency,
      pollMs: 200,
      ...(config.expireInSeconds ? { expireInSeconds: config.expireInSeconds, maintenanceIntervalSeconds: Math.max(1, Math.min(120, Math.floor(config.expireInSeconds / 4))) } : {}),
    })
  : new InProcessQueue(store, log, config.concurrency);
// The jobs this replica took, and those it runs now, by kind: which replica did what.
const jobs: Record<string, number> = {};
const running: Record<string, number> = {};
const define = queue.define.bind(queue);
queue.define = (kind, definition) =>
  define(kind, {
    ...definition,
    run: async (data, info) => {
      jobs[kind] = (jobs[kind] ?? 0) + 1;
      running[kind] = (running[kind] ?? 0) + 1;
      try {
        await definition.run(data, info);
      } finally {
        running[kind] -= 1;
      }
    },
  });
const limitsPool = onPostgres ? postgresPool(config.databaseUrl, { max: 4 }) : null;
const limits = sharedLimits(limitsPool, log, config.contentLimits ? { contentLimits: config.contentLimits } : {});
const app = await startApp({ githubUrl: config.githubUrl, store, queue, limits, concurrency: config.concurrency, spaceWrites: config.spaceWrites, retryBaseMs: 50 });

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

// Ready as a load balancer sees it: /readyz answers 200 once the queue has started.
for (;;) {
  const status = await fetch(`${app.url}/readyz`).then((r) => r.status, () => 0);
  if (status === 200) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const send = (message: ReplicaMessage) => process.send!(message);
send({ type: "ready", webhookUrl: app.webhookUrl, secret: app.secret, pid: process.pid });
process.on("message", (message: Command) => {
  void (async () => {
    switch (message.cmd) {
      case "stats":
        send({ type: "stats", pid: process.pid, jobs: { ...jobs }, running: { ...running }, peakRss: Math.max(peakRss, process.memoryUsage().rss), maxBlockMs: loop.max / 1e6 });
        return;
      case "idle":
        await app.idle();
        send({ type: "idle" });
        return;
      case "stop":
        clearInterval(sampler);
        loop.disable();
        await app.stop();
        await queue.stop({ graceMs: 5_000 });
        await store.close();
        await limits.close();
        await limitsPool?.end();
        send({ type: "stopped" });
        process.exit(0);
    }
  })();
});
// The parent gone (a failed test): not left running.
process.on("disconnect", () => process.exit(0));
