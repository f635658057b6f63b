import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WINDOW_MS, type Resource } from "../../src/app/backfill-plan.js";
import { Backfiller, describeBackfill, type Clock } from "../../src/app/backfill.js";
import { RateBudgets, type RateBudget } from "../../src/app/rate-budget.js";
import { runMaintenance } from "../../src/app/maintenance.js";
import { backfillOf, enqueueBackfill, pendingRepositories } from "../../src/store/backfill-records.js";
import type { Store } from "../../src/store/store.js";
import { dialects } from "../helpers/dialects.js";

/** The cost the arithmetic below is worked out for (measured costs change; the planner takes any). */
const COST = { rest: 7, graphql: 6 };

const START = new Date("2026-11-25T10:00:00Z");

/** A clock whose sleeps pass instantly, each recorded. */
function fakeClock(start: Date): Clock & { sleeps: number[]; advance: (ms: number) => void } {
  let t = start.getTime();
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(t),
    advance: (ms) => (t += ms),
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

/**
 * GitHub's primary limits for one installation: hourly windows per resource, started by the
 * first request after a reset. Every "response" reports the budget as headers would.
 */
function fakeGitHub(clock: Clock, budget: RateBudget, limits: Record<Resource, number>) {
  const windows: Record<Resource, { used: number; resetAt: number } | null> = { rest: null, graphql: null };
  const overdrawn: string[] = [];
  const windowStarts: number[] = [];
  function spend(resource: Resource, amount: number, repo: string) {
    const now = clock.now().getTime();
    let w = windows[resource];
    if (!w || w.resetAt <= now) {
      w = windows[resource] = { used: 0, resetAt: now + WINDOW_MS };
      if (resource === "rest") windowStarts.push(now);
    }
    w.used += amount;
    if (w.used > limits[resource]) overdrawn.push(`${repo} (${resource})`);
    budget.observe(resource, { limit: limits[resource], remaining: Math.max(0, limits[resource] - w.used), resetAt: new Date(w.resetAt) });
  }
  return {
    overdrawn,
    windowStarts,
    assess: async (fullName: string) => {
      spend("rest", COST.rest, fullName);
      spend("graphql", COST.graphql, fullName);
      return fullName;
    },
  };
}

/** An assessment whose answers report its REST requests off a known budget, as headers would. */
function spending(budget: RateBudget) {
  return async (fullName: string) => {
    const rest = budget.current().rest;
    if (rest) budget.observe("rest", { ...rest, remaining: rest.remaining - COST.rest });
    return fullName;
  };
}

/**
 * A sleep that lasts past the test (the reset is minutes away), and the moment the backfill first
 * calls it: it has paused, with its progress stored, however long the database took to get there.
 */
function endlessSleep(): { sleep: Clock["sleep"]; asleep: Promise<void> } {
  let fellAsleep = () => undefined as void;
  const asleep = new Promise<void>((resolve) => (fellAsleep = resolve));
  return { asleep, sleep: () => (fellAsleep(), new Promise<void>(() => undefined)) };
}

function captureLog() {
  const lines: { msg: string; [k: string]: unknown }[] = [];
  return { lines, log: pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) }) };
}

describe.each(dialects("the Backfiller"))("Backfiller on $name", ({ open }) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => await store.close());

  it("spreads 10,000 repositories over the 18 hourly windows the arithmetic needs, stating the finish time up front", async () => {
    const clock = fakeClock(START);
    const budgets = new RateBudgets();
    const github = fakeGitHub(clock, budgets.of(1), { rest: 5000, graphql: 5000 });
    const { lines, log } = captureLog();
    const repos = Array.from({ length: 10_000 }, (_, i) => `big-org/repo-${i}`);
    const backfiller = new Backfiller<string>({ store, log, budgets, clock, options: { cost: COST } });

    const outcome = await backfiller.run(1, repos, { name: "installation.created", deliveryId: "d1" }, { assess: github.assess });

    expect(outcome.assessed).toHaveLength(10_000);
    expect(outcome.failed).toBe(0);
    expect(github.overdrawn).toEqual([]);
    // 4,000 REST a window after the 20 % reserve ÷ 7 a repository = 571 a window.
    const windows = Math.ceil(10_000 / Math.floor(4000 / 7));
    expect(github.windowStarts).toHaveLength(windows);
    expect(clock.sleeps).toHaveLength(windows - 1);
    const finished = clock.now().getTime();
    expect(finished - START.getTime()).toBeGreaterThanOrEqual((windows - 1) * WINDOW_MS);
    expect(finished - START.getTime()).toBeLessThan(windows * WINDOW_MS);

    // The first plan (unknown budget) and each pause state the expected finish.
    const pauses = lines.filter((l) => l.msg.startsWith("backfill paused"));
    expect(pauses).toHaveLength(windows - 1);
    expect(pauses[0]!.msg).toMatch(/^backfill paused until the rate limit resets: \d+ of 10000 assessed; next batch at \S+Z; expected to finish at \S+Z$/);
    const lastPause = pauses.at(-1)!;
    expect(Math.abs(Date.parse(lastPause.expectedFinishAt as string) - finished)).toBeLessThan(5_000);
    // From the first pause on the budgets are known: the prediction misses only the one-second
    // margin the runner waits past each reset.
    const secondPause = pauses[1]!;
    expect(Math.abs(Date.parse(secondPause.expectedFinishAt as string) - finished)).toBeLessThanOrEqual(windows * 1000);
    expect(lines[0]!.msg).toMatch(/^backfill started: 0 of 10000 assessed; next batch at \S+Z; expected to finish at \S+Z$/);

    const row = (await backfillOf(store, 1))!;
    expect(row).toMatchObject({ state: "finished", total: 10_000, assessed: 10_000, failed: 0 });
    expect(describeBackfill(row)).toBe(`10000 of 10000 repositories assessed by ${new Date(finished).toISOString()}`);
    // 10,000 settlements, each a transaction: PostgreSQL takes seconds, more beside other test files.
  }, 60_000);

  it("keeps the state of a paused backfill for the report", async () => {
    const clock = fakeClock(START);
    const budgets = new RateBudgets();
    budgets.of(1).observe("rest", { limit: 5000, remaining: 1020, resetAt: new Date(START.getTime() + 30 * 60_000) });
    budgets.of(1).observe("graphql", { limit: 5000, remaining: 5000, resetAt: new Date(START.getTime() + 60 * 60_000) });
    let seen: string | null = null;
    const { sleep, asleep } = endlessSleep();
    const paused: Clock = { now: clock.now, sleep: async (ms) => {
      seen = describeBackfill(await backfillOf(store, 1));
      await sleep(ms);
    } };
    const backfiller = new Backfiller<string>({ store, log: pino({ level: "silent" }), budgets, clock: paused });
    void backfiller.run(1, ["o/a", "o/b", "o/c", "o/d"], { name: "installation.created", deliveryId: "d1" }, { assess: spending(budgets.of(1)) });
    await asleep;
    expect(seen).toBe("2 of 4 assessed; next batch at 2026-11-25T10:30:00.000Z; expected to finish at 2026-11-25T10:30:00.000Z");
    expect((await backfillOf(store, 1))?.state).toBe("paused");
    expect(await pendingRepositories(store, 1)).toEqual(["o/c", "o/d"]);
  });

  it("stops waiting for a reset when the process shuts down, leaving the rest stored", async () => {
    const clock = fakeClock(START);
    const budgets = new RateBudgets();
    budgets.of(3).observe("rest", { limit: 5000, remaining: 1000 + 2 * 7, resetAt: new Date(START.getTime() + 50 * 60_000) });
    // A sleep that would last the real 50 minutes to the reset.
    const { sleep, asleep } = endlessSleep();
    const backfiller = new Backfiller<string>({ store, log: pino({ level: "silent" }), budgets, clock: { now: clock.now, sleep } });
    const running = backfiller.run(3, ["o/a", "o/b", "o/c", "o/d"], { name: "installation.created", deliveryId: "d3" }, { assess: spending(budgets.of(3)) });
    await asleep;
    expect((await backfillOf(store, 3))?.state).toBe("paused");

    backfiller.stop();
    const outcome = await running;
    expect(outcome).toMatchObject({ interrupted: true, failed: 0 });
    expect(outcome.assessed).toEqual(["o/a", "o/b"]);
    expect(await pendingRepositories(store, 3)).toEqual(["o/c", "o/d"]);
  });

  it("resumes after a restart with only the repositories never assessed", async () => {
    const clock = fakeClock(START);
    const budgets = new RateBudgets();
    budgets.of(7).observe("rest", { limit: 5000, remaining: 1000 + 3 * 7, resetAt: new Date(START.getTime() + 10 * 60_000) });
    const assessedBefore: string[] = [];
    const { sleep, asleep } = endlessSleep();
    const dying = new Backfiller<string>({ store, log: pino({ level: "silent" }), budgets, clock: { now: clock.now, sleep } });
    const repos = Array.from({ length: 8 }, (_, i) => `o/r${i}`);
    void dying.run(7, repos, { name: "installation.created", deliveryId: "d7" }, { assess: async (r) => (assessedBefore.push(r), spending(budgets.of(7))(r)) });
    await asleep;
    expect(assessedBefore).toEqual(repos.slice(0, 3));

    // A new process: fresh budgets, the same store.
    clock.advance(60 * 60_000);
    const assessedAfter: string[] = [];
    const next = new Backfiller<string>({ store, log: pino({ level: "silent" }), budgets: new RateBudgets(), clock });
    const outcome = await next.resume(7, (row) => {
      expect(row.trigger).toBe("installation.created");
      return { assess: async (r) => (assessedAfter.push(r), r) };
    });
    expect(assessedAfter).toEqual(repos.slice(3));
    expect(outcome?.assessed).toHaveLength(5);
    expect(await backfillOf(store, 7)).toMatchObject({ state: "finished", total: 8, assessed: 8 });
    expect(await next.resume(7, () => ({ assess: async (r) => r }))).toBeNull();
  });

  it("counts a repository that could not be assessed and moves on", async () => {
    const backfiller = new Backfiller<string>({ store, log: pino({ level: "silent" }), budgets: new RateBudgets(), clock: fakeClock(START) });
    const outcome = await backfiller.run(2, ["o/ok", "o/broken"], { name: "installation.created", deliveryId: "d2" }, {
      assess: async (r) => {
        if (r === "o/broken") throw new Error("boom");
        return r;
      },
    });
    expect(outcome).toEqual({ assessed: ["o/ok"], failed: 1 });
    expect(await backfillOf(store, 2)).toMatchObject({ state: "finished", assessed: 1, failed: 1 });
    expect(await pendingRepositories(store, 2)).toEqual([]);
  });

  it("asks GitHub for the budgets (free) before a backfill too large for the conservative default", async () => {
    const clock = fakeClock(START);
    const budgets = new RateBudgets();
    let probes = 0;
    const backfiller = new Backfiller<string>({ store, log: pino({ level: "silent" }), budgets, clock });
    const repos = Array.from({ length: 400 }, (_, i) => `o/r${i}`);
    await backfiller.run(3, repos, { name: "installation.created", deliveryId: "d3" }, {
      assess: async (r) => r,
      probe: async () => {
        probes += 1;
        budgets.of(3).observe("rest", { limit: 12_500, remaining: 12_500, resetAt: new Date(START.getTime() + WINDOW_MS) });
        budgets.of(3).observe("graphql", { limit: 5000, remaining: 5000, resetAt: new Date(START.getTime() + WINDOW_MS) });
      },
    });
    expect(probes).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("never lets one installation's spent budget pause another's", async () => {
    const clock = fakeClock(START);
    const budgets = new RateBudgets();
    budgets.of(10).observe("rest", { limit: 5000, remaining: 0, resetAt: new Date(START.getTime() + 30 * 60_000) });
    const backfiller = new Backfiller<string>({ store, log: pino({ level: "silent" }), budgets, clock });
    await backfiller.run(11, ["o/a", "o/b"], { name: "installation.created", deliveryId: "d11" }, { assess: async (r) => r });
    expect(clock.sleeps).toEqual([]);
  });

  it("hands a step taken off the queue at most a batch, the first pending, and the same again until they settle", async () => {
    const backfiller = new Backfiller<string>({ store, log: pino({ level: "silent" }), budgets: new RateBudgets(), clock: fakeClock(START), options: { cost: COST, maxBatch: 8 } });
    const repos = Array.from({ length: 30 }, (_, i) => `o/r${i}`);
    await enqueueBackfill(store, 5, repos, { name: "installation.created", deliveryId: "d5" }, START);
    const first = await backfiller.step(5, {});
    expect(first).toEqual({ kind: "batch", repos: repos.slice(0, 8) });
    // Taken again (another replica, a restart) before the batch settles: the same repositories, none skipped.
    expect(await backfiller.step(5, {})).toEqual(first);
    for (const fullName of repos.slice(0, 8)) await backfiller.settle(5, fullName, async () => fullName);
    expect(await backfiller.step(5, {})).toEqual({ kind: "batch", repos: repos.slice(8, 16) });
    for (const fullName of repos.slice(8)) await backfiller.settle(5, fullName, async () => fullName);
    expect(await backfiller.step(5, {})).toEqual({ kind: "finished", justFinished: true });
    expect(await backfiller.step(5, {})).toEqual({ kind: "finished", justFinished: false });
    expect(await backfillOf(store, 5)).toMatchObject({ state: "finished", total: 30, assessed: 30, failed: 0 });
  });

  it("is resumed by maintenance when a restart left it unfinished", async () => {
    await store.upsertInstallation(21, "acme", "Organization");
    await store.upsertInstallation(22, "other", "Organization");
    await enqueueBackfill(store, 21, ["acme/a", "acme/b"], { name: "installation.created", deliveryId: "d21" }, START);
    const octokit = {
      request: async () => Promise.reject(Object.assign(new Error("Not Found"), { status: 404 })),
      graphql: async () => Promise.reject(new Error("unused")),
      config: { get: async () => Promise.reject(new Error("no config")) },
    };
    const resumed: [number, string, unknown][] = [];
    await runMaintenance({ store, log: pino({ level: "silent" }), octokitFor: async () => octokit, now: START, resumeBackfill: (id, org, o) => resumed.push([id, org, o]) });
    expect(resumed).toEqual([[21, "acme", octokit]]);
  });
});
