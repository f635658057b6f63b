import { and, eq, gt, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { rateReadings } from "../store/schema-pg.js";
import { RESOURCES, type BudgetReading, type BudgetReadings } from "./backfill-plan.js";
import type { SharedReadings, Spend } from "./rate-budget.js";

/*
 * Each installation's hourly budgets as the replicas were told them, in PostgreSQL. A reading is
 * recorded by one statement that applies `mergeReading`'s rule in the database: a later window
 * replaces an earlier one, and within a window the lowest remaining count stays. Replicas
 * recording at once therefore leave the lowest of their counts, whatever the order.
 */

type Db = NodePgDatabase<Record<string, unknown>>;

export class PostgresReadings implements SharedReadings {
  constructor(private readonly db: Db) {}

  async record(installationId: number, resource: "rest" | "graphql", reading: BudgetReading): Promise<void> {
    const row = { installationId, resource, limit: reading.limit, remaining: reading.remaining, resetAt: reading.resetAt.getTime() };
    await this.db
      .insert(rateReadings)
      .values(row)
      .onConflictDoUpdate({
        target: [rateReadings.installationId, rateReadings.resource],
        set: {
          limit: sql`excluded."limit"`,
          remaining: sql`case when excluded.reset_at = ${rateReadings.resetAt} then least(${rateReadings.remaining}, excluded.remaining) else excluded.remaining end`,
          resetAt: sql`excluded.reset_at`,
        },
        // A reading of a window already replaced is stale.
        setWhere: sql`excluded.reset_at >= ${rateReadings.resetAt}`,
      });
  }

  /**
   * The installation's rows of the current windows are locked for the claim: replicas claiming at
   * once take their turns, each seeing what the one before took.
   */
  async claim(installationId: number, spend: Spend, reserveFraction: number, now: Date): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const current = await tx
        .select()
        .from(rateReadings)
        .where(and(eq(rateReadings.installationId, installationId), gt(rateReadings.resetAt, now.getTime())))
        .for("update");
      const claimed = RESOURCES.flatMap((resource) => {
        const row = current.find((r) => r.resource === resource);
        return row && spend[resource] > 0 ? [{ row, spend: spend[resource] }] : [];
      });
      if (claimed.some(({ row, spend }) => row.remaining - spend < Math.ceil(row.limit * reserveFraction))) return false;
      for (const { row, spend } of claimed) {
        await tx
          .update(rateReadings)
          .set({ remaining: sql`${rateReadings.remaining} - ${spend}` })
          .where(and(eq(rateReadings.installationId, installationId), eq(rateReadings.resource, row.resource)));
      }
      return true;
    });
  }

  async read(installationId: number): Promise<BudgetReadings> {
    const readings: BudgetReadings = { rest: null, graphql: null };
    for (const row of await this.db.select().from(rateReadings).where(eq(rateReadings.installationId, installationId))) {
      readings[row.resource] = { limit: row.limit, remaining: row.remaining, resetAt: new Date(row.resetAt) };
    }
    return readings;
  }
}
