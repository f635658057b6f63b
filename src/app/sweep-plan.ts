import { MEASURED_COST, planBackfill, type BudgetReadings, type CostPerRepository } from "./backfill-plan.js";

/*
 * Which repositories a scheduled re-assessment tick takes, from when each was last assessed.
 * Pure: the caller brings the clock, the readings and the list. A repository is due once its
 * newest assessment (by any trigger) is `everyHours` old. So that an organisation assessed all
 * at once (the backfill) is not re-read all at once a period later, each tick takes the smallest
 * number that still meets every deadline if the following ticks do the same (earliest deadline
 * first), from the repositories past half their period: the work spreads over the period. The
 * installation's hourly budgets, less the reserve kept for webhooks, cap every tick
 * (`planBackfill`); what they do not pay for is left, oldest first, for the next tick.
 */

export type SweepCandidate = { fullName: string; lastAssessedAt: string | null };

export type SweepInput = {
  repositories: readonly SweepCandidate[];
  everyHours: number;
  now: Date;
  tickMs: number;
  budget: BudgetReadings;
  cost?: CostPerRepository;
  reserveFraction?: number;
};

export type SweepPlan = {
  /** Repositories to re-assess now, oldest evidence first. */
  take: string[];
  /** Due (at least `everyHours` old, or never assessed). */
  due: number;
  /** Due but left for a later tick: the hourly budgets (after the reserve) do not pay for them now. */
  deferred: number;
  /** Repositories a tick must take from now on to meet every deadline. */
  share: number;
};

const HOUR_MS = 3_600_000;

function ageMs(c: SweepCandidate, now: number): number {
  return c.lastAssessedAt === null ? Number.POSITIVE_INFINITY : now - Date.parse(c.lastAssessedAt);
}

export function planSweep(input: SweepInput): SweepPlan {
  const now = input.now.getTime();
  const periodMs = Math.max(1, input.everyHours) * HOUR_MS;
  const tickMs = Math.max(1, Math.min(input.tickMs, periodMs));
  // Each age worked out once: parsing both timestamps in every comparison of the sort took a
  // third of a second of the event loop at 10,000 repositories.
  const ordered = input.repositories.map((c) => ({ c, age: ageMs(c, now) })).sort((a, b) => b.age - a.age || a.c.fullName.localeCompare(b.c.fullName));
  const due = ordered.filter((o) => o.age >= periodMs);
  const candidates = ordered.filter((o) => o.age >= periodMs / 2);
  // Earliest deadline first: the i-th deadline, k ticks away, needs i/k repositories a tick from now on.
  let perTick = 0;
  candidates.forEach((o, i) => {
    const ticksLeft = Math.max(1, Math.ceil((periodMs - o.age) / tickMs));
    perTick = Math.max(perTick, (i + 1) / ticksLeft);
  });
  const wanted = candidates.slice(0, Math.max(due.length, Math.ceil(perTick))).map((o) => o.c);
  const plan = planBackfill({ pending: wanted.length, cost: input.cost ?? MEASURED_COST, budget: input.budget, now: input.now, ...(input.reserveFraction !== undefined ? { reserveFraction: input.reserveFraction } : {}) });
  const take = wanted.slice(0, plan.runNow).map((c) => c.fullName);
  return { take, due: due.length, deferred: Math.max(0, due.length - take.length), share: Math.ceil(perTick) };
}
