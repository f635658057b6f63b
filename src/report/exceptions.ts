import type { AcceptedException } from "../issues/exceptions.js";
import type { ReportException } from "./model.js";

/** A gap accepted by closing its issue as not planned, as the report shows it. */
export function fromAcceptedException(e: AcceptedException): ReportException {
  const repo = e.scope === "org" || e.scope === "central" ? undefined : e.scope.split("/").pop();
  return { claimId: e.claimId, repo, reason: e.reason, url: e.issueUrl, acceptedBy: e.acceptedBy, acceptedAt: e.acceptedAt, expiresAt: e.expiresAt };
}
