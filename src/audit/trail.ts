import { auditRecords, type AuditLink, type AuditRecords, type AuditRow, type ChainEnd } from "../store/audit-records.js";
import type { Store } from "../store/store.js";
import { canonicalJson, GENESIS_HASH, sha256 } from "./canonical.js";
import type { AuditEventInput } from "./normalise.js";
import { AuditSummaries, checkLink } from "./summary.js";

/** `claimcheck`: what the app itself knows of the trail (a window in which deliveries were lost). */
export type AuditSource = "webhook" | "audit-log" | "claimcheck";
export type { AuditRow };

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
export function nextLink(chain: ChainEnd, source: AuditSource, sourceId: string, input: AuditEventInput, recordedAt: Date): AuditLink {
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
  private readonly records: AuditRecords;

  constructor(store: Store) {
    this.records = auditRecords(store);
  }

  /**
   * Appends an event, once per source id: recording and the mark that the delivery was recorded
   * are the same row, written in one transaction (on PostgreSQL under the installation's chain
   * lock), so a crash leaves either both or neither and a redelivery is recorded exactly once.
   */
  async append(installationId: number, source: AuditSource, sourceId: string, input: AuditEventInput, recordedAt: Date = new Date()): Promise<{ recorded: boolean; seq: number }> {
    return this.records.append(installationId, source, sourceId, (end) => nextLink(end, source, sourceId, input, recordedAt));
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
    const checkpoint = await this.records.latestCheckpoint(installationId);
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
      const page = await this.records.page(installationId, after, pageSize, since?.toISOString());
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1]!.seq;
    }
  }

  /** The newest events of one repository (or the whole organisation), newest first. */
  async latest(installationId: number, limit: number, repository?: string): Promise<AuditRow[]> {
    return this.records.latest(installationId, limit, repository || undefined);
  }

  /**
   * Drops events older than the retention period from the front of the chain, first recording a
   * checkpoint with the hash of the last dropped link so the rest still verifies.
   */
  async prune(installationId: number, retentionDays: number, now: Date = new Date()): Promise<{ pruned: number }> {
    const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
    return this.records.prune(installationId, cutoff, now, (row, removed, throughSeq) => AuditSummaries.forgetPruned(row, removed, throughSeq, now));
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
    return { countsByKind: counts, earliest, total, pruned: (await this.records.latestCheckpoint(installationId)) !== undefined };
  }
}
