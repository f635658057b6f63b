import { describe, expect, it } from "vitest";
import { renderGapIssue, type GapSubject } from "../../src/issues/gap-issue.js";
import type { CheckResult } from "../../src/evaluation/types.js";

const check = (checkId: string, status: CheckResult["status"], reason: string): CheckResult => ({ claimId: "2.2.2", checkId, status, reason, supporting: false, evidence: [] });

function subject(status: "gap" | "partial", checks: CheckResult[]): GapSubject {
  return { org: "acme", claimId: "2.2.2", scope: "acme/api", status, reason: `${checks.find((c) => c.status !== "met")?.checkId}: claim reason`, checks, findings: [], checkedAt: "2026-11-24T09:30:00.000Z" };
}

describe("gap issue wording", () => {
  it("says gap or partial in the title, and heads a partial claim as partial", () => {
    const partial = renderGapIssue(subject("partial", [check("pr-required", "met", "required"), check("workflows-owned", "gap", "no CODEOWNERS file")]), { expireAfterDays: 180 });
    expect(partial.title).toBe("Code of Practice 2.2.2 (partial): Only authorised personnel can make changes to the build environment");
    expect(partial.body).toContain("### Why this is partial");
    expect(partial.body).not.toContain("Why this is a gap");
    const gap = renderGapIssue(subject("gap", [check("pr-required", "gap", "no pull request required")]), { expireAfterDays: 180 });
    expect(gap.title).toMatch(/^Code of Practice 2\.2\.2 \(gap\): /);
    expect(gap.body).toContain("### Why this is a gap");
  });

  it("leads with the most decisive evidence: what happened before how it is configured", () => {
    const rendered = renderGapIssue(
      subject("gap", [check("pr-required", "met", "required"), check("workflows-owned", "gap", "no CODEOWNERS file on the default branch"), check("reviews-happened", "partial", "1 of 10 merged pull requests approved by someone other than the author")]),
      { expireAfterDays: 180 },
    );
    const body = rendered.body;
    expect(body.indexOf("| `reviews-happened` |")).toBeLessThan(body.indexOf("| `workflows-owned` |"));
    expect(body.indexOf("| `workflows-owned` |")).toBeLessThan(body.indexOf("| `pr-required` |"));
    expect(body).toContain("> reviews-happened: 1 of 10 merged pull requests approved by someone other than the author");
    expect(body.indexOf("- `reviews-happened`:")).toBeLessThan(body.indexOf("- `workflows-owned`:"));
  });
});
