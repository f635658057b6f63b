/*
 * How many repositories an installation's backfill may assess now, when the next batch can
 * start and when the whole backfill will be done, from the budgets GitHub reported. Pure: the
 * caller brings the clock and the readings. GitHub's primary limits are hourly windows per
 * installation, REST and GraphQL counted separately; a repository needs both, so the scarcer
 * one sets the pace. A share of each limit is kept back for webhooks and check runs, which
 * must not fail because a backfill spent the hour.
 */

export type Resource = "rest" | "graphql";
export const RESOURCES: readonly Resource[] = ["rest", "graphql"];

/** What GitHub said about one budget: `x-ratelimit-limit`, `-remaining`, `-reset`. */
export type BudgetReading = { limit: number; remaining: number; resetAt: Date };
export type BudgetReadings = Record<Resource, BudgetReading | null>;

export type CostPerRepository = { rest: number; graphql: number };
/**
 * The cost of one full repository assessment planned before an installation has assessments of
 * its own (docs/performance.md measures 6.0 REST and 4–5 points): rounded up, as a plan that runs
 * out of budget halfway leaves evidence unread.
 */
export const MEASURED_COST: CostPerRepository = { rest: 7, graphql: 5 };

export const WINDOW_MS = 60 * 60 * 1000;
/** GitHub's smallest hourly limit for an installation: assumed when GitHub has not said. */
export const DEFAULT_HOURLY_LIMIT: Record<Resource, number> = { rest: 5000, graphql: 5000 };
export const DEFAULT_RESERVE_FRACTION = 0.2;
/** With no reading, the current window is taken as half spent: neither idle nor paralysed. */
export const UNKNOWN_REMAINING_FRACTION = 0.5;

export type PlanInput = {
  /** Repositories still to assess. */
  pending: number;
  cost: CostPerRepository;
  budget: BudgetReadings;
  now: Date;
  /** Share of each limit kept for webhooks and check runs (0.2 = 20 %). */
  reserveFraction?: number;
  /** Measured wall time of one assessment at the app's concurrency; 0 if unknown. */
  secondsPerRepository?: number;
};

export type Batch = { at: Date; count: number };

export type BackfillPlan = {
  /** How many may start now (0: wait for `nextBatchAt`). */
  runNow: number;
  /** When the batch after this one can start; null when `runNow` covers everything. */
  nextBatchAt: Date | null;
  finishAt: Date;
  /** Every batch the budgets allow, the first at `now` when `runNow` > 0. */
  batches: Batch[];
  /** Repositories a full window allows after the reserve, and the budget that sets that pace. */
  perWindow: number;
  boundBy: Resource;
  /** Budgets GitHub has not reported, planned with the conservative default. */
  assumed: Resource[];
};

type Account = { limit: number; reserve: number; available: number; resetAt: number };

function account(resource: Resource, reading: BudgetReading | null, now: number, reserveFraction: number): Account {
  const limit = reading && reading.limit > 0 ? reading.limit : DEFAULT_HOURLY_LIMIT[resource];
  const reserve = Math.ceil(limit * reserveFraction);
  if (!reading) return { limit, reserve, available: Math.max(0, Math.floor(limit * UNKNOWN_REMAINING_FRACTION) - reserve), resetAt: now + WINDOW_MS };
  // A window that has already reset starts again with the first request after now.
  if (reading.resetAt.getTime() <= now) return { limit, reserve, available: limit - reserve, resetAt: now + WINDOW_MS };
  return { limit, reserve, available: Math.max(0, Math.min(reading.remaining, limit) - reserve), resetAt: reading.resetAt.getTime() };
}

/** Repositories one window of `a` pays for; at least one, so a tiny limit still progresses. */
function perWindowOf(a: Account, cost: number): number {
  if (cost <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.floor((a.limit - a.reserve) / cost));
}

export function planBackfill(input: PlanInput): BackfillPlan {
  const now = input.now.getTime();
  const reserveFraction = input.reserveFraction ?? DEFAULT_RESERVE_FRACTION;
  const spr = Math.max(0, input.secondsPerRepository ?? 0) * 1000;
  const accounts = Object.fromEntries(RESOURCES.map((r) => [r, account(r, input.budget[r], now, reserveFraction)])) as Record<Resource, Account>;
  const costOf = (r: Resource) => input.cost[r];
  const used = RESOURCES.filter((r) => costOf(r) > 0);
  const fits = (r: Resource) => (costOf(r) > 0 ? Math.floor(accounts[r].available / costOf(r)) : Number.POSITIVE_INFINITY);
  const windowFits = Object.fromEntries(RESOURCES.map((r) => [r, perWindowOf(accounts[r], costOf(r))])) as Record<Resource, number>;
  const boundBy = RESOURCES.reduce((a, b) => (windowFits[b] < windowFits[a] ? b : a));
  const perWindow = Math.min(...RESOURCES.map((r) => windowFits[r]));

  const batches: Batch[] = [];
  let pending = Math.max(0, Math.floor(input.pending));
  let t = now;
  let finish = now;
  while (pending > 0) {
    const count = Math.min(pending, ...used.map(fits));
    if (count > 0) {
      batches.push({ at: new Date(t), count });
      pending -= count;
      for (const r of used) accounts[r].available -= count * costOf(r);
      finish = t + count * spr;
    }
    if (pending === 0) break;
    // Wait for every budget that cannot pay for one more repository; others refill if due.
    const short = used.filter((r) => fits(r) < 1);
    const next = Math.max(finish, ...short.map((r) => accounts[r].resetAt));
    for (const r of used) {
      const a = accounts[r];
      if (a.resetAt <= next) {
        a.available = Math.max(a.limit - a.reserve, costOf(r));
        a.resetAt = next + WINDOW_MS;
      }
    }
    t = next;
  }

  const first = batches[0];
  const startsNow = first !== undefined && first.at.getTime() === now;
  const runNow = startsNow ? first.count : 0;
  const following = startsNow ? batches[1] : first;
  return {
    runNow,
    nextBatchAt: following ? following.at : null,
    finishAt: new Date(finish),
    batches,
    perWindow,
    boundBy,
    assumed: RESOURCES.filter((r) => costOf(r) > 0 && !input.budget[r]),
  };
}

/** "N of M assessed; next batch at T; expected to finish at T2", for logs and reports. */
export function describeProgress(p: { assessed: number; total: number; nextBatchAt: Date | null; finishAt: Date | null }): string {
  const next = p.nextBatchAt ? `next batch at ${p.nextBatchAt.toISOString()}` : "no further batch needed";
  const finish = p.finishAt ? `expected to finish at ${p.finishAt.toISOString()}` : "finish time not known yet";
  return `${p.assessed} of ${p.total} assessed; ${next}; ${finish}`;
}
