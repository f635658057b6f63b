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
