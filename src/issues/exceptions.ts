import type { Store } from "../store/store.js";
import { activeExceptions } from "../store/issue-records.js";

/** A gap a person accepted by closing its issue as not planned. */
export type AcceptedException = {
  claimId: string;
  /** `org`, a repository's full name, or `central`. */
  scope: string;
  acceptedBy: string;
  acceptedAt: string;
  /** The closing comment, or a note that there was none. */
  reason: string;
  expiresAt: string;
  issueUrl: string;
};

/**
 * The exceptions in force for an installation (for the report and the summary issue): accepted,
 * not ended, not yet expired. One that expired is shown no more even before the next assessment.
 */
export async function acceptedExceptions(store: Store, installationId: number, now: Date = new Date()): Promise<AcceptedException[]> {
  return (await activeExceptions(store, installationId))
    .filter((e) => Date.parse(e.expiresAt) > now.getTime())
    .map((e) => ({ claimId: e.claimId, scope: e.scope, acceptedBy: e.acceptedBy, acceptedAt: e.acceptedAt, reason: e.reason, expiresAt: e.expiresAt, issueUrl: e.issueUrl }))
    .sort((a, b) => a.claimId.localeCompare(b.claimId, "en", { numeric: true }) || a.scope.localeCompare(b.scope));
}
