import { describe, expect, it } from "vitest";
import { CLAIMS, type ClaimSpec } from "../../src/core/catalogue.js";
import type { CheckJudge } from "../../src/evaluation/types.js";
import { observed, unreadable, type Finding } from "../../src/core/findings.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";
import { evaluateClaims, NOT_COLLECTED } from "../../src/evaluation/evaluate.js";

const where = { repo: "acme/api", source: "test", url: "https://github.com/acme/api/settings/branches", observedAt: "2026-11-24T00:00:00.000Z" };

function protection(overrides: Partial<Record<string, unknown>> = {}): Finding[] {
  const values: Record<string, unknown> = {
    "branch-protection.pr-required": true,
    "branch-protection.required-approvals": 1,
    "branch-protection.dismiss-stale-reviews": true,
    "branch-protection.code-owner-review": false,
    "branch-protection.last-push-approval": false,
    "branch-protection.required-checks": ["test"],
    "branch-protection.force-push-blocked": true,
    "branch-protection.deletion-blocked": true,
    "branch-protection.admins-enforced": true,
    "branch-protection.signed-commits": false,
    "branch-protection.bypass-actors": [],
    ...overrides,
  };
  return Object.entries(values).map(([id, value]) =>
    value === null ? unreadable(id as never, "HTTP 403: Resource not accessible by integration", where) : observed(id as never, value as never, where),
  );
}

const check = (results: ReturnType<typeof evaluateClaims>, claim: string, id: string) => results.find((r) => r.claimId === claim)!.checks.find((c) => c.checkId === id)!;

describe("evaluateClaims", () => {
  it("returns every catalogue claim, with every check", () => {
    const results = evaluateClaims([], DEFAULT_CONFIG);
    expect(results.map((r) => r.claimId)).toEqual(CLAIMS.map((c) => c.id));
    expect(results).toHaveLength(18);
    for (const r of results) expect(r.checks.map((c) => c.checkId)).toEqual(CLAIMS.find((c) => c.id === r.claimId)!.checks.map((c) => c.id));
  });

  it("reports checks without evidence as not collected yet, never met", () => {
    const results = evaluateClaims([], DEFAULT_CONFIG);
    for (const r of results) {
      expect(r.status).not.toBe("met");
      for (const c of r.checks) expect([c.status, c.reason]).toEqual(["unknown", NOT_COLLECTED]);
    }
  });

  it("keeps a claim with met checks and uncollected ones at partial", () => {
    const results = evaluateClaims(protection(), DEFAULT_CONFIG);
    const claim = results.find((r) => r.claimId === "2.2.2")!;
    expect(check(results, "2.2.2", "pr-required").status).toBe("met");
    expect(check(results, "2.2.2", "reviews-required").status).toBe("met");
    expect(check(results, "2.2.2", "no-force-push").status).toBe("met");
    expect(check(results, "2.2.2", "reviews-happened").status).toBe("unknown");
    expect(claim.status).toBe("partial");
    expect(claim.reason).toContain("not collected yet");
  });

  it("links each check to the findings it was judged on", () => {
    const results = evaluateClaims(protection(), DEFAULT_CONFIG);
    // Who may bypass the requirement is part of the evidence for it.
    expect(check(results, "1.3.2", "checks-required").evidence.map((e) => e.findingId)).toEqual([
      "branch-protection.required-checks",
      "branch-protection.admins-enforced",
      "branch-protection.bypass-actors",
    ]);
    expect(check(results, "1.3.2", "checks-required").evidence[0]).toEqual({ findingId: "branch-protection.required-checks", url: where.url, source: "test" });
  });

  it("makes a check unknown, with the reason, when a needed finding was unreadable", () => {
    const results = evaluateClaims(protection({ "branch-protection.required-checks": null }), DEFAULT_CONFIG);
    const c = check(results, "1.3.2", "checks-required");
    expect(c.status).toBe("unknown");
    expect(c.reason).toContain("HTTP 403");
  });

  it("says a shared reason once, naming every finding it hid", () => {
    const results = evaluateClaims(protection({ "branch-protection.force-push-blocked": null, "branch-protection.deletion-blocked": null }), DEFAULT_CONFIG);
    const c = check(results, "2.2.2", "no-force-push");
    expect(c.status).toBe("unknown");
    expect(c.reason).toBe("branch-protection.force-push-blocked and branch-protection.deletion-blocked could not be read: HTTP 403: Resource not accessible by integration");
  });

  it("names who can bypass a required pull request", () => {
    const results = evaluateClaims(
      protection({
        "branch-protection.admins-enforced": false,
        "branch-protection.bypass-actors": [{ ruleset: "main", actorType: "Team", actorId: 234, bypassMode: "always" }],
      }),
      DEFAULT_CONFIG,
    );
    const c = check(results, "2.2.2", "pr-required");
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("Team #234");
  });

  it("never calls a required pull request met when bypass could not be read", () => {
    const results = evaluateClaims(protection({ "branch-protection.admins-enforced": null }), DEFAULT_CONFIG);
    expect(check(results, "2.2.2", "pr-required").status).toBe("unknown");
  });

  it("judges a missing pull-request requirement a gap even if bypass is unknown", () => {
    const results = evaluateClaims(protection({ "branch-protection.pr-required": false, "branch-protection.admins-enforced": null }), DEFAULT_CONFIG);
    expect(check(results, "2.2.2", "pr-required").status).toBe("gap");
  });

  it("holds required reviews to the configured number", () => {
    const config = parseRepoConfig({ thresholds: { requiredApprovals: 2 } });
    expect(config.ok).toBe(true);
    const results = evaluateClaims(protection(), config.config);
    expect(check(results, "2.2.2", "reviews-required").status).toBe("partial");
    expect(check(evaluateClaims(protection({ "branch-protection.required-approvals": 0 }), DEFAULT_CONFIG), "2.2.2", "reviews-required").status).toBe("gap");
    expect(check(evaluateClaims(protection({ "branch-protection.dismiss-stale-reviews": false }), DEFAULT_CONFIG), "2.2.2", "reviews-required").status).toBe("partial");
  });

  it("distinguishes force push and deletion", () => {
    const judge = (force: boolean, del: boolean) =>
      check(evaluateClaims(protection({ "branch-protection.force-push-blocked": force, "branch-protection.deletion-blocked": del }), DEFAULT_CONFIG), "2.2.2", "no-force-push").status;
    expect([judge(true, true), judge(true, false), judge(false, true), judge(false, false)]).toEqual(["met", "partial", "partial", "gap"]);
  });

  it("judges no required checks a gap", () => {
    expect(check(evaluateClaims(protection({ "branch-protection.required-checks": [] }), DEFAULT_CONFIG), "1.3.2", "checks-required").status).toBe("gap");
  });

  it("shows supplied evidence for a claim GitHub cannot show as attested, and otherwise unknown", () => {
    const config = parseRepoConfig({ evidence: { "1.3.1": { url: "https://intranet.example/test-plan", note: "v3, approved" } } });
    expect(config.ok).toBe(true);
    const results = evaluateClaims([], config.config);
    const attested = results.find((r) => r.claimId === "1.3.1")!;
    expect(attested.status).toBe("attested");
    expect(attested.attested).toEqual({ url: "https://intranet.example/test-plan", note: "v3, approved" });
    const other = results.find((r) => r.claimId === "2.1.2")!;
    expect(other.status).toBe("unknown");
    expect(other.reason).toContain('evidence."2.1.2"');
  });
});

describe("the reason of a claim with nothing pressing", () => {
  const claim = { id: "9.9.9", principle: "9.9", text: "A test claim.", coverage: "full", scope: "repo", checks: [{ id: "a", judges: "a" }, { id: "b", judges: "b" }] } as unknown as ClaimSpec;
  const judgeAs = (a: "met" | "not_applicable", b: "met" | "not_applicable"): CheckJudge[] => [
    { claimId: "9.9.9", checkId: "a", needs: [], judge: () => ({ status: a, reason: `a is ${a}` }) },
    { claimId: "9.9.9", checkId: "b", needs: [], judge: () => ({ status: b, reason: `b is ${b}` }) },
  ];
  const reasonOf = (a: "met" | "not_applicable", b: "met" | "not_applicable") => evaluateClaims([], DEFAULT_CONFIG, judgeAs(a, b), [claim])[0]!;

  it("says every check is met only when all were", () => {
    expect(reasonOf("met", "met")).toMatchObject({ status: "met", reason: "every check is met" });
  });

  it("names the checks that did not apply", () => {
    expect(reasonOf("met", "not_applicable")).toMatchObject({ status: "met", reason: "every applicable check is met (1 of 2 not applicable; b: b is not_applicable)" });
    expect(reasonOf("not_applicable", "not_applicable")).toMatchObject({ status: "not_applicable", reason: "nothing to judge; a: a is not_applicable" });
  });
});

describe("protection that someone may bypass", () => {
  const PROTECTION_CHECKS = [
    ["2.2.2", "pr-required"],
    ["2.2.2", "reviews-required"],
    ["2.2.2", "no-force-push"],
    ["1.3.2", "checks-required"],
  ] as const;
  const actor = { actorType: "RepositoryRole", actorId: 5, bypassMode: "always", ruleset: "main" };

  it.each(PROTECTION_CHECKS)("%s %s is met only when the rules bind everyone", (claim, id) => {
    expect(check(evaluateClaims(protection(), DEFAULT_CONFIG), claim, id).status).toBe("met");
    const bypassed = check(evaluateClaims(protection({ "branch-protection.admins-enforced": false, "branch-protection.bypass-actors": [actor] }), DEFAULT_CONFIG), claim, id);
    expect(bypassed.status).toBe("partial");
    expect(bypassed.reason).toContain('RepositoryRole #5 (always, ruleset "main")');
    const adminsExempt = check(evaluateClaims(protection({ "branch-protection.admins-enforced": false }), DEFAULT_CONFIG), claim, id);
    expect(adminsExempt).toMatchObject({ status: "partial", reason: expect.stringContaining("administrators are exempt") });
    expect(check(evaluateClaims(protection({ "branch-protection.admins-enforced": null }), DEFAULT_CONFIG), claim, id).status).toBe("unknown");
  });

  it("leaves a gap a gap, whoever may bypass", () => {
    const none = check(evaluateClaims(protection({ "branch-protection.required-checks": [], "branch-protection.admins-enforced": null }), DEFAULT_CONFIG), "1.3.2", "checks-required");
    expect(none.status).toBe("gap");
  });
});
