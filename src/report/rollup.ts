import type { OrgAssessment } from "../assessment/org-assessment.js";
import { CLAIMS, type CheckSpec, type ClaimSpec } from "../core/catalogue.js";
import { FINDINGS, isFindingId, type FindingId } from "../core/findings.js";
import { claimStatusFromChecks, rollUpRepositories, STATUSES, type CheckStatus, type Status } from "../core/status.js";
import { evaluateClaims } from "../evaluation/evaluate.js";
import { JUDGES } from "../evaluation/judges.js";
import type { CheckJudge, ClaimResult, EvidenceLink } from "../evaluation/types.js";
import { slotsOf, type RepositoryDigest } from "./digest.js";
import { StatusList } from "./statuses.js";

/*
 * The organisation-wide status of each claim and check, from the per-repository results the
 * evaluation already produced. Nothing is judged again here: repository statuses are rolled up
 * with the catalogue's own rule, and organisation checks come from one evaluation of the
 * organisation's findings.
 */

export type StatusCounts = Record<Status, number>;
export type { RepoStatus } from "./statuses.js";

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
  repositories: StatusList;
  /** An organisation check's evidence links; empty for a repository check, whose evidence is the claim's (`ClaimReport.evidence`). */
  evidence: EvidenceLink[];
};

export type ClaimRollUp = {
  claim: ClaimSpec;
  status: Status;
  /** Repositories per status (repository claims only: an organisation claim is judged once). */
  counts: StatusCounts;
  repositories: StatusList;
  checks: CheckRollUp[];
  attested: { url: string; note?: string } | null;
  /** The finding ids the claim's checks are judged on. */
  findingIds: FindingId[];
};

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as StatusCounts;
}

type Gathered = { repositories: StatusList; counts: StatusCounts; status: Status };

/**
 * Each slot's (`slotsOf`) statuses over the repositories, counted as they are gathered. One pass
 * over the repositories, each digest's slots read together: slot by slot, every status would be
 * fetched from memory far from the last.
 */
function gatherAll(inScope: readonly RepositoryDigest[], slots: number): Gathered[] {
  const codes = Array.from({ length: slots }, () => new Uint8Array(inScope.length));
  const reasons = Array.from({ length: slots }, () => new Array<string>(inScope.length));
  const counts = Array.from({ length: slots }, () => new Uint32Array(STATUSES.length));
  for (let i = 0; i < inScope.length; i += 1) {
    const { statuses, reasons: own } = inScope[i]!;
    for (let slot = 0; slot < slots; slot += 1) {
      const code = statuses[slot]!;
      codes[slot]![i] = code;
      reasons[slot]![i] = own[slot]!;
      counts[slot]![code]! += 1;
    }
  }
  const names = inScope.map((d) => d.name);
  return codes.map((statuses, slot) => {
    const repositories = new StatusList(names, statuses, reasons[slot]!);
    const n = counts[slot]!;
    const byStatus = emptyCounts();
    STATUSES.forEach((s, k) => (byStatus[s] = n[k]!));
    // The roll-up depends only on which statuses occur (and whether any do), so each status seen stands for its repositories.
    return { repositories, counts: byStatus, status: rollUpRepositories(STATUSES.filter((s) => byStatus[s] > 0)) };
  });
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

function rollUpCheck(claim: ClaimSpec, check: CheckSpec, gathered: Gathered, orgResult: ClaimResult | undefined, judges: readonly CheckJudge[]): CheckRollUp {
  const judge = judgeOf(claim.id, check.id, judges);
  const level = levelOf(judge);
  const base = { checkId: check.id, judges: check.judges, supporting: check.supporting === true, level };
  if (level === "org") {
    const result = orgResult?.checks.find((c) => c.checkId === check.id);
    const status: CheckStatus = result?.status ?? "unknown";
    return { ...base, status, reason: result?.reason ?? "not judged", counts: emptyCounts(), repositories: StatusList.EMPTY, evidence: result?.evidence ?? [] };
  }
  const { repositories, counts, status } = gathered;
  // A repository check's evidence is each repository's, shown with the claim's evidence (`ClaimReport.evidence`).
  return { ...base, status, reason: "", counts, repositories, evidence: [] };
}

function rollUpClaim(claim: ClaimSpec, slot: number, gathered: readonly Gathered[], orgResults: readonly ClaimResult[], judges: readonly CheckJudge[]): ClaimRollUp {
  const orgResult = orgResults.find((r) => r.claimId === claim.id);
  const checks = claim.checks.map((check, checkAt) => rollUpCheck(claim, check, gathered[slot + 1 + checkAt]!, orgResult, judges));
  const findingIds = [...new Set(claim.checks.flatMap((check) => findingIdsOf(judgeOf(claim.id, check.id, judges))))];
  const base = { claim, checks, findingIds, attested: orgResult?.attested ?? null };
  if (claim.scope === "repo") {
    const { repositories, counts, status } = gathered[slot]!;
    return { ...base, status, counts, repositories };
  }
  // GitHub cannot show an `outside` claim: its status is the organisation's attested evidence or unknown, never its supporting checks.
  if (claim.coverage === "outside") return { ...base, status: orgResult?.status ?? "unknown", counts: emptyCounts(), repositories: StatusList.EMPTY };
  const deciding = checks.filter((c) => !c.supporting).map((c) => (c.status === "attested" ? "unknown" : c.status));
  return { ...base, status: claimStatusFromChecks(deciding), counts: emptyCounts(), repositories: StatusList.EMPTY };
}

export type RollUpOptions = {
  /** Organisation-level claim results when the findings and configuration they came from are not at hand (stored reports). */
  orgResults?: readonly ClaimResult[];
  judges?: readonly CheckJudge[];
  claims?: readonly ClaimSpec[];
};

/** What the roll-up reads of a run besides its repositories. */
export type RunHead = Pick<OrgAssessment, "orgFindings" | "config">;

/**
 * Pure: one roll-up per claim, in catalogue order, from the digests of the repositories in
 * scope (in report order), made against the same claims (`options.claims`).
 */
export function rollUpClaims(run: RunHead, inScope: readonly RepositoryDigest[], options: RollUpOptions = {}): ClaimRollUp[] {
  const judges = options.judges ?? JUDGES;
  const claims = options.claims ?? CLAIMS;
  const orgResults = options.orgResults ?? evaluateClaims(run.orgFindings, run.config, judges, claims);
  const slots = slotsOf(claims);
  const gathered = gatherAll(inScope, slots[claims.length]!);
  return claims.map((claim, claimAt) => rollUpClaim(claim, slots[claimAt]!, gathered, orgResults, judges));
}
