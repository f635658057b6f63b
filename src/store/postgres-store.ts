import { and, desc, eq, inArray, isNotNull, isNull, lt, max, sql } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { z } from "zod";
import type { Finding } from "../core/findings.js";
import { forEachSlice } from "../core/event-loop.js";
import { migratePostgres, postgresPool } from "./postgres.js";
import * as schema from "./schema-pg.js";
import { assessmentRow, findingsOf, ROWS_PER_SLICE, storedAssessment, type AssessmentRecord, type AuditLogSourceRow, type StoreContract, type StoredAssessment } from "./shared.js";

/**
 * How long a delivery may stay `processing` before a replica opening the store takes it for one a
 * dead replica left: far longer than an assessment takes (minutes at most), so a delivery another
 * live replica is still working on is never marked interrupted.
 */
export const PROCESSING_LEASE_MS = 60 * 60 * 1000;

/** The connection error in one line, naming the server but never the password. */
function unreachable(url: string, error: unknown): Error {
  const parsed = new URL(url);
  const where = `${parsed.hostname || "localhost"}:${parsed.port || "5432"}${parsed.pathname || "/"}`;
  const why = error instanceof Error ? error.message || error.name : String(error);
  return new Error(`could not open the PostgreSQL database at ${where}: ${why}`);
}

/**
 * The store on PostgreSQL (node-postgres and drizzle's PostgreSQL dialect over schema-pg.ts),
 * for several replicas sharing one database. Each transaction is drizzle's asynchronous one, on
 * one connection of the pool; writes that read before they write take the rows' locks (or an
 * advisory lock on the installation) so replicas do not interleave.
 */
export class PostgresStore implements StoreContract {
  readonly dialect = "postgres";
  readonly db: NodePgDatabase<typeof schema>;

  private constructor(private readonly pool: pg.Pool) {
    this.db = drizzle(pool, { schema });
  }

  static async open(url: string, options: pg.PoolConfig = {}): Promise<PostgresStore> {
    const pool = postgresPool(url, { connectionTimeoutMillis: 10_000, ...options });
    // An idle client's error (the server restarting) would otherwise be an uncaught exception.
    pool.on("error", () => undefined);
    try {
      await pool.query("select 1");
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw unreachable(url, error);
    }
    try {
      await migratePostgres(pool);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new Error(`could not apply the PostgreSQL migrations: ${error instanceof Error ? error.message : String(error)}`);
    }
    const store = new PostgresStore(pool);
    // Another replica may be processing a delivery right now: only a claim older than the lease is
    // one a replica that died left behind (SQLite's store, one process, marks all of them).
    const stale = new Date(Date.now() - PROCESSING_LEASE_MS).toISOString();
    await store.db
      .update(schema.webhookDeliveries)
      .set({ state: "failed", error: "interrupted by a restart" })
      .where(and(eq(schema.webhookDeliveries.state, "processing"), lt(schema.webhookDeliveries.receivedAt, stale)));
    return store;
  }

  /** Ends the pool; closing again (a shutdown path and a test both closing) is a no-op rather than pg's error. */
  async close(): Promise<void> {
    if (this.pool.ending) return;
    await this.pool.end();
  }

  async healthy(): Promise<boolean> {
    const { rows } = await this.pool.query<{ ok: number }>("select 1 as ok");
    return rows.length === 1;
  }

  async upsertInstallation(id: number, accountLogin: string, accountType: string): Promise<void> {
    await this.db
      .insert(schema.installations)
      .values({ id, accountLogin, accountType })
      .onConflictDoUpdate({ target: schema.installations.id, set: { accountLogin, accountType, removedAt: null } });
  }

  async installationByLogin(login: string): Promise<{ id: number; accountLogin: string; removedAt: string | null } | undefined> {
    const matching = await this.db
      .select({ id: schema.installations.id, accountLogin: schema.installations.accountLogin, removedAt: schema.installations.removedAt })
      .from(schema.installations)
      .where(sql`lower(${schema.installations.accountLogin}) = ${login.toLowerCase()}`)
      .orderBy(schema.installations.id);
    return matching.find((r) => r.removedAt === null) ?? matching[0];
  }

  async setInstallationEvents(id: number, events: string[]): Promise<void> {
    await this.db.update(schema.installations).set({ events: JSON.stringify([...events].sort()) }).where(eq(schema.installations.id, id));
  }

  async installationEvents(id: number): Promise<string[] | null> {
    const [row] = await this.db.select({ events: schema.installations.events }).from(schema.installations).where(eq(schema.installations.id, id));
    if (!row?.events) return null;
    const parsed = z.array(z.string()).safeParse(JSON.parse(row.events));
    return parsed.success ? parsed.data : null;
  }

  async auditLogSource(installationId: number): Promise<AuditLogSourceRow | undefined> {
    const [row] = await this.db.select().from(schema.auditLogSources).where(eq(schema.auditLogSources.installationId, installationId));
    return row;
  }

  async setAuditLogSource(installationId: number, value: { status: "available" | "unavailable"; reason?: string | null; cursor?: string | null; checkedAt: Date }): Promise<void> {
    const row = { status: value.status, reason: value.reason ?? null, cursor: value.cursor ?? null, checkedAt: value.checkedAt.toISOString() };
    await this.db.insert(schema.auditLogSources).values({ installationId, ...row }).onConflictDoUpdate({ target: schema.auditLogSources.installationId, set: row });
  }

  async activeInstallations(): Promise<{ id: number; accountLogin: string }[]> {
    return this.db.select({ id: schema.installations.id, accountLogin: schema.installations.accountLogin }).from(schema.installations).where(isNull(schema.installations.removedAt)).orderBy(schema.installations.id);
  }

  async ensureInstallation(id: number, accountLogin: string): Promise<void> {
    await this.db.insert(schema.installations).values({ id, accountLogin, accountType: "unknown" }).onConflictDoNothing();
  }

  async markInstallationRemoved(id: number, at: Date = new Date()): Promise<void> {
    await this.db.update(schema.installations).set({ removedAt: at.toISOString() }).where(eq(schema.installations.id, id));
  }

  /** Records repositories the installation covers (again, if removed before), a slice per statement, in one transaction. */
  async addRepositories(installationId: number, repos: readonly { id: number; fullName: string }[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (let start = 0; start < repos.length; start += ROWS_PER_SLICE) await upsertRepositories(tx, installationId, repos.slice(start, start + ROWS_PER_SLICE));
    });
  }

  async addRepositoriesInSlices(installationId: number, repos: readonly { id: number; fullName: string }[]): Promise<void> {
    return forEachSlice(repos, ROWS_PER_SLICE, (slice) => upsertRepositories(this.db, installationId, slice));
  }

  async removeRepositories(installationId: number, ids: number[], at: Date = new Date()): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(schema.repositories)
      .set({ removedAt: at.toISOString() })
      .where(and(eq(schema.repositories.installationId, installationId), inArray(schema.repositories.id, ids)));
  }

  async recordAssessment(record: AssessmentRecord): Promise<number> {
    const [row] = await this.db.insert(schema.assessments).values(assessmentRow(record)).returning({ id: schema.assessments.id });
    return row!.id;
  }

  private removedNames(installationId: number) {
    return this.db
      .select({ fullName: schema.repositories.fullName })
      .from(schema.repositories)
      .where(and(eq(schema.repositories.installationId, installationId), isNotNull(schema.repositories.removedAt)));
  }

  async latestAssessmentIds(installationId: number): Promise<{ id: number; repositoryFullName: string }[]> {
    const a = schema.assessments;
    const rows = await this.db
      .select({ id: max(a.id), repositoryFullName: a.repositoryFullName })
      .from(a)
      .where(and(eq(a.installationId, installationId), sql`${a.repositoryFullName} not in ${this.removedNames(installationId)}`))
      .groupBy(a.repositoryFullName)
      // Byte order, as SQLite sorts text: the same order whichever database answers.
      .orderBy(sql`${a.repositoryFullName} collate "C"`);
    return rows.flatMap((r) => (r.id === null ? [] : [{ id: r.id, repositoryFullName: r.repositoryFullName }]));
  }

  async lastAssessedAt(installationId: number): Promise<Map<string, string>> {
    const a = schema.assessments;
    const rows = await this.db
      .select({ fullName: a.repositoryFullName, at: max(a.finishedAt) })
      .from(a)
      .where(and(eq(a.installationId, installationId), sql`${a.repositoryFullName} not in ${this.removedNames(installationId)}`))
      .groupBy(a.repositoryFullName);
    return new Map(rows.flatMap((r) => (r.at === null ? [] : [[r.fullName, r.at] as const])));
  }

  async assessmentById(installationId: number, id: number): Promise<StoredAssessment | undefined> {
    const [row] = await this.db.select().from(schema.assessments).where(and(eq(schema.assessments.installationId, installationId), eq(schema.assessments.id, id)));
    return row ? storedAssessment(row) : undefined;
  }

  async assessmentsByIds(installationId: number, ids: readonly number[]): Promise<StoredAssessment[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.select().from(schema.assessments).where(and(eq(schema.assessments.installationId, installationId), inArray(schema.assessments.id, [...ids])));
    return rows.map(storedAssessment);
  }

  async findingsByIds(installationId: number, ids: readonly number[]): Promise<{ id: number; findings: Finding[] }[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .select({ id: schema.assessments.id, findings: schema.assessments.findings })
      .from(schema.assessments)
      .where(and(eq(schema.assessments.installationId, installationId), inArray(schema.assessments.id, [...ids])));
    return rows.map(findingsOf);
  }

  async assessments(installationId: number, repositoryFullName: string, limit = 20): Promise<StoredAssessment[]> {
    const rows = await this.db
      .select()
      .from(schema.assessments)
      .where(and(eq(schema.assessments.installationId, installationId), eq(schema.assessments.repositoryFullName, repositoryFullName)))
      .orderBy(desc(schema.assessments.id))
      .limit(limit);
    return rows.map(storedAssessment);
  }

  async checkRunAssessment(installationId: number, repositoryFullName: string, deliveryId: string, headSha: string): Promise<{ id: number; checkRunId: number | null } | undefined> {
    const a = schema.assessments;
    const [row] = await this.db
      .select({ id: a.id, checkRunId: a.checkRunId })
      .from(a)
      .where(and(eq(a.installationId, installationId), eq(a.repositoryFullName, repositoryFullName), eq(a.deliveryId, deliveryId), eq(a.headSha, headSha)))
      .orderBy(sql`${a.checkRunId} is null`, desc(a.id))
      .limit(1);
    return row;
  }

  async attachCheckRun(installationId: number, assessmentId: number, checkRunId: number): Promise<void> {
    const a = schema.assessments;
    await this.db.update(a).set({ checkRunId }).where(and(eq(a.installationId, installationId), eq(a.id, assessmentId)));
  }

  async hasAssessmentFromDelivery(installationId: number, repositoryFullName: string, deliveryId: string): Promise<boolean> {
    const a = schema.assessments;
    const rows = await this.db
      .select({ id: a.id })
      .from(a)
      .where(and(eq(a.installationId, installationId), eq(a.repositoryFullName, repositoryFullName), eq(a.deliveryId, deliveryId)))
      .limit(1);
    return rows.length > 0;
  }

  async hasCheckRun(installationId: number, repositoryFullName: string, headSha: string): Promise<boolean> {
    const a = schema.assessments;
    const rows = await this.db
      .select({ id: a.id })
      .from(a)
      .where(and(eq(a.installationId, installationId), eq(a.repositoryFullName, repositoryFullName), eq(a.headSha, headSha), isNotNull(a.checkRunId)))
      .limit(1);
    return rows.length > 0;
  }

  async repositoriesOf(installationId: number): Promise<string[]> {
    const rows = await this.db
      .select({ fullName: schema.repositories.fullName })
      .from(schema.repositories)
      .where(and(eq(schema.repositories.installationId, installationId), isNull(schema.repositories.removedAt)))
      .orderBy(schema.repositories.id);
    return rows.map((r) => r.fullName);
  }

  /**
   * Claims a webhook delivery. One statement decides, so two replicas given the same delivery
   * cannot both claim it: the insert wins for a new delivery, and for a known one only a failed
   * row is taken over (the update's condition is checked on the row it locks).
   */
  async claimDelivery(deliveryId: string, event: string, installationId: number | null, at: Date = new Date()): Promise<boolean> {
    const d = schema.webhookDeliveries;
    const claimed = await this.db
      .insert(d)
      .values({ deliveryId, event, installationId, state: "processing", receivedAt: at.toISOString() })
      .onConflictDoUpdate({ target: d.deliveryId, set: { state: "processing", receivedAt: at.toISOString(), error: null }, setWhere: eq(d.state, "failed") })
      .returning({ deliveryId: d.deliveryId });
    return claimed.length > 0;
  }

  async finishDelivery(deliveryId: string, outcome: { ok: true } | { ok: false; error: string }, at: Date = new Date()): Promise<void> {
    await this.db
      .update(schema.webhookDeliveries)
      .set({ state: outcome.ok ? "done" : "failed", finishedAt: at.toISOString(), error: outcome.ok ? null : outcome.error.slice(0, 2000) })
      .where(eq(schema.webhookDeliveries.deliveryId, deliveryId));
  }

  async delivery(deliveryId: string): Promise<{ state: string; error: string | null; event: string } | undefined> {
    const [row] = await this.db.select().from(schema.webhookDeliveries).where(eq(schema.webhookDeliveries.deliveryId, deliveryId));
    return row ? { state: row.state, error: row.error, event: row.event } : undefined;
  }

  async deliveryState(deliveryId: string): Promise<string | undefined> {
    return (await this.delivery(deliveryId))?.state;
  }
}

type PgExecutor = Pick<NodePgDatabase<typeof schema>, "insert">;

/** One multi-row statement per slice (PostgreSQL takes up to 65,535 parameters: 500 rows use 1,500). */
async function upsertRepositories(db: PgExecutor, installationId: number, repos: readonly { id: number; fullName: string }[]): Promise<void> {
  if (repos.length === 0) return;
  // A list naming one repository twice would make PostgreSQL refuse the statement: the last name wins, as row by row.
  const unique = [...new Map(repos.map((r) => [r.id, r])).values()];
  await db
    .insert(schema.repositories)
    .values(unique.map((r) => ({ id: r.id, installationId, fullName: r.fullName })))
    .onConflictDoUpdate({ target: schema.repositories.id, set: { installationId: sql`excluded.installation_id`, fullName: sql`excluded.full_name`, removedAt: null } });
}
