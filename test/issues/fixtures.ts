import { Octokit } from "@octokit/rest";
import { pino } from "pino";
import { claimById } from "../../src/core/catalogue.js";
import { observed } from "../../src/core/findings.js";
import { claimStatusFromChecks, type CheckStatus } from "../../src/core/status.js";
import type { ClaimResult } from "../../src/evaluation/types.js";
import type { RepositoryResults } from "../../src/issues/subjects.js";
import { parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.js";
import type { OctokitLike } from "../../src/github/client.js";

export const ORG = "acme";
export const silent = pino({ level: "silent" });

export function octokit(): OctokitLike {
  return new Octokit({ auth: "ghs_test", request: { retries: 0 } }) as unknown as OctokitLike;
}

export function config(raw: Record<string, unknown> = {}): RepoConfig {
  const parsed = parseRepoConfig(raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

/** A claim's result with its checks at the given statuses (`rest` when not named). */
export function claimResult(claimId: string, statuses: Record<string, CheckStatus>, repo?: string, rest: CheckStatus = "met"): ClaimResult {
  const spec = claimById(claimId)!;
  const url = repo ? `https://github.com/${repo}/settings/branches` : `https://github.com/orgs/${ORG}`;
  const checks = spec.checks.map((c) => ({
    claimId,
    checkId: c.id,
    status: statuses[c.id] ?? rest,
    reason: (statuses[c.id] ?? rest) !== "met" ? `${c.id} is not in place` : `${c.id} holds`,
    supporting: c.supporting === true,
    evidence: c.id === "pr-required" ? [{ findingId: "branch-protection.pr-required" as const, url, source: "test" }] : c.id === "org-2fa-required" ? [{ findingId: "org.2fa-required" as const, url, source: "test" }] : [],
  }));
  const status = claimStatusFromChecks(checks.filter((c) => !c.supporting).map((c) => c.status));
  return { claimId, principle: spec.principle, status, reason: status === "met" ? "every check is met" : `${checks.find((c) => c.status !== "met")?.checkId}: not in place`, checks };
}

export function repoResults(name: string, results: ClaimResult[], finishedAt = "2026-03-12T09:00:00.000Z"): RepositoryResults {
  const fullName = `${ORG}/${name}`;
  const where = { repo: fullName, source: "test", url: `https://github.com/${fullName}/settings/branches`, observedAt: finishedAt };
  return {
    fullName,
    inScope: true,
    results,
    findings: [observed("branch-protection.pr-required", results.some((r) => r.checks.some((c) => c.checkId === "pr-required" && c.status === "gap")) ? false : true, where), observed("org.2fa-required", true, { source: "test", url: `https://github.com/orgs/${ORG}`, observedAt: finishedAt })],
    finishedAt,
  };
}
