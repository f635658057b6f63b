import type { Assessment } from "../assessment/assess-repository.js";
import type { OrgAssessment } from "../assessment/org-assessment.js";
import { CLAIMS, type CheckSpec, type ClaimSpec } from "../core/catalogue.js";
import { FINDINGS, isFindingId, type FindingId } from "../core/findings.js";
import { claimStatusFromChecks, rollUpRepositories, STATUSES, type CheckStatus, type Status } from "../core/status.js";
import { evaluateClaims } from "../evaluation/evaluate.js";
import { JUDGES } from "../evaluation/judges.js";
import type { CheckJudge, CheckResult, ClaimResult, EvidenceLink } from "../evaluation/types.js";

/*
 * The organisation-wide status of each claim and check, from the per-repository results the
 * evaluation already produced. Nothing is judged again here: repository statuses are rolled up
 * with the catalogue's own rule, and organisation checks come from one evaluation of the
 * organisation's findings.
 */

export type StatusCounts = Record<Status, number>;
export type RepoStatus = { repo: string; status: Status; reason: string };

export type CheckRollUp = {
  checkId: string;
  judges: string;
  supporting: boolean;
  /** `org`: judged once on organisation findings; `repo`: rolled up over the repositories in scope. */
  level: "org" | "repo";
  status: Status;
  /** The judge's reason for an organisation check; empty for a repository check (see `repositories`). */
  reason: string;
  counts: StatusCounts;
  repositories: RepoStatus[];
  evidence: EvidenceLink[];
};

export type ClaimRollUp = {
  claim: ClaimSpec;
  status: Status;
  /** Repositories per status (repository claims only: an organisation claim is judged once). */
  counts: StatusCounts;
  repositories: RepoStatus[];
  checks: CheckRollUp[];
  attested: { url: string; note?: string } | null;
  /** The finding ids the claim's checks are judged on. */
  findingIds: FindingId[];
};

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as StatusCounts;
}

function countOf(statuses: readonly RepoStatus[]): StatusCounts {
  const counts = emptyCounts();
  for (const s of statuses) counts[s.status] += 1;
  return counts;
}

function judgeOf(claimId: string, checkId: string, judges: readonly CheckJudge[]): CheckJudge | undefined {
  return judges.find((j) => j.claimId === claimId && j.checkId === checkId);
}

function findingIdsOf(judge: CheckJudge | undefined): FindingId[] {
  return judge ? [...judge.needs, ...(judge.uses ?? [])] : [];
}

/** A check judged on any repository finding is rolled up over repositories; one judged only on organisation findings is judged once. */
function levelOf(judge: CheckJudge | undefined): "org" | "repo" {
  return findingIdsOf(judge).some((id) => isFindingId(id) && FINDINGS[id].scope === "repo") ? "repo" : "org";
}

/*
 * Each repository's results indexed once (by claim, then check) and reused by every claim and
 * check of the report: looking them up by scanning made building a 10,000-repository report
 * cost claims × checks × results per repository.
 */
type ResultIndex = Map<string, { claim: ClaimResult; checks: Map<string, CheckResult> }>;
const indexes = new WeakMap<Assessment, ResultIndex>();

function indexOf(assessment: Assessment): ResultIndex {
  let index = indexes.get(assessment);
  if (!index) {
    index = new Map();
    for (const claim of assessment.results) if (!index.has(claim.claimId)) index.set(claim.claimId, { claim, checks: new Map(claim.checks.map((c) => [c.checkId, c])) });
    indexes.set(assessment, index);
  }
  return index;
}

function claimIn(assessment: Assessment, claimId: string): ClaimResult | undefined {
  return indexOf(assessment).get(claimId)?.claim;
}

function checkIn(assessment: Assessment, claimId: string, checkId: string): CheckResult | undefined {
  return indexOf(assessment).get(claimId)?.checks.get(checkId);
}

function rollUpCheck(claim: ClaimSpec, check: CheckSpec, inScope: readonly Assessment[], orgResult: ClaimResult | undefined, judges: readonly CheckJudge[]): CheckRollUp {
  const judge = judgeOf(claim.id, check.id, judges);
  const level = levelOf(judge);
  const base = { checkId: check.id, judges: check.judges, supporting: check.supporting === true, level };
  if (level === "org") {
    const result = orgResult?.checks.find((c) => c.checkId === check.id);
    const status: CheckStatus = result?.status ?? "unknown";
    return { ...base, status, reason: result?.reason ?? "not judged", counts: emptyCounts(), repositories: [], evidence: result?.evidence ?? [] };
  }
  const repositories = inScope.map((a) => {
    const result = checkIn(a, claim.id, check.id);
    return { repo: a.name, status: result?.status ?? "unknown", reason: result?.reason ?? "not judged for this repository" } satisfies RepoStatus;
  });
  const evidence = inScope.flatMap((a) => checkIn(a, claim.id, check.id)?.evidence ?? []);
  return { ...base, status: rollUpRepositories(repositories.map((r) => r.status)), reason: "", counts: countOf(repositories), repositories, evidence };
}

function rollUpClaim(claim: ClaimSpec, inScope: readonly Assessment[], orgResults: readonly ClaimResult[], judges: readonly CheckJudge[]): ClaimRollUp {
  const orgResult = orgResults.find((r) => r.claimId === claim.id);
  const checks = claim.checks.map((check) => rollUpCheck(claim, check, inScope, orgResult, judges));
  const findingIds = [...new Set(claim.checks.flatMap((check) => findingIdsOf(judgeOf(claim.id, check.id, judges))))];
  const base = { claim, checks, findingIds, attested: orgResult?.attested ?? null };
  if (claim.scope === "repo") {
    const repositories = inScope.map((a) => {
      const result = claimIn(a, claim.id);
      return { repo: a.name, status: result?.status ?? "unknown", reason: result?.reason ?? "not judged for this repository" } satisfies RepoStatus;
    });
    return { ...base, status: rollUpRepositories(repositories.map((r) => r.status)), counts: countOf(repositories), repositories };
  }
  // GitHub cannot show an `outside` claim: its status is the organisation's attested evidence or unknown, never its supporting checks.
  if (claim.coverage === "outside") return { ...base, status: orgResult?.status ?? "unknown", counts: emptyCounts(), repositories: [] };
  const deciding = checks.filter((c) => !c.supporting).map((c) => (c.status === "attested" ? "unknown" : c.status));
  return { ...base, status: claimStatusFromChecks(deciding), counts: emptyCounts(), repositories: [] };
}

export type RollUpOptions = {
  /** Organisation-level claim results when the findings and configuration they came from are not at hand (stored reports). */
  orgResults?: readonly ClaimResult[];
  judges?: readonly CheckJudge[];
  claims?: readonly ClaimSpec[];
};

export function inScopeRepositories(run: OrgAssessment): Assessment[] {
  return [...run.repositories].filter((a) => a.scope.inScope).sort((a, b) => a.name.localeCompare(b.name));
}

/** Pure: one roll-up per catalogue claim, in catalogue order. */
export function rollUpClaims(run: OrgAssessment, options: RollUpOptions = {}): ClaimRollUp[] {
  const judges = options.judges ?? JUDGES;
  const claims = options.claims ?? CLAIMS;
  const orgResults = options.orgResults ?? evaluateClaims(run.orgFindings, run.config, judges, claims);
  const inScope = inScopeRepositories(run);
  return claims.map((claim) => rollUpClaim(claim, inScope, orgResults, judges));
}
