import { z } from "zod";
import { auditRecords, type AuditRecords, type PrunedCounts, type SummaryRow } from "../store/audit-records.js";
import type { Store } from "../store/store.js";
import { GENESIS_HASH } from "./canonical.js";
import { EXPORT_COLUMNS, toJsonLine } from "./export.js";
import { linkHash, type AuditRow } from "./trail.js";

/*
 * The audit trail's evidence at a cost independent of its history. The summary row of an
 * installation remembers how far the chain has been verified; bringing it up to date hashes only
 * the links added since, checks that the link it stopped at is still there unchanged (a cut tail
 * or an edited head shows), and folds the new links into counts per day and kind. Counts in the
 * evidence window are the whole days from the summary plus the first, partial day counted from
 * the index. Links before the checkpoint are not hashed again here: `claimcheck audit verify`
 * and the maintenance's periodic full verification do that.
 */

const dayCountsSchema = z.record(z.string(), z.record(z.string(), z.number().int().nonnegative()));
type DayCounts = z.infer<typeof dayCountsSchema>;

export type AuditSummary = {
  total: number;
  exported: number;
  countsByKind: Record<string, number>;
  earliest: string | null;
  pruned: boolean;
  verification: { ok: true; throughSeq: number; headHash: string } | { ok: false; brokenAt: string };
  /** Links hashed by this call: 0 when nothing was added since the last one. */
  hashedNow: number;
  /** Links after the verified head not yet hashed (a first read of a long trail, done in slices); 0 when caught up. */
  pending: number;
  /** When the whole chain (from the retention checkpoint) was last verified in one pass. */
  fullyVerifiedAt: string | null;
};

const PAGE = 1000;
/**
 * An assessment hashes at most this many new links (tens of milliseconds): a trail that grew by
 * more — the first read of a long trail after an upgrade — is caught up by `catchUp`, a slice at
 * a time with the event loop free in between, and reads as "catching up" until then.
 */
export const MAX_LINKS_PER_READ = 5_000;

function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();
}


/**
 * The day counts of the summary rows last read, parsed, per store and installation, with the
 * window counts worked out from them. A year of days is tens of kilobytes of JSON: parsing and
 * summing it was most of an assessment's audit work on a long trail. Reused only while the row's
 * text is the same string, so a write from anywhere (another process too) is read afresh. Kept
 * for the installations read most recently only: an app serving thousands holds a few of them.
 */
type ParsedDays = {
  text: string;
  days: Readonly<DayCounts>;
  /** Whole-day counts after a window's first day, by that day. */
  windows: Map<string, Record<string, number>>;
  /** The events of a window's first day (by day and the chain's extent), counted from `since` on each read. */
  firstDays: Map<string, readonly { at: string; kind: string }[]>;
};
const parsedDays = new WeakMap<Store, Map<number, ParsedDays>>();
const PARSED_INSTALLATIONS = 32;
/** A first day with more events than this is counted by the database on every read instead of held. */
const FIRST_DAY_EVENTS_HELD = 10_000;
/** Windows of different lengths (per repository configuration) have different first days: a few are kept. */
const WINDOWS_HELD = 8;

export class AuditSummaries {
  private readonly records: AuditRecords;

  constructor(private readonly store: Store) {
    this.records = auditRecords(store);
  }

  private async fresh(installationId: number, now: Date): Promise<SummaryRow> {
    const checkpoint = await this.records.latestCheckpoint(installationId);
    return {
      installationId,
      baseSeq: checkpoint?.throughSeq ?? 0,
      throughSeq: checkpoint?.throughSeq ?? 0,
      headHash: checkpoint?.hash ?? GENESIS_HASH,
      total: 0,
      exported: 0,
      dayCounts: "{}",
      broken: null,
      fullyVerifiedAt: null,
      updatedAt: now.toISOString(),
    };
  }

  /** Brings the installation's summary up to date (hashing only new links) and returns it with the window's counts. */
  async refresh(installationId: number, since: Date, now: Date = new Date(), maxLinks = MAX_LINKS_PER_READ): Promise<AuditSummary> {
    const checkpoint = await this.records.latestCheckpoint(installationId);
    const stored = await this.records.summaryRow(installationId);
    // A retention prune the summary did not follow (or a first read): start again from the checkpoint.
    const row = stored && stored.baseSeq === (checkpoint?.throughSeq ?? 0) ? stored : await this.fresh(installationId, now);
    const parsed = this.parsed(installationId, row.dayCounts);
    // Shared with later reads until a new link is folded in; copied before the first change.
    let days: DayCounts | null = null;
    let hashedNow = 0;
    let { throughSeq, headHash, total, exported, broken } = row;

    if (broken === null && throughSeq > row.baseSeq) {
      // The link verified last must still be there, unchanged: otherwise the tail was cut or edited.
      const head = await this.records.hashAt(installationId, throughSeq);
      if (head === undefined) broken = `link ${throughSeq}: verified earlier, now missing (the trail was cut)`;
      else if (head !== headHash) broken = `link ${throughSeq}: its hash changed after it was verified (the row was replaced)`;
    }
    let capped = false;
    while (broken === null) {
      if (hashedNow >= maxLinks) {
        capped = true;
        break;
      }
      const page = await this.records.page(installationId, throughSeq, Math.min(PAGE, maxLinks - hashedNow));
      for (const link of page) {
        const problem = checkLink(link, throughSeq + 1, headHash);
        if (problem) {
          broken = `link ${link.seq}: ${problem}`;
          break;
        }
        hashedNow += 1;
        throughSeq = link.seq;
        headHash = link.hash;
        total += 1;
        if (exportsWhole(link)) exported += 1;
        days ??= structuredClone(parsed.days) as DayCounts;
        const day = (days[dayOf(link.occurredAt)] ??= {});
        day[link.kind] = (day[link.kind] ?? 0) + 1;
      }
      if (page.length < Math.min(PAGE, maxLinks - hashedNow + page.length)) break;
    }
    const pending = capped ? await this.records.countAfter(installationId, throughSeq) : 0;

    let current = parsed;
    if (hashedNow > 0 || broken !== row.broken || !stored) {
      const next: SummaryRow = { ...row, throughSeq, headHash, total, exported, broken, dayCounts: days ? JSON.stringify(days) : row.dayCounts, updatedAt: now.toISOString() };
      await this.records.saveSummary(next);
      if (days) current = this.remember(installationId, next.dayCounts, days);
    }
    return {
      total,
      exported,
      // Counted from what the summary holds only when it holds every link: otherwise from the index, as they stand.
      countsByKind: await this.countsSince(installationId, current, since, broken === null && !capped ? { baseSeq: row.baseSeq, throughSeq } : null),
      earliest: await this.records.earliest(installationId),
      pruned: checkpoint !== undefined,
      verification: broken === null ? { ok: true, throughSeq, headHash } : { ok: false, brokenAt: broken },
      hashedNow,
      pending,
      fullyVerifiedAt: row.fullyVerifiedAt,
    };
  }

  /** Brings the summary fully up to date a slice at a time, giving the event loop a turn between slices. */
  async catchUp(installationId: number, now: () => Date = () => new Date()): Promise<AuditSummary> {
    for (;;) {
      const summary = await this.refresh(installationId, now(), now());
      if (summary.pending === 0) return summary;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The day counts of the row's text: parsed once per text, not on every read. */
  private parsed(installationId: number, text: string): ParsedDays {
    const byInstallation = parsedDays.get(this.store);
    const known = byInstallation?.get(installationId);
    if (known && known.text === text) {
      // Most recently used last: the first key is the one to evict.
      byInstallation!.delete(installationId);
      byInstallation!.set(installationId, known);
      return known;
    }
    return this.remember(installationId, text, dayCountsSchema.parse(JSON.parse(text)));
  }

  private remember(installationId: number, text: string, days: DayCounts): ParsedDays {
    let byInstallation = parsedDays.get(this.store);
    if (!byInstallation) parsedDays.set(this.store, (byInstallation = new Map()));
    const entry: ParsedDays = { text, days, windows: new Map(), firstDays: new Map() };
    byInstallation.delete(installationId);
    byInstallation.set(installationId, entry);
    if (byInstallation.size > PARSED_INSTALLATIONS) byInstallation.delete(byInstallation.keys().next().value!);
    return entry;
  }

  /**
   * Whole days after `since` from the summary (summed once per day counts and first day), plus the
   * partial first day: its events read once from the index and kept while the chain is the same
   * (`chain`: how far the summary holds it; null when it does not hold every link yet).
   */
  private async countsSince(installationId: number, parsed: ParsedDays, since: Date, chain: { baseSeq: number; throughSeq: number } | null): Promise<Record<string, number>> {
    const firstDay = dayOf(since.toISOString());
    let whole = parsed.windows.get(firstDay);
    if (!whole) {
      whole = {};
      for (const [day, kinds] of Object.entries(parsed.days)) {
        if (day <= firstDay) continue;
        for (const [kind, n] of Object.entries(kinds)) whole[kind] = (whole[kind] ?? 0) + n;
      }
      // Keep the map from growing with the days the service runs.
      if (parsed.windows.size >= WINDOWS_HELD) parsed.windows.clear();
      parsed.windows.set(firstDay, whole);
    }
    const counts: Record<string, number> = { ...whole };
    const from = since.toISOString();
    const held = chain ? await this.firstDayEvents(installationId, parsed, firstDay, chain) : null;
    if (held) {
      for (const event of held) if (event.at >= from) counts[event.kind] = (counts[event.kind] ?? 0) + 1;
      return counts;
    }
    const partial = await this.records.kindCounts(installationId, from, nextDay(firstDay));
    for (const { kind, n } of partial) counts[kind] = (counts[kind] ?? 0) + n;
    return counts;
  }

  /**
   * The events of `firstDay` (time and kind), from the (installation, occurred_at) index once per
   * day and chain extent: a new link or a prune changes the extent, and the day is read again.
   * Null for a day too busy to hold.
   */
  private async firstDayEvents(installationId: number, parsed: ParsedDays, firstDay: string, chain: { baseSeq: number; throughSeq: number }): Promise<readonly { at: string; kind: string }[] | null> {
    const key = `${firstDay} ${chain.baseSeq}-${chain.throughSeq}`;
    const known = parsed.firstDays.get(key);
    if (known) return known;
    const events = await this.records.occurrences(installationId, firstDay, nextDay(firstDay), FIRST_DAY_EVENTS_HELD + 1);
    if (events.length > FIRST_DAY_EVENTS_HELD) return null;
    if (parsed.firstDays.size >= WINDOWS_HELD) parsed.firstDays.clear();
    parsed.firstDays.set(key, events);
    return events;
  }

  /**
   * After a retention prune removed links through `throughSeq`: their counts leave the summary
   * (in the prune's own transaction), and verification continues from the new checkpoint.
   */
  static forgetPruned(row: SummaryRow, removedCounts: PrunedCounts, throughSeq: number, now: Date): SummaryRow | null {
    // Links pruned before they were summarised: the next read starts afresh from the checkpoint.
    if (row.broken !== null || row.throughSeq < throughSeq) return null;
    const days = dayCountsSchema.parse(JSON.parse(row.dayCounts));
    let removed = 0;
    for (const { day, kind, n } of removedCounts) {
      const kinds = days[day];
      if (!kinds) continue;
      kinds[kind] = Math.max(0, (kinds[kind] ?? 0) - n);
      if (kinds[kind] === 0) delete kinds[kind];
      if (Object.keys(kinds).length === 0) delete days[day];
      removed += n;
    }
    return { ...row, baseSeq: throughSeq, total: Math.max(0, row.total - removed), exported: Math.max(0, row.exported - removed), dayCounts: JSON.stringify(days), updatedAt: now.toISOString() };
  }

  async fullyVerifiedAt(installationId: number): Promise<string | null> {
    return (await this.records.summaryRow(installationId))?.fullyVerifiedAt ?? null;
  }

  /** Records a full verification's outcome: a break it found stays in the summary. */
  async recordFullVerification(installationId: number, outcome: { ok: true } | { ok: false; brokenAt: string }, now: Date): Promise<void> {
    const row = (await this.records.summaryRow(installationId)) ?? (await this.fresh(installationId, now));
    const next = { ...row, fullyVerifiedAt: outcome.ok ? now.toISOString() : row.fullyVerifiedAt, broken: outcome.ok ? row.broken : (row.broken ?? outcome.brokenAt), updatedAt: now.toISOString() };
    await this.records.saveSummary(next);
  }
}

/**
 * Whether the link's export line carries it whole: read back, every exported column is the
 * stored value. The columns are every field the link's hash covers (the installation is the
 * export's own) plus the hash, and `checkLink` has just recomputed that hash from the row: equal
 * fields re-verify to the same hash, without hashing each link a second time.
 */
function exportsWhole(link: AuditRow): boolean {
  try {
    const back = JSON.parse(toJsonLine(link)) as Record<string, unknown>;
    return EXPORT_COLUMNS.every((column) => back[column] === link[column]);
  } catch {
    return false;
  }
}

/** Why a link does not continue the chain, or null when it does. */
export function checkLink(row: AuditRow, expectedSeq: number, expectedPrev: string): string | null {
  if (row.seq !== expectedSeq) return `expected link ${expectedSeq} here: links ${expectedSeq}–${row.seq - 1} are missing`;
  if (row.prevHash !== expectedPrev) return "its previous-hash does not match the link before it";
  if (linkHash(row) !== row.hash) return "its content does not match its hash (the row was edited)";
  return null;
}
