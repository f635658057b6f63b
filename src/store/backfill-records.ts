import { and, asc, count, desc, eq, inArray, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { forEachSlice } from "../core/event-loop.js";
import { lockInstallation } from "./postgres.js";
import * as pg from "./schema-pg.js";
import { ROWS_PER_SLICE } from "./shared.js";
import type { Store } from "./store.js";
import { assessments, backfillRepositories, backfills } from "./schema.js";

/*
 * The store's side of backfills: one row per installation with its progress, and the
 * repositories still to assess, removed one by one as they are assessed.
 */

export type BackfillRow = typeof backfills.$inferSelect;

/**
 * Starts a backfill, or adds repositories to the unfinished one: a repository is never queued
 * twice, and counts grow with what was added.
 */
export async function enqueueBackfill(store: Store, installationId: number, repos: readonly string[], trigger: { name: string; deliveryId: string }, at: Date): Promise<BackfillRow> {
  if (store.dialect === "postgres") return enqueueOnPostgres(store, installationId, repos, trigger, at);
  return store.db.transaction((tx) => {
    const existing = tx.select().from(backfills).where(eq(backfills.installationId, installationId)).get();
    // One prepared statement, and the queue counted by SQLite: building a statement per row (and
    // reading the whole queue back to count it) held the event loop for a second at 10,000.
    const insert = tx.insert(backfillRepositories).values({ installationId, fullName: sql.placeholder("fullName") }).onConflictDoNothing().prepare();
    let added = 0;
    for (const fullName of repos) added += insert.run({ fullName }).changes;
    const queued = tx.select({ n: count() }).from(backfillRepositories).where(eq(backfillRepositories.installationId, installationId)).get()?.n ?? 0;
    const next = nextBackfill(existing, installationId, queued, added, trigger, at);
    tx.insert(backfills).values(next).onConflictDoUpdate({ target: backfills.installationId, set: next }).run();
    return next;
  });
}

/** The backfill row after `added` repositories joined a queue now `queued` long: a new backfill, or more for the unfinished one. */
function nextBackfill(existing: BackfillRow | undefined, installationId: number, queued: number, added: number, trigger: { name: string; deliveryId: string }, at: Date): BackfillRow {
  const stamp = at.toISOString();
  if (!existing || existing.state === "finished") {
    return { installationId, trigger: trigger.name, deliveryId: trigger.deliveryId, state: "running", total: queued, assessed: 0, failed: 0, startedAt: stamp, updatedAt: stamp, nextBatchAt: null, expectedFinishAt: null, finishedAt: null };
  }
  return { ...existing, total: existing.total + added, updatedAt: stamp };
}

/** `enqueueBackfill` on PostgreSQL: under the installation's backfill lock, so replicas' counts add up. */
async function enqueueOnPostgres(store: Store & { dialect: "postgres" }, installationId: number, repos: readonly string[], trigger: { name: string; deliveryId: string }, at: Date): Promise<BackfillRow> {
  return store.db.transaction(async (tx) => {
    await lockInstallation(tx, "backfill", installationId);
    const [existing] = await tx.select().from(pg.backfills).where(eq(pg.backfills.installationId, installationId));
    let added = 0;
    for (let start = 0; start < repos.length; start += ROWS_PER_SLICE) {
      const values = repos.slice(start, start + ROWS_PER_SLICE).map((fullName) => ({ installationId, fullName }));
      added += (await tx.insert(pg.backfillRepositories).values(values).onConflictDoNothing().returning({ id: pg.backfillRepositories.id })).length;
    }
    if (existing && existing.state !== "finished") {
      // Grown in place: a replica settling one of its repositories meanwhile (without this lock) keeps its count.
      const [grown] = await tx
        .update(pg.backfills)
        .set({ total: sql`${pg.backfills.total} + ${added}`, updatedAt: at.toISOString() })
        .where(eq(pg.backfills.installationId, installationId))
        .returning();
      return grown!;
    }
    const [queued] = await tx.select({ n: count() }).from(pg.backfillRepositories).where(eq(pg.backfillRepositories.installationId, installationId));
    const next = nextBackfill(existing, installationId, queued?.n ?? 0, added, trigger, at);
    await tx.insert(pg.backfills).values(next).onConflictDoUpdate({ target: pg.backfills.installationId, set: next });
    return next;
  });
}

/**
 * `enqueueBackfill` a slice at a time with the event loop free in between, for an installation
 * event listing thousands of repositories. Each slice is queued whole; the first starts the
 * backfill (or joins the unfinished one) and the later ones join it, so the counts add up.
 */
export async function enqueueBackfillInSlices(store: Store, installationId: number, repos: readonly string[], trigger: { name: string; deliveryId: string }, at: Date): Promise<void> {
  if (repos.length === 0) {
    await enqueueBackfill(store, installationId, repos, trigger, at);
    return;
  }
  await forEachSlice(repos, ROWS_PER_SLICE, async (slice) => {
    await enqueueBackfill(store, installationId, slice, trigger, at);
  });
}

/** The repositories with an assessment stored for any of `deliveryIds` (a delivery's work tried again skips them). */
export async function repositoriesAssessedFor(store: Store, installationId: number, deliveryIds: readonly string[]): Promise<Set<string>> {
  if (deliveryIds.length === 0) return new Set();
  if (store.dialect === "postgres") {
    const a = pg.assessments;
    const rows = await store.db.selectDistinct({ fullName: a.repositoryFullName }).from(a).where(and(eq(a.installationId, installationId), inArray(a.deliveryId, [...deliveryIds])));
    return new Set(rows.map((r) => r.fullName));
  }
  const rows = store.db.selectDistinct({ fullName: assessments.repositoryFullName }).from(assessments).where(and(eq(assessments.installationId, installationId), inArray(assessments.deliveryId, [...deliveryIds]))).all();
  return new Set(rows.map((r) => r.fullName));
}

export async function backfillOf(store: Store, installationId: number): Promise<BackfillRow | undefined> {
  if (store.dialect === "postgres") return (await store.db.select().from(pg.backfills).where(eq(pg.backfills.installationId, installationId)))[0];
  return store.db.select().from(backfills).where(eq(backfills.installationId, installationId)).get();
}

export async function unfinishedBackfill(store: Store, installationId: number): Promise<boolean> {
  if (store.dialect === "postgres") {
    const rows = await store.db.select({ id: pg.backfills.installationId }).from(pg.backfills).where(and(eq(pg.backfills.installationId, installationId), ne(pg.backfills.state, "finished")));
    return rows.length > 0;
  }
  return store.db.select({ id: backfills.installationId }).from(backfills).where(and(eq(backfills.installationId, installationId), ne(backfills.state, "finished"))).get() !== undefined;
}

/** Repositories still to assess, in the order they were queued (the first `limit` of them, when given). */
export async function pendingRepositories(store: Store, installationId: number, limit?: number): Promise<string[]> {
  if (store.dialect === "postgres") {
    const query = store.db.select({ fullName: pg.backfillRepositories.fullName }).from(pg.backfillRepositories).where(eq(pg.backfillRepositories.installationId, installationId)).orderBy(asc(pg.backfillRepositories.id));
    const rows = limit === undefined ? await query : await query.limit(limit);
    return rows.map((r) => r.fullName);
  }
  const query = store.db
    .select({ fullName: backfillRepositories.fullName })
    .from(backfillRepositories)
    .where(eq(backfillRepositories.installationId, installationId))
    .orderBy(asc(backfillRepositories.id));
  return (limit === undefined ? query.all() : query.limit(limit).all()).map((r) => r.fullName);
}

/** How many repositories the installation's backfill has still to assess, counted by the database. */
export async function pendingCount(store: Store, installationId: number): Promise<number> {
  if (store.dialect === "postgres") {
    const [row] = await store.db.select({ n: count() }).from(pg.backfillRepositories).where(eq(pg.backfillRepositories.installationId, installationId));
    return row?.n ?? 0;
  }
  return store.db.select({ n: count() }).from(backfillRepositories).where(eq(backfillRepositories.installationId, installationId)).get()?.n ?? 0;
}

/** Which of `repos` the installation's backfill has still to assess. */
export async function stillPending(store: Store, installationId: number, repos: readonly string[]): Promise<string[]> {
  if (repos.length === 0) return [];
  if (store.dialect === "postgres") {
    const rows = await store.db
      .select({ fullName: pg.backfillRepositories.fullName })
      .from(pg.backfillRepositories)
      .where(and(eq(pg.backfillRepositories.installationId, installationId), inArray(pg.backfillRepositories.fullName, [...repos])));
    return rows.map((r) => r.fullName);
  }
  return store.db
    .select({ fullName: backfillRepositories.fullName })
    .from(backfillRepositories)
    .where(and(eq(backfillRepositories.installationId, installationId), inArray(backfillRepositories.fullName, [...repos])))
    .all()
    .map((r) => r.fullName);
}

/** Drops repositories that left the installation since they were queued. */
export async function dropPending(store: Store, installationId: number, repos: readonly string[]): Promise<void> {
  if (repos.length === 0) return;
  if (store.dialect === "postgres") {
    await store.db.delete(pg.backfillRepositories).where(and(eq(pg.backfillRepositories.installationId, installationId), inArray(pg.backfillRepositories.fullName, [...repos])));
    return;
  }
  store.db.delete(backfillRepositories).where(and(eq(backfillRepositories.installationId, installationId), inArray(backfillRepositories.fullName, [...repos]))).run();
}

/** One repository done (assessed, or failed for a reason retrying in this backfill would not fix). */
export async function settleRepository(store: Store, installationId: number, fullName: string, ok: boolean, at: Date): Promise<void> {
  if (store.dialect === "postgres") {
    const { backfillRepositories: queue, backfills: progress } = pg;
    await store.db.transaction(async (tx) => {
      // The delete says whether this call settled it (a replica settling the same one finds it gone); the count grows in place.
      const removed = await tx.delete(queue).where(and(eq(queue.installationId, installationId), eq(queue.fullName, fullName))).returning({ id: queue.id });
      if (removed.length === 0) return;
      await tx
        .update(progress)
        .set(ok ? { assessed: sql`${progress.assessed} + 1`, updatedAt: at.toISOString() } : { failed: sql`${progress.failed} + 1`, updatedAt: at.toISOString() })
        .where(eq(progress.installationId, installationId));
    });
    return;
  }
  const statements = settleStatements(store);
  store.db.transaction(() => {
    if (statements.dequeue.run({ installationId, fullName }).changes === 0) return;
    (ok ? statements.assessed : statements.failed).run({ installationId, updatedAt: at.toISOString() });
  });
}

/**
 * SQLite's statements of `settleRepository`, run once per repository of every backfill: prepared
 * once per store, so neither Drizzle's builder nor SQLite's compiler runs per repository. The
 * count grows in place, in the same transaction as the delete that says this call settled it.
 */
function prepareSettleStatements(store: Store & { dialect: "sqlite" }) {
  const ofInstallation = eq(backfills.installationId, sql.placeholder("installationId"));
  const updatedAt = sql`${sql.placeholder("updatedAt")}`;
  return {
    dequeue: store.db
      .delete(backfillRepositories)
      .where(and(eq(backfillRepositories.installationId, sql.placeholder("installationId")), eq(backfillRepositories.fullName, sql.placeholder("fullName"))))
      .prepare(),
    assessed: store.db.update(backfills).set({ assessed: sql`${backfills.assessed} + 1`, updatedAt }).where(ofInstallation).prepare(),
    failed: store.db.update(backfills).set({ failed: sql`${backfills.failed} + 1`, updatedAt }).where(ofInstallation).prepare(),
  };
}

const settleStatementsOf = new WeakMap<Store, ReturnType<typeof prepareSettleStatements>>();

function settleStatements(store: Store & { dialect: "sqlite" }): ReturnType<typeof prepareSettleStatements> {
  let statements = settleStatementsOf.get(store);
  if (!statements) settleStatementsOf.set(store, (statements = prepareSettleStatements(store)));
  return statements;
}

export async function updateBackfill(store: Store, installationId: number, change: Partial<Pick<BackfillRow, "state" | "nextBatchAt" | "expectedFinishAt" | "finishedAt" | "total">>, at: Date): Promise<void> {
  if (store.dialect === "postgres") {
    await store.db.update(pg.backfills).set({ ...change, updatedAt: at.toISOString() }).where(eq(pg.backfills.installationId, installationId));
    return;
  }
  store.db.update(backfills).set({ ...change, updatedAt: at.toISOString() }).where(eq(backfills.installationId, installationId)).run();
}

/** Triggers whose assessment re-reads only part of the evidence: their cost is not a full assessment's. */
const PARTIAL_TRIGGERS = ["branch_protection_rule", "repository_ruleset", "deploy_key", "member", "team_add"];

const costSchema = z.object({ rest: z.number(), graphqlCost: z.number(), notModified: z.number().optional() });

/**
 * The newest in-scope assessments of an installation, newest first. The backfill asks before every
 * batch, so it must cost the same at 10 stored assessments as at 100,000: it walks the
 * (installation, in scope) index backwards and stops at `limit`, never sorting them all.
 */
export function recentAssessmentsQuery(store: Store & { dialect: "sqlite" }, installationId: number, limit: number) {
  return store.db
    .select({ trigger: assessments.trigger, requests: assessments.requests })
    .from(assessments)
    .where(and(eq(assessments.installationId, installationId), eq(assessments.inScope, true)))
    .orderBy(desc(assessments.id))
    .limit(limit);
}

/**
 * What the installation's recent full assessments cost, as recorded with each (REST requests
 * GitHub charged — 304s are free — and the GraphQL points GitHub reported in `rateLimit { cost }`);
 * null when none is stored yet.
 */
export async function recentAssessmentCost(store: Store, installationId: number, sample = 50): Promise<{ rest: number; graphql: number; assessments: number } | null> {
  const recent =
    store.dialect === "postgres"
      ? await store.db
          .select({ trigger: pg.assessments.trigger, requests: pg.assessments.requests })
          .from(pg.assessments)
          .where(and(eq(pg.assessments.installationId, installationId), eq(pg.assessments.inScope, true)))
          .orderBy(desc(pg.assessments.id))
          .limit(sample * 4)
      : recentAssessmentsQuery(store, installationId, sample * 4).all();
  const rows = recent
    .filter((r) => !PARTIAL_TRIGGERS.includes(r.trigger.split(".")[0] ?? ""))
    .slice(0, sample);
  const costs = rows.flatMap((r) => {
    const parsed = costSchema.safeParse(JSON.parse(r.requests));
    return parsed.success ? [parsed.data] : [];
  });
  if (costs.length === 0) return null;
  const mean = (f: (c: z.infer<typeof costSchema>) => number) => costs.reduce((n, c) => n + f(c), 0) / costs.length;
  return { rest: mean((c) => c.rest - (c.notModified ?? 0)), graphql: mean((c) => c.graphqlCost), assessments: costs.length };
}
