import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { and, desc, eq, inArray, isNotNull, isNull, sql, type Placeholder } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { z } from "zod";
import type { Finding } from "../core/findings.js";
import { forEachSlice } from "../core/event-loop.js";
import * as schema from "./schema.js";
import { assertSupportedNodeRuntime } from "./node-runtime.js";
import { BACKSTOP_AUTOCHECKPOINT_PAGES, startWalCheckpointer, type WalCheckpointer } from "./wal-checkpointer.js";
import { assessmentRow, findingsOf, ROWS_PER_SLICE, storedAssessment, type AssessmentRecord, type OpenOptions, type StoreContract, type StoredAssessment } from "./shared.js";

/** The SQLite migrations (drizzle-kit, `npm run db:generate`); PostgreSQL has its own folder beside it. */
export const SQLITE_MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "../../migrations/sqlite");

/**
 * A placeholder for every column of `row` (its values only give the names, and the type makes
 * leaving one out a compile error): for a statement prepared once and run with each row.
 */
function placeholders<T extends Record<string, unknown>>(row: Required<T>): Record<keyof T, Placeholder> {
  return Object.fromEntries(Object.keys(row).map((k) => [k, sql.placeholder(k)])) as Record<keyof T, Placeholder>;
}

/** A SQLite `DATABASE_URL` (a file path, `file:` URL or `:memory:`) as the path better-sqlite3 opens. */
export function databasePath(url: string): string {
  if (url === ":memory:" || url === "file::memory:") return ":memory:";
  // A URL of another scheme (postgres://, mysql://…) would otherwise become a SQLite file with that odd
  // name, and the operator would believe the app writes to the server the URL names.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "postgres" || scheme === "postgresql") {
    // Store.open sends these to PostgreSQL before asking for a path: reaching here is a caller's mistake.
    throw new Error(`${scheme}:// names a PostgreSQL server, not a SQLite file: open it with Store.open`);
  }
  if (scheme !== undefined && scheme !== "file") {
    throw new Error(`${scheme}:// URLs are not supported: the store is a SQLite file (a file path or a file: URL such as file:./data/claimcheck.db) or a PostgreSQL server (postgres://user@host:5432/database)`);
  }
  // file:///abs/path is a URL proper; file:./relative (the default) is the common shorthand.
  if (url.startsWith("file://")) return fileURLToPath(url);
  return url.startsWith("file:") ? url.slice("file:".length) : url;
}

/**
 * The store on SQLite (better-sqlite3). Every public method returns a Promise, so callers are
 * written for a database that answers later (PostgresStore's does); this one answers at once, and keeps each transaction
 * (better-sqlite3's, synchronous) inside one method: a transaction never spans an `await`, so no
 * other caller's statement can land inside it. `npm run lint` refuses a call left un-awaited.
 */
export class SqliteStore implements StoreContract {
  readonly dialect = "sqlite";
  readonly db: BetterSQLite3Database<typeof schema>;

  private constructor(private readonly sqlite: Database.Database) {
    this.db = drizzle(sqlite, { schema });
  }

  private checkpointer: WalCheckpointer | null = null;

  /**
   * `checkpoints`: for the app, whose event loop serves webhooks: the write-ahead log is
   * checkpointed by a worker thread (`wal-checkpointer.ts`), not by whichever commit crossed the
   * threshold; `onError` hears a checkpoint that failed. Ignored for an in-memory database.
   */
  static async open(url: string, options: OpenOptions = {}): Promise<SqliteStore> {
    // Refuse before any database or statement exists rather than let a garbage collection abort the process later.
    assertSupportedNodeRuntime();
    const path = databasePath(url);
    if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
    const sqlite = new Database(path);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma("busy_timeout = 5000");
    const store = new SqliteStore(sqlite);
    migrate(store.db, { migrationsFolder: SQLITE_MIGRATIONS });
    // A delivery left `processing` by a process that died was never finished: let a redelivery run it.
    store.db.update(schema.webhookDeliveries).set({ state: "failed", error: "interrupted by a restart" }).where(eq(schema.webhookDeliveries.state, "processing")).run();
    if (options.checkpoints && path !== ":memory:") {
      sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
      store.checkpointer = startWalCheckpointer(resolve(path), options.checkpoints.onError);
    }
    return store;
  }

  async close(): Promise<void> {
    // The worker's connection first: the last one closed checkpoints what is left and removes the log.
    await this.checkpointer?.stop();
    this.checkpointer = null;
    this.sqlite.close();
  }

  /** Checkpoints run off the event loop so far; null when they are not (see `open`). */
  async backgroundCheckpoints(): Promise<number | null> {
    return this.checkpointer ? this.checkpointer.checkpoints() : null;
  }

  async healthy(): Promise<boolean> {
    return this.sqlite.prepare("select 1 as ok").get() !== undefined;
  }

  async journalMode(): Promise<string> {
    return String(this.sqlite.pragma("journal_mode", { simple: true }));
  }

  async upsertInstallation(id: number, accountLogin: string, accountType: string): Promise<void> {
    this.db
      .insert(schema.installations)
      .values({ id, accountLogin, accountType })
      .onConflictDoUpdate({ target: schema.installations.id, set: { accountLogin, accountType, removedAt: null } })
      .run();
  }

  /** The installation of an organisation (case-insensitive login), preferring one not removed. */
  async installationByLogin(login: string): Promise<{ id: number; accountLogin: string; removedAt: string | null } | undefined> {
    const rows = this.db.select().from(schema.installations).all();
    const matching = rows.filter((r) => r.accountLogin.toLowerCase() === login.toLowerCase());
    return matching.find((r) => r.removedAt === null) ?? matching[0];
  }

  /** Records the webhook events GitHub says the installation receives. */
  async setInstallationEvents(id: number, events: string[]): Promise<void> {
    this.db.update(schema.installations).set({ events: JSON.stringify([...events].sort()) }).where(eq(schema.installations.id, id)).run();
  }

  async installationEvents(id: number): Promise<string[] | null> {
    const row = this.db.select({ events: schema.installations.events }).from(schema.installations).where(eq(schema.installations.id, id)).get();
    if (!row?.events) return null;
    const parsed = z.array(z.string()).safeParse(JSON.parse(row.events));
    return parsed.success ? parsed.data : null;
  }

  async auditLogSource(installationId: number) {
    return this.db.select().from(schema.auditLogSources).where(eq(schema.auditLogSources.installationId, installationId)).get();
  }

  async setAuditLogSource(installationId: number, value: { status: "available" | "unavailable"; reason?: string | null; cursor?: string | null; checkedAt: Date }): Promise<void> {
    const row = { status: value.status, reason: value.reason ?? null, cursor: value.cursor ?? null, checkedAt: value.checkedAt.toISOString() };
    this.db.insert(schema.auditLogSources).values({ installationId, ...row }).onConflictDoUpdate({ target: schema.auditLogSources.installationId, set: row }).run();
  }

  /** Installations not removed, for scheduled work. */
  async activeInstallations(): Promise<{ id: number; accountLogin: string }[]> {
    return this.db.select({ id: schema.installations.id, accountLogin: schema.installations.accountLogin }).from(schema.installations).where(isNull(schema.installations.removedAt)).all();
  }

  private insertInstallation?: { run: (values: { id: number; accountLogin: string }) => unknown };

  /** Records an installation first seen through a repository event, keeping what is already known. Asked before every assessment: prepared once. */
  async ensureInstallation(id: number, accountLogin: string): Promise<void> {
    this.insertInstallation ??= this.db.insert(schema.installations).values({ id: sql.placeholder("id"), accountLogin: sql.placeholder("accountLogin"), accountType: "unknown" }).onConflictDoNothing().prepare();
    this.insertInstallation.run({ id, accountLogin });
  }

  async markInstallationRemoved(id: number, at: Date = new Date()): Promise<void> {
    this.db.update(schema.installations).set({ removedAt: at.toISOString() }).where(eq(schema.installations.id, id)).run();
  }

  /**
   * Records repositories the installation covers (again, if removed before), in one transaction.
   * One prepared statement run per row: building a statement per row took a second of the event
   * loop at 10,000 repositories. `addRepositoriesInSlices` gives the loop turns in between.
   */
  async addRepositories(installationId: number, repos: readonly { id: number; fullName: string }[]): Promise<void> {
    this.db.transaction(() => this.upsertRepositories(installationId, repos));
  }

  /** `addRepositories` a slice at a time, the event loop free in between (each slice is complete on its own). */
  async addRepositoriesInSlices(installationId: number, repos: readonly { id: number; fullName: string }[]): Promise<void> {
    return forEachSlice(repos, ROWS_PER_SLICE, (slice) => this.db.transaction(() => this.upsertRepositories(installationId, slice)));
  }

  private upsertRepository?: { run: (values: { id: number; installationId: number; fullName: string }) => unknown };

  private upsertRepositories(installationId: number, repos: readonly { id: number; fullName: string }[]): void {
    this.upsertRepository ??= this.db
      .insert(schema.repositories)
      .values({ id: sql.placeholder("id"), installationId: sql.placeholder("installationId"), fullName: sql.placeholder("fullName") })
      .onConflictDoUpdate({ target: schema.repositories.id, set: { installationId: sql`excluded.installation_id`, fullName: sql`excluded.full_name`, removedAt: null } })
      .prepare();
    for (const r of repos) this.upsertRepository.run({ id: r.id, installationId, fullName: r.fullName });
  }

  async removeRepositories(installationId: number, ids: number[], at: Date = new Date()): Promise<void> {
    if (ids.length === 0) return;
    this.db
      .update(schema.repositories)
      .set({ removedAt: at.toISOString() })
      .where(and(eq(schema.repositories.installationId, installationId), inArray(schema.repositories.id, ids)))
      .run();
  }

  private insertAssessment?: { get: (values: ReturnType<typeof assessmentRow>) => { id: number } | undefined };

  /**
   * Appends an assessment: history is kept, never overwritten. One statement prepared once per
   * store, the same SQL the query builder makes: built per call, Drizzle and SQLite's compiler ran
   * for every repository of a backfill, and left their garbage.
   */
  async recordAssessment(record: AssessmentRecord): Promise<number> {
    this.insertAssessment ??= this.db
      .insert(schema.assessments)
      .values(placeholders({ installationId: 0, repositoryFullName: "", repositoryId: 0, trigger: "", deliveryId: "", headSha: "", startedAt: "", finishedAt: "", inScope: true, findings: "", results: "", configProblems: "", requests: "", checkRunId: 0, conclusion: "" }))
      .returning({ id: schema.assessments.id })
      .prepare();
    const row = this.insertAssessment.get(assessmentRow(record));
    if (!row) throw new Error("SQLite returned no id for a stored assessment");
    return row.id;
  }

  /**
   * The id of each repository's newest assessment within the installation — every repository that
   * has one, however it was assessed (a pull request's check run as much as an installation run),
   * except those removed from the installation since.
   */
  async latestAssessmentIds(installationId: number): Promise<{ id: number; repositoryFullName: string }[]> {
    const removed = this.db
      .select({ fullName: schema.repositories.fullName })
      .from(schema.repositories)
      .where(and(eq(schema.repositories.installationId, installationId), isNotNull(schema.repositories.removedAt)));
    return this.db
      .select({ id: sql<number>`max(${schema.assessments.id})`.as("id"), repositoryFullName: schema.assessments.repositoryFullName })
      .from(schema.assessments)
      .where(and(eq(schema.assessments.installationId, installationId), sql`${schema.assessments.repositoryFullName} not in ${removed}`))
      .groupBy(schema.assessments.repositoryFullName)
      .orderBy(schema.assessments.repositoryFullName)
      .all();
  }

  /** When each repository of the installation was last assessed (any trigger), removed ones left out. */
  async lastAssessedAt(installationId: number): Promise<Map<string, string>> {
    const removed = this.db
      .select({ fullName: schema.repositories.fullName })
      .from(schema.repositories)
      .where(and(eq(schema.repositories.installationId, installationId), isNotNull(schema.repositories.removedAt)));
    const rows = this.db
      .select({ fullName: schema.assessments.repositoryFullName, at: sql<string>`max(${schema.assessments.finishedAt})` })
      .from(schema.assessments)
      .where(and(eq(schema.assessments.installationId, installationId), sql`${schema.assessments.repositoryFullName} not in ${removed}`))
      .groupBy(schema.assessments.repositoryFullName)
      .all();
    return new Map(rows.map((r) => [r.fullName, r.at]));
  }

  /** One stored assessment by id, only within the asking installation. */
  async assessmentById(installationId: number, id: number): Promise<StoredAssessment | undefined> {
    const row = this.db.select().from(schema.assessments).where(and(eq(schema.assessments.installationId, installationId), eq(schema.assessments.id, id))).get();
    return row ? storedAssessment(row) : undefined;
  }

  /**
   * Several stored assessments by id (a page of a report: at most a few hundred ids), only within
   * the asking installation, in no particular order. One query, finished before it returns, so
   * a caller that waits between pages never leaves the connection in the middle of a statement.
   */
  async assessmentsByIds(installationId: number, ids: readonly number[]): Promise<StoredAssessment[]> {
    if (ids.length === 0) return [];
    return this.db
      .select()
      .from(schema.assessments)
      .where(and(eq(schema.assessments.installationId, installationId), inArray(schema.assessments.id, [...ids])))
      .all()
      .map(storedAssessment);
  }

  /** Only the findings of several stored assessments (validated as ever), for the JSON report's `findings`. */
  async findingsByIds(installationId: number, ids: readonly number[]): Promise<{ id: number; findings: Finding[] }[]> {
    if (ids.length === 0) return [];
    return this.db
      .select({ id: schema.assessments.id, findings: schema.assessments.findings })
      .from(schema.assessments)
      .where(and(eq(schema.assessments.installationId, installationId), inArray(schema.assessments.id, [...ids])))
      .all()
      .map(findingsOf);
  }

  /** Assessments of one repository, newest first, only ever within the asking installation. */
  async assessments(installationId: number, repositoryFullName: string, limit = 20): Promise<StoredAssessment[]> {
    const rows = this.db
      .select()
      .from(schema.assessments)
      .where(and(eq(schema.assessments.installationId, installationId), eq(schema.assessments.repositoryFullName, repositoryFullName)))
      .orderBy(desc(schema.assessments.id))
      .limit(limit)
      .all();
    return rows.map(storedAssessment);
  }

  async checkRunAssessment(installationId: number, repositoryFullName: string, deliveryId: string, headSha: string): Promise<{ id: number; checkRunId: number | null } | undefined> {
    const a = schema.assessments;
    return this.db
      .select({ id: a.id, checkRunId: a.checkRunId })
      .from(a)
      .where(and(eq(a.installationId, installationId), eq(a.repositoryFullName, repositoryFullName), eq(a.deliveryId, deliveryId), eq(a.headSha, headSha)))
      .orderBy(sql`${a.checkRunId} is null`, desc(a.id))
      .limit(1)
      .get();
  }

  async attachCheckRun(installationId: number, assessmentId: number, checkRunId: number): Promise<void> {
    const a = schema.assessments;
    this.db.update(a).set({ checkRunId }).where(and(eq(a.installationId, installationId), eq(a.id, assessmentId))).run();
  }

  async hasAssessmentFromDelivery(installationId: number, repositoryFullName: string, deliveryId: string): Promise<boolean> {
    const a = schema.assessments;
    const row = this.db
      .select({ id: a.id })
      .from(a)
      .where(and(eq(a.installationId, installationId), eq(a.repositoryFullName, repositoryFullName), eq(a.deliveryId, deliveryId)))
      .get();
    return row !== undefined;
  }

  /** Whether a check run was already published for this commit (a push raises several events). */
  async hasCheckRun(installationId: number, repositoryFullName: string, headSha: string): Promise<boolean> {
    const row = this.db
      .select({ id: schema.assessments.id })
      .from(schema.assessments)
      .where(
        and(
          eq(schema.assessments.installationId, installationId),
          eq(schema.assessments.repositoryFullName, repositoryFullName),
          eq(schema.assessments.headSha, headSha),
          isNotNull(schema.assessments.checkRunId),
        ),
      )
      .get();
    return row !== undefined;
  }

  /** Repositories the installation currently covers. */
  async repositoriesOf(installationId: number): Promise<string[]> {
    return this.db
      .select({ fullName: schema.repositories.fullName })
      .from(schema.repositories)
      .where(and(eq(schema.repositories.installationId, installationId), isNull(schema.repositories.removedAt)))
      .all()
      .map((r) => r.fullName);
  }

  /**
   * Claims a webhook delivery for processing. False when it is done or already running, so a
   * redelivery (same X-GitHub-Delivery) is processed once; a failed one may run again.
   */
  async claimDelivery(deliveryId: string, event: string, installationId: number | null, at: Date = new Date()): Promise<boolean> {
    return this.db.transaction((tx) => {
      const existing = tx.select().from(schema.webhookDeliveries).where(eq(schema.webhookDeliveries.deliveryId, deliveryId)).get();
      if (existing && existing.state !== "failed") return false;
      if (existing) {
        tx.update(schema.webhookDeliveries).set({ state: "processing", receivedAt: at.toISOString(), error: null }).where(eq(schema.webhookDeliveries.deliveryId, deliveryId)).run();
      } else {
        tx.insert(schema.webhookDeliveries).values({ deliveryId, event, installationId, state: "processing", receivedAt: at.toISOString() }).run();
      }
      return true;
    });
  }

  async finishDelivery(deliveryId: string, outcome: { ok: true } | { ok: false; error: string }, at: Date = new Date()): Promise<void> {
    this.db
      .update(schema.webhookDeliveries)
      .set({ state: outcome.ok ? "done" : "failed", finishedAt: at.toISOString(), error: outcome.ok ? null : outcome.error.slice(0, 2000) })
      .where(eq(schema.webhookDeliveries.deliveryId, deliveryId))
      .run();
  }

  /** A delivery's state and, when it failed, why. */
  async delivery(deliveryId: string): Promise<{ state: string; error: string | null; event: string } | undefined> {
    const row = this.db.select().from(schema.webhookDeliveries).where(eq(schema.webhookDeliveries.deliveryId, deliveryId)).get();
    return row ? { state: row.state, error: row.error, event: row.event } : undefined;
  }

  async deliveryState(deliveryId: string): Promise<string | undefined> {
    return this.db.select().from(schema.webhookDeliveries).where(eq(schema.webhookDeliveries.deliveryId, deliveryId)).get()?.state;
  }
}
