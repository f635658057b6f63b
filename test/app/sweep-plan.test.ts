import { describe, expect, it, vi } from "vitest";
import { planSweep, type SweepCandidate } from "../../src/app/sweep-plan.js";
import type { BudgetReadings } from "../../src/app/backfill-plan.js";

const HOUR = 3_600_000;
const TICK = 15 * 60 * 1000;
const plenty = (now: Date): BudgetReadings => ({ rest: { limit: 15_000, remaining: 15_000, resetAt: new Date(now.getTime() + HOUR) }, graphql: { limit: 5_000, remaining: 5_000, resetAt: new Date(now.getTime() + HOUR) } });

describe("planSweep", () => {
  it("takes nothing while every repository is fresher than half its period", () => {
    const now = new Date("2026-11-28T12:00:00Z");
    const repos = [{ fullName: "o/a", lastAssessedAt: "2026-11-28T02:00:00Z" }];
    expect(planSweep({ repositories: repos, everyHours: 24, now, tickMs: TICK, budget: plenty(now) }).take).toEqual([]);
  });

  it("takes repositories never assessed and overdue ones first, oldest first", () => {
    const now = new Date("2026-11-28T12:00:00Z");
    const repos: SweepCandidate[] = [
      { fullName: "o/fresh", lastAssessedAt: "2026-11-28T11:00:00Z" },
      { fullName: "o/day-old", lastAssessedAt: "2026-11-27T11:00:00Z" },
      { fullName: "o/never", lastAssessedAt: null },
      { fullName: "o/week-old", lastAssessedAt: "2026-11-21T11:00:00Z" },
    ];
    const plan = planSweep({ repositories: repos, everyHours: 24, now, tickMs: TICK, budget: plenty(now) });
    expect(plan.take).toEqual(["o/never", "o/week-old", "o/day-old"]);
    expect(plan.due).toBe(3);
    expect(plan.deferred).toBe(0);
  });

  it("reads each repository's last assessment time once, not once per comparison of the sort", () => {
    // It runs on the thread that acknowledges webhooks: at 10,000 repositories, parsing both
    // timestamps in every comparison held that thread for a third of a second each tick.
    const now = new Date("2026-11-28T12:00:00Z");
    const repos = Array.from({ length: 2_000 }, (_, i) => ({ fullName: `o/r${i}`, lastAssessedAt: new Date(now.getTime() - ((i * 7_919) % 2_000) * 60_000).toISOString() }));
    const parse = vi.spyOn(Date, "parse");
    try {
      planSweep({ repositories: repos, everyHours: 24, now, tickMs: TICK, budget: plenty(now) });
      expect(parse.mock.calls.length).toBeLessThanOrEqual(repos.length);
    } finally {
      parse.mockRestore();
    }
  });

  it("spreads an organisation assessed all at once over the period, and keeps every repository within it", () => {
    const start = Date.parse("2026-11-01T00:00:00Z");
    const last = new Map<string, number>(Array.from({ length: 200 }, (_, i) => [`o/r${i}`, start]));
    let maxPerTick = 0;
    let maxAge = 0;
    let taken = 0;
    for (let t = start + TICK; t <= start + 96 * HOUR; t += TICK) {
      const now = new Date(t);
      const plan = planSweep({ repositories: [...last].map(([fullName, at]) => ({ fullName, lastAssessedAt: new Date(at).toISOString() })), everyHours: 24, now, tickMs: TICK, budget: plenty(now) });
      maxPerTick = Math.max(maxPerTick, plan.take.length);
      taken += plan.take.length;
      for (const name of plan.take) last.set(name, t);
      for (const at of last.values()) maxAge = Math.max(maxAge, t - at);
    }
    expect(maxAge).toBeLessThanOrEqual(24 * HOUR);
    // Four periods: each repository about four times (the first cycle a little early), not twice as often.
    expect(taken).toBeLessThanOrEqual(200 * 5);
    // 200 repositories, first spread over the second half of the period (48 ticks): 5 a tick at most, never all at once.
    expect(maxPerTick).toBeLessThanOrEqual(Math.ceil(200 / 48) + 1);
  });

  it("never spends the reserve kept for webhooks, leaving due repositories for a later tick", () => {
    const now = new Date("2026-11-28T12:00:00Z");
    const repos = Array.from({ length: 50 }, (_, i) => ({ fullName: `o/r${i}`, lastAssessedAt: null }));
    // 1,100 REST requests left of 5,000: the reserve (1,000) leaves 100, which pays for 14 repositories at 7 each.
    const budget: BudgetReadings = { rest: { limit: 5_000, remaining: 1_100, resetAt: new Date(now.getTime() + HOUR / 2) }, graphql: { limit: 5_000, remaining: 5_000, resetAt: new Date(now.getTime() + HOUR / 2) } };
    const plan = planSweep({ repositories: repos, everyHours: 24, now, tickMs: TICK, budget });
    expect(plan.take).toHaveLength(14);
    expect(plan.deferred).toBe(36);
    const spent: BudgetReadings = { rest: { limit: 5_000, remaining: 900, resetAt: new Date(now.getTime() + HOUR / 2) }, graphql: budget.graphql };
    expect(planSweep({ repositories: repos, everyHours: 24, now, tickMs: TICK, budget: spent }).take).toEqual([]);
  });
});
