import { and, asc, desc, eq, inArray, isNotNull, isNull, max, notExists, or, sql } from "drizzle-orm";
import { yieldToEventLoop } from "../core/event-loop.js";
import { z } from "zod";
import { storedAssessment, type StoredAssessment, type Store } from "./store.js";
import { accessReviews, assessments, claimExceptions, claimIssues, issueRepositories, orgClaimStatuses, repositories } from "./schema.js";

/*
 * The store's side of issues: what claimcheck keeps about the issues it wrote, the exceptions
 * people accepted, and access reviews. Every query is bound to one installation.
 */

export type IssueRow = typeof claimIssues.$inferSelect;
export type IssueRowInput = Omit<typeof claimIssues.$inferInsert, "id">;
export type ExceptionRow = typeof claimExceptions.$inferSelect;
export type AccessReviewRow = typeof accessReviews.$inferSelect;

export async function issueRows(store: Store, installationId: number, kind?: "gap" | "summary"): Promise<IssueRow[]> {
  const where = kind ? and(eq(claimIssues.installationId, installationId), eq(claimIssues.kind, kind)) : eq(claimIssues.installationId, installationId);
  return store.db.select().from(claimIssues).where(where).all();
}

/** Open issues of these scopes (a repository's full name, `org`, `central`) and the summary: what one check run links to. */
export async function openIssuesFor(store: Store, installationId: number, scopes: readonly string[]): Promise<IssueRow[]> {
  return store.db
    .select()
    .from(claimIssues)
    .where(and(eq(claimIssues.installationId, installationId), eq(claimIssues.state, "open"), or(inArray(claimIssues.scope, [...scopes]), eq(claimIssues.kind, "summary"))))
    .all();
}

export async function issueByNumber(store: Store, installationId: number, repository: string, issueNumber: number): Promise<IssueRow | undefined> {
  return store.db
    .select()
    .from(claimIssues)
    .where(and(eq(claimIssues.installationId, installationId), eq(claimIssues.repository, repository), eq(claimIssues.issueNumber, issueNumber)))
    .get();
}

export async function saveIssue(store: Store, row: IssueRowInput): Promise<void> {
  // The key columns are set to the values they already have: the conflict is on them.
  store.db
    .insert(claimIssues)
    .values(row)
    .onConflictDoUpdate({ target: [claimIssues.installationId, claimIssues.kind, claimIssues.claimId, claimIssues.scope], set: row })
    .run();
}

export async function updateIssue(store: Store, id: number, change: Partial<Omit<IssueRow, "id" | "installationId">>): Promise<void> {
  store.db.update(claimIssues).set(change).where(eq(claimIssues.id, id)).run();
}

export async function activeExceptions(store: Store, installationId: number): Promise<ExceptionRow[]> {
  return store.db
    .select()
    .from(claimExceptions)
    .where(and(eq(claimExceptions.installationId, installationId), isNull(claimExceptions.endedAt)))
    .all();
}

/** Records an accepted exception, ending any earlier one for the same claim and scope. */
export async function recordException(store: Store, row: Omit<typeof claimExceptions.$inferInsert, "id" | "endedAt" | "endedBecause">): Promise<void> {
  store.db.transaction((tx) => {
    tx.update(claimExceptions)
      .set({ endedAt: row.acceptedAt, endedBecause: "replaced by a later decision" })
      .where(and(eq(claimExceptions.installationId, row.installationId), eq(claimExceptions.claimId, row.claimId), eq(claimExceptions.scope, row.scope), isNull(claimExceptions.endedAt)))
      .run();
    tx.insert(claimExceptions).values(row).run();
  });
}

export async function endException(store: Store, installationId: number, claimId: string, scope: string, at: Date, because: string): Promise<void> {
  store.db
    .update(claimExceptions)
    .set({ endedAt: at.toISOString(), endedBecause: because })
    .where(and(eq(claimExceptions.installationId, installationId), eq(claimExceptions.claimId, claimId), eq(claimExceptions.scope, scope), isNull(claimExceptions.endedAt)))
    .run();
}

export async function issueRepository(store: Store, installationId: number, repository: string) {
  return store.db
    .select()
    .from(issueRepositories)
    .where(and(eq(issueRepositories.installationId, installationId), eq(issueRepositories.repository, repository)))
    .get();
}

export async function setIssueRepository(store: Store, installationId: number, repository: string, value: { listedAt?: string | null; unavailable: string | null; checkedAt: Date }): Promise<void> {
  const set = { unavailable: value.unavailable, checkedAt: value.checkedAt.toISOString(), ...(value.listedAt !== undefined ? { listedAt: value.listedAt } : {}) };
  store.db
    .insert(issueRepositories)
    .values({ installationId, repository, listedAt: value.listedAt ?? null, ...set })
    .onConflictDoUpdate({ target: [issueRepositories.installationId, issueRepositories.repository], set })
    .run();
}

export async function unavailableIssueRepositories(store: Store, installationId: number): Promise<{ repository: string; reason: string }[]> {
  return store.db
    .select()
    .from(issueRepositories)
    .where(eq(issueRepositories.installationId, installationId))
    .all()
    .flatMap((r) => (r.unavailable ? [{ repository: r.repository, reason: r.unavailable }] : []));
}

/** Appends the organisation-level status of each claim that changed; returns the claims that did. */
export async function recordOrgStatuses(store: Store, installationId: number, statuses: { claimId: string; status: string }[], at: Date): Promise<string[]> {
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
  const [latest, before] = store.db
    .select()
    .from(orgClaimStatuses)
    .where(and(eq(orgClaimStatuses.installationId, installationId), eq(orgClaimStatuses.claimId, claimId)))
    .orderBy(desc(orgClaimStatuses.id))
    .limit(2)
    .all();
  if (!latest || !before) return null;
  return { from: before.status, to: latest.status, at: latest.at };
}

export async function accessReviewRows(store: Store, installationId: number): Promise<AccessReviewRow[]> {
  return store.db.select().from(accessReviews).where(eq(accessReviews.installationId, installationId)).orderBy(desc(accessReviews.id)).all();
}

export async function recordAccessReviewOpened(store: Store, row: { installationId: number; repository: string; issueNumber: number; issueUrl: string; openedAt: Date }): Promise<void> {
  store.db
    .insert(accessReviews)
    .values({ ...row, openedAt: row.openedAt.toISOString() })
    .onConflictDoNothing()
    .run();
}

export async function accessReviewByNumber(store: Store, installationId: number, repository: string, issueNumber: number): Promise<AccessReviewRow | undefined> {
  return store.db
    .select()
    .from(accessReviews)
    .where(and(eq(accessReviews.installationId, installationId), eq(accessReviews.repository, repository), eq(accessReviews.issueNumber, issueNumber)))
    .get();
}

export async function recordAccessReviewClosed(store: Store, id: number, value: { closedAt: string | null; closedBy: string | null; stateReason: string | null; unticked: string[] | null }): Promise<void> {
  store.db
    .update(accessReviews)
    .set({ closedAt: value.closedAt, closedBy: value.closedBy, stateReason: value.stateReason, unticked: value.unticked ? JSON.stringify(value.unticked) : null })
    .where(eq(accessReviews.id, id))
    .run();
}

export function untickedOf(row: AccessReviewRow): string[] {
  if (!row.unticked) return [];
  const parsed = z.array(z.string()).safeParse(JSON.parse(row.unticked));
  return parsed.success ? parsed.data : [];
}

/** Where the newest assessment of each covered repository is, without its large JSON columns. */
export type LatestHead = { id: number; repositoryFullName: string; finishedAt: string; inScope: boolean };

function latestWhere(store: Store, installationId: number) {
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
    const rows = new Map(page.all(params).map((row) => [row.id, row]));
    // In the heads' order (by repository); a row deleted in between is left out, not an error.
    for (const id of ids) {
      const row = rows.get(id);
      if (row) await visit(storedAssessment(row));
    }
  }
}
