import { drizzle } from "drizzle-orm/node-postgres";
import { beforeAll, describe, expect, it } from "vitest";
import { RateBudgets } from "../../src/app/rate-budget.js";
import { PostgresReadings } from "../../src/app/rate-readings-postgres.js";
import * as schema from "../../src/store/schema-pg.js";
import { replicasForSuite, skipPostgres } from "../helpers/postgres.js";

/*
 * Budget readings shared by replicas: each replica a pool and budgets of its own. What one was told
 * is seen by the other, the lowest count of a window wins whatever order the replicas record in,
 * and one installation's readings are never another's.
 */

const RESET = new Date("2026-11-28T18:00:00Z");
const LATER = new Date("2026-11-28T19:00:00Z");

describe.skipIf(skipPostgres("rate-budget readings on PostgreSQL"))("rate-budget readings on PostgreSQL", () => {
  const target = replicasForSuite(4);
  let budgets: RateBudgets[];
  beforeAll(() => {
    budgets = target().replicas.map((pool) => new RateBudgets({ readings: new PostgresReadings(drizzle(pool, { schema })) }));
  });

  it("shows one replica the budget another was told of, the lowest count of the window winning", async () => {
    const [a, b] = [budgets[0]!.of(1), budgets[1]!.of(1)];
    a.observe("rest", { limit: 5000, remaining: 3000, resetAt: RESET });
    b.observe("rest", { limit: 5000, remaining: 3500, resetAt: RESET });
    await Promise.all([a.flushed(), b.flushed()]);
    expect((await b.refresh()).rest).toEqual({ limit: 5000, remaining: 3000, resetAt: RESET });
    expect((await a.refresh()).rest?.remaining).toBe(3000);
    expect((await b.refresh()).graphql).toBeNull();
  });

  it("keeps the lowest count when replicas record a window's readings at once, and lets a new window replace it", async () => {
    const [a, b] = [budgets[0]!.of(2), budgets[1]!.of(2)];
    // Interleaved answers, as two replicas spending one budget see them.
    for (let i = 0; i < 40; i += 1) (i % 2 === 0 ? a : b).observe("graphql", { limit: 5000, remaining: 4000 - ((i * 37) % 41), resetAt: RESET });
    await Promise.all([a.flushed(), b.flushed()]);
    const fresh = new RateBudgets({ readings: new PostgresReadings(drizzle(target().pool, { schema })) }).of(2);
    expect((await fresh.refresh()).graphql?.remaining).toBe(4000 - 40);

    b.observe("graphql", { limit: 5000, remaining: 4990, resetAt: LATER });
    await b.flushed();
    // A late answer from the window before is stale, however low.
    a.observe("graphql", { limit: 5000, remaining: 1, resetAt: RESET });
    await a.flushed();
    expect((await fresh.refresh()).graphql).toEqual({ limit: 5000, remaining: 4990, resetAt: LATER });
  });

  it("leaves the lowest count of a window when many records race, whatever the order", async () => {
    const stores = target().replicas.map((pool) => new PostgresReadings(drizzle(pool, { schema })));
    const counts = Array.from({ length: 30 }, (_, i) => 2000 + ((i * 17) % 30));
    await Promise.all(counts.map((remaining, i) => stores[i % 2]!.record(5, "rest", { limit: 5000, remaining, resetAt: RESET })));
    expect((await stores[0]!.read(5)).rest?.remaining).toBe(2000);
  });

  it("lets replicas planning from the same readings claim no more than the window holds above the reserve, together", async () => {
    const now = new Date(RESET.getTime() - 30 * 60_000);
    const [a, b] = [budgets[0]!.of(6), budgets[1]!.of(6)];
    a.observe("rest", { limit: 1000, remaining: 500, resetAt: RESET });
    a.observe("graphql", { limit: 1000, remaining: 900, resetAt: RESET });
    await a.flushed();
    await b.refresh();
    // A reserve of 200 of each: 300 REST requests are there to claim, 50 a batch.
    const claims = await Promise.all([a, b].flatMap((budget) => Array.from({ length: 10 }, () => budget.claim({ rest: 50, graphql: 10 }, 0.2, now))));
    expect(claims.filter(Boolean)).toHaveLength(6);
    const fresh = new RateBudgets({ readings: new PostgresReadings(drizzle(target().pool, { schema })) }).of(6);
    expect(await fresh.refresh()).toEqual({ rest: { limit: 1000, remaining: 200, resetAt: RESET }, graphql: { limit: 1000, remaining: 840, resetAt: RESET } });
    // Each replica plans from what it claimed itself at once, and from the rest once it reads again.
    expect(a.current().rest!.remaining + b.current().rest!.remaining).toBe(500 + 500 - 300);
    expect((await a.refresh()).rest?.remaining).toBe(200);
    // A window that has reset holds no claim back: GitHub's next answer says what it holds.
    expect(await b.claim({ rest: 5000, graphql: 0 }, 0.2, new Date(RESET.getTime() + 1))).toBe(true);
  });

  it("never shows one installation's readings to another", async () => {
    budgets[0]!.of(3).observe("rest", { limit: 5000, remaining: 0, resetAt: RESET });
    await budgets[0]!.of(3).flushed();
    expect(await budgets[1]!.of(4).refresh()).toEqual({ rest: null, graphql: null });
    expect((await budgets[1]!.of(3).refresh()).rest?.remaining).toBe(0);
  });
});
