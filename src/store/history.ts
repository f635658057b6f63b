import { and, asc, eq, gt, gte, inArray, lt, lte, max, min, sql } from "drizzle-orm";
import { z } from "zod";
import { yieldToEventLoop } from "../core/event-loop.js";
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

/** Each repository's newest assessment before `since`: where its status stood when the period began. */
function newestIdsBefore(store: Store, installationId: number, since: Date): number[] {
  const a = schema.assessments;
  return store.db
    .select({ id: max(a.id) })
    .from(a)
    .where(and(eq(a.installationId, installationId), lt(a.finishedAt, since.toISOString())))
    .groupBy(a.repositoryFullName)
    .all()
    .map((r) => r.id)
    .filter((id): id is number => id !== null);
}

/** The assessments of `installationId` for a history from `since` to `until`, for the repositories it covers. */
export async function historyAssessments(store: Store, installationId: number, since: Date, until: Date): Promise<HistoryRows> {
  const covered = new Set(await store.repositoriesOf(installationId));
  const a = schema.assessments;
  const newestBefore = newestIdsBefore(store, installationId, since);
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
export async function historyAssessmentsAfter(store: Store, installationId: number, afterId: number): Promise<HistoryAssessment[]> {
  const covered = new Set(await store.repositoriesOf(installationId));
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

/**
 * Rows read and parsed between two turns of the event loop by `loadHistoryAssessments`: parsing
 * a stored result takes up to a millisecond or so, so a page stays well under 100 ms.
 */
const HISTORY_PAGE = 50;

/**
 * `historyAssessments` a page of rows at a time, the event loop free in between: an organisation
 * of 10,000 repositories has tens of thousands of assessments in a period, and reading and parsing
 * them in one go held the thread that acknowledges webhooks for tens of seconds.
 */
export async function loadHistoryAssessments(store: Store, installationId: number, since: Date, until: Date): Promise<HistoryRows> {
  const covered = new Set(await store.repositoriesOf(installationId));
  const keep = (r: Row) => covered.has(r.repo);
  const a = schema.assessments;
  const newestBefore = newestIdsBefore(store, installationId, since);
  const before: HistoryAssessment[] = [];
  for (let i = 0; i < newestBefore.length; i += HISTORY_PAGE) {
    await yieldToEventLoop();
    const rows = store.db.select(columns).from(a).where(and(eq(a.installationId, installationId), inArray(a.id, newestBefore.slice(i, i + HISTORY_PAGE)))).all();
    for (const r of rows) if (keep(r)) before.push(toHistory(r));
  }
  // The period's rows in id order from just before the first of them, a page at a time: the
  // installation's own indexes would make SQLite sort every row of it again for every page, so
  // the id range is walked instead (`+` keeps SQLite from choosing an index on installation_id).
  const first = store.db.select({ id: min(a.id) }).from(a).where(and(eq(a.installationId, installationId), gte(a.finishedAt, since.toISOString()))).get()?.id ?? null;
  const during: HistoryAssessment[] = [];
  for (let after = (first ?? Number.MAX_SAFE_INTEGER) - 1; first !== null; ) {
    await yieldToEventLoop();
    const rows = store.db
      .select(columns)
      .from(a)
      .where(and(sql`+${a.installationId} = ${installationId}`, gt(a.id, after), gte(a.finishedAt, since.toISOString()), lte(a.finishedAt, until.toISOString())))
      .orderBy(asc(a.id))
      .limit(HISTORY_PAGE)
      .all();
    for (const r of rows) if (keep(r)) during.push(toHistory(r));
    if (rows.length < HISTORY_PAGE) break;
    after = rows.at(-1)!.id;
  }
  // In the order `historyAssessments` gives: by time, then id.
  during.sort((x, y) => x.finishedAt.localeCompare(y.finishedAt) || x.id - y.id);
  return { before, during };
}
