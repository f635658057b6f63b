import { describe, expect, it } from "vitest";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";
import { observed } from "../../src/core/findings.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";
import { renderGapIssue } from "../../src/issues/gap-issue.js";
import { renderSummaryIssue } from "../../src/issues/summary-issue.js";
import { renderCheckRun } from "../../src/render/check-run.js";
import { claimReadAt, freshness, freshnessText } from "../../src/render/freshness.js";
import { buildReport } from "../../src/report/model.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { fact, orgRun, TEST_OPTIONS } from "../report/fixtures.js";

const where = (observedAt: string) => ({ repo: "acme/api", source: "GET /repos/{owner}/{repo}/branches/{branch}/protection", url: "https://github.com/acme/api/settings/branches", observedAt });

function assessment(protectionReadAt: string, finishedAt: string): Assessment {
  const findings = [observed("branch-protection.pr-required", false, where(protectionReadAt))];
  return {
    owner: "acme",
    name: "api",
    repo: { id: 1, owner: "acme", name: "api", fullName: "acme/api", defaultBranch: "main", htmlUrl: "https://github.com/acme/api", archived: false, fork: false, visibility: "private", securityAndAnalysis: null },
    scope: { inScope: true },
    findings,
    results: evaluateClaims(findings, DEFAULT_CONFIG),
    requests: { rest: 5, graphql: 0, graphqlCost: 0 },
    startedAt: finishedAt,
    finishedAt,
  };
}

describe("evidence freshness", () => {
  it("is stale only past twice the cadence", () => {
    expect(freshness("2026-11-26T12:00:00Z", "2026-11-28T12:00:00Z", 24).stale).toBe(false);
    expect(freshness("2026-11-26T11:59:00Z", "2026-11-28T12:00:00Z", 24).stale).toBe(true);
    expect(freshness("2026-11-28T00:00:00Z", "2026-11-28T12:00:00Z", 4).stale).toBe(true);
    expect(freshnessText(freshness("2026-11-20T08:00:00.000Z", "2026-11-28T12:00:00Z", 24))).toBe("⚠️ stale: evidence read 2026-11-20 08:00 UTC, more than 48 h ago");
    expect(freshnessText(freshness("2026-11-28T08:00:00.000Z", "2026-11-28T12:00:00Z", 24))).toBe("evidence read 2026-11-28 08:00 UTC");
  });

  it("dates a claim by its oldest evidence", () => {
    const result = { checks: [{ evidence: [{ findingId: "a" }, { findingId: "b" }] }] } as never;
    expect(claimReadAt(result, [{ id: "a" as never, observedAt: "2026-11-02T00:00:00Z" }, { id: "b" as never, observedAt: "2026-11-01T00:00:00Z" }, { id: "c" as never, observedAt: "2020-01-01T00:00:00Z" }])).toBe("2026-11-01T00:00:00Z");
  });

  it("the check run shows when each claim's evidence was read, and flags evidence carried over from days ago", () => {
    const fresh = renderCheckRun(assessment("2026-11-28T10:00:00.000Z", "2026-11-28T10:00:01.000Z"), { ok: true, config: DEFAULT_CONFIG, files: [] });
    expect(fresh.text).toContain("_evidence read 2026-11-28 10:00 UTC_");
    expect(fresh.text).not.toContain("⚠️ stale");
    const carried = renderCheckRun(assessment("2026-11-20T10:00:00.000Z", "2026-11-28T10:00:01.000Z"), { ok: true, config: DEFAULT_CONFIG, files: [] });
    expect(carried.text).toContain("⚠️ stale: evidence read 2026-11-20 10:00 UTC, more than 48 h ago");
    // The cadence is the configured one.
    const weekly = parseRepoConfig({ reassessment: { everyHours: 168 } });
    expect(renderCheckRun(assessment("2026-11-20T10:00:00.000Z", "2026-11-28T10:00:01.000Z"), weekly).text).not.toContain("⚠️ stale");
  });

  it("the report flags a claim whose stored evidence is older than twice the cadence", () => {
    const run = { ...orgRun([{ name: "api", findings: [fact("branch-protection.pr-required", true, "api")] }]), generatedAt: "2026-12-01T12:00:00.000Z" };
    const report = buildReport(run, TEST_OPTIONS);
    expect(renderMarkdown(report)).toContain("⚠️ stale: evidence read 2026-11-24 12:00 UTC, more than 48 h ago");
    expect(renderMarkdown(report, { everyHours: 24 * 30 })).not.toContain("⚠️ stale");
  });

  it("a gap issue is rewritten when its evidence turns stale, not when it is merely read again", () => {
    const a = assessment("2026-11-28T10:00:00.000Z", "2026-11-28T10:00:01.000Z");
    const claim = a.results.find((r) => r.claimId === "2.2.2")!;
    const subject = (readAt: string, checkedAt: string) => ({ org: "acme", claimId: "2.2.2", scope: "acme/api", status: claim.status, reason: claim.reason, checks: claim.checks, findings: [observed("branch-protection.pr-required", false, where(readAt))], checkedAt });
    const first = renderGapIssue(subject("2026-11-28T10:00:00.000Z", "2026-11-28T10:00:01.000Z"), { expireAfterDays: 180 });
    const reread = renderGapIssue(subject("2026-11-29T10:00:00.000Z", "2026-11-29T10:00:01.000Z"), { expireAfterDays: 180 });
    const stale = renderGapIssue(subject("2026-11-25T10:00:00.000Z", "2026-11-29T10:00:01.000Z"), { expireAfterDays: 180 });
    expect(first.body).toContain("evidence read 2026-11-28 10:00 UTC");
    expect(reread.hash).toBe(first.hash);
    expect(stale.hash).not.toBe(first.hash);
    expect(stale.body).toContain("⚠️ stale: evidence read 2026-11-25 10:00 UTC");
  });

  it("the summary issue marks a claim whose oldest evidence is stale, and dates the oldest read in its footer", () => {
    const input = (readAt: string) => ({
      org: "acme",
      collectedAt: "2026-11-29T10:00:00.000Z",
      now: "2026-11-29T10:00:00.000Z",
      everyHours: 24,
      repositories: { inScope: 1, outOfScope: 0 },
      claims: [{ claimId: "2.2.2", status: "gap" as const, counts: { met: 0, partial: 0, gap: 1, other: 0 }, lastChange: null, issues: [], readAt }],
      exceptions: [],
      deferred: [],
      unavailable: [],
      closedByPeople: [],
    });
    const fresh = renderSummaryIssue(input("2026-11-29T09:00:00.000Z"));
    const reread = renderSummaryIssue(input("2026-11-29T09:30:00.000Z"));
    const stale = renderSummaryIssue(input("2026-11-25T09:00:00.000Z"));
    expect(fresh.body).toContain("the oldest evidence was read 2026-11-29 09:00 UTC");
    expect(reread.hash).toBe(fresh.hash);
    expect(stale.hash).not.toBe(fresh.hash);
    expect(stale.body).toContain("❌ gap · ⚠️ stale: evidence read 2026-11-25 09:00 UTC, more than 48 h ago");
  });
});
