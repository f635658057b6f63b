import { describe, expect, it } from "vitest";
import { DEFAULT_HOURLY_LIMIT, UNKNOWN_REMAINING_FRACTION, WINDOW_MS, describeProgress, planBackfill, type BudgetReading } from "../../src/app/backfill-plan.js";

/** The cost the arithmetic below is worked out for (measured costs change; the planner takes any). */
const COST = { rest: 7, graphql: 6 };

const NOW = new Date("2026-11-25T10:00:00Z");
const later = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
const full = (limit = 5000, resetInMinutes = 60): BudgetReading => ({ limit, remaining: limit, resetAt: later(resetInMinutes) });
const left = (remaining: number, resetInMinutes: number, limit = 5000): BudgetReading => ({ limit, remaining, resetAt: later(resetInMinutes) });

describe("planBackfill", () => {
  it("runs everything now when it fits in what is left of the hour", () => {
    const plan = planBackfill({ pending: 300, cost: COST, budget: { rest: full(), graphql: full() }, now: NOW, secondsPerRepository: 0.5 });
    expect(plan.runNow).toBe(300);
    expect(plan.nextBatchAt).toBeNull();
    expect(plan.batches).toEqual([{ at: NOW, count: 300 }]);
    expect(plan.finishAt).toEqual(new Date(NOW.getTime() + 150_000));
    expect(plan.assumed).toEqual([]);
  });

  it("keeps the reserve: a fresh 5,000 window pays for 571 repositories at 7 REST requests each", () => {
    const plan = planBackfill({ pending: 1000, cost: COST, budget: { rest: full(), graphql: full() }, now: NOW });
    expect(plan.runNow).toBe(Math.floor((5000 - 1000) / 7));
    expect(plan.perWindow).toBe(571);
    expect(plan.boundBy).toBe("rest");
    expect(plan.nextBatchAt).toEqual(later(60));
    expect(plan.batches.map((b) => b.count)).toEqual([571, 429]);
  });

  it("spreads 10,000 repositories over the hourly windows the arithmetic needs", () => {
    const plan = planBackfill({ pending: 10_000, cost: COST, budget: { rest: full(), graphql: full() }, now: NOW });
    const windows = Math.ceil(10_000 / 571);
    expect(windows).toBe(18);
    expect(plan.batches).toHaveLength(windows);
    expect(plan.batches.reduce((n, b) => n + b.count, 0)).toBe(10_000);
    // Window k starts when window k-1 resets: one hour apart, the first reset an hour from now.
    plan.batches.forEach((b, k) => expect(b.at).toEqual(later(60 * k)));
    expect(plan.finishAt).toEqual(later(60 * (windows - 1)));
  });

  it("with 12,500 REST requests an hour, GraphQL's 5,000 points set the pace and fewer windows are needed", () => {
    const plan = planBackfill({ pending: 10_000, cost: COST, budget: { rest: full(12_500), graphql: full() }, now: NOW });
    expect(plan.boundBy).toBe("graphql");
    expect(plan.perWindow).toBe(Math.floor(4000 / 6));
    expect(plan.batches).toHaveLength(Math.ceil(10_000 / 666));
  });

  it("is GraphQL-bound when the query costs more points than REST requests", () => {
    const plan = planBackfill({ pending: 2000, cost: { rest: 2, graphql: 10 }, budget: { rest: full(), graphql: full() }, now: NOW });
    expect(plan.boundBy).toBe("graphql");
    expect(plan.runNow).toBe(400);
    expect(plan.perWindow).toBe(400);
  });

  it("waits for the GraphQL reset when only GraphQL is spent", () => {
    const plan = planBackfill({ pending: 50, cost: COST, budget: { rest: full(), graphql: left(1010, 25) }, now: NOW });
    expect(plan.runNow).toBe(1);
    expect(plan.nextBatchAt).toEqual(later(25));
    expect(plan.batches).toEqual([
      { at: NOW, count: 1 },
      { at: later(25), count: 49 },
    ]);
  });

  it("pauses until the later reset when both budgets are spent", () => {
    const plan = planBackfill({ pending: 10, cost: COST, budget: { rest: left(900, 10), graphql: left(950, 40) }, now: NOW });
    expect(plan.runNow).toBe(0);
    expect(plan.nextBatchAt).toEqual(later(40));
    expect(plan.batches).toEqual([{ at: later(40), count: 10 }]);
  });

  it("treats a reading whose reset has passed as a fresh window", () => {
    const plan = planBackfill({ pending: 600, cost: COST, budget: { rest: left(0, -5), graphql: left(0, -1) }, now: NOW });
    expect(plan.runNow).toBe(571);
    expect(plan.nextBatchAt).toEqual(later(60));
  });

  it("plans an unknown budget with the conservative default: the smallest limit, half spent, resetting in an hour", () => {
    const plan = planBackfill({ pending: 5000, cost: COST, budget: { rest: null, graphql: null }, now: NOW });
    const usable = DEFAULT_HOURLY_LIMIT.rest * UNKNOWN_REMAINING_FRACTION - 1000;
    expect(plan.assumed).toEqual(["rest", "graphql"]);
    expect(plan.runNow).toBe(Math.floor(usable / 7));
    expect(plan.nextBatchAt).toEqual(new Date(NOW.getTime() + WINDOW_MS));
  });

  it("plans an unknown GraphQL budget conservatively beside a known REST one", () => {
    const plan = planBackfill({ pending: 5000, cost: { rest: 1, graphql: 6 }, budget: { rest: full(), graphql: null }, now: NOW });
    expect(plan.assumed).toEqual(["graphql"]);
    expect(plan.runNow).toBe(Math.floor(1500 / 6));
  });

  it("uses the whole budget with no reserve, and none of it when the reserve is everything left", () => {
    expect(planBackfill({ pending: 1000, cost: COST, budget: { rest: full(), graphql: full() }, now: NOW, reserveFraction: 0 }).runNow).toBe(714);
    expect(planBackfill({ pending: 1, cost: COST, budget: { rest: left(1000, 30), graphql: full() }, now: NOW }).runNow).toBe(0);
  });

  it("starts the next window after a batch that outlasts the reset", () => {
    const plan = planBackfill({ pending: 1000, cost: { rest: 7, graphql: 0 }, budget: { rest: left(5000, 5), graphql: null }, now: NOW, secondsPerRepository: 1 });
    expect(plan.batches[1]!.at).toEqual(new Date(NOW.getTime() + 571_000));
    expect(plan.finishAt).toEqual(new Date(NOW.getTime() + 1000_000));
  });

  it("has nothing to do for nothing pending", () => {
    const plan = planBackfill({ pending: 0, cost: COST, budget: { rest: null, graphql: null }, now: NOW });
    expect(plan).toMatchObject({ runNow: 0, nextBatchAt: null, finishAt: NOW, batches: [] });
  });

  it("says where the backfill stands", () => {
    expect(describeProgress({ assessed: 571, total: 10_000, nextBatchAt: later(60), finishAt: later(17 * 60) })).toBe(
      "571 of 10000 assessed; next batch at 2026-11-25T11:00:00.000Z; expected to finish at 2026-11-26T03:00:00.000Z",
    );
  });
});
