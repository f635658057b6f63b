import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { contentBudgets, contentWrites } from "../store/schema-pg.js";
import { CONTENT_CREATION_LIMITS, type BudgetLimits, type ContentBudget, type ContentBudgets } from "./issue-budget.js";

/*
 * The content-creation budget kept in PostgreSQL, so every replica writing for an installation
 * spends one budget: GitHub counts the installation's writes, not a process's. A write is counted
 * in a short transaction holding the installation's row in `content_budgets`, so two replicas
 * never both take the last write of a minute or an hour. Time is the database's clock, one for
 * every replica, unless a test brings its own.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

type Db = NodePgDatabase<Record<string, unknown>>;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export type PostgresContentBudgetOptions = {
  limits?: BudgetLimits;
  /** Milliseconds since the epoch; by default the database's clock. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

type Outcome = { taken: true } | { taken: false; waitMs: number | null };

export class PostgresContentBudget implements ContentBudget {
  private readonly limits: BudgetLimits;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly installationId: number,
    private readonly options: PostgresContentBudgetOptions = {},
  ) {
    this.limits = options.limits ?? CONTENT_CREATION_LIMITS;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async take(): Promise<boolean> {
    for (;;) {
      const outcome = await this.db.transaction((tx) => this.attempt(tx));
      if (outcome.taken) return true;
      if (outcome.waitMs === null) return false;
      // The lock is released while waiting: other replicas' writes and refusals go on meanwhile.
      await this.sleep(outcome.waitMs);
    }
  }

  async note(): Promise<void> {
    await this.db.transaction(async (tx) => {
      const now = await this.lock(tx);
      await tx.insert(contentWrites).values({ installationId: this.installationId, at: now });
    });
  }

  /**
   * Takes the installation's row lock for the rest of the transaction and drops the writes older
   * than the hour, which no longer count against anything; the time to count from.
   */
  private async lock(tx: Tx): Promise<number> {
    const [locked] = await tx
      .insert(contentBudgets)
      .values({ installationId: this.installationId })
      .onConflictDoUpdate({ target: contentBudgets.installationId, set: { installationId: sql`excluded.installation_id` } })
      .returning({ now: sql<string>`floor(extract(epoch from clock_timestamp()) * 1000)::bigint` });
    const now = this.options.clock ? this.options.clock() : Number(locked!.now);
    await tx.delete(contentWrites).where(and(eq(contentWrites.installationId, this.installationId), lte(contentWrites.at, now - HOUR_MS)));
    return now;
  }

  private async attempt(tx: Tx): Promise<Outcome> {
    const now = await this.lock(tx);
    const mine = eq(contentWrites.installationId, this.installationId);
    const [counts] = await tx
      .select({
        hour: sql<string>`count(*)`,
        minute: sql<string>`count(*) filter (where ${contentWrites.at} > ${now - MINUTE_MS})`,
        oldestInMinute: sql<string | null>`min(${contentWrites.at}) filter (where ${contentWrites.at} > ${now - MINUTE_MS})`,
      })
      .from(contentWrites)
      .where(and(mine, gt(contentWrites.at, now - HOUR_MS)));
    if (Number(counts?.hour ?? 0) >= this.limits.perHour) return { taken: false, waitMs: null };
    if (Number(counts?.minute ?? 0) < this.limits.perMinute) {
      await tx.insert(contentWrites).values({ installationId: this.installationId, at: now });
      return { taken: true };
    }
    const oldest = counts?.oldestInMinute === null || counts?.oldestInMinute === undefined ? now : Number(counts.oldestInMinute);
    return { taken: false, waitMs: Math.max(1, oldest + MINUTE_MS - now) };
  }
}

/** Every installation's budget in PostgreSQL. */
export function postgresContentBudgets(db: Db, options: PostgresContentBudgetOptions = {}): ContentBudgets {
  return (installationId) => new PostgresContentBudget(db, installationId, options);
}
