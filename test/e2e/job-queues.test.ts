import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REPOSITORY_JOBS } from "../../src/app/repository-jobs.js";
import { InProcessQueue } from "../../src/queue/in-process.js";
import type { JobQueue } from "../../src/queue/job-queue.js";
import { PostgresQueue } from "../../src/queue/postgres.js";
import { backfillOf, enqueueBackfill, settleRepository } from "../../src/store/backfill-records.js";
import { Store } from "../../src/store/store.js";
import { freshPostgresStore } from "../helpers/postgres.js";
import { dropSchema, freshSchemaName, jobStates, testDatabase } from "../helpers/queue-postgres.js";
import { startApp, type RunningApp } from "../simulator/app-harness.js";
import { sha } from "../simulator/model.js";
import { startSimulator, type Simulator } from "../simulator/server.js";
import { deliver, installationCreated, pullRequestOpened } from "../simulator/webhooks.js";
import { ACME } from "./helpers.js";

/*
 * The app over real HTTP against the simulator, its work carried by each job queue on the store
 * DATABASE_URL pairs it with: the in-process one on SQLite (the default) and the PostgreSQL one on
 * PostgreSQL, whose backfill progress and deliveries the replicas share. What users see must be the same on both: one check run per pull
 * request, a delivery handled once however often it arrives, a backfill run as repository jobs,
 * and a backfill a killed process left half done finished by the next one without assessing
 * again what was done.
 */

const silent = pino({ level: "silent" });
const database = await testDatabase();
if ("skip" in database) process.stderr.write(`\nthe app on the PostgreSQL job queue is not tested: ${database.skip}\n`);

const INSTALLATION = ACME.installation.id;
const REPOS = ACME.repositories.map((r) => `acme/${r.name}`);

type Running = { sim: Simulator; app: RunningApp; store: Store; queue: JobQueue };
const running: Running[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const { sim, app, store, queue } of running.splice(0)) {
    await app.stop();
    await queue.stop({ graceMs: 0 });
    await store.close();
    await sim.stop();
  }
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The store and a queue for the app on it; `states`, on PostgreSQL, what the database kept of its jobs. */
type QueueMaker = { store: () => Promise<Store>; queue: (store: Store) => JobQueue; states?: () => ReturnType<typeof jobStates> };

const inProcess: QueueMaker = { store: () => Store.open(":memory:"), queue: (store) => new InProcessQueue(store, silent, 4) };

/** A PostgreSQL store in a schema of its own, dropped after the test. */
async function postgresStore(): Promise<Store> {
  const { store, drop } = await freshPostgresStore();
  cleanups.push(drop);
  return store;
}

function onPostgres(url: string): QueueMaker {
  const schema = freshSchemaName();
  cleanups.push(() => dropSchema(url, schema));
  return { store: postgresStore, queue: () => new PostgresQueue({ connectionString: url, schema, log: silent, concurrency: 4, pollMs: 100 }), states: () => jobStates(url, schema) };
}

const queues: { name: string; make: () => QueueMaker | null; skip?: string }[] = [
  { name: "in-process", make: () => inProcess },
  { name: "PostgreSQL", make: () => ("url" in database ? onPostgres(database.url) : null), ...("skip" in database ? { skip: database.skip } : {}) },
];

/** Two replicas' stores and queues on one database, each replica with its own connections to it, as replicas are. */
async function twoReplicas(url: string, schema: string): Promise<{ store: Store; stores: Store[]; queues: PostgresQueue[] }> {
  const { store, reopen, drop } = await freshPostgresStore();
  cleanups.push(drop);
  return { store, stores: [store, await reopen()], queues: [0, 1].map(() => new PostgresQueue({ connectionString: url, schema, log: silent, concurrency: 4, pollMs: 100 })) };
}

async function run(make: QueueMaker, prepare?: (store: Store) => Promise<void>): Promise<Running> {
  const sim = await startSimulator(ACME);
  const store = await make.store();
  await prepare?.(store);
  const queue = make.queue(store);
  const enqueued = vi.spyOn(queue, "enqueueRepository");
  const app = await startApp({ githubUrl: sim.url, store, queue, retryBaseMs: 5, spaceWrites: false });
  const handle = { sim, app, store, queue, enqueued };
  running.push(handle);
  // As a load balancer would: no webhook before the process says it is ready (its queue started).
  await vi.waitFor(async () => expect((await fetch(`${app.url}/readyz`)).status).toBe(200), { timeout: 30_000, interval: 50 });
  return handle;
}

describe.each(queues)("the app on the $name job queue", ({ make, skip }) => {
  const maker = () => make()!;

  it.skipIf(skip !== undefined)("publishes exactly one check run for a pull request, however often its delivery arrives", async () => {
    const { sim, app, queue } = await run(maker());
    const repo = sim.model.repos.get("api")!;
    const delivery = pullRequestOpened(sim.model, repo, sha("queues", "api"));
    expect((await deliver(app.webhookUrl, app.secret, delivery)).status).toBeLessThan(300);
    // GitHub's redelivery of the same delivery, while the first may still be running or after.
    expect((await deliver(app.webhookUrl, app.secret, delivery)).status).toBeLessThan(300);
    await app.idle();
    expect((await deliver(app.webhookUrl, app.secret, delivery)).status).toBeLessThan(300);
    await app.idle();
    expect(sim.model.checkRuns.filter((r) => r.head_sha === sha("queues", "api"))).toHaveLength(1);
    expect(await app.store.assessments(INSTALLATION, "acme/api")).toHaveLength(1);
    // Its issues are written by a job in the issues lane, which holds no slot of the other lanes.
    const issueJobs = vi.mocked(queue.enqueueRepository).mock.calls.filter(([kind]) => kind === REPOSITORY_JOBS.issues);
    expect(issueJobs.map(([, target]) => [target.repository, target.lane])).toEqual([["issues:acme/api", "issues"]]);
  });

  it.skipIf(skip !== undefined)("runs an installation's backfill as background repository jobs, each repository once", async () => {
    const made = maker();
    const handle = await run(made);
    const { sim, app, store } = handle;
    expect((await deliver(app.webhookUrl, app.secret, installationCreated(sim.model))).status).toBeLessThan(300);
    await vi.waitFor(async () => expect((await backfillOf(store, INSTALLATION))?.state).toBe("finished"), { timeout: 60_000, interval: 100 });
    await app.idle();
    expect(await backfillOf(store, INSTALLATION)).toMatchObject({ total: REPOS.length, assessed: REPOS.length, failed: 0 });
    for (const repo of REPOS) {
      const stored = await store.assessments(INSTALLATION, repo);
      expect(stored.map((a) => a.trigger)).toEqual(["installation.created"]);
    }
    const calls = vi.mocked(handle.queue.enqueueRepository).mock.calls;
    const backfillJobs = calls.filter(([kind]) => kind === REPOSITORY_JOBS.backfillRepository);
    expect(backfillJobs.map(([, target]) => target.repository).sort()).toEqual([...REPOS].sort());
    expect(backfillJobs.every(([, target]) => target.lane === "background")).toBe(true);
    if (made.states) {
      // Through the database: every repository's job completed there, none failed.
      const states = await made.states();
      const done = states.filter((j) => (j.data as { kind?: string }).kind === REPOSITORY_JOBS.backfillRepository);
      expect(done).toHaveLength(REPOS.length);
      expect(done.every((j) => j.state === "completed")).toBe(true);
    }
  });

  it.skipIf(skip !== undefined)("finishes a backfill a killed process left half done, without assessing again what it had assessed", async () => {
    const [first, second, ...rest] = REPOS as [string, string, ...string[]];
    const { app, store } = await run(maker(), async (s) => {
      // What a process killed mid-backfill leaves in the store: two repositories settled, the rest pending.
      await s.upsertInstallation(INSTALLATION, "acme", "Organization");
      await s.addRepositoriesInSlices(INSTALLATION, REPOS.map((fullName, i) => ({ id: 1000 + i, fullName })));
      await enqueueBackfill(s, INSTALLATION, REPOS, { name: "installation.created", deliveryId: "killed-mid-backfill" }, new Date());
      await settleRepository(s, INSTALLATION, first, true, new Date());
      await settleRepository(s, INSTALLATION, second, true, new Date());
    });
    // The next process resumes it as it starts: nothing is delivered.
    await vi.waitFor(async () => expect((await backfillOf(store, INSTALLATION))?.state).toBe("finished"), { timeout: 60_000, interval: 100 });
    await app.idle();
    expect(await backfillOf(store, INSTALLATION)).toMatchObject({ total: REPOS.length, assessed: REPOS.length, failed: 0 });
    expect(await store.assessments(INSTALLATION, first)).toEqual([]);
    expect(await store.assessments(INSTALLATION, second)).toEqual([]);
    for (const repo of rest) expect((await store.assessments(INSTALLATION, repo)).map((a) => a.trigger)).toEqual(["installation.created"]);
  });
});

describe("two replicas of the app on one PostgreSQL job queue", () => {
  it.skipIf(!("url" in database))("publish a check run handed back by a stopping replica once: the other's, never the stopping one's late one", async () => {
    const url = (database as { url: string }).url;
    const schema = freshSchemaName();
    cleanups.push(() => dropSchema(url, schema));
    const head = sha("handed-back", "api");
    // The stopping replica's assessment waits on GitHub's answer to its first read of the repository.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const sim = await startSimulator(ACME, {
      afterHandled: async ({ method, path }) => {
        if (held || method !== "GET" || !path.startsWith("/repos/acme/api")) return;
        held = true;
        await released;
      },
    });
    const { store, stores, queues } = await twoReplicas(url, schema);
    const apps: RunningApp[] = [];
    try {
      const ready = async (app: RunningApp) => vi.waitFor(async () => expect((await fetch(`${app.url}/readyz`)).status).toBe(200), { timeout: 30_000, interval: 50 });
      apps.push(await startApp({ githubUrl: sim.url, store: stores[0]!, queue: queues[0]!, retryBaseMs: 5, spaceWrites: false }));
      await ready(apps[0]!);
      expect((await deliver(apps[0]!.webhookUrl, apps[0]!.secret, pullRequestOpened(sim.model, sim.model.repos.get("api")!, head))).status).toBeLessThan(300);
      await vi.waitFor(() => expect(held).toBe(true), { timeout: 30_000, interval: 20 });
      // The second replica starts; the first stops while its check run waits, and hands the job back.
      apps.push(await startApp({ githubUrl: sim.url, store: stores[1]!, queue: queues[1]!, retryBaseMs: 5, spaceWrites: false }));
      await ready(apps[1]!);
      await queues[0]!.stop({ graceMs: 0 });
      await vi.waitFor(() => expect(sim.model.checkRuns.filter((r) => r.head_sha === head)).toHaveLength(1), { timeout: 60_000, interval: 100 });
      await apps[1]!.idle();
      // GitHub answers the stopped replica at last: its handler goes on, and publishes nothing.
      const published = sim.stats.byRoute["POST /repos/{owner}/{repo}/check-runs"];
      release();
      await vi.waitFor(async () => expect((await store.assessments(INSTALLATION, "acme/api")).length).toBe(2), { timeout: 30_000, interval: 100 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(sim.stats.byRoute["POST /repos/{owner}/{repo}/check-runs"]).toBe(published);
      expect(sim.model.checkRuns.filter((r) => r.head_sha === head)).toHaveLength(1);
    } finally {
      release();
      for (const app of apps) await app.stop();
      for (const queue of queues) await queue.stop({ graceMs: 0 });
      for (const replica of stores) await replica.close();
      await sim.stop();
    }
  }, 120_000);

  it.skipIf(!("url" in database))("handle a delivery sent to both once, whichever takes it", async () => {
    const url = (database as { url: string }).url;
    const schema = freshSchemaName();
    cleanups.push(() => dropSchema(url, schema));
    const sim = await startSimulator(ACME);
    const { store, stores, queues: replicas } = await twoReplicas(url, schema);
    const apps: RunningApp[] = [];
    try {
      for (const [r, queue] of replicas.entries()) apps.push(await startApp({ githubUrl: sim.url, store: stores[r]!, queue, retryBaseMs: 5, spaceWrites: false }));
      for (const app of apps) await vi.waitFor(async () => expect((await fetch(`${app.url}/readyz`)).status).toBe(200), { timeout: 30_000, interval: 50 });
      const delivery = pullRequestOpened(sim.model, sim.model.repos.get("api")!, sha("replicas", "api"));
      const statuses = await Promise.all(apps.map(async (app) => (await deliver(app.webhookUrl, app.secret, delivery)).status));
      expect(statuses.every((status) => status < 300)).toBe(true);
      for (const app of apps) await app.idle();
      expect(sim.model.checkRuns.filter((r) => r.head_sha === sha("replicas", "api"))).toHaveLength(1);
      expect(await store.assessments(INSTALLATION, "acme/api")).toHaveLength(1);
    } finally {
      for (const app of apps) await app.stop();
      for (const queue of replicas) await queue.stop({ graceMs: 0 });
      for (const replica of stores) await replica.close();
      await sim.stop();
    }
  }, 90_000);
});
