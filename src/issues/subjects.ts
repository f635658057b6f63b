import { claimById, CLAIMS } from "../core/catalogue.js";
import type { Finding } from "../core/findings.js";
import { rollUpRepositories, type Status } from "../core/status.js";
import type { CheckResult, ClaimResult } from "../evaluation/types.js";
import type { GapSubject } from "./gap-issue.js";
import type { IssueTarget } from "./plan.js";

/** The latest assessment of one repository, as far as issues need it. */
export type RepositoryResults = { fullName: string; inScope: boolean; results: ClaimResult[]; findings: Finding[]; finishedAt: string };

export type Routing = { org: string; centralRepository: string; central: boolean };

export type Subject = { subject: GapSubject; target: IssueTarget };

function targetOf(fullName: string): IssueTarget {
  const [owner, repo] = fullName.split("/") as [string, string];
  return { owner, repo };
}

function rolledChecks(claimId: string, perRepo: { fullName: string; result: ClaimResult }[]): CheckResult[] {
  const spec = claimById(claimId);
  return (spec?.checks ?? []).map((check) => {
    const rows = perRepo.map((r) => ({ fullName: r.fullName, check: r.result.checks.find((c) => c.checkId === check.id) }));
    const statuses = rows.map((r) => r.check?.status ?? "unknown");
    const status = rollUpRepositories(statuses) as CheckResult["status"];
    const failing = rows.filter((r) => r.check?.status === "gap" || r.check?.status === "partial").map((r) => r.fullName.split("/")[1] ?? r.fullName);
    const reason = failing.length === 0 ? `${statuses.filter((s) => s === "met").length} of ${rows.length} repositories met` : `not met in ${failing.length} of ${rows.length} repositories: ${failing.join(", ")}`;
    return { claimId, checkId: check.id, status, reason, supporting: check.supporting === true, evidence: [] };
  });
}

/**
 * One subject per claim and scope: repository claims in their repository (or, with `central`,
 * one per claim in the central repository listing the repositories), organisation claims once in
 * the central repository, judged on the newest assessment.
 */
export function subjectsOf(latest: readonly RepositoryResults[], routing: Routing): Subject[] {
  const inScope = latest.filter((r) => r.inScope);
  const central = targetOf(`${routing.org}/${routing.centralRepository}`);
  const subjects: Subject[] = [];
  const newest = [...inScope].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0];
  for (const claim of CLAIMS) {
    if (claim.scope === "org") {
      const result = newest?.results.find((r) => r.claimId === claim.id);
      if (!newest || !result) continue;
      const findings = newest.findings.filter((f) => f.scope === "org");
      subjects.push({ target: central, subject: { org: routing.org, claimId: claim.id, scope: "org", status: result.status, reason: result.reason, checks: result.checks, findings, checkedAt: newest.finishedAt } });
      continue;
    }
    const perRepo = inScope.flatMap((r) => {
      const result = r.results.find((x) => x.claimId === claim.id);
      return result ? [{ fullName: r.fullName, result, findings: r.findings, finishedAt: r.finishedAt }] : [];
    });
    if (routing.central) {
      if (perRepo.length === 0) continue;
      const status: Status = rollUpRepositories(perRepo.map((r) => r.result.status));
      const repositories = perRepo.map((r) => ({ fullName: r.fullName, status: r.result.status, reason: r.result.reason }));
      const unmet = repositories.filter((r) => r.status === "gap" || r.status === "partial").length;
      const reason = unmet === 0 ? `met in every repository judged` : `${unmet} of ${perRepo.length} repositories do not meet the claim`;
      const checkedAt = perRepo.map((r) => r.finishedAt).sort().at(-1) ?? "";
      subjects.push({ target: central, subject: { org: routing.org, claimId: claim.id, scope: "central", status, reason, checks: rolledChecks(claim.id, perRepo), findings: [], repositories, checkedAt } });
      continue;
    }
    for (const r of perRepo) {
      subjects.push({ target: targetOf(r.fullName), subject: { org: routing.org, claimId: claim.id, scope: r.fullName, status: r.result.status, reason: r.result.reason, checks: r.result.checks, findings: r.findings, checkedAt: r.finishedAt } });
    }
  }
  return subjects;
}

/** The organisation-level status of each claim and, for repository claims, the repositories by status. */
export type OrgStatus = { claimId: string; status: Status; counts: { met: number; partial: number; gap: number; other: number } | null };

export function orgStatuses(latest: readonly RepositoryResults[]): OrgStatus[] {
  const inScope = latest.filter((r) => r.inScope);
  const newest = [...inScope].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0];
  return CLAIMS.flatMap((claim): OrgStatus[] => {
    if (claim.scope === "org") {
      const result = newest?.results.find((r) => r.claimId === claim.id);
      return result ? [{ claimId: claim.id, status: result.status, counts: null }] : [];
    }
    const statuses = inScope.flatMap((r) => r.results.filter((x) => x.claimId === claim.id).map((x) => x.status));
    if (statuses.length === 0) return [];
    const count = (s: Status) => statuses.filter((x) => x === s).length;
    return [{ claimId: claim.id, status: rollUpRepositories(statuses), counts: { met: count("met"), partial: count("partial"), gap: count("gap"), other: statuses.length - count("met") - count("partial") - count("gap") } }];
  });
}
