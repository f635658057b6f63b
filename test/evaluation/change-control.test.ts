import { describe, expect, it } from "vitest";
import { observed, unreadable, type Finding, type FindingId } from "../../src/core/findings.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";

const where = { repo: "octo-org/api", source: "test", url: "https://github.com/octo-org/api/blob/main/.github/CODEOWNERS", observedAt: "2026-11-24T12:00:00.000Z" };
const f = (values: Partial<Record<FindingId, unknown>>): Finding[] =>
  Object.entries(values).map(([id, v]) => (v instanceof Error ? unreadable(id as FindingId, v.message, where) : observed(id as FindingId, v as never, where)));

function check(findings: Finding[], id: string, config = DEFAULT_CONFIG) {
  return evaluateClaims(findings, config).find((r) => r.claimId === "2.2.2")!.checks.find((c) => c.checkId === id)!;
}

const OWNED = {
  "codeowners.present": true,
  "codeowners.path": ".github/CODEOWNERS",
  "codeowners.errors": [],
  "codeowners.covers-workflows": true,
  "branch-protection.code-owner-review": true,
};

describe("workflows-owned (2.2.2)", () => {
  it("is met only when the file covers the workflows, has no errors and code-owner review is required", () => {
    const c = check(f(OWNED), "workflows-owned");
    expect(c.status).toBe("met");
    expect(c.reason).toContain(".github/CODEOWNERS");
    expect(c.evidence.map((e) => e.findingId)).toContain("branch-protection.code-owner-review");
  });

  it("is a gap without a CODEOWNERS file, whatever the protection says", () => {
    const c = check(f({ ...OWNED, "codeowners.present": false, "codeowners.path": null, "codeowners.covers-workflows": false }), "workflows-owned");
    expect(c.status).toBe("gap");
    expect(c.reason).toContain("no CODEOWNERS file");
    expect(c.reason).toContain("code-owner review is required, but there are no code owners");
  });

  it("is a gap when the workflows have no owner", () => {
    const c = check(f({ ...OWNED, "codeowners.covers-workflows": false }), "workflows-owned");
    expect(c.status).toBe("gap");
    expect(c.reason).toContain("`.github/workflows/` without a code owner");
  });

  it("is partial when owners are asked but their review is not required", () => {
    const c = check(f({ ...OWNED, "branch-protection.code-owner-review": false }), "workflows-owned");
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("code-owner review is not required");
  });

  it("is partial when GitHub reports errors in the file, naming them", () => {
    const c = check(f({ ...OWNED, "codeowners.errors": [".github/CODEOWNERS line 7: Invalid owner: *.txt docs@"] }), "workflows-owned");
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("1 error in .github/CODEOWNERS");
    expect(c.reason).toContain("line 7");
  });

  it("is unknown, never met, when a part could not be read and nothing else fails", () => {
    for (const id of ["codeowners.covers-workflows", "codeowners.errors", "branch-protection.code-owner-review"] as const) {
      const c = check(f({ ...OWNED, [id]: new Error(`${id} refused`) }), "workflows-owned");
      expect(c.status, id).toBe("unknown");
      expect(c.reason).toContain(`${id} refused`);
    }
  });

  it("still reports what fails beside what could not be read", () => {
    const c = check(f({ ...OWNED, "codeowners.covers-workflows": new Error("depends on line 2"), "branch-protection.code-owner-review": false }), "workflows-owned");
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("depends on line 2");
  });

  it("is unknown when whether the file exists could not be read", () => {
    expect(check(f({ ...OWNED, "codeowners.present": new Error("refused") }), "workflows-owned").status).toBe("unknown");
  });
});

describe("signed-commits (2.2.2)", () => {
  const history = (verified: number, total: number) => ({ "commits.verified": { total, verified } });

  it("is met when signed commits are required", () => {
    const c = check(f({ "branch-protection.signed-commits": true, ...history(3, 10) }), "signed-commits");
    expect(c.status).toBe("met");
    expect(c.reason).toContain("3 of 10");
  });

  it("is met when signing is not required but nearly all commits verified", () => {
    const c = check(f({ "branch-protection.signed-commits": false, ...history(19, 20) }), "signed-commits");
    expect(c.status).toBe("met");
    expect(c.reason).toContain("19 of 20 default-branch commits in the window (95.0%)");
  });

  it("is partial below the threshold and a gap with no verified commit", () => {
    expect(check(f({ "branch-protection.signed-commits": false, ...history(18, 20) }), "signed-commits").status).toBe("partial");
    expect(check(f({ "branch-protection.signed-commits": false, ...history(0, 20) }), "signed-commits").status).toBe("gap");
  });

  it("takes the threshold from configuration", () => {
    const outcome = parseRepoConfig({ thresholds: { verifiedCommitRate: 0.8 } });
    expect(outcome.ok).toBe(true);
    expect(check(f({ "branch-protection.signed-commits": false, ...history(17, 20) }), "signed-commits", outcome.config).status).toBe("met");
  });

  it("is never met on zero commits when signing is not required", () => {
    const c = check(f({ "branch-protection.signed-commits": false, ...history(0, 0) }), "signed-commits");
    expect(c.status).toBe("gap");
    expect(c.reason).toContain("no default-branch commits in the window");
  });

  it("is met by the rate even when the requirement could not be read, and unknown below it", () => {
    expect(check(f({ "branch-protection.signed-commits": new Error("403"), ...history(20, 20) }), "signed-commits").status).toBe("met");
    const below = check(f({ "branch-protection.signed-commits": new Error("403"), ...history(5, 20) }), "signed-commits");
    expect(below.status).toBe("unknown");
    expect(below.reason).toContain("403");
    expect(check(f({ "branch-protection.signed-commits": new Error("403"), ...history(0, 0) }), "signed-commits").status).toBe("unknown");
  });

  it("is met by the requirement even when the commits could not be read, and unknown otherwise", () => {
    expect(check(f({ "branch-protection.signed-commits": true, "commits.verified": new Error("too many commits") }), "signed-commits").status).toBe("met");
    const c = check(f({ "branch-protection.signed-commits": false, "commits.verified": new Error("too many commits") }), "signed-commits");
    expect(c.status).toBe("unknown");
    expect(c.reason).toContain("too many commits");
  });

  it("is unknown when neither was collected", () => {
    expect(check([], "signed-commits").status).toBe("unknown");
  });
});
