import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { drizzle } from "drizzle-orm/node-postgres";
import { DEFAULT_RESERVE_FRACTION, WINDOW_MS, type Resource } from "../../src/app/backfill-plan.js";
import { Backfiller, type Clock } from "../../src/app/backfill.js";
import { RateBudgets, type RateBudget } from "../../src/app/rate-budget.js";
import { PostgresReadings } from "../../src/app/rate-readings-postgres.js";
import * as schema from "../../src/store/schema-pg.js";
import { Store } from "../../src/store/store.js";
import { replicasForSuite, skipPostgres } from "../helpers/postgres.js";

/*
 * Two replicas backfilling one installation at once (say one resumed a backfill while the other
 * received repositories added): GitHub meters the installation, not the replica. With the
 * readings and the reserve shared through PostgreSQL, the two together never spend the share of
 * each hourly window kept for webhooks and check runs.
 */

const COST = { rest: 7, graphql: 5 };
const LIMIT = 1000;
const START = new Date("2026-11-28T10:00:00Z");

/** One clock for both replicas; a sleep moves it on at once. */
function sharedClock(): Clock {
  let t = START.getTime();
  return { now: () => new Date(t), sleep: async (ms) => void (t += ms) };
}

/** The installation's hourly windows on GitHub, spent by either replica; each answer reports the budget to the replica that asked. */
function fakeGitHub(clock: Clock) {
  const windows: Record<Resource, { used: number; resetAt: number } | null> = { rest: null, graphql: null };
  const spentPerWindow: Record<Resource, number[]> = { rest: [], graphql: [] };
  function spend(resource: Resource, budget: RateBudget) {
    const now = clock.now().getTime();
    let w = windows[resource];
    if (!w || w.resetAt <= now) {
      w = windows[resource] = { used: 0, resetAt: now + WINDOW_MS };
      spentPerWindow[resource].push(0);
    }
    w.used += COST[resource];
    spentPerWindow[resource][spentPerWindow[resource].length - 1] = w.used;
    budget.observe(resource, { limit: LIMIT, remaining: Math.max(0, LIMIT - w.used), resetAt: new Date(w.resetAt) });
  }
  return {
    spentPerWindow,
    assess: (budget: RateBudget) => async (fullName: string) => {
      spend("rest", budget);
      spend("graphql", budget);
      return fullName;
    },
  };
}

describe.skipIf(skipPostgres("backfills of one installation on two replicas"))("backfills of one installation on two replicas", () => {
  const target = replicasForSuite(3);

  it("never spend the reserve of a window together", async () => {
    const clock = sharedClock();
    const github = fakeGitHub(clock);
    const stores = [await Store.open(":memory:"), await Store.open(":memory:")];
    try {
      const runs = target().replicas.map((pool, r) => {
        const budgets = new RateBudgets({ readings: new PostgresReadings(drizzle(pool, { schema })) });
        const backfiller = new Backfiller<string>({ store: stores[r]!, log: pino({ level: "silent" }), budgets, clock, options: { cost: COST } });
        const repos = Array.from({ length: 150 }, (_, i) => `org/replica-${r}-repo-${i}`);
        return backfiller.run(1, repos, { name: "installation_repositories.added", deliveryId: `d${r}` }, { assess: github.assess(budgets.of(1)) });
      });
      const outcomes = await Promise.all(runs);
      expect(outcomes.map((o) => o.assessed.length)).toEqual([150, 150]);
      // 300 repositories at 7 REST requests: three windows or more, none spent past its 80 %.
      const spendable = LIMIT - Math.ceil(LIMIT * DEFAULT_RESERVE_FRACTION);
      expect(github.spentPerWindow.rest.length).toBeGreaterThanOrEqual(Math.ceil((300 * COST.rest) / spendable));
      for (const resource of ["rest", "graphql"] as const) expect(Math.max(...github.spentPerWindow[resource])).toBeLessThanOrEqual(spendable);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
