import { count, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { describe, expect, it } from "vitest";
import { PostgresContentBudget } from "../../src/publish/content-budget-postgres.js";
import type { BudgetLimits } from "../../src/publish/issue-budget.js";
import * as schema from "../../src/store/schema-pg.js";
import { replicasForSuite, skipPostgres } from "../helpers/postgres.js";

/*
 * The content-creation budget shared by replicas: each replica is a pool of its own, racing the
 * others for an installation's last writes of a minute or an hour. Together they never take more
 * than the limit.
 */

class Waiting extends Error {}

describe.skipIf(skipPostgres("content-creation budget on PostgreSQL"))("the content-creation budget on PostgreSQL", () => {
  const target = replicasForSuite(6);

  /** A budget per replica for one installation; a write that would have to wait rejects with Waiting. */
  function budgets(installationId: number, limits: BudgetLimits, clock?: () => number, waits: number[] = []) {
    return target().replicas.map(
      (pool) =>
        new PostgresContentBudget(drizzle(pool, { schema }), installationId, {
          limits,
          ...(clock ? { clock } : {}),
          sleep: (ms) => {
            waits.push(ms);
            return Promise.reject(new Waiting());
          },
        }),
    );
  }

  async function counted(installationId: number): Promise<number> {
    const [row] = await drizzle(target().pool, { schema }).select({ n: count() }).from(schema.contentWrites).where(eq(schema.contentWrites.installationId, installationId));
    return row?.n ?? 0;
  }

  it("lets two replicas racing for the last writes of a minute take no more than the minute's limit together", async () => {
    const waits: number[] = [];
    const pair = budgets(1, { perMinute: 5, perHour: 500 }, () => 1_000_000, waits);
    const outcomes = await Promise.allSettled(pair.flatMap((budget) => Array.from({ length: 8 }, () => budget.take())));
    expect(outcomes.filter((o) => o.status === "fulfilled" && o.value)).toHaveLength(5);
    // Every other write was told to wait for the minute to free up, none refused.
    expect(outcomes.filter((o) => o.status === "rejected" && o.reason instanceof Waiting)).toHaveLength(11);
    expect(waits.every((ms) => ms === 60_000)).toBe(true);
    expect(await counted(1)).toBe(5);
  });

  it("lets two replicas racing for the last writes of an hour take no more than the hour's limit together, then refuses", async () => {
    let now = 5_000_000;
    const pair = budgets(2, { perMinute: 80, perHour: 7 }, () => now);
    const outcomes = await Promise.all(pair.flatMap((budget) => Array.from({ length: 8 }, () => budget.take())));
    expect(outcomes.filter(Boolean)).toHaveLength(7);
    expect(outcomes.filter((taken) => !taken)).toHaveLength(9);
    expect(await counted(2)).toBe(7);
    // An hour later the writes no longer count (and are no longer kept).
    now += 3_600_000;
    expect(await pair[1]!.take()).toBe(true);
    expect(await counted(2)).toBe(1);
    // Counting a check run drops what is an hour old too: an installation that only has check runs keeps no more than an hour of them.
    now += 3_600_000;
    await pair[0]!.note();
    expect(await counted(2)).toBe(1);
  });

  it("counts check runs one replica wrote against the budget the other takes from, and keeps installations apart", async () => {
    const [a, b] = budgets(3, { perMinute: 80, perHour: 3 }, () => 9_000_000);
    await Promise.all([a!.note(), a!.note(), b!.note()]);
    expect(await b!.take()).toBe(false);
    const [other] = budgets(4, { perMinute: 80, perHour: 3 }, () => 9_000_000);
    expect(await other!.take()).toBe(true);
  });

  it("counts by the database's clock when no clock is given", async () => {
    const waits: number[] = [];
    const [a, b] = budgets(5, { perMinute: 2, perHour: 500 }, undefined, waits);
    expect(await a!.take()).toBe(true);
    expect(await b!.take()).toBe(true);
    await expect(a!.take()).rejects.toBeInstanceOf(Waiting);
    expect(waits[0]).toBeGreaterThan(50_000);
    expect(waits[0]).toBeLessThanOrEqual(60_000);
  });
});
