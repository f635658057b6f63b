import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { JobInfo, JobQueue, RetryPolicy } from "../../src/queue/job-queue.js";
import { InProcessQueue } from "../../src/queue/in-process.js";
import { PostgresQueue } from "../../src/queue/postgres.js";
import { Store } from "../../src/store/store.js";
import { activeForSeconds, dropSchema, endJobLockSessions, freshSchemaName, jobStates, testDatabase } from "../helpers/queue-postgres.js";

/*
 * One suite, run on both queues. "Two replicas" are two queue instances: for PostgreSQL two
 * PostgresQueue objects on one schema (what two processes would share); the in-process queue has
 * no replicas, so there both roles are the same instance and the cases that need a second
 * process (hand-back, a dead process) are skipped, saying so.
 */

const silent = pino({ level: "silent" });
const database = await testDatabase();
if ("skip" in database) process.stderr.write(`\nPostgreSQL queue tests skipped: ${database.skip}\n`);

const POLL_MS = 100;

type Options = { installationCap?: number; expireInSeconds?: number; maintenanceIntervalSeconds?: number; superviseEveryMs?: number; lostAfterSeconds?: number };
type Harness = {
  name: string;
  /** Two instances that share the work; for the in-process queue, one instance twice. */
  pair: (options?: Options) => Promise<[JobQueue, JobQueue]>;
  /** A third instance on the same work (PostgreSQL only). */
  another?: (options?: Options) => PostgresQueue;
  states?: () => ReturnType<typeof jobStates>;
  /** How long ago, on the database's clock, each active job started (PostgreSQL only). */
  startedSecondsAgo?: () => Promise<number[]>;
  /** Ends the sessions holding the lock of the schema's active jobs; says how many (PostgreSQL only). */
  cutJobLock?: () => Promise<number>;
};

const started: JobQueue[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const queue of started.splice(0)) await queue.stop({ graceMs: 0 }).catch(() => undefined);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function inProcess(): Harness {
  return {
    name: "in-process",
    pair: async (options = {}) => {
      const store = await Store.open(":memory:");
      cleanups.push(async () => store.close());
      const queue = new InProcessQueue(store, silent, 4, options.installationCap === undefined ? {} : { installationCap: options.installationCap });
      return [queue, queue];
    },
  };
}

function postgres(url: string): Harness {
  const schema = freshSchemaName();
  cleanups.push(() => dropSchema(url, schema));
  const make = (options: Options = {}) =>
    new PostgresQueue({ connectionString: url, schema, log: silent, concurrency: 4, pollMs: POLL_MS, deferMs: 200, maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 120, ...(options.installationCap === undefined ? {} : { installationCap: options.installationCap }), ...(options.expireInSeconds === undefined ? {} : { expireInSeconds: options.expireInSeconds }), ...(options.superviseEveryMs === undefined ? {} : { superviseEveryMs: options.superviseEveryMs }), ...(options.lostAfterSeconds === undefined ? {} : { lostAfterSeconds: options.lostAfterSeconds }) });
  return { name: "PostgreSQL", pair: async (options) => [make(options), make(options)], another: make, states: () => jobStates(url, schema), startedSecondsAgo: () => activeForSeconds(url, schema), cutJobLock: () => endJobLockSessions(url, schema) };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function start(...queues: JobQueue[]): Promise<void> {
  for (const queue of new Set(queues)) {
    await queue.start();
    started.push(queue);
  }
}

const repoJob = z.object({ mark: z.number().int() });
const FAST_RETRY: RetryPolicy = { limit: 2, delaySeconds: 1 };

const harnesses: { name: string; replicas: boolean; make: () => Harness | null; skip?: string }[] = [
  { name: "in-process", replicas: false, make: inProcess },
  { name: "PostgreSQL", replicas: true, make: () => ("url" in database ? postgres(database.url) : null), ...("skip" in database ? { skip: database.skip } : {}) },
];
process.stderr.write("\nin-process queue: the cases that need a second replica (a schedule across replicas, a hand-back, a dead process) do not apply to one process and are skipped\n");

describe.each(harnesses)("$name queue", ({ make, skip, replicas }) => {
  const harness = () => make()!;
  const needsDatabase = skip !== undefined;

  it.skipIf(needsDatabase)("handles a delivery enqueued on two replicas once, and refuses it again once handled", async () => {
    const h = harness();
    const [a, b] = await h.pair();
    const handled: string[] = [];
    for (const queue of new Set([a, b])) queue.define("webhook", { schema: z.object({ pr: z.number() }), run: async (data, info) => void handled.push(`${info.delivery?.id}:${data.pr}`) });
    await start(a, b);
    const delivery = { id: "72d3162e-cc78-11e3-81ab-4c9367dc0958", event: "pull_request", installationId: 1 };
    expect(await a.enqueueDelivery("webhook", delivery, { pr: 7 })).toBe(true);
    expect(await b.enqueueDelivery("webhook", delivery, { pr: 7 })).toBe(false);
    await vi.waitFor(() => expect(handled).toHaveLength(1), { timeout: 10_000 });
    // GitHub redelivering it after it was handled: still once.
    expect(await b.enqueueDelivery("webhook", delivery, { pr: 7 })).toBe(false);
    expect(await a.enqueueDelivery("webhook", { ...delivery, id: "another-delivery" }, { pr: 8 })).toBe(true);
    await vi.waitFor(() => expect(handled).toHaveLength(2), { timeout: 10_000 });
    expect(handled).toEqual([`${delivery.id}:7`, "another-delivery:8"]);
  });

  it.skipIf(needsDatabase)("runs one repository's jobs one at a time, merges those waiting with the same key, and runs other repositories meanwhile", async () => {
    const h = harness();
    const [a, b] = await h.pair();
    const events: string[] = [];
    const first = gate();
    for (const queue of new Set([a, b]))
      queue.define("assess", {
        schema: repoJob,
        run: async (data, info) => {
          events.push(`start ${info.target?.repository} ${data.mark}`);
          if (data.mark === 1) await first.opened;
          events.push(`end ${info.target?.repository} ${data.mark}`);
        },
      });
    await start(a, b);
    const api = { installationId: 1, repository: "acme/api", coalesce: "full" };
    expect(await a.enqueueRepository("assess", api, { mark: 1 })).toBe(true);
    await vi.waitFor(() => expect(events).toContain("start acme/api 1"), { timeout: 10_000 });

    // Two more for the running repository, from either replica: one waits, the other merges into it.
    const second = await b.enqueueRepository("assess", api, { mark: 2 });
    const third = await a.enqueueRepository("assess", api, { mark: 3 });
    expect([second, third]).toContain(true);
    // Another repository is not held up by the busy one.
    expect(await b.enqueueRepository("assess", { installationId: 1, repository: "acme/web" }, { mark: 4 })).toBe(true);
    await vi.waitFor(() => expect(events).toContain("end acme/web 4"), { timeout: 10_000 });
    expect(events.filter((e) => e.startsWith("start acme/api"))).toEqual(["start acme/api 1"]);

    first.open();
    await vi.waitFor(() => expect(events.filter((e) => e.startsWith("end acme/api"))).toHaveLength(2), { timeout: 10_000 });
    const api2 = events.filter((e) => e.includes("acme/api"));
    // Serial: the waiting job started after the first ended; merged: only one of the two ran.
    expect(api2.slice(0, 2)).toEqual(["start acme/api 1", "end acme/api 1"]);
    expect(api2).toHaveLength(4);
    expect(api2[2]).toMatch(/^start acme\/api [23]$/);
    // Nothing else is left to run.
    await new Promise((r) => setTimeout(r, POLL_MS * 5));
    expect(events.filter((e) => e.startsWith("start acme/api"))).toHaveLength(2);
  });

  it.skipIf(needsDatabase)("holds an installation to its cap across replicas while another installation's work runs", async () => {
    const h = harness();
    const [a, b] = await h.pair({ installationCap: 2 });
    const release = gate();
    const current = new Map<number, number>();
    const highest = new Map<number, number>();
    const done: string[] = [];
    for (const queue of new Set([a, b]))
      queue.define("assess", {
        schema: repoJob,
        run: async (_data, info: JobInfo) => {
          const id = info.target!.installationId;
          current.set(id, (current.get(id) ?? 0) + 1);
          highest.set(id, Math.max(highest.get(id) ?? 0, current.get(id)!));
          await release.opened;
          current.set(id, current.get(id)! - 1);
          done.push(info.target!.repository);
        },
      });
    await start(a, b);
    for (let i = 0; i < 6; i++) await (i % 2 === 0 ? a : b).enqueueRepository("assess", { installationId: 7, repository: `big/repo-${i}`, lane: "background" }, { mark: i });
    await b.enqueueRepository("assess", { installationId: 8, repository: "small/only", lane: "background" }, { mark: 0 });
    await vi.waitFor(() => {
      expect(current.get(7)).toBe(2);
      expect(current.get(8)).toBe(1);
    }, { timeout: 10_000 });
    // Several polls of both replicas later, still two.
    await new Promise((r) => setTimeout(r, POLL_MS * 8));
    expect(highest.get(7)).toBe(2);
    release.open();
    await vi.waitFor(() => expect(done).toHaveLength(7), { timeout: 15_000 });
    expect(highest.get(7)).toBe(2);
  });

  it.skipIf(needsDatabase)("runs an installation's background jobs while its issue jobs wait for its issue run, and those one at a time", async () => {
    const h = harness();
    const [a, b] = await h.pair({ installationCap: 2 });
    // Stands for the installation's issue run held elsewhere (another replica's, a long content-budget wait).
    const issueRun = gate();
    let issuesRunning = 0;
    let issuesAtOnce = 0;
    const done: string[] = [];
    for (const queue of new Set([a, b])) {
      queue.define("issues", {
        schema: repoJob,
        run: async (_data, info) => {
          issuesRunning += 1;
          issuesAtOnce = Math.max(issuesAtOnce, issuesRunning);
          await issueRun.opened;
          issuesRunning -= 1;
          done.push(info.target!.repository);
        },
      });
      queue.define("assess", { schema: repoJob, run: async (_data, info) => void done.push(info.target!.repository) });
    }
    await start(a, b);
    // More issue jobs than the installation has background slots, queued first, from both replicas.
    for (let i = 0; i < 4; i++) await (i % 2 === 0 ? a : b).enqueueRepository("issues", { installationId: 7, repository: `issues:acme/repo-${i}`, lane: "issues" }, { mark: i });
    await vi.waitFor(() => expect(issuesRunning).toBe(1), { timeout: 10_000 });
    // The installation's backfill goes on meanwhile, in its own slots.
    for (let i = 0; i < 6; i++) await (i % 2 === 0 ? b : a).enqueueRepository("assess", { installationId: 7, repository: `acme/repo-${i}`, lane: "background" }, { mark: i });
    await vi.waitFor(() => expect(done.filter((r) => !r.startsWith("issues:"))).toHaveLength(6), { timeout: 20_000 });
    expect(done.filter((r) => r.startsWith("issues:"))).toEqual([]);
    issueRun.open();
    await vi.waitFor(() => expect(done.filter((r) => r.startsWith("issues:"))).toHaveLength(4), { timeout: 20_000 });
    // An installation's issue runs go one at a time anyway: a second job would only hold a slot.
    expect(issuesAtOnce).toBe(1);
  });

  it.skipIf(needsDatabase)("retries a failing job with a growing wait, then stops on success", async () => {
    const h = harness();
    const [a] = await h.pair();
    const attempts: { attempt: number; at: number }[] = [];
    a.define("flaky", {
      schema: repoJob,
      retry: FAST_RETRY,
      run: async (_data, info) => {
        attempts.push({ attempt: info.attempt, at: Date.now() });
        if (info.attempt < 3) throw new Error(`attempt ${info.attempt} fails`);
      },
    });
    await start(a);
    expect(await a.enqueueRepository("flaky", { installationId: 1, repository: "acme/api" }, { mark: 1 })).toBe(true);
    await vi.waitFor(() => expect(attempts).toHaveLength(3), { timeout: 15_000, interval: 50 });
    expect(attempts.map((x) => x.attempt)).toEqual([1, 2, 3]);
    // The first retry waits at least the delay, the second at least twice it.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(FAST_RETRY.delaySeconds * 1000 - 20);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(2 * FAST_RETRY.delaySeconds * 1000 - 20);
    await new Promise((r) => setTimeout(r, POLL_MS * 5));
    expect(attempts).toHaveLength(3);
  });

  it.skipIf(needsDatabase)("starts a delayed job after its delay, absorbing a job of its key queued meanwhile, and is idle only once it ran", async () => {
    const h = harness();
    const [a, b] = await h.pair();
    const ran: { mark: number; at: number }[] = [];
    for (const queue of new Set([a, b])) queue.define("step", { schema: repoJob, run: async (data) => void ran.push({ mark: data.mark, at: Date.now() }) });
    await start(a, b);
    const target = { installationId: 1, repository: "backfill:1", lane: "background" as const, coalesce: "next" };
    const queuedAt = Date.now();
    expect(await a.enqueueRepository("step", target, { mark: 1 }, { delayMs: 1_000 })).toBe(true);
    // Waiting out its delay, it is the key's waiting job: a later one (another replica's) is merged into it.
    expect(await b.enqueueRepository("step", target, { mark: 2 })).toBe(false);
    await a.idle();
    expect(ran.map((r) => r.mark)).toEqual([1]);
    expect(ran[0]!.at - queuedAt).toBeGreaterThanOrEqual(1_000 - 20);
  });

  it.skipIf(needsDatabase)("refuses a job whose data its kind's schema does not accept", async () => {
    const h = harness();
    const [a] = await h.pair();
    const ran: unknown[] = [];
    a.define("strict", { schema: repoJob, run: async (data) => void ran.push(data) });
    await start(a);
    if (a instanceof InProcessQueue) {
      await a.enqueueRepository("strict", { installationId: 1, repository: "acme/api" }, { mark: "not a number" });
      await a.idle();
    } else {
      await a.enqueueRepository("strict", { installationId: 1, repository: "acme/api" }, { mark: "not a number" });
      await vi.waitFor(async () => expect((await h.states!()).map((s) => s.state)).toEqual(["cancelled"]), { timeout: 10_000 });
    }
    expect(ran).toEqual([]);
  });

  it.skipIf(needsDatabase || !replicas)("starts two replicas at once on a new schema", async () => {
    const h = harness();
    const [a, b] = await h.pair();
    const outcomes = await Promise.allSettled([a.start(), b.start()]);
    started.push(a, b);
    expect(outcomes.map((o) => (o.status === "rejected" ? String(o.reason) : "started"))).toEqual(["started", "started"]);
  });

  it.skipIf(needsDatabase || !replicas)("fires a scheduled job once across replicas", async () => {
    const h = harness();
    const [a, b] = await h.pair();
    const fired: string[] = [];
    a.define("sweep", { schema: z.object({}), run: async () => void fired.push("a") });
    b.define("sweep", { schema: z.object({}), run: async () => void fired.push("b") });
    a.schedule("sweep", 24 * 60 * 60 * 1000);
    b.schedule("sweep", 24 * 60 * 60 * 1000);
    await start(a, b);
    await vi.waitFor(() => expect(fired).toHaveLength(1), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, POLL_MS * 10));
    expect(fired).toHaveLength(1);
  });

  it.skipIf(needsDatabase || !replicas)("hands a job back when a replica stops mid-job, and another replica finishes it", async () => {
    const h = harness();
    const [a, b] = await h.pair();
    const events: string[] = [];
    const never = gate();
    a.define("webhook", { schema: z.object({}), run: async (_d, info) => void (events.push(`a starts attempt ${info.attempt}`), await never.opened, events.push("a ends")) });
    b.define("webhook", { schema: z.object({}), run: async (_d, info) => void events.push(`b runs attempt ${info.attempt}`) });
    await start(a);
    await a.enqueueDelivery("webhook", { id: "d-handed-back", event: "pull_request", installationId: 1 }, {});
    await vi.waitFor(() => expect(events).toEqual(["a starts attempt 1"]), { timeout: 10_000 });
    await start(b);
    await a.stop({ graceMs: 200 });
    await vi.waitFor(() => expect(events).toContain("b runs attempt 2"), { timeout: 10_000 });
    // a's handler finishing late changes nothing: the job is b's, and done.
    never.open();
    await new Promise((r) => setTimeout(r, POLL_MS * 3));
    expect(events).toEqual(["a starts attempt 1", "b runs attempt 2", "a ends"]);
    expect((await h.states!()).filter((s) => s.name === "claimcheck-delivery").map((s) => s.state)).toEqual(["completed"]);
  });

  it.skipIf(needsDatabase || !replicas)("retries on another replica a job whose process died while running it", async () => {
    const h = harness();
    const a = h.another!({ expireInSeconds: 1 });
    const events: string[] = [];
    const never = gate();
    a.define("assess", { schema: repoJob, retry: FAST_RETRY, run: async (_d, info) => void (events.push(`a starts attempt ${info.attempt}`), await never.opened) });
    await start(a);
    await a.enqueueRepository("assess", { installationId: 1, repository: "acme/api" }, { mark: 1 });
    await vi.waitFor(() => expect(events).toEqual(["a starts attempt 1"]), { timeout: 10_000 });
    await a.abandon();
    started.splice(started.indexOf(a), 1);
    const b = h.another!({ maintenanceIntervalSeconds: 1 });
    b.define("assess", { schema: repoJob, retry: FAST_RETRY, run: async (_d, info) => void events.push(`b runs attempt ${info.attempt}`) });
    await start(b);
    await vi.waitFor(() => expect(events).toContain("b runs attempt 2"), { timeout: 15_000, interval: 100 });
    never.open();
  });
});

/*
 * Supervision: every job runs under a lock of its own, and each replica looks for active jobs
 * whose lock is free. Intervals are short here; the expiry stays at its default (30 minutes), so
 * only supervision can be what fails a job in these tests.
 */
describe.skipIf("skip" in database)("PostgreSQL queue, a lost replica's jobs", () => {
  const FAST = { superviseEveryMs: 100, lostAfterSeconds: 1 };
  const harness = () => postgres((database as { url: string }).url);

  /**
   * Replica a takes a job of `kind` (queued by `enqueue`) and hangs in it; b starts; a is then
   * abandoned, as SIGKILL leaves it: its connections, and with them its locks, are gone, nothing is
   * completed or handed back. `events` says who ran what, by attempt.
   */
  async function loseReplicaRunning(h: Harness, kind: string, retry: RetryPolicy, enqueue: (a: JobQueue) => Promise<unknown>) {
    const a = h.another!(FAST);
    const b = h.another!(FAST);
    const events: string[] = [];
    const never = gate();
    a.define(kind, { schema: z.object({}), retry, run: async (_d, info) => void (events.push(`a starts attempt ${info.attempt}`), await never.opened) });
    b.define(kind, { schema: z.object({}), retry, run: async (_d, info) => void events.push(`b runs attempt ${info.attempt}`) });
    await start(a);
    await enqueue(a);
    await vi.waitFor(() => expect(events).toEqual(["a starts attempt 1"]), { timeout: 10_000 });
    await start(b);
    await a.abandon();
    started.splice(started.indexOf(a), 1);
    return { events, done: () => never.open() };
  }

  it("fails a dead replica's job within the supervision interval, and the survivor runs a retried kind again", async () => {
    const h = harness();
    const { events, done } = await loseReplicaRunning(h, "assess", FAST_RETRY, (a) => a.enqueueRepository("assess", { installationId: 1, repository: "acme/api" }, {}));
    await vi.waitFor(() => expect(events).toEqual(["a starts attempt 1", "b runs attempt 2"]), { timeout: 20_000, interval: 100 });
    await vi.waitFor(async () => expect((await h.states!()).map((s) => s.state)).toEqual(["completed"]), { timeout: 10_000 });
    done();
  });

  it("fails a dead replica's job of a kind without retries for good, and runs it nowhere again", async () => {
    const h = harness();
    const { events, done } = await loseReplicaRunning(h, "webhook", { limit: 0, delaySeconds: 0 }, (a) => a.enqueueDelivery("webhook", { id: "d-lost-with-its-replica", event: "pull_request", installationId: 1 }, {}));
    await vi.waitFor(async () => expect((await h.states!()).map((s) => s.state)).toEqual(["failed"]), { timeout: 20_000, interval: 100 });
    // Polls and supervision passes later, nothing has run it again.
    await new Promise((r) => setTimeout(r, POLL_MS * 10));
    expect(events).toEqual(["a starts attempt 1"]);
    expect((await h.states!()).map((s) => s.state)).toEqual(["failed"]);
    done();
  });

  it("keeps a replica running when a job's lock connection is cut; the job is retried, and its first run's late outcome is not recorded", async () => {
    const h = harness();
    const [a, b] = await h.pair(FAST);
    const events: string[] = [];
    const runs = [gate(), gate()];
    // Either replica may take the retry (a is alive): what matters is which run ends when.
    for (const queue of [a, b])
      queue.define("assess", { schema: repoJob, retry: FAST_RETRY, run: async (_d, info) => void (events.push(`starts attempt ${info.attempt}`), await runs[info.attempt - 1]!.opened, events.push(`attempt ${info.attempt} ends`)) });
    await start(a);
    await a.enqueueRepository("assess", { installationId: 1, repository: "acme/api" }, { mark: 1 });
    await vi.waitFor(() => expect(events).toEqual(["starts attempt 1"]), { timeout: 10_000 });
    await start(b);
    // The server ends the session holding the job's lock (a restart, a network cut); a goes on.
    expect(await h.cutJobLock!()).toBe(1);
    await vi.waitFor(() => expect(events).toEqual(["starts attempt 1", "starts attempt 2"]), { timeout: 20_000, interval: 100 });
    // The first run ending late does not complete the retry under way.
    runs[0]!.open();
    await vi.waitFor(() => expect(events).toContain("attempt 1 ends"), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, POLL_MS * 3));
    expect((await h.states!()).map((s) => s.state)).toEqual(["active"]);
    runs[1]!.open();
    await vi.waitFor(async () => expect((await h.states!()).map((s) => s.state)).toEqual(["completed"]), { timeout: 10_000 });
    expect(events.filter((e) => e.startsWith("starts"))).toEqual(["starts attempt 1", "starts attempt 2"]);
  }, 60_000);

  it("never fails, nor runs twice, a job whose replica is alive but slow", async () => {
    const h = harness();
    const [a, b] = await h.pair(FAST);
    const events: string[] = [];
    const slow = gate();
    for (const [name, queue] of [["a", a], ["b", b]] as const) {
      queue.define("assess", { schema: repoJob, retry: FAST_RETRY, run: async (_d, info) => void (events.push(`${name} starts attempt ${info.attempt}`), await slow.opened, events.push(`${name} ends`)) });
      queue.define("webhook", { schema: z.object({}), retry: { limit: 0, delaySeconds: 0 }, run: async () => void (events.push(`${name} starts the delivery`), await slow.opened) });
    }
    await start(a, b);
    await a.enqueueRepository("assess", { installationId: 1, repository: "acme/api" }, { mark: 1 });
    await b.enqueueDelivery("webhook", { id: "d-slow", event: "pull_request", installationId: 1 }, {});
    // Both running, and for three times as long as a lost job is given, as the database counts.
    await vi.waitFor(async () => {
      const ages = await h.startedSecondsAgo!();
      expect(ages).toHaveLength(2);
      expect(Math.min(...ages)).toBeGreaterThan(3 * FAST.lostAfterSeconds);
    }, { timeout: 20_000, interval: 100 });
    expect(events.filter((e) => e.includes("starts"))).toHaveLength(2);
    expect((await h.states!()).map((s) => s.state)).toEqual(["active", "active"]);
    slow.open();
    await vi.waitFor(async () => expect((await h.states!()).map((s) => s.state)).toEqual(["completed", "completed"]), { timeout: 10_000 });
    expect(events.filter((e) => e.includes("starts"))).toHaveLength(2);
  });
});

describe("in-process queue without replicas", () => {
  it("runs a schedule every period in its one process", async () => {
    const store = await Store.open(":memory:");
    const queue = new InProcessQueue(store, silent, 2);
    const fired: number[] = [];
    queue.define("sweep", { schema: z.object({}), run: async () => void fired.push(Date.now()) });
    queue.schedule("sweep", 20);
    await queue.start();
    await vi.waitFor(() => expect(fired.length).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    await queue.stop();
    const count = fired.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(fired).toHaveLength(count);
    await store.close();
  });

  it("gives a job its data as a database queue would (JSON), so data that cannot cross replicas fails here too", async () => {
    const store = await Store.open(":memory:");
    const queue = new InProcessQueue(store, silent, 2);
    const ran: unknown[] = [];
    queue.define("dated", { schema: z.object({ at: z.date() }), retry: { limit: 0, delaySeconds: 0 }, run: async (data) => void ran.push(data) });
    queue.define("plain", { schema: z.object({ at: z.string() }), run: async (data) => void ran.push(data) });
    await queue.start();
    await queue.enqueueRepository("dated", { installationId: 1, repository: "acme/api" }, { at: new Date(0) });
    await queue.enqueueRepository("plain", { installationId: 1, repository: "acme/api" }, { at: new Date(0) });
    await queue.idle();
    expect(ran).toEqual([{ at: "1970-01-01T00:00:00.000Z" }]);
    await store.close();
  });

  it("drops a job waiting out its delay when it stops, rather than holding the process until the delay ends", async () => {
    const store = await Store.open(":memory:");
    const queue = new InProcessQueue(store, silent, 2);
    const ran: number[] = [];
    queue.define("step", { schema: repoJob, run: async (data) => void ran.push(data.mark) });
    await queue.start();
    await queue.enqueueRepository("step", { installationId: 1, repository: "backfill:1", coalesce: "next" }, { mark: 1 }, { delayMs: 60 * 60_000 });
    await queue.stop();
    expect(ran).toEqual([]);
    await store.close();
  });

  it("lets running work finish on stop within the grace period, and takes no new work", async () => {
    const store = await Store.open(":memory:");
    const queue = new InProcessQueue(store, silent, 2);
    const events: string[] = [];
    queue.define("assess", { schema: repoJob, run: async (data) => void (await new Promise((r) => setTimeout(r, 20)), events.push(`done ${data.mark}`)) });
    await queue.start();
    await queue.enqueueRepository("assess", { installationId: 1, repository: "acme/api" }, { mark: 1 });
    await queue.stop({ graceMs: 5_000 });
    expect(events).toEqual(["done 1"]);
    expect(await queue.enqueueRepository("assess", { installationId: 1, repository: "acme/api" }, { mark: 2 })).toBe(false);
    await store.close();
  });
});

/*
 * A repository job whose repository or installation slot is busy is deferred: deleted and sent
 * again as a new pg-boss job. Its attempts so far go with it, so its retry limit holds and its
 * handler sees the attempt it is on (the app marks a delivery failed on the last one).
 */
describe.skipIf("skip" in database)("PostgreSQL queue, a retry that finds its repository busy", () => {
  it("keeps the job's attempt count across deferrals: one retry allowed, two attempts, numbered 1 and 2, then failed", async () => {
    const h = postgres((database as { url: string }).url);
    const a = h.another!();
    const target = { installationId: 1, repository: "acme/api" };
    const attempts: number[] = [];
    const held = gate();
    let holding = false;
    a.define("fails", {
      schema: z.object({}),
      retry: { limit: 1, delaySeconds: 1 },
      run: async (_d, info) => {
        attempts.push(info.attempt);
        // Meanwhile another job of the repository (another pull request's check run) is queued; it runs while the retry comes due.
        if (attempts.length === 1) await a.enqueueRepository("hold", target, {});
        throw new Error("GitHub 422");
      },
    });
    a.define("hold", { schema: z.object({}), retry: { limit: 0, delaySeconds: 0 }, run: async () => void ((holding = true), await held.opened) });
    await start(a);
    await a.enqueueRepository("fails", target, {});
    const deferredRetry = async () => (await h.states!()).some((s) => s.name === "claimcheck-repository-webhook" && (s.data as { kind?: string; deferrals?: number }).kind === "fails" && ((s.data as { deferrals?: number }).deferrals ?? 0) >= 2);
    // The retry came due while "hold" runs, and was put back, twice.
    await vi.waitFor(async () => expect(holding && (await deferredRetry())).toBe(true), { timeout: 20_000, interval: 100 });
    expect(attempts).toEqual([1]);
    held.open();
    await a.idle();
    expect(attempts).toEqual([1, 2]);
    expect((await h.states!()).filter((s) => (s.data as { kind?: string }).kind === "fails").map((s) => s.state)).toEqual(["failed"]);
  }, 40_000);
});
