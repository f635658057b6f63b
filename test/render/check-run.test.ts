import { describe, expect, it } from "vitest";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { observed } from "../../src/core/findings.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";
import { CHECK_OUTPUT_LIMIT, decideConclusion, renderCheckRun } from "../../src/render/check-run.js";
import { cell, fitWithin } from "../../src/render/markdown.js";

function assessment(findingCount = 0): Assessment {
  const where = { repo: "acme/api", source: "GET /repos/{owner}/{repo}/branches/{branch}/protection", url: "https://github.com/acme/api/settings/branches", observedAt: "2026-11-24T10:00:00.000Z" };
  const findings = [observed("branch-protection.pr-required", false, where)];
  for (let i = 0; i < findingCount; i += 1) findings.push(observed("branch-protection.required-checks" as never, [`check-${i}-${"x".repeat(200)}`] as never, where));
  return {
    owner: "acme",
    name: "api",
    repo: { id: 1, owner: "acme", name: "api", fullName: "acme/api", defaultBranch: "main", htmlUrl: "https://github.com/acme/api", archived: false, fork: false, visibility: "private", securityAndAnalysis: null },
    scope: { inScope: true },
    findings,
    results: evaluateClaims(findings, DEFAULT_CONFIG),
    requests: { rest: 5, graphql: 0, graphqlCost: 0 },
    startedAt: "2026-11-24T10:00:00.000Z",
    finishedAt: "2026-11-24T10:00:01.000Z",
  };
}

describe("check run rendering", () => {
  it("says when the organisation configuration it went by was read, when that was an earlier assessment's read", () => {
    const fresh = parseRepoConfig({}, ["Codertocat/.github:.github/claimcheck.yml"]);
    expect(renderCheckRun(assessment(), fresh).summary).not.toContain("organisation configuration was read at");
    const kept = renderCheckRun(assessment(), { ...fresh, sharedReadAt: "2026-11-24T09:47:12.000Z" }).summary;
    expect(kept).toContain("The organisation configuration was read at 2026-11-24 09:47 UTC (kept since; a push to its repository's default branch reads it again).");
  });

  it("summarises per principle with a title counting statuses", () => {
    const out = renderCheckRun(assessment(), { ok: true, config: DEFAULT_CONFIG, files: [] });
    expect(out.title).toBe("Code of Practice: 1 gap, 17 unknown");
    expect(out.summary).toContain("| **2.2.2** Only authorised personnel can make changes to the build environment. | ❌ gap | pr-required: the default branch accepts changes without a pull request |");
    expect(out.summary).toContain("at 2026-11-24 10:00 UTC");
  });

  it("truncates visibly at GitHub's output limit", () => {
    const out = renderCheckRun(assessment(400), { ok: true, config: DEFAULT_CONFIG, files: [] });
    expect(out.text.length).toBeLessThanOrEqual(CHECK_OUTPUT_LIMIT);
    expect(out.summary.length).toBeLessThanOrEqual(CHECK_OUTPUT_LIMIT);
    expect(out.text).toContain("✂️ **Truncated**");
  });

  it("fitWithin leaves short text alone and cuts long text at a line", () => {
    expect(fitWithin("short", 100, "x")).toBe("short");
    const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n");
    const cut = fitWithin(long, 300, "see the store");
    expect(cut.length).toBeLessThanOrEqual(300);
    expect(cut).toMatch(/line \d+\n\n> ✂️ \*\*Truncated\*\*: [\d,]+ characters did not fit GitHub's limit; see the store\.\n$/);
  });

  it("escapes table cells", () => {
    expect(cell("a|b\nc")).toBe("a\\|b c");
  });

  it("decides the conclusion from mode, gaps and configuration", () => {
    const a = assessment();
    expect(decideConclusion(a, { ok: true, config: DEFAULT_CONFIG, files: [] })).toBe("neutral");
    const enforce = parseRepoConfig({ mode: "enforce" });
    expect(decideConclusion(a, enforce)).toBe("failure");
    const clean = { ...a, results: a.results.map((r) => ({ ...r, status: r.status === "gap" ? ("partial" as const) : r.status })) };
    expect(decideConclusion(clean, enforce)).toBe("neutral");
    expect(decideConclusion(a, parseRepoConfig({ mode: "strict" }))).toBe("action_required");
  });
});

describe("the check run's first screen: what to do next", () => {
  function withOrgGap(): Assessment {
    const a = assessment();
    const where = { source: "GET /orgs/{org}", url: "https://github.com/organizations/acme/settings/security", observedAt: "2026-11-24T10:00:00.000Z" };
    const findings = [...a.findings, observed("org.2fa-required", false, where), observed("org.members-without-2fa", ["mallory"], where)];
    return { ...a, findings, results: evaluateClaims(findings, DEFAULT_CONFIG) };
  }
  const ok = { ok: true as const, config: DEFAULT_CONFIG, files: [] };

  it("opens with this repository's gaps, each with the action that closes it and its gap issue, before the tables", () => {
    const out = renderCheckRun(withOrgGap(), ok, [], [], { gapIssues: { "2.2.2": "https://github.com/acme/api/issues/7" }, repositoryIssues: "https://github.com/acme/api/issues?q=label", centralIssues: "https://github.com/acme/.github/issues?q=label", summaryIssue: "https://github.com/acme/.github/issues/3" });
    const lines = out.summary.split("\n");
    const next = lines.indexOf("### What to do next");
    expect(next).toBeGreaterThan(-1);
    expect(next).toBeLessThan(lines.findIndex((l) => l.startsWith("### 1.2 ")));
    expect(out.summary).toContain("**In this repository** (1 claim to fix, gaps first):");
    expect(out.summary).toContain("- ❌ gap **2.2.2** `pr-required`: Require a pull request before merging on the default branch, for administrators too (no bypass): https://github.com/acme/api/settings/branches or https://github.com/acme/api/settings/rules. → [gap issue #7](https://github.com/acme/api/issues/7)");
  });

  it("puts organisation-level items in their own section for the owners, linking the summary issue", () => {
    const out = renderCheckRun(withOrgGap(), ok, [], [], { gapIssues: {}, centralIssues: "https://github.com/acme/.github/issues?q=label", summaryIssue: "https://github.com/acme/.github/issues/3" });
    const owners = out.summary.indexOf("**For the organisation's owners** (1 claim judged once for `acme`, not fixable in this repository — see the [evidence summary issue](https://github.com/acme/.github/issues/3)):");
    expect(owners).toBeGreaterThan(out.summary.indexOf("**In this repository**"));
    expect(out.summary.slice(owners)).toMatch(/^.*\n\n- ❌ gap \*\*2\.1\.5\*\* `org-2fa-required`: Require two-factor authentication for the organisation: https:\/\/github\.com\/organizations\/acme\/settings\/security\. → \[gap issues\]\(https:\/\/github\.com\/acme\/\.github\/issues\?q=label\)/);
  });

  it("says there is nothing to fix here when no claim judged here is unmet, and links nothing when issues are off", () => {
    const a = assessment();
    const clean = { ...a, results: a.results.map((r) => (r.status === "gap" ? { ...r, status: "met" as const } : r)) };
    const out = renderCheckRun(clean, ok);
    expect(out.summary).toContain("**In this repository**: nothing to fix — no claim judged here is a gap or partial.");
    expect(out.summary).not.toContain("gap issue");
    expect(out.summary).toMatch(/\d+ claims are unknown — claimcheck could not see enough, and never counts that as met/);
  });
});

describe("the most decisive evidence first", () => {
  it("orders failing checks gap before partial, and what happened before how it is configured", async () => {
    const { byDecisiveness, mostDecisiveFailing } = await import("../../src/render/decisive.js");
    const check = (checkId: string, status: "gap" | "partial" | "met" | "unknown", supporting = false) => ({ claimId: "2.2.2", checkId, status, reason: "", supporting, evidence: [] });
    const checks = [check("pr-required", "met"), check("reviews-happened", "partial"), check("workflows-owned", "gap"), check("signed-commits", "partial"), check("no-direct-pushes", "unknown"), check("x", "gap", true)];
    expect(byDecisiveness(checks).map((c) => c.checkId)).toEqual(["reviews-happened", "workflows-owned", "signed-commits", "no-direct-pushes", "pr-required", "x"]);
    // "1 of 10 merged pull requests approved" (partial) leads a missing CODEOWNERS (gap).
    expect(mostDecisiveFailing([check("workflows-owned", "gap"), check("reviews-happened", "partial")])?.checkId).toBe("reviews-happened");
    expect(mostDecisiveFailing([check("signed-commits", "partial"), check("workflows-owned", "gap")])?.checkId).toBe("workflows-owned");
    expect(mostDecisiveFailing([check("pr-required", "met")])).toBeUndefined();
  });
});
