import { eq, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { rateReadings } from "../store/schema-pg.js";
import type { BudgetReading, BudgetReadings } from "./backfill-plan.js";
import type { SharedReadings } from "./rate-budget.js";

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

  async read(installationId: number): Promise<BudgetReadings> {
    const readings: BudgetReadings = { rest: null, graphql: null };
    for (const row of await this.db.select().from(rateReadings).where(eq(rateReadings.installationId, installationId))) {
      readings[row.resource] = { limit: row.limit, remaining: row.remaining, resetAt: new Date(row.resetAt) };
    }
    return readings;
  }
}
