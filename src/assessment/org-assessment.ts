import type { RepoConfig } from "../config/repo-config.js";
import type { Finding } from "../core/findings.js";
import type { RequestCounts } from "../github/client.js";
import type { Assessment } from "./assess-repository.js";

/**
 * Everything read for one organisation in one run: the input of the organisation roll-up,
 * the self-assessment report and the evidence summary issue.
 */
export type OrgAssessment = {
  org: string;
  generatedAt: string;
  window: { days: number; since: string; until: string };
  /** The organisation-level configuration (its `.github` repository's claimcheck.yml, or defaults). */
  config: RepoConfig;
  /** One per repository read, in scope or not (out-of-scope ones carry the reason in `scope`). */
  repositories: Assessment[];
  /** Organisation findings, read once for the run (GitHub and the audit trail). */
  orgFindings: Finding[];
  /** Requests of the whole run, organisation reads included. */
  requests: RequestCounts;
};
