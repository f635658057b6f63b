import { observed, type Finding } from "../core/findings.js";
import { accessReviewRows } from "../store/issue-records.js";
import type { Store } from "../store/store.js";

/**
 * `access.last-review` from claimcheck's own store: the newest access review issue a person closed
 * as completed (null when none was). Closed as not planned, or by a bot, is not a review.
 */
export async function accessReviewFindings(store: Store, installationId: number, options: { now: Date; org: string }): Promise<Finding[]> {
  const completed = (await accessReviewRows(store, installationId))
    .filter((r) => r.stateReason === "completed" && r.closedAt !== null && r.closedBy !== null)
    .sort((a, b) => (b.closedAt ?? "").localeCompare(a.closedAt ?? ""))[0];
  const url = completed?.issueUrl ?? `https://github.com/orgs/${options.org}`;
  const value = completed ? { closedAt: completed.closedAt!, closedBy: completed.closedBy!, issueUrl: completed.issueUrl } : null;
  return [observed("access.last-review", value, { source: "claimcheck access reviews", url, observedAt: options.now.toISOString() })];
}
