import { describe, expect, it } from "vitest";
import { findingSchema } from "../../src/core/findings.js";
import { defaultBranchHistoryCollector, summariseHistory, type BranchCommit } from "../../src/collectors/default-branch-history.js";
import { collectContext, NOW } from "../helpers/collect.js";
import { mockGraphql } from "../helpers/graphql.js";
import { checkRollup } from "../helpers/repository-graphql.js";

let n = 0;
function commit(at: string, state: string | null, { pr = true, signed = true } = {}): BranchCommit {
  n += 1;
  return {
    oid: n.toString(16).padStart(40, "0"),
    committedDate: at,
    signature: signed ? { isValid: true } : null,
    associatedPullRequests: { totalCount: pr ? 1 : 0 },
    statusCheckRollup: checkRollup(state as never) as never,
  };
}

describe("summariseHistory", () => {
  it("counts direct pushes, verified commits and the green rate", () => {
    const s = summariseHistory(
      [commit("2026-11-01T00:00:00Z", "SUCCESS"), commit("2026-11-02T00:00:00Z", "FAILURE", { pr: false, signed: false }), commit("2026-11-02T06:00:00Z", "SUCCESS"), commit("2026-11-03T00:00:00Z", null), commit("2026-11-03T01:00:00Z", "PENDING")],
      NOW,
    );
    expect(s["commits.direct-pushes"]).toBe(1);
    expect(s["commits.verified"]).toEqual({ total: 5, verified: 4 });
    expect(s["ci.default-branch-runs"]).toBe(3);
    expect(s["ci.default-branch-success-rate"]).toBe(0.667);
    expect(s["ci.default-branch-hours-to-green"]).toBe(6);
  });

  it("counts a branch still red up to now, so never-recovered cannot look fast", () => {
    const s = summariseHistory([commit("2026-11-23T12:00:00Z", "FAILURE"), commit("2026-11-23T13:00:00Z", "ERROR")], NOW);
    expect(s["ci.default-branch-hours-to-green"]).toBe(24);
    expect(s["ci.default-branch-success-rate"]).toBe(0);
  });

  it("has no rate and no time to green without finished checks, and orders commits by date", () => {
    expect(summariseHistory([], NOW)).toMatchObject({ "ci.default-branch-success-rate": null, "ci.default-branch-hours-to-green": null, "commits.verified": { total: 0, verified: 0 } });
    const s = summariseHistory([commit("2026-11-02T04:00:00Z", "SUCCESS"), commit("2026-11-02T00:00:00Z", "FAILURE")], NOW);
    expect(s["ci.default-branch-hours-to-green"]).toBe(4);
  });
});

describe("defaultBranchHistoryCollector", () => {
  it("treats an empty repository as no commits, not an error", async () => {
    const findings = await defaultBranchHistoryCollector.collect(collectContext({ repositoryData: { hist_branch: null } }));
    expect(findings.find((f) => f.id === "commits.direct-pushes")?.value).toBe(0);
    for (const f of findings) expect(findingSchema.safeParse(f).success).toBe(true);
  });

  it("pages through more than 100 commits", async () => {
    const page1 = Array.from({ length: 100 }, (_, i) => commit(`2026-11-0${1 + (i % 9)}T00:00:00Z`, "SUCCESS"));
    const requests = mockGraphql(() => ({
      data: { rateLimit: { cost: 1 }, repository: { hist_branch: { target: { history: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [commit("2026-11-10T00:00:00Z", "SUCCESS", { pr: false })] } } } } },
    }));
    const ctx = collectContext({ repositoryData: { hist_branch: { target: { history: { pageInfo: { hasNextPage: true, endCursor: "c1" }, nodes: page1 } } } } });
    const findings = await defaultBranchHistoryCollector.collect(ctx);
    expect(requests[0]!.variables).toMatchObject({ qualifiedBranch: "refs/heads/main", cursor: "c1" });
    expect(findings.find((f) => f.id === "commits.verified")?.value).toEqual({ total: 101, verified: 101 });
    expect(findings.find((f) => f.id === "commits.direct-pushes")?.value).toBe(1);
  });
});
