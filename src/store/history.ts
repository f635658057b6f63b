import { and, asc, eq, gt, gte, inArray, lt, lte, max } from "drizzle-orm";
import { z } from "zod";
import { statusSchema } from "../core/status.js";
import type { HistoryAssessment } from "../report/history.js";
import * as schema from "./schema.js";
import type { Store } from "./store.js";

/*
 * The stored assessments a history is made of, always within one installation: the newest
 * assessment of each repository before the period, and every assessment inside it. Only the
 * statuses are read out of the stored results, not the findings.
 */

const historyResultsSchema = z.array(
  z.looseObject({
    claimId: z.string(),
    status: statusSchema,
    checks: z.array(z.looseObject({ checkId: z.string(), status: statusSchema.exclude(["attested"]) })),
  }),
);

const columns = {
  id: schema.assessments.id,
  repo: schema.assessments.repositoryFullName,
  finishedAt: schema.assessments.finishedAt,
  trigger: schema.assessments.trigger,
  deliveryId: schema.assessments.deliveryId,
  headSha: schema.assessments.headSha,
  checkRunId: schema.assessments.checkRunId,
  inScope: schema.assessments.inScope,
  results: schema.assessments.results,
};

type Row = { [K in keyof typeof columns]: (typeof schema.assessments.$inferSelect)[K extends "repo" ? "repositoryFullName" : K] };

function toHistory(row: Row): HistoryAssessment {
  const claims = historyResultsSchema.parse(JSON.parse(row.results));
  return {
    id: row.id,
    repo: row.repo,
    finishedAt: row.finishedAt,
    trigger: row.trigger,
    deliveryId: row.deliveryId,
    headSha: row.headSha,
    checkRunId: row.checkRunId,
    inScope: row.inScope,
    claims: claims.map((c) => ({ claimId: c.claimId, status: c.status, checks: c.checks.map((k) => ({ checkId: k.checkId, status: k.status })) })),
  };
}

export type HistoryRows = { before: HistoryAssessment[]; during: HistoryAssessment[] };

/** The assessments of `installationId` for a history from `since` to `until`, for the repositories it covers. */
export function historyAssessments(store: Store, installationId: number, since: Date, until: Date): HistoryRows {
  const covered = new Set(store.repositoriesOf(installationId));
  const a = schema.assessments;
  const newestBefore = store.db
    .select({ id: max(a.id) })
    .from(a)
    .where(and(eq(a.installationId, installationId), lt(a.finishedAt, since.toISOString())))
    .groupBy(a.repositoryFullName)
    .all()
    .map((r) => r.id)
    .filter((id): id is number => id !== null);
  const before: Row[] = [];
  // SQLite limits the parameters of one statement; large organisations are read in slices.
  for (let i = 0; i < newestBefore.length; i += 500) {
    before.push(...store.db.select(columns).from(a).where(and(eq(a.installationId, installationId), inArray(a.id, newestBefore.slice(i, i + 500)))).all());
  }
  const during = store.db
    .select(columns)
    .from(a)
    .where(and(eq(a.installationId, installationId), gte(a.finishedAt, since.toISOString()), lte(a.finishedAt, until.toISOString())))
    .orderBy(asc(a.finishedAt), asc(a.id))
    .all();
  const keep = (r: Row) => covered.has(r.repo);
  return { before: before.filter(keep).map(toHistory), during: during.filter(keep).map(toHistory) };
}

/** The assessments of `installationId` stored after assessment `afterId`, in the order they were stored, for the repositories it covers. */
export function historyAssessmentsAfter(store: Store, installationId: number, afterId: number): HistoryAssessment[] {
  const covered = new Set(store.repositoriesOf(installationId));
  const a = schema.assessments;
  return store.db
    .select(columns)
    .from(a)
    .where(and(eq(a.installationId, installationId), gt(a.id, afterId)))
    .orderBy(asc(a.id))
    .all()
    .filter((r) => covered.has(r.repo))
    .map(toHistory);
}
