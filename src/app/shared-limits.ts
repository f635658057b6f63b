import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { Logger } from "pino";
import { postgresContentBudgets } from "../publish/content-budget-postgres.js";
import type { BudgetLimits, ContentBudgets } from "../publish/issue-budget.js";
import { keepSessionsAlive } from "../store/postgres.js";
import * as schema from "../store/schema-pg.js";
import { inProcessIssueRuns, postgresIssueRuns, type IssueRunLock } from "./issue-run-lock.js";
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
  /** One issue run per installation at a time, across replicas. */
  issueRuns: IssueRunLock;
  /** Closes what these limits opened of their own (the issue-run locks' connections). */
  close: () => Promise<void>;
};

/** Issue runs of this many installations at once per replica hold their lock; more wait for a connection. */
const ISSUE_RUN_LOCK_CONNECTIONS = 8;

/**
 * The limits kept through `pool` (PostgreSQL), or in this process when there is none. `clock` is
 * what the kept configuration files age by (the app's injected clock in tests); `contentLimits`:
 * GitHub's content-creation limits unless given (a test that makes them bind).
 */
export function sharedLimits(pool: pg.Pool | null, log?: Logger, options: { clock?: () => number; contentLimits?: BudgetLimits } = {}): SharedLimits {
  const contentLimits = options.contentLimits;
  if (!pool) return { rateBudgets: new RateBudgets(), orgEvidence: new OrgEvidence(undefined, options.clock), issueRuns: inProcessIssueRuns, close: async () => undefined };
  const db = drizzle(pool, { schema });
  // Neither failure loses what this process knows: it goes on with its own readings or its fresh read.
  const warn = (what: string) => (error: unknown) => log?.warn({ err: error instanceof Error ? error.message : String(error) }, `${what} could not be shared through the database`);
  // The locks' own connections, to the same database: a run holding one spends the budget through `pool`.
  const locks = new pg.Pool({ ...pool.options, max: ISSUE_RUN_LOCK_CONNECTIONS });
  locks.on("error", (error) => log?.warn({ err: error.message }, "issue-run lock connection failed"));
  // A lost machine's lock must not keep its installation's issue runs waiting for hours.
  keepSessionsAlive(locks, (message) => log?.warn({ err: message }, "the server's TCP keepalives could not be set on an issue-run lock connection"));
  return {
    contentBudgets: postgresContentBudgets(db, contentLimits ? { limits: contentLimits } : {}),
    rateBudgets: new RateBudgets({ readings: new PostgresReadings(db), onError: warn("rate-limit readings") }),
    orgEvidence: new PostgresOrgEvidence(db, { onError: warn("organisation evidence"), ...(options.clock ? { clock: options.clock } : {}) }),
    issueRuns: postgresIssueRuns(locks),
    close: () => locks.end(),
  };
}
