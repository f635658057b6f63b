import { and, asc, eq, gt, gte, inArray, lt, lte, max, min, sql } from "drizzle-orm";
import { z } from "zod";
import { yieldToEventLoop } from "../core/event-loop.js";
import { statusSchema } from "../core/status.js";
import type { HistoryAssessment } from "../report/history.js";
import * as schema from "./schema.js";
import * as pg from "./schema-pg.js";
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

/** The columns a history reads, of either dialect's table. */
function columnsOf<A extends typeof schema.assessments | typeof pg.assessments>(
  a: A,
): { id: A["id"]; repo: A["repositoryFullName"]; finishedAt: A["finishedAt"]; trigger: A["trigger"]; deliveryId: A["deliveryId"]; headSha: A["headSha"]; checkRunId: A["checkRunId"]; inScope: A["inScope"]; results: A["results"] } {
  return { id: a.id, repo: a.repositoryFullName, finishedAt: a.finishedAt, trigger: a.trigger, deliveryId: a.deliveryId, headSha: a.headSha, checkRunId: a.checkRunId, inScope: a.inScope, results: a.results };
}
const columns = columnsOf(schema.assessments);
const pgColumns = columnsOf(pg.assessments);

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
async function newestIdsBefore(store: Store, installationId: number, since: Date): Promise<number[]> {
  const rows =
    store.dialect === "postgres"
      ? await store.db
          .select({ id: max(pg.assessments.id) })
          .from(pg.assessments)
          .where(and(eq(pg.assessments.installationId, installationId), lt(pg.assessments.finishedAt, since.toISOString())))
          .groupBy(pg.assessments.repositoryFullName)
      : store.db
          .select({ id: max(schema.assessments.id) })
          .from(schema.assessments)
          .where(and(eq(schema.assessments.installationId, installationId), lt(schema.assessments.finishedAt, since.toISOString())))
          .groupBy(schema.assessments.repositoryFullName)
          .all();
  return rows.map((r) => r.id).filter((id): id is number => id !== null);
}

/** The rows of these assessments (at most a few hundred ids: SQLite limits a statement's parameters). */
async function rowsByIds(store: Store, installationId: number, ids: readonly number[]): Promise<Row[]> {
  if (store.dialect === "postgres") return store.db.select(pgColumns).from(pg.assessments).where(and(eq(pg.assessments.installationId, installationId), inArray(pg.assessments.id, [...ids])));
  const a = schema.assessments;
  return store.db.select(columns).from(a).where(and(eq(a.installationId, installationId), inArray(a.id, [...ids]))).all();
}

/** The installation's rows finished in [since, until], by time then id. */
async function rowsDuring(store: Store, installationId: number, since: Date, until: Date): Promise<Row[]> {
  if (store.dialect === "postgres") {
    const a = pg.assessments;
    return store.db.select(pgColumns).from(a).where(and(eq(a.installationId, installationId), gte(a.finishedAt, since.toISOString()), lte(a.finishedAt, until.toISOString()))).orderBy(asc(a.finishedAt), asc(a.id));
  }
  const a = schema.assessments;
  return store.db.select(columns).from(a).where(and(eq(a.installationId, installationId), gte(a.finishedAt, since.toISOString()), lte(a.finishedAt, until.toISOString()))).orderBy(asc(a.finishedAt), asc(a.id)).all();
}

/** The assessments of `installationId` for a history from `since` to `until`, for the repositories it covers. */
export async function historyAssessments(store: Store, installationId: number, since: Date, until: Date): Promise<HistoryRows> {
  const covered = new Set(await store.repositoriesOf(installationId));
  const newestBefore = await newestIdsBefore(store, installationId, since);
  const before: Row[] = [];
  // SQLite limits the parameters of one statement; large organisations are read in slices.
  for (let i = 0; i < newestBefore.length; i += 500) before.push(...(await rowsByIds(store, installationId, newestBefore.slice(i, i + 500))));
  const during = await rowsDuring(store, installationId, since, until);
  const keep = (r: Row) => covered.has(r.repo);
  return { before: before.filter(keep).map(toHistory), during: during.filter(keep).map(toHistory) };
}

/** The assessments of `installationId` stored after assessment `afterId`, in the order they were stored, for the repositories it covers. */
export async function historyAssessmentsAfter(store: Store, installationId: number, afterId: number): Promise<HistoryAssessment[]> {
  const covered = new Set(await store.repositoriesOf(installationId));
  const rows =
    store.dialect === "postgres"
      ? await store.db.select(pgColumns).from(pg.assessments).where(and(eq(pg.assessments.installationId, installationId), gt(pg.assessments.id, afterId))).orderBy(asc(pg.assessments.id))
      : store.db.select(columns).from(schema.assessments).where(and(eq(schema.assessments.installationId, installationId), gt(schema.assessments.id, afterId))).orderBy(asc(schema.assessments.id)).all();
  return rows.filter((r) => covered.has(r.repo)).map(toHistory);
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
  const newestBefore = await newestIdsBefore(store, installationId, since);
  const before: HistoryAssessment[] = [];
  for (let i = 0; i < newestBefore.length; i += HISTORY_PAGE) {
    await yieldToEventLoop();
    for (const r of await rowsByIds(store, installationId, newestBefore.slice(i, i + HISTORY_PAGE))) if (keep(r)) before.push(toHistory(r));
  }
  // The period's rows in id order from just before the first of them, a page at a time: the
  // installation's own indexes would make SQLite sort every row of it again for every page, so
  // the id range is walked instead (`+` keeps SQLite from choosing an index on installation_id).
  const first = await firstIdSince(store, installationId, since);
  const during: HistoryAssessment[] = [];
  for (let after = (first ?? Number.MAX_SAFE_INTEGER) - 1; first !== null; ) {
    await yieldToEventLoop();
    const rows = await pageDuring(store, installationId, after, since, until);
    for (const r of rows) if (keep(r)) during.push(toHistory(r));
    if (rows.length < HISTORY_PAGE) break;
    after = rows.at(-1)!.id;
  }
  // In the order `historyAssessments` gives: by time, then id.
  during.sort((x, y) => x.finishedAt.localeCompare(y.finishedAt) || x.id - y.id);
  return { before, during };
}

async function firstIdSince(store: Store, installationId: number, since: Date): Promise<number | null> {
  if (store.dialect === "postgres") {
    const a = pg.assessments;
    return (await store.db.select({ id: min(a.id) }).from(a).where(and(eq(a.installationId, installationId), gte(a.finishedAt, since.toISOString()))))[0]?.id ?? null;
  }
  const a = schema.assessments;
  return store.db.select({ id: min(a.id) }).from(a).where(and(eq(a.installationId, installationId), gte(a.finishedAt, since.toISOString()))).get()?.id ?? null;
}

/** A page of the period's rows after id `after`, in id order. */
async function pageDuring(store: Store, installationId: number, after: number, since: Date, until: Date): Promise<Row[]> {
  const period = (a: typeof schema.assessments | typeof pg.assessments) => and(gt(a.id, after), gte(a.finishedAt, since.toISOString()), lte(a.finishedAt, until.toISOString()));
  if (store.dialect === "postgres") {
    // PostgreSQL's planner weighs the (installation, …) indexes against the primary key itself.
    const a = pg.assessments;
    return store.db.select(pgColumns).from(a).where(and(eq(a.installationId, installationId), period(a))).orderBy(asc(a.id)).limit(HISTORY_PAGE);
  }
  // `+` keeps SQLite from choosing an index on installation_id, which would sort every row of the installation again for every page.
  const a = schema.assessments;
  return store.db.select(columns).from(a).where(and(sql`+${a.installationId} = ${installationId}`, period(a))).orderBy(asc(a.id)).limit(HISTORY_PAGE).all();
}
