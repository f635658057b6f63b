import { and, asc, count, desc, eq, gt, gte, lt, lte, min } from "drizzle-orm";
import type { Store } from "../store/store.js";
import { auditCheckpoints, auditEvents } from "../store/schema.js";
import { canonicalJson, GENESIS_HASH, sha256 } from "./canonical.js";
import type { AuditEventInput } from "./normalise.js";
import { AuditSummaries, checkLink } from "./summary.js";

/** `claimcheck`: what the app itself knows of the trail (a window in which deliveries were lost). */
export type AuditSource = "webhook" | "audit-log" | "claimcheck";
export type AuditRow = typeof auditEvents.$inferSelect;

export type Verification =
  | { ok: true; checked: number; headHash: string; fromSeq: number }
  | { ok: false; checked: number; brokenAt: { seq: number; id: number; reason: string } };

/** What each link's hash covers: every recorded field, plus the previous link's hash. */
function linkBody(row: Omit<AuditRow, "id" | "hash">) {
  return {
    installationId: row.installationId,
    seq: row.seq,
    source: row.source,
    sourceId: row.sourceId,
    kind: row.kind,
    actor: row.actor,
    target: row.target,
    repository: row.repository,
    before: row.before,
    after: row.after,
    occurredAt: row.occurredAt,
    recordedAt: row.recordedAt,
    prevHash: row.prevHash,
  };
}

export function linkHash(row: Omit<AuditRow, "id" | "hash">): string {
  return sha256(canonicalJson(linkBody(row)));
}

const json = (value: unknown) => (value === null || value === undefined ? null : canonicalJson(value));

/**
 * The next link of an installation's chain, hashed: after `head` (the newest link), or after the
 * retention checkpoint when every link was pruned, or first of all. Whoever calls it holds the
 * chain's head for the installation until the link is written (a transaction, and on PostgreSQL an
 * advisory lock on the installation), so no two links follow the same head.
 */
export function nextLink(
  chain: { installationId: number; head: { seq: number; hash: string } | undefined; checkpoint: { throughSeq: number; hash: string } | undefined },
  source: AuditSource,
  sourceId: string,
  input: AuditEventInput,
  recordedAt: Date,
): Omit<AuditRow, "id"> {
  const row = {
    installationId: chain.installationId,
    seq: (chain.head?.seq ?? chain.checkpoint?.throughSeq ?? 0) + 1,
    source,
    sourceId,
    kind: input.kind,
    actor: input.actor,
    target: input.target,
    repository: input.repository,
    before: json(input.before),
    after: json(input.after),
    occurredAt: input.occurredAt,
    recordedAt: recordedAt.toISOString(),
    prevHash: chain.head?.hash ?? chain.checkpoint?.hash ?? GENESIS_HASH,
  };
  return { ...row, hash: linkHash(row) };
}

/**
 * The audit trail of one store. Every method takes the installation it acts for and reads or
 * writes only that installation's chain.
 */
export class AuditTrail {
  constructor(private readonly store: Store) {}

  private latestCheckpoint(installationId: number) {
    return this.store.db.select().from(auditCheckpoints).where(eq(auditCheckpoints.installationId, installationId)).orderBy(desc(auditCheckpoints.throughSeq)).get();
  }

  /**
   * Appends an event, once per source id: recording and the mark that the delivery was recorded
   * are the same row, written in one transaction, so a crash leaves either both or neither and a
   * redelivery is recorded exactly once.
   */
  async append(installationId: number, source: AuditSource, sourceId: string, input: AuditEventInput, recordedAt: Date = new Date()): Promise<{ recorded: boolean; seq: number }> {
    return this.store.db.transaction((tx) => {
      const existing = tx
        .select({ seq: auditEvents.seq })
        .from(auditEvents)
        .where(and(eq(auditEvents.installationId, installationId), eq(auditEvents.source, source), eq(auditEvents.sourceId, sourceId)))
        .get();
      if (existing) return { recorded: false, seq: existing.seq };
      const last = tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).where(eq(auditEvents.installationId, installationId)).orderBy(desc(auditEvents.seq)).get();
      const checkpoint = last ? undefined : this.latestCheckpoint(installationId);
      const row = nextLink({ installationId, head: last, checkpoint }, source, sourceId, input, recordedAt);
      tx.insert(auditEvents).values(row).run();
      return { recorded: true, seq: row.seq };
    });
  }

  /** Recomputes the chain from its start (or the last retention checkpoint) and names the first broken link. */
  async verify(installationId: number): Promise<Verification> {
    const walk = this.walkChain(installationId);
    for (;;) {
      const step = await walk.next();
      if (step.done) return step.value;
    }
  }

  /**
   * `verify` for a running service: the same walk, with a turn of the event loop between pages,
   * so a long trail's full verification does not hold up webhook deliveries.
   */
  async verifyYielding(installationId: number): Promise<Verification> {
    const walk = this.walkChain(installationId);
    for (;;) {
      const step = await walk.next();
      if (step.done) return step.value;
      if (step.value % 1000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The walk both verifications share: after each good link, how many have been checked. */
  private async *walkChain(installationId: number): AsyncGenerator<number, Verification> {
    const checkpoint = this.latestCheckpoint(installationId);
    let expectedPrev = checkpoint?.hash ?? GENESIS_HASH;
    let expectedSeq = (checkpoint?.throughSeq ?? 0) + 1;
    const fromSeq = expectedSeq;
    let checked = 0;
    for await (const row of this.events(installationId)) {
      const problem = checkLink(row, expectedSeq, expectedPrev);
      if (problem) return { ok: false, checked, brokenAt: { seq: row.seq, id: row.id, reason: problem } };
      expectedPrev = row.hash;
      expectedSeq += 1;
      checked += 1;
      yield checked;
    }
    return { ok: true, checked, headHash: expectedPrev, fromSeq };
  }

  /** Events (from `since`, when given), oldest link first, read a page at a time so a long trail never sits in memory whole. */
  async *events(installationId: number, since?: Date, pageSize = 1000): AsyncGenerator<AuditRow> {
    let after = 0;
    for (;;) {
      const conditions = [eq(auditEvents.installationId, installationId), gt(auditEvents.seq, after)];
      if (since) conditions.push(gte(auditEvents.occurredAt, since.toISOString()));
      const page = this.store.db.select().from(auditEvents).where(and(...conditions)).orderBy(asc(auditEvents.seq)).limit(pageSize).all();
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1]!.seq;
    }
  }

  /** The newest events of one repository (or the whole organisation), newest first. */
  async latest(installationId: number, limit: number, repository?: string): Promise<AuditRow[]> {
    const where = repository ? and(eq(auditEvents.installationId, installationId), eq(auditEvents.repository, repository)) : eq(auditEvents.installationId, installationId);
    return this.store.db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.occurredAt), desc(auditEvents.seq)).limit(limit).all();
  }

  /**
   * Drops events older than the retention period from the front of the chain, first recording a
   * checkpoint with the hash of the last dropped link so the rest still verifies.
   */
  async prune(installationId: number, retentionDays: number, now: Date = new Date()): Promise<{ pruned: number }> {
    const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
    return this.store.db.transaction((tx) => {
      // Only a prefix of the chain can go: a later link stays if any earlier one must. The first
      // link to keep is the lowest seq that occurred at or after the cutoff (read from the index).
      const keep = tx.select({ seq: min(auditEvents.seq) }).from(auditEvents).where(and(eq(auditEvents.installationId, installationId), gte(auditEvents.occurredAt, cutoff))).get()?.seq ?? null;
      const lastOf = keep === null ? eq(auditEvents.installationId, installationId) : and(eq(auditEvents.installationId, installationId), lt(auditEvents.seq, keep));
      const last = tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).where(lastOf).orderBy(desc(auditEvents.seq)).limit(1).get();
      if (!last) return { pruned: 0 };
      const pruned = tx.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.installationId, installationId), lte(auditEvents.seq, last.seq))).get()?.n ?? 0;
      tx.insert(auditCheckpoints).values({ installationId, throughSeq: last.seq, hash: last.hash, prunedCount: pruned, createdAt: now.toISOString() }).run();
      AuditSummaries.forgetPruned(tx, installationId, last.seq, now);
      tx.delete(auditEvents).where(and(eq(auditEvents.installationId, installationId), lte(auditEvents.seq, last.seq))).run();
      return { pruned };
    });
  }

  /** The trail's shape for the evidence: counts by kind in the window, the earliest event kept, whether it was pruned. */
  async summary(installationId: number, since: Date): Promise<{ countsByKind: Record<string, number>; earliest: string | null; total: number; pruned: boolean }> {
    const counts: Record<string, number> = {};
    let earliest: string | null = null;
    let total = 0;
    for await (const row of this.events(installationId)) {
      total += 1;
      if (earliest === null || row.occurredAt < earliest) earliest = row.occurredAt;
      if (row.occurredAt >= since.toISOString()) counts[row.kind] = (counts[row.kind] ?? 0) + 1;
    }
    return { countsByKind: counts, earliest, total, pruned: this.latestCheckpoint(installationId) !== undefined };
  }
}
