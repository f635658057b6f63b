import { describe, expect, it } from "vitest";
import { observed, unreadable, type Finding, type FindingId } from "../../src/core/findings.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";

const where = { repo: "octo-org/api", source: "test", url: "https://github.com/octo-org/api/pulls", observedAt: "2026-11-24T12:00:00.000Z" };
const f = (values: Partial<Record<FindingId, unknown>>): Finding[] =>
  Object.entries(values).map(([id, v]) => (v instanceof Error ? unreadable(id as FindingId, v.message, where) : observed(id as FindingId, v as never, where)));

function check(findings: Finding[], claim: string, id: string, config = DEFAULT_CONFIG) {
  return evaluateClaims(findings, config).find((r) => r.claimId === claim)!.checks.find((c) => c.checkId === id)!;
}

const reviews = (merged: number, approved: number, onFinal = approved, unreviewed: string[] = [], outdated: string[] = []) => ({
  "reviews.merged-prs": merged,
  "reviews.independently-approved": approved,
  "reviews.approved-on-final-commit": onFinal,
  "reviews.unreviewed": unreviewed,
  "reviews.approval-outdated": outdated,
  "reviews.bot-approved-only": [],
});

describe("reviews-happened", () => {
  it("is not applicable, not met, with no merges in the window", () => {
    expect(check(f(reviews(0, 0)), "2.2.2", "reviews-happened").status).toBe("not_applicable");
  });

  it("meets the threshold, or names the unreviewed merges", () => {
    expect(check(f(reviews(100, 96)), "2.2.2", "reviews-happened").status).toBe("met");
    const c = check(f(reviews(100, 90, 90, ["https://github.com/octo-org/api/pull/7"])), "2.2.2", "reviews-happened");
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("90 of 100 merged pull requests (90.0%)");
    expect(c.reason).toContain("pull/7");
    expect(check(f(reviews(3, 0)), "2.2.2", "reviews-happened").status).toBe("gap");
  });

  it("counts only approvals of the final commit where the rules demand it", () => {
    const findings = f({ ...reviews(10, 10, 5, [], ["https://github.com/octo-org/api/pull/3"]), "branch-protection.last-push-approval": true });
    const c = check(findings, "2.2.2", "reviews-happened");
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("on their final commit");
  });

  it("counts only approvals of the final commit where stale approvals are kept, too: nobody approved what came after", () => {
    const kept = f({ ...reviews(10, 10, 5, [], ["https://github.com/octo-org/api/pull/3"]), "branch-protection.last-push-approval": false, "branch-protection.dismiss-stale-reviews": false });
    const c = check(kept, "2.2.2", "reviews-happened");
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("5 of 10");
    expect(c.reason).toContain("approved only on an earlier commit than the one merged (this branch keeps stale approvals): https://github.com/octo-org/api/pull/3");
    // Unknown rules change nothing: the approval of an earlier commit is still not one of what merged.
    expect(check(f(reviews(10, 10, 5)), "2.2.2", "reviews-happened").status).toBe("partial");
  });

  it("is unknown when the pull requests could not be read", () => {
    const c = check(f({ ...reviews(1, 1), "reviews.merged-prs": new Error("HTTP 502") }), "2.2.2", "reviews-happened");
    expect(c.status).toBe("unknown");
    expect(c.reason).toContain("HTTP 502");
  });
});

describe("CI and history checks", () => {
  it("judges direct pushes", () => {
    expect(check(f({ "commits.direct-pushes": 0, "commits.verified": { total: 10, verified: 0 } }), "2.2.2", "no-direct-pushes").status).toBe("met");
    expect(check(f({ "commits.direct-pushes": 2, "commits.verified": { total: 10, verified: 0 } }), "2.2.2", "no-direct-pushes").status).toBe("gap");
    expect(check(f({ "commits.direct-pushes": 0, "commits.verified": { total: 0, verified: 0 } }), "2.2.2", "no-direct-pushes").status).toBe("not_applicable");
  });

  it("judges checks on merged PRs and red merges against their thresholds", () => {
    expect(check(f({ "reviews.merged-prs": 10, "ci.merged-with-checks": 9 }), "1.3.2", "ci-on-prs").status).toBe("met");
    expect(check(f({ "reviews.merged-prs": 10, "ci.merged-with-checks": 5 }), "1.3.2", "ci-on-prs").status).toBe("partial");
    const red = (n: number) => f({ "reviews.merged-prs": 20, "ci.merged-green": 20 - n, "ci.merged-red-or-unchecked": Array.from({ length: n }, (_, i) => `u${i}`) });
    expect(check(red(1), "1.3.3", "no-red-merges").status).toBe("met");
    expect(check(red(2), "1.3.3", "no-red-merges").status).toBe("partial");
    expect(check(red(20), "1.3.3", "no-red-merges").status).toBe("gap");
    const strict = parseRepoConfig({ thresholds: { redMergeMaxRate: 0 } }).config;
    expect(check(red(1), "1.3.3", "no-red-merges", strict).status).toBe("partial");
  });

  it("judges the default branch's record", () => {
    const branch = (runs: number, rate: number | null, hours: number | null) => f({ "ci.default-branch-runs": runs, "ci.default-branch-success-rate": rate, "ci.default-branch-hours-to-green": hours });
    expect(check(branch(0, null, null), "1.3.3", "main-green-rate").status).toBe("not_applicable");
    expect(check(branch(0, null, null), "1.3.3", "main-recovers").status).toBe("not_applicable");
    expect(check(branch(10, 1, null), "1.3.3", "main-recovers").status).toBe("met");
    expect(check(branch(10, 0.8, 30), "1.3.3", "main-recovers").status).toBe("partial");
    expect(check(branch(10, 0.8, 30), "1.3.3", "main-green-rate").status).toBe("partial");
    expect(check(branch(10, 0.95, 2), "1.3.3", "main-green-rate").status).toBe("met");
  });
});

describe("dependency update checks", () => {
  it("judges update PRs green at merge, and automerge without required checks", () => {
    const health = (merged: number, green: number) => ({ "deps.update-prs-merge-health": { merged, green, notGreen: Array.from({ length: merged - green }, (_, i) => `u${i}`) } });
    expect(check(f(health(0, 0)), "1.2.4", "update-prs-green").status).toBe("not_applicable");
    expect(check(f(health(4, 4)), "1.2.4", "update-prs-green").status).toBe("met");
    expect(check(f(health(4, 3)), "1.2.4", "update-prs-green").status).toBe("partial");
    const automerge = { "deps.update-config": { renovate: ["renovate.json"], dependabot: null, automerge: true } };
    expect(check(f({ ...health(4, 4), ...automerge, "branch-protection.required-checks": [] }), "1.2.4", "update-prs-green").status).toBe("partial");
    expect(check(f({ ...health(4, 4), ...automerge, "branch-protection.required-checks": ["ci"] }), "1.2.4", "update-prs-green").status).toBe("met");
    expect(check(f({ ...health(4, 4), ...automerge }), "1.2.4", "update-prs-green").status).toBe("unknown");
  });

  it("judges the flow of update PRs", () => {
    const flow = (v: object) => check(f({ "deps.update-prs": { opened: 5, merged: 4, closedUnmerged: 0, openOlderThanThreshold: 0, medianHoursToMerge: 48, ...v } }), "1.2.5", "update-prs-flow");
    expect(flow({}).status).toBe("met");
    expect(flow({ openOlderThanThreshold: 2 }).status).toBe("partial");
    expect(flow({ medianHoursToMerge: 24 * 20 }).status).toBe("partial");
    expect(flow({ merged: 0, medianHoursToMerge: null }).status).toBe("gap");
    expect(flow({ opened: 0, merged: 0, medianHoursToMerge: null }).status).toBe("not_applicable");
  });

  it("judges PRs that change dependencies", () => {
    expect(check(f({ "deps.new-dependency-prs": { merged: 2, greenAndApproved: 2, urls: [] } }), "1.2.3", "new-deps-tested").status).toBe("met");
    expect(check(f({ "deps.new-dependency-prs": { merged: 2, greenAndApproved: 0, urls: ["a", "b"] } }), "1.2.3", "new-deps-tested").status).toBe("gap");
    expect(check(f({ "deps.new-dependency-prs": { merged: 0, greenAndApproved: 0, urls: [] } }), "1.2.3", "new-deps-tested").status).toBe("not_applicable");
  });
});
