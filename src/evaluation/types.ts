import type { CheckStatus, Status } from "../core/status.js";
import type { Finding, FindingId, FindingValue } from "../core/findings.js";
import type { RepoConfig, Thresholds } from "../config/repo-config.js";

export type EvidenceLink = { findingId: FindingId; url: string; source: string };

export type CheckResult = {
  claimId: string;
  checkId: string;
  status: CheckStatus;
  reason: string;
  supporting: boolean;
  evidence: EvidenceLink[];
};

export type ClaimResult = {
  claimId: string;
  principle: string;
  status: Status;
  reason: string;
  checks: CheckResult[];
  attested?: { url: string; note?: string };
};

/** Read-only access to the findings a judge declared; `needs` are guaranteed readable. */
export type FindingView = {
  value<K extends FindingId>(id: K): FindingValue<K>;
  /** For findings a judge only `uses`: the value, or null with the reason it is missing. */
  maybe<K extends FindingId>(id: K): { value: FindingValue<K> } | { value: null; reason: string };
  finding(id: FindingId): Finding | undefined;
};

export type Verdict = { status: CheckStatus; reason: string };

/**
 * How one check is judged. A check with no judge, or whose needed findings no collector
 * produced, is `unknown` ("not collected yet"); one whose needed finding was unreadable is
 * `unknown` with that finding's error. Judges never see a null they did not ask for.
 */
export type CheckJudge = {
  claimId: string;
  checkId: string;
  needs: readonly FindingId[];
  uses?: readonly FindingId[];
  judge(view: FindingView, thresholds: Thresholds, config: RepoConfig): Verdict;
};
