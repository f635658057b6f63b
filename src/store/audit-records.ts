import { and, asc, count, desc, eq, gt, gte, lt, lte, min, sql, type Column } from "drizzle-orm";
import { lockInstallation } from "./postgres.js";
import type { PostgresStore } from "./postgres-store.js";
import * as sqlite from "./schema.js";
import * as pg from "./schema-pg.js";
import type { SqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

/*
 * The audit trail's rows, on either database. The trail's rules (what a link hashes, how the
 * summary folds links into day counts) live in src/audit and reach here as functions; this module
 * only reads and writes, each call bound to one installation. Appends and prunes hold the head of
 * the installation's chain while they work: SQLite's in one synchronous transaction (one writer),
 * PostgreSQL's in a transaction under an advisory lock on the installation's chain, so replicas
 * appending at once still make one unbroken chain.
 */

export type AuditRow = typeof sqlite.auditEvents.$inferSelect;
export type AuditLink = Omit<AuditRow, "id">;
export type CheckpointRow = typeof sqlite.auditCheckpoints.$inferSelect;
export type SummaryRow = typeof sqlite.auditSummaries.$inferSelect;
/** Where the next link goes: after `head`, else after the retention checkpoint, else first. */
export type ChainEnd = { installationId: number; head: { seq: number; hash: string } | undefined; checkpoint: { throughSeq: number; hash: string } | undefined };
/** Links a prune removes, counted by day (the first ten characters of `occurredAt`) and kind. */
export type PrunedCounts = { day: string; kind: string; n: number }[];

export interface AuditRecords {
  latestCheckpoint(installationId: number): Promise<CheckpointRow | undefined>;
  /** Writes `link(end)` unless the source id is recorded already; the chain's end is held until it is written. */
  append(installationId: number, source: AuditRow["source"], sourceId: string, link: (end: ChainEnd) => AuditLink): Promise<{ recorded: boolean; seq: number }>;
  /** Up to `limit` links after `afterSeq`, oldest first (only those that occurred at or after `since`, when given). */
  page(installationId: number, afterSeq: number, limit: number, since?: string): Promise<AuditRow[]>;
  /** The newest links (of one repository, when given), newest first. */
  latest(installationId: number, limit: number, repository?: string): Promise<AuditRow[]>;
  /**
   * Removes the links before the first that occurred at or after `cutoff`, recording a checkpoint
   * with the last removed link's hash; `summary` says what becomes of the installation's summary
   * row given the removed links' counts and the last removed seq (null: delete it), in the same transaction.
   */
  prune(installationId: number, cutoff: string, now: Date, summary: (row: SummaryRow, removed: PrunedCounts, throughSeq: number) => SummaryRow | null): Promise<{ pruned: number }>;
  summaryRow(installationId: number): Promise<SummaryRow | undefined>;
  saveSummary(row: SummaryRow): Promise<void>;
  hashAt(installationId: number, seq: number): Promise<string | undefined>;
  countAfter(installationId: number, seq: number): Promise<number>;
  /** Links that occurred in [from, before), counted by kind. */
  kindCounts(installationId: number, from: string, before: string): Promise<{ kind: string; n: number }[]>;
  /** Time and kind of up to `limit` links that occurred in [from, before). */
  occurrences(installationId: number, from: string, before: string, limit: number): Promise<{ at: string; kind: string }[]>;
  earliest(installationId: number): Promise<string | null>;
}

export function auditRecords(store: Store): AuditRecords {
  return store.dialect === "postgres" ? new PostgresAuditRecords(store) : new SqliteAuditRecords(store);
}

const day = (occurredAt: Column) => sql<string>`substr(${occurredAt}, 1, 10)`;

/**
 * SQLite's reads that bring an installation's summary up to date, which every assessment does
 * (the trail's evidence is in each): prepared once per store, so neither Drizzle's builder nor
 * SQLite's compiler runs for them per repository of a backfill. The same SQL the builder makes.
 */
function prepareSummaryReads(store: SqliteStore) {
  const c = sqlite.auditCheckpoints;
  const e = sqlite.auditEvents;
  const installation = sql.placeholder("installationId");
  return {
    latestCheckpoint: store.db.select().from(c).where(eq(c.installationId, installation)).orderBy(desc(c.throughSeq)).limit(1).prepare(),
    summaryRow: store.db.select().from(sqlite.auditSummaries).where(eq(sqlite.auditSummaries.installationId, installation)).limit(1).prepare(),
    hashAt: store.db.select({ hash: e.hash }).from(e).where(and(eq(e.installationId, installation), eq(e.seq, sql.placeholder("seq")))).limit(1).prepare(),
    page: store.db.select().from(e).where(and(eq(e.installationId, installation), gt(e.seq, sql.placeholder("afterSeq")))).orderBy(asc(e.seq)).limit(sql.placeholder("limit")).prepare(),
    earliest: store.db.select({ at: min(e.occurredAt) }).from(e).where(eq(e.installationId, installation)).prepare(),
  };
}

const summaryReadsOf = new WeakMap<SqliteStore, ReturnType<typeof prepareSummaryReads>>();

class SqliteAuditRecords implements AuditRecords {
  constructor(private readonly store: SqliteStore) {}

  private get reads(): ReturnType<typeof prepareSummaryReads> {
    let reads = summaryReadsOf.get(this.store);
    if (!reads) summaryReadsOf.set(this.store, (reads = prepareSummaryReads(this.store)));
    return reads;
  }

  private checkpointOf(db: Pick<SqliteStore["db"], "select">, installationId: number): CheckpointRow | undefined {
    const c = sqlite.auditCheckpoints;
    return db.select().from(c).where(eq(c.installationId, installationId)).orderBy(desc(c.throughSeq)).get();
  }

  async latestCheckpoint(installationId: number): Promise<CheckpointRow | undefined> {
    return this.reads.latestCheckpoint.get({ installationId });
  }

  async append(installationId: number, source: AuditRow["source"], sourceId: string, link: (end: ChainEnd) => AuditLink): Promise<{ recorded: boolean; seq: number }> {
    const e = sqlite.auditEvents;
    return this.store.db.transaction((tx) => {
      const existing = tx.select({ seq: e.seq }).from(e).where(and(eq(e.installationId, installationId), eq(e.source, source), eq(e.sourceId, sourceId))).get();
      if (existing) return { recorded: false, seq: existing.seq };
      const head = tx.select({ seq: e.seq, hash: e.hash }).from(e).where(eq(e.installationId, installationId)).orderBy(desc(e.seq)).get();
      const checkpoint = head ? undefined : this.checkpointOf(tx, installationId);
      const row = link({ installationId, head, checkpoint });
      tx.insert(e).values(row).run();
      return { recorded: true, seq: row.seq };
    });
  }

  async page(installationId: number, afterSeq: number, limit: number, since?: string): Promise<AuditRow[]> {
    if (since === undefined) return this.reads.page.all({ installationId, afterSeq, limit });
    const e = sqlite.auditEvents;
    const where = and(eq(e.installationId, installationId), gt(e.seq, afterSeq), gte(e.occurredAt, since));
    return this.store.db.select().from(e).where(where).orderBy(asc(e.seq)).limit(limit).all();
  }

  async latest(installationId: number, limit: number, repository?: string): Promise<AuditRow[]> {
    const e = sqlite.auditEvents;
    const where = and(eq(e.installationId, installationId), repository === undefined ? undefined : eq(e.repository, repository));
    return this.store.db.select().from(e).where(where).orderBy(desc(e.occurredAt), desc(e.seq)).limit(limit).all();
  }

  async prune(installationId: number, cutoff: string, now: Date, summary: (row: SummaryRow, removed: PrunedCounts, throughSeq: number) => SummaryRow | null): Promise<{ pruned: number }> {
    const { auditEvents: e, auditCheckpoints: c, auditSummaries: s } = sqlite;
    return this.store.db.transaction((tx) => {
      // Only a prefix of the chain can go: a later link stays if any earlier one must. The first
      // link to keep is the lowest seq that occurred at or after the cutoff (read from the index).
      const keep = tx.select({ seq: min(e.seq) }).from(e).where(and(eq(e.installationId, installationId), gte(e.occurredAt, cutoff))).get()?.seq ?? null;
      const last = tx
        .select({ seq: e.seq, hash: e.hash })
        .from(e)
        .where(and(eq(e.installationId, installationId), keep === null ? undefined : lt(e.seq, keep)))
        .orderBy(desc(e.seq))
        .limit(1)
        .get();
      if (!last) return { pruned: 0 };
      const through = and(eq(e.installationId, installationId), lte(e.seq, last.seq));
      const pruned = tx.select({ n: count() }).from(e).where(through).get()?.n ?? 0;
      tx.insert(c).values({ installationId, throughSeq: last.seq, hash: last.hash, prunedCount: pruned, createdAt: now.toISOString() }).run();
      const row = tx.select().from(s).where(eq(s.installationId, installationId)).get();
      if (row) {
        const removed = tx.select({ day: day(e.occurredAt), kind: e.kind, n: count() }).from(e).where(through).groupBy(day(e.occurredAt), e.kind).all();
        const next = summary(row, removed, last.seq);
        if (next) tx.insert(s).values(next).onConflictDoUpdate({ target: s.installationId, set: next }).run();
        else tx.delete(s).where(eq(s.installationId, installationId)).run();
      }
      tx.delete(e).where(through).run();
      return { pruned };
    });
  }

  async summaryRow(installationId: number): Promise<SummaryRow | undefined> {
    return this.reads.summaryRow.get({ installationId });
  }

  async saveSummary(row: SummaryRow): Promise<void> {
    this.store.db.insert(sqlite.auditSummaries).values(row).onConflictDoUpdate({ target: sqlite.auditSummaries.installationId, set: row }).run();
  }

  async hashAt(installationId: number, seq: number): Promise<string | undefined> {
    return this.reads.hashAt.get({ installationId, seq })?.hash;
  }

  async countAfter(installationId: number, seq: number): Promise<number> {
    const e = sqlite.auditEvents;
    return this.store.db.select({ n: count() }).from(e).where(and(eq(e.installationId, installationId), gt(e.seq, seq))).get()?.n ?? 0;
  }

  async kindCounts(installationId: number, from: string, before: string): Promise<{ kind: string; n: number }[]> {
    const e = sqlite.auditEvents;
    return this.store.db.select({ kind: e.kind, n: count() }).from(e).where(and(eq(e.installationId, installationId), gte(e.occurredAt, from), lt(e.occurredAt, before))).groupBy(e.kind).all();
  }

  async occurrences(installationId: number, from: string, before: string, limit: number): Promise<{ at: string; kind: string }[]> {
    const e = sqlite.auditEvents;
    return this.store.db.select({ at: e.occurredAt, kind: e.kind }).from(e).where(and(eq(e.installationId, installationId), gte(e.occurredAt, from), lt(e.occurredAt, before))).limit(limit).all();
  }

  async earliest(installationId: number): Promise<string | null> {
    return this.reads.earliest.get({ installationId })?.at ?? null;
  }
}

class PostgresAuditRecords implements AuditRecords {
  constructor(private readonly store: PostgresStore) {}

  private async checkpointOf(db: Pick<PostgresStore["db"], "select">, installationId: number): Promise<CheckpointRow | undefined> {
    const c = pg.auditCheckpoints;
    return (await db.select().from(c).where(eq(c.installationId, installationId)).orderBy(desc(c.throughSeq)).limit(1))[0];
  }

  async latestCheckpoint(installationId: number): Promise<CheckpointRow | undefined> {
    return this.checkpointOf(this.store.db, installationId);
  }

  async append(installationId: number, source: AuditRow["source"], sourceId: string, link: (end: ChainEnd) => AuditLink): Promise<{ recorded: boolean; seq: number }> {
    const e = pg.auditEvents;
    return this.store.db.transaction(async (tx) => {
      await lockInstallation(tx, "audit-chain", installationId);
      // Under the lock: a redelivery another replica recorded meanwhile is seen here.
      const [existing] = await tx.select({ seq: e.seq }).from(e).where(and(eq(e.installationId, installationId), eq(e.source, source), eq(e.sourceId, sourceId)));
      if (existing) return { recorded: false, seq: existing.seq };
      const [head] = await tx.select({ seq: e.seq, hash: e.hash }).from(e).where(eq(e.installationId, installationId)).orderBy(desc(e.seq)).limit(1);
      const checkpoint = head ? undefined : await this.checkpointOf(tx, installationId);
      const row = link({ installationId, head, checkpoint });
      await tx.insert(e).values(row);
      return { recorded: true, seq: row.seq };
    });
  }

  async page(installationId: number, afterSeq: number, limit: number, since?: string): Promise<AuditRow[]> {
    const e = pg.auditEvents;
    const where = and(eq(e.installationId, installationId), gt(e.seq, afterSeq), since === undefined ? undefined : gte(e.occurredAt, since));
    return this.store.db.select().from(e).where(where).orderBy(asc(e.seq)).limit(limit);
  }

  async latest(installationId: number, limit: number, repository?: string): Promise<AuditRow[]> {
    const e = pg.auditEvents;
    const where = and(eq(e.installationId, installationId), repository === undefined ? undefined : eq(e.repository, repository));
    return this.store.db.select().from(e).where(where).orderBy(desc(e.occurredAt), desc(e.seq)).limit(limit);
  }

  async prune(installationId: number, cutoff: string, now: Date, summary: (row: SummaryRow, removed: PrunedCounts, throughSeq: number) => SummaryRow | null): Promise<{ pruned: number }> {
    const { auditEvents: e, auditCheckpoints: c, auditSummaries: s } = pg;
    return this.store.db.transaction(async (tx) => {
      // The chain's lock: no replica appends after a head this prune is about to remove.
      await lockInstallation(tx, "audit-chain", installationId);
      const [first] = await tx.select({ seq: min(e.seq) }).from(e).where(and(eq(e.installationId, installationId), gte(e.occurredAt, cutoff)));
      const keep = first?.seq ?? null;
      const [last] = await tx
        .select({ seq: e.seq, hash: e.hash })
        .from(e)
        .where(and(eq(e.installationId, installationId), keep === null ? undefined : lt(e.seq, keep)))
        .orderBy(desc(e.seq))
        .limit(1);
      if (!last) return { pruned: 0 };
      const through = and(eq(e.installationId, installationId), lte(e.seq, last.seq));
      const pruned = (await tx.select({ n: count() }).from(e).where(through))[0]?.n ?? 0;
      await tx.insert(c).values({ installationId, throughSeq: last.seq, hash: last.hash, prunedCount: pruned, createdAt: now.toISOString() });
      const [row] = await tx.select().from(s).where(eq(s.installationId, installationId)).for("update");
      if (row) {
        const removed = await tx.select({ day: day(e.occurredAt), kind: e.kind, n: count() }).from(e).where(through).groupBy(day(e.occurredAt), e.kind);
        const next = summary(row, removed, last.seq);
        if (next) await tx.insert(s).values(next).onConflictDoUpdate({ target: s.installationId, set: next });
        else await tx.delete(s).where(eq(s.installationId, installationId));
      }
      await tx.delete(e).where(through);
      return { pruned };
    });
  }

  async summaryRow(installationId: number): Promise<SummaryRow | undefined> {
    return (await this.store.db.select().from(pg.auditSummaries).where(eq(pg.auditSummaries.installationId, installationId)))[0];
  }

  async saveSummary(row: SummaryRow): Promise<void> {
    await this.store.db.insert(pg.auditSummaries).values(row).onConflictDoUpdate({ target: pg.auditSummaries.installationId, set: row });
  }

  async hashAt(installationId: number, seq: number): Promise<string | undefined> {
    const e = pg.auditEvents;
    return (await this.store.db.select({ hash: e.hash }).from(e).where(and(eq(e.installationId, installationId), eq(e.seq, seq))))[0]?.hash;
  }

  async countAfter(installationId: number, seq: number): Promise<number> {
    const e = pg.auditEvents;
    return (await this.store.db.select({ n: count() }).from(e).where(and(eq(e.installationId, installationId), gt(e.seq, seq))))[0]?.n ?? 0;
  }

  async kindCounts(installationId: number, from: string, before: string): Promise<{ kind: string; n: number }[]> {
    const e = pg.auditEvents;
    return this.store.db.select({ kind: e.kind, n: count() }).from(e).where(and(eq(e.installationId, installationId), gte(e.occurredAt, from), lt(e.occurredAt, before))).groupBy(e.kind);
  }

  async occurrences(installationId: number, from: string, before: string, limit: number): Promise<{ at: string; kind: string }[]> {
    const e = pg.auditEvents;
    return this.store.db.select({ at: e.occurredAt, kind: e.kind }).from(e).where(and(eq(e.installationId, installationId), gte(e.occurredAt, from), lt(e.occurredAt, before))).limit(limit);
  }

  async earliest(installationId: number): Promise<string | null> {
    const e = pg.auditEvents;
    return (await this.store.db.select({ at: min(e.occurredAt) }).from(e).where(eq(e.installationId, installationId)))[0]?.at ?? null;
  }
}
