import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import type { Logger } from "pino";
import { postgresContentBudgets } from "../publish/content-budget-postgres.js";
import type { ContentBudgets } from "../publish/issue-budget.js";
import * as schema from "../store/schema-pg.js";
import { OrgEvidence, type OrgEvidenceCache } from "./org-evidence.js";
import { PostgresOrgEvidence } from "./org-evidence-postgres.js";
import { RateBudgets } from "./rate-budget.js";
import { PostgresReadings } from "./rate-readings-postgres.js";

/*
 * What must hold for the whole deployment rather than per process: the content-creation budget,
 * the hourly budget readings (and so the backfill's reserve) and the organisation-evidence cache.
 * On PostgreSQL every replica shares them through the database; on SQLite one process keeps them
 * in memory (docs/deployment.md).
 */

export type SharedLimits = {
  /** Absent: the issue publisher keeps this process's own budget. */
  contentBudgets?: ContentBudgets;
  rateBudgets: RateBudgets;
  orgEvidence: OrgEvidenceCache;
};

/**
 * The limits kept through `pool` (PostgreSQL), or in this process when there is none. `clock` is
 * what the kept configuration files age by (the app's injected clock in tests).
 */
export function sharedLimits(pool: pg.Pool | null, log?: Logger, options: { clock?: () => number } = {}): SharedLimits {
  if (!pool) return { rateBudgets: new RateBudgets(), orgEvidence: new OrgEvidence(undefined, options.clock) };
  const db = drizzle(pool, { schema });
  // Neither failure loses what this process knows: it goes on with its own readings or its fresh read.
  const warn = (what: string) => (error: unknown) => log?.warn({ err: error instanceof Error ? error.message : String(error) }, `${what} could not be shared through the database`);
  return {
    contentBudgets: postgresContentBudgets(db),
    rateBudgets: new RateBudgets({ readings: new PostgresReadings(db), onError: warn("rate-limit readings") }),
    orgEvidence: new PostgresOrgEvidence(db, { onError: warn("organisation evidence"), ...(options.clock ? { clock: options.clock } : {}) }),
  };
}
