import { and, asc, desc, eq, inArray, isNotNull, isNull, max, notExists, or, sql } from "drizzle-orm";
import { yieldToEventLoop } from "../core/event-loop.js";
import { z } from "zod";
import { lockInstallation } from "./postgres.js";
import { storedAssessment, type AssessmentRow, type StoredAssessment } from "./shared.js";
import type { Store } from "./store.js";
import { accessReviews, assessments, claimExceptions, claimIssues, issueRepositories, orgClaimStatuses, repositories } from "./schema.js";
import * as pg from "./schema-pg.js";

/*
 * The store's side of issues: what claimcheck keeps about the issues it wrote, the exceptions
 * people accepted, and access reviews. Every query is bound to one installation.
 */

export type IssueRow = typeof claimIssues.$inferSelect;
export type IssueRowInput = Omit<typeof claimIssues.$inferInsert, "id">;
export type ExceptionRow = typeof claimExceptions.$inferSelect;
export type AccessReviewRow = typeof accessReviews.$inferSelect;

/**
 * The installation's issues (of one kind, when given) by claim, then scope: the order the summary
 * lists a claim's gap issues in. Stated, not left to the database: SQLite gave its index's order
 * and PostgreSQL the rows' ids, so one summary listed them differently on each.
 */
export async function issueRows(store: Store, installationId: number, kind?: "gap" | "summary"): Promise<IssueRow[]> {
  if (store.dialect === "postgres") {
    const t = pg.claimIssues;
    return store.db.select().from(t).where(kind ? and(eq(t.installationId, installationId), eq(t.kind, kind)) : eq(t.installationId, installationId)).orderBy(t.kind, t.claimId, t.scope);
  }
  const where = kind ? and(eq(claimIssues.installationId, installationId), eq(claimIssues.kind, kind)) : eq(claimIssues.installationId, installationId);
  return store.db.select().from(claimIssues).where(where).orderBy(claimIssues.kind, claimIssues.claimId, claimIssues.scope).all();
}

/**
 * Open issues of these scopes (a repository's full name, `org`, `central`) and the summary: what one
 * check run links to. By repository, then number, on both databases: of two open issues for one
 * claim (its repository's and the central one, say), the check run links to the last in this order.
 */
export async function openIssuesFor(store: Store, installationId: number, scopes: readonly string[]): Promise<IssueRow[]> {
  if (store.dialect === "postgres") {
    const t = pg.claimIssues;
    return store.db
      .select()
      .from(t)
      .where(and(eq(t.installationId, installationId), eq(t.state, "open"), or(inArray(t.scope, [...scopes]), eq(t.kind, "summary"))))
      .orderBy(t.repository, t.issueNumber);
  }
  return store.db
    .select()
    .from(claimIssues)
    .where(and(eq(claimIssues.installationId, installationId), eq(claimIssues.state, "open"), or(inArray(claimIssues.scope, [...scopes]), eq(claimIssues.kind, "summary"))))
    .orderBy(claimIssues.repository, claimIssues.issueNumber)
    .all();
}

export async function issueByNumber(store: Store, installationId: number, repository: string, issueNumber: number): Promise<IssueRow | undefined> {
  if (store.dialect === "postgres") {
    const t = pg.claimIssues;
    return (await store.db.select().from(t).where(and(eq(t.installationId, installationId), eq(t.repository, repository), eq(t.issueNumber, issueNumber))).orderBy(t.id).limit(1))[0];
  }
  return store.db
    .select()
    .from(claimIssues)
    .where(and(eq(claimIssues.installationId, installationId), eq(claimIssues.repository, repository), eq(claimIssues.issueNumber, issueNumber)))
    .get();
}

export async function saveIssue(store: Store, row: IssueRowInput): Promise<void> {
  // The key columns are set to the values they already have: the conflict is on them.
  if (store.dialect === "postgres") {
    const t = pg.claimIssues;
    await store.db.insert(t).values(row).onConflictDoUpdate({ target: [t.installationId, t.kind, t.claimId, t.scope], set: row });
    return;
  }
  store.db
    .insert(claimIssues)
    .values(row)
    .onConflictDoUpdate({ target: [claimIssues.installationId, claimIssues.kind, claimIssues.claimId, claimIssues.scope], set: row })
    .run();
}

export async function updateIssue(store: Store, id: number, change: Partial<Omit<IssueRow, "id" | "installationId">>): Promise<void> {
  if (store.dialect === "postgres") {
    await store.db.update(pg.claimIssues).set(change).where(eq(pg.claimIssues.id, id));
    return;
  }
  store.db.update(claimIssues).set(change).where(eq(claimIssues.id, id)).run();
}

export async function activeExceptions(store: Store, installationId: number): Promise<ExceptionRow[]> {
  if (store.dialect === "postgres") {
    const t = pg.claimExceptions;
    return store.db.select().from(t).where(and(eq(t.installationId, installationId), isNull(t.endedAt))).orderBy(t.id);
  }
  return store.db
    .select()
    .from(claimExceptions)
    .where(and(eq(claimExceptions.installationId, installationId), isNull(claimExceptions.endedAt)))
    .all();
}

/**
 * Records a person's decision to accept a gap, ending the one it replaces. The same decision read again (its
 * event's job tried again after a lost replica) is recorded once: same issue, same time, still active.
 */
export async function recordException(store: Store, row: Omit<typeof claimExceptions.$inferInsert, "id" | "endedAt" | "endedBecause">): Promise<void> {
  if (store.dialect === "postgres") {
    const t = pg.claimExceptions;
    await store.db.transaction(async (tx) => {
      const [same] = await tx.select({ id: t.id }).from(t).where(and(eq(t.installationId, row.installationId), eq(t.claimId, row.claimId), eq(t.scope, row.scope), isNull(t.endedAt), eq(t.issueUrl, row.issueUrl), eq(t.acceptedAt, row.acceptedAt))).limit(1);
      if (same) return;
      await tx
        .update(t)
        .set({ endedAt: row.acceptedAt, endedBecause: "replaced by a later decision" })
        .where(and(eq(t.installationId, row.installationId), eq(t.claimId, row.claimId), eq(t.scope, row.scope), isNull(t.endedAt)));
      await tx.insert(t).values(row);
    });
    return;
  }
  store.db.transaction((tx) => {
    const t = claimExceptions;
    const same = tx.select({ id: t.id }).from(t).where(and(eq(t.installationId, row.installationId), eq(t.claimId, row.claimId), eq(t.scope, row.scope), isNull(t.endedAt), eq(t.issueUrl, row.issueUrl), eq(t.acceptedAt, row.acceptedAt))).get();
    if (same) return;
    tx.update(claimExceptions)
      .set({ endedAt: row.acceptedAt, endedBecause: "replaced by a later decision" })
      .where(and(eq(claimExceptions.installationId, row.installationId), eq(claimExceptions.claimId, row.claimId), eq(claimExceptions.scope, row.scope), isNull(claimExceptions.endedAt)))
      .run();
    tx.insert(claimExceptions).values(row).run();
  });
}

export async function endException(store: Store, installationId: number, claimId: string, scope: string, at: Date, because: string): Promise<void> {
  if (store.dialect === "postgres") {
    const t = pg.claimExceptions;
    await store.db.update(t).set({ endedAt: at.toISOString(), endedBecause: because }).where(and(eq(t.installationId, installationId), eq(t.claimId, claimId), eq(t.scope, scope), isNull(t.endedAt)));
    return;
  }
  store.db
    .update(claimExceptions)
    .set({ endedAt: at.toISOString(), endedBecause: because })
    .where(and(eq(claimExceptions.installationId, installationId), eq(claimExceptions.claimId, claimId), eq(claimExceptions.scope, scope), isNull(claimExceptions.endedAt)))
    .run();
}

export async function issueRepository(store: Store, installationId: number, repository: string): Promise<typeof issueRepositories.$inferSelect | undefined> {
  if (store.dialect === "postgres") {
    const t = pg.issueRepositories;
    return (await store.db.select().from(t).where(and(eq(t.installationId, installationId), eq(t.repository, repository))))[0];
  }
  return store.db
    .select()
    .from(issueRepositories)
    .where(and(eq(issueRepositories.installationId, installationId), eq(issueRepositories.repository, repository)))
    .get();
}

export async function setIssueRepository(store: Store, installationId: number, repository: string, value: { listedAt?: string | null; unavailable: string | null; checkedAt: Date }): Promise<void> {
  const set = { unavailable: value.unavailable, checkedAt: value.checkedAt.toISOString(), ...(value.listedAt !== undefined ? { listedAt: value.listedAt } : {}) };
  if (store.dialect === "postgres") {
    const t = pg.issueRepositories;
    await store.db.insert(t).values({ installationId, repository, listedAt: value.listedAt ?? null, ...set }).onConflictDoUpdate({ target: [t.installationId, t.repository], set });
    return;
  }
  store.db
    .insert(issueRepositories)
    .values({ installationId, repository, listedAt: value.listedAt ?? null, ...set })
    .onConflictDoUpdate({ target: [issueRepositories.installationId, issueRepositories.repository], set })
    .run();
}

export async function unavailableIssueRepositories(store: Store, installationId: number): Promise<{ repository: string; reason: string }[]> {
  const rows =
    store.dialect === "postgres"
      ? await store.db.select().from(pg.issueRepositories).where(eq(pg.issueRepositories.installationId, installationId)).orderBy(pg.issueRepositories.repository)
      : store.db.select().from(issueRepositories).where(eq(issueRepositories.installationId, installationId)).all();
  return rows.flatMap((r) => (r.unavailable ? [{ repository: r.repository, reason: r.unavailable }] : []));
}

/** Appends the organisation-level status of each claim that changed; returns the claims that did. */
export async function recordOrgStatuses(store: Store, installationId: number, statuses: { claimId: string; status: string }[], at: Date): Promise<string[]> {
  if (store.dialect === "postgres") {
    const t = pg.orgClaimStatuses;
    return store.db.transaction(async (tx) => {
      // Replicas recording at once would each see the other's change as not yet made.
      await lockInstallation(tx, "org-statuses", installationId);
      const changed: string[] = [];
      for (const { claimId, status } of statuses) {
        const [last] = await tx.select().from(t).where(and(eq(t.installationId, installationId), eq(t.claimId, claimId))).orderBy(desc(t.id)).limit(1);
        if (last?.status === status) continue;
        await tx.insert(t).values({ installationId, claimId, status, at: at.toISOString() });
        changed.push(claimId);
      }
      return changed;
    });
  }
  return store.db.transaction((tx) => {
    const changed: string[] = [];
    for (const { claimId, status } of statuses) {
      const last = tx
        .select()
        .from(orgClaimStatuses)
        .where(and(eq(orgClaimStatuses.installationId, installationId), eq(orgClaimStatuses.claimId, claimId)))
        .orderBy(desc(orgClaimStatuses.id))
        .limit(1)
        .get();
      if (last?.status === status) continue;
      tx.insert(orgClaimStatuses).values({ installationId, claimId, status, at: at.toISOString() }).run();
      changed.push(claimId);
    }
    return changed;
  });
}

/** The latest change of a claim's organisation-level status: from what, to what, when. */
export async function lastOrgStatusChange(store: Store, installationId: number, claimId: string): Promise<{ from: string; to: string; at: string } | null> {
  const [latest, before] =
    store.dialect === "postgres"
      ? await store.db.select().from(pg.orgClaimStatuses).where(and(eq(pg.orgClaimStatuses.installationId, installationId), eq(pg.orgClaimStatuses.claimId, claimId))).orderBy(desc(pg.orgClaimStatuses.id)).limit(2)
      : store.db.select().from(orgClaimStatuses).where(and(eq(orgClaimStatuses.installationId, installationId), eq(orgClaimStatuses.claimId, claimId))).orderBy(desc(orgClaimStatuses.id)).limit(2).all();
  if (!latest || !before) return null;
  return { from: before.status, to: latest.status, at: latest.at };
}

export async function accessReviewRows(store: Store, installationId: number): Promise<AccessReviewRow[]> {
  if (store.dialect === "postgres") return store.db.select().from(pg.accessReviews).where(eq(pg.accessReviews.installationId, installationId)).orderBy(desc(pg.accessReviews.id));
  return store.db.select().from(accessReviews).where(eq(accessReviews.installationId, installationId)).orderBy(desc(accessReviews.id)).all();
}

export async function recordAccessReviewOpened(store: Store, row: { installationId: number; repository: string; issueNumber: number; issueUrl: string; openedAt: Date }): Promise<void> {
  if (store.dialect === "postgres") {
    await store.db.insert(pg.accessReviews).values({ ...row, openedAt: row.openedAt.toISOString() }).onConflictDoNothing();
    return;
  }
  store.db
    .insert(accessReviews)
    .values({ ...row, openedAt: row.openedAt.toISOString() })
    .onConflictDoNothing()
    .run();
}

export async function accessReviewByNumber(store: Store, installationId: number, repository: string, issueNumber: number): Promise<AccessReviewRow | undefined> {
  if (store.dialect === "postgres") {
    const t = pg.accessReviews;
    return (await store.db.select().from(t).where(and(eq(t.installationId, installationId), eq(t.repository, repository), eq(t.issueNumber, issueNumber))).orderBy(t.id).limit(1))[0];
  }
  return store.db
    .select()
    .from(accessReviews)
    .where(and(eq(accessReviews.installationId, installationId), eq(accessReviews.repository, repository), eq(accessReviews.issueNumber, issueNumber)))
    .get();
}

export async function recordAccessReviewClosed(store: Store, id: number, value: { closedAt: string | null; closedBy: string | null; stateReason: string | null; unticked: string[] | null }): Promise<void> {
  const set = { closedAt: value.closedAt, closedBy: value.closedBy, stateReason: value.stateReason, unticked: value.unticked ? JSON.stringify(value.unticked) : null };
  if (store.dialect === "postgres") await store.db.update(pg.accessReviews).set(set).where(eq(pg.accessReviews.id, id));
  else store.db.update(accessReviews).set(set).where(eq(accessReviews.id, id)).run();
}

export function untickedOf(row: AccessReviewRow): string[] {
  if (!row.unticked) return [];
  const parsed = z.array(z.string()).safeParse(JSON.parse(row.unticked));
  return parsed.success ? parsed.data : [];
}

/** Where the newest assessment of each covered repository is, without its large JSON columns. */
export type LatestHead = { id: number; repositoryFullName: string; finishedAt: string; inScope: boolean };

function latestWhere(store: Store & { dialect: "sqlite" }, installationId: number) {
  const newest = store.db.select({ id: max(assessments.id) }).from(assessments).where(eq(assessments.installationId, installationId)).groupBy(assessments.repositoryFullName);
  const removed = store.db
    .select({ one: sql`1` })
    .from(repositories)
    .where(and(eq(repositories.installationId, installationId), eq(repositories.fullName, assessments.repositoryFullName), isNotNull(repositories.removedAt)));
  return and(eq(assessments.installationId, installationId), inArray(assessments.id, newest), notExists(removed));
}

/**
 * The newest assessment of every repository the installation still covers (removed ones left
 * out), only its small columns, in one statement: the JSON columns (tens of kilobytes each) are
 * neither read nor parsed, so 10,000 repositories take milliseconds.
 */
export async function latestAssessmentHeads(store: Store, installationId: number): Promise<LatestHead[]> {
  if (store.dialect === "postgres") {
    const a = pg.assessments;
    const r = pg.repositories;
    const newest = store.db.select({ id: max(a.id) }).from(a).where(eq(a.installationId, installationId)).groupBy(a.repositoryFullName);
    const removed = store.db.select({ one: sql`1` }).from(r).where(and(eq(r.installationId, installationId), eq(r.fullName, a.repositoryFullName), isNotNull(r.removedAt)));
    return store.db
      .select({ id: a.id, repositoryFullName: a.repositoryFullName, finishedAt: a.finishedAt, inScope: a.inScope })
      .from(a)
      .where(and(eq(a.installationId, installationId), inArray(a.id, newest), notExists(removed)))
      // Byte order, as SQLite sorts text: the same order whichever database answers.
      .orderBy(sql`${a.repositoryFullName} collate "C"`);
  }
  return store.db
    .select({ id: assessments.id, repositoryFullName: assessments.repositoryFullName, finishedAt: assessments.finishedAt, inScope: assessments.inScope })
    .from(assessments)
    .where(latestWhere(store, installationId))
    .orderBy(asc(assessments.repositoryFullName))
    .all();
}

/** Rows read (and parsed) between two turns of the event loop by `loadLatestAssessments`. */
const LATEST_PAGE = 25;

/**
 * Those assessments whole, read and parsed a page of rows at a time with the event loop free in between: reading
 * every row in one statement held the loop for seconds at 10,000 repositories (each row carries
 * its findings and results as JSON).
 */
export async function loadLatestAssessments(store: Store, installationId: number): Promise<StoredAssessment[]> {
  const out: StoredAssessment[] = [];
  await forEachLatestAssessment(store, installationId, (a) => void out.push(a));
  return out;
}

/**
 * Each newest assessment, in repository order, handed to `visit` as its page is parsed and not kept
 * here: a caller that needs only a digest of every repository (the summary issue's counts) or a few
 * of them whole (the repositories a run assessed) holds that, not 10,000 parsed assessments at once.
 * `heads` (the small columns, read first in the same statement as `loadLatestAssessments`) lets the
 * caller decide before any large column is read.
 */
export async function forEachLatestAssessment(store: Store, installationId: number, visit: (assessment: StoredAssessment) => void | Promise<void>, given?: readonly LatestHead[]): Promise<void> {
  const heads = given ?? (await latestAssessmentHeads(store, installationId));
  if (heads.length === 0) return;
  if (store.dialect === "postgres") {
    for (let start = 0; start < heads.length; start += LATEST_PAGE) {
      if (start > 0) await yieldToEventLoop();
      const ids = heads.slice(start, start + LATEST_PAGE).map((h) => h.id);
      const rows = new Map((await store.db.select().from(pg.assessments).where(and(eq(pg.assessments.installationId, installationId), inArray(pg.assessments.id, ids)))).map((row) => [row.id, row]));
      await visitInOrder(ids, rows, visit);
    }
    return;
  }
  // One statement prepared for every page (a short last page is padded with an id no row has).
  const slots = Array.from({ length: LATEST_PAGE }, (_, i) => sql.placeholder(`id${i}`));
  const page = store.db
    .select()
    .from(assessments)
    .where(and(eq(assessments.installationId, sql.placeholder("installationId")), inArray(assessments.id, slots)))
    .prepare();
  for (let start = 0; start < heads.length; start += LATEST_PAGE) {
    if (start > 0) await yieldToEventLoop();
    const ids = heads.slice(start, start + LATEST_PAGE).map((h) => h.id);
    const params: Record<string, number> = { installationId };
    slots.forEach((_, i) => (params[`id${i}`] = ids[i] ?? -1));
    await visitInOrder(ids, new Map(page.all(params).map((row) => [row.id, row])), visit);
  }
}

/** In the heads' order (by repository); a row deleted in between is left out, not an error. */
async function visitInOrder(ids: readonly number[], rows: ReadonlyMap<number, AssessmentRow>, visit: (assessment: StoredAssessment) => void | Promise<void>): Promise<void> {
  for (const id of ids) {
    const row = rows.get(id);
    if (row) await visit(storedAssessment(row));
  }
}
