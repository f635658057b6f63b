import { describe, expect, it } from "vitest";
import { observed, unreadable, type Finding, type FindingId } from "../../src/core/findings.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";

const where = { repo: "octo-org/api", source: "test", url: "https://github.com/octo-org/api/settings/branches", observedAt: "2026-11-24T12:00:00.000Z" };
const f = (values: Partial<Record<FindingId, unknown>>): Finding[] =>
  Object.entries(values).map(([id, v]) => (v instanceof Error ? unreadable(id as FindingId, v.message, where) : observed(id as FindingId, v as never, where)));
const check = (findings: Finding[], claim: string, id: string) => evaluateClaims(findings, DEFAULT_CONFIG).find((r) => r.claimId === claim)!.checks.find((c) => c.checkId === id)!;

const enforced = { "branch-protection.admins-enforced": true, "branch-protection.bypass-actors": [] };

describe("branch protection judged as GitHub applies it", () => {
  it("qualifies every met rule that someone can bypass", () => {
    const bypass = { "branch-protection.admins-enforced": false, "branch-protection.bypass-actors": [{ actorType: "RepositoryRole", actorId: 5, bypassMode: "always", ruleset: "main" }] };
    expect(check(f({ "branch-protection.pr-required": true, ...bypass }), "2.2.2", "pr-required")).toMatchObject({ status: "partial", reason: expect.stringContaining("can bypass") });
    expect(check(f({ "branch-protection.force-push-blocked": true, "branch-protection.deletion-blocked": true, "branch-protection.admins-enforced": new Error("HTTP 403") }), "2.2.2", "no-force-push").status).toBe("unknown");
    expect(check(f({ "branch-protection.force-push-blocked": true, "branch-protection.deletion-blocked": true, ...bypass }), "2.2.2", "no-force-push").status).toBe("partial");
    expect(check(f({ "branch-protection.required-checks": ["test"], ...bypass }), "1.3.2", "checks-required").status).toBe("partial");
  });

  it("does not take claimcheck's own check run as a required CI check", () => {
    const own = check(f({ "branch-protection.required-checks": ["Code of Practice evidence"], ...enforced }), "1.3.2", "checks-required");
    expect(own).toMatchObject({ status: "gap", reason: expect.stringContaining("claimcheck's own") });
    expect(check(f({ "branch-protection.required-checks": ["Code of Practice evidence", "test"], ...enforced }), "1.3.2", "checks-required")).toMatchObject({ status: "met", reason: expect.stringContaining("`test`") });
  });

  it("does not call required reviews met when a workflow's token may give the approval", () => {
    const rules = { "branch-protection.required-approvals": 1, "branch-protection.dismiss-stale-reviews": true, ...enforced };
    expect(check(f({ ...rules, "actions.can-approve-prs": false }), "2.2.2", "reviews-required").status).toBe("met");
    expect(check(f({ ...rules, "actions.can-approve-prs": true }), "2.2.2", "reviews-required")).toMatchObject({ status: "partial", reason: expect.stringContaining("GitHub Actions may approve") });
    expect(check(f({ ...rules, "actions.can-approve-prs": new Error("HTTP 403") }), "2.2.2", "reviews-required").status).toBe("unknown");
    expect(check(f({ ...rules, "branch-protection.dismiss-stale-reviews": false, "actions.can-approve-prs": false }), "2.2.2", "reviews-required").status).toBe("partial");
  });
});
