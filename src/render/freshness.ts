import type { Finding } from "../core/findings.js";
import type { ClaimResult } from "../evaluation/types.js";

/*
 * When a claim's evidence was read, and whether it is stale: older than twice the scheduled
 * re-assessment's cadence (`reassessment.everyHours`), which means the schedule has not reached
 * it — the app was down, the budgets ran out, the repository could not be read. One wording for
 * the check run, the issues and the report. Pure: the caller brings "now".
 */

export type Freshness = { readAt: string; stale: boolean; staleAfterHours: number };

/** How old evidence may be before the output calls it stale: twice the cadence. */
export function staleAfterHours(everyHours: number): number {
  return 2 * everyHours;
}

/** The oldest time among `observedAt`s: a claim is only as fresh as its oldest evidence. */
export function oldestRead(observedAts: Iterable<string>): string | null {
  let oldest: string | null = null;
  for (const at of observedAts) if (oldest === null || at < oldest) oldest = at;
  return oldest;
}

/** The oldest read of the findings a claim's checks were judged on (by finding id, within the given findings). */
export function claimReadAt(result: Pick<ClaimResult, "checks">, findings: readonly Pick<Finding, "id" | "observedAt">[]): string | null {
  const ids = new Set(result.checks.flatMap((c) => c.evidence.map((e) => e.findingId)));
  return oldestRead(findings.filter((f) => ids.has(f.id)).map((f) => f.observedAt));
}

export function freshness(readAt: string, now: Date | string, everyHours: number): Freshness {
  const limit = staleAfterHours(everyHours);
  const age = new Date(now).getTime() - Date.parse(readAt);
  return { readAt, stale: age > limit * 3_600_000, staleAfterHours: limit };
}

const minute = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

/** "evidence read 2026-11-28 08:00 UTC", or the same marked stale with the limit it passed. */
export function freshnessText(f: Freshness): string {
  return f.stale ? `⚠️ stale: evidence read ${minute(f.readAt)}, more than ${f.staleAfterHours} h ago` : `evidence read ${minute(f.readAt)}`;
}

/** The line for a claim, or null when none of its evidence carries a read time. */
export function claimFreshnessText(result: Pick<ClaimResult, "checks">, findings: readonly Pick<Finding, "id" | "observedAt">[], now: Date | string, everyHours: number): string | null {
  const readAt = claimReadAt(result, findings);
  return readAt ? freshnessText(freshness(readAt, now, everyHours)) : null;
}
