import { describe, expect, it } from "vitest";
import { findingSchema } from "../../src/core/findings.js";
import { defaultBranchHistoryCollector, historyFragment, summariseHistory, type BranchCommit } from "../../src/collectors/default-branch-history.js";
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
    // No count from GitHub: a full page.
    expect(requests[0]!.variables).toMatchObject({ qualifiedBranch: "refs/heads/main", histFirst: 100, histCursor: "c1" });
    expect(findings.find((f) => f.id === "commits.verified")?.value).toEqual({ total: 101, verified: 101 });
    expect(findings.find((f) => f.id === "commits.direct-pushes")?.value).toBe(1);
  });

  it("takes a listed merge commit as come through its pull request, and asks GitHub only about the other commits", async () => {
    const merged = { ...commit("2026-11-01T00:00:00Z", "SUCCESS"), associatedPullRequests: undefined };
    const pushed = { ...commit("2026-11-02T00:00:00Z", "SUCCESS"), associatedPullRequests: undefined };
    const branch = { ...commit("2026-11-03T00:00:00Z", "SUCCESS"), associatedPullRequests: undefined };
    const requests = mockGraphql(() => ({
      data: { rateLimit: { cost: 1 }, repository: { c0: { oid: pushed.oid, associatedPullRequests: { totalCount: 0 } }, c1: { oid: branch.oid, associatedPullRequests: { totalCount: 1 } } } },
    }));
    const ctx = collectContext({
      repositoryData: {
        hist_branch: { target: { history: { totalCount: 3, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [merged, pushed, branch] } } },
        hist_merges: { nodes: [{ mergeCommit: { oid: merged.oid } }, { mergeCommit: null }, null] },
      },
    });
    const findings = await defaultBranchHistoryCollector.collect(ctx);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.query).toContain("associatedPullRequests(first: 1)");
    expect(requests[0]!.variables).toMatchObject({ c0: pushed.oid, c1: branch.oid });
    expect(requests[0]!.variables).not.toHaveProperty("c2");
    expect(findings.find((f) => f.id === "commits.direct-pushes")?.value).toBe(1);
  });

  it("asks nothing when every commit is a listed merge commit", async () => {
    const commits = [commit("2026-11-01T00:00:00Z", "SUCCESS"), commit("2026-11-02T00:00:00Z", "FAILURE")].map((c) => ({ ...c, associatedPullRequests: undefined }));
    const ctx = collectContext({
      repositoryData: { hist_branch: { target: { history: { totalCount: 2, pageInfo: { hasNextPage: false, endCursor: null }, nodes: commits } } }, hist_merges: { nodes: commits.map((c) => ({ mergeCommit: { oid: c.oid } })) } },
    });
    const findings = await defaultBranchHistoryCollector.collect(ctx);
    expect(ctx.client.counts.graphql).toBe(0);
    expect(findings.find((f) => f.id === "commits.direct-pushes")?.value).toBe(0);
  });

  it("says direct pushes are unknown, not none, when GitHub does not answer for a commit", async () => {
    const lone = { ...commit("2026-11-01T00:00:00Z", "SUCCESS"), associatedPullRequests: undefined };
    mockGraphql(() => ({ data: { rateLimit: { cost: 1 }, repository: { c0: null } } }));
    const ctx = collectContext({ repositoryData: { hist_branch: { target: { history: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [lone] } } }, hist_merges: { nodes: [] } } });
    const findings = await defaultBranchHistoryCollector.collect(ctx);
    const direct = findings.find((f) => f.id === "commits.direct-pushes")!;
    expect(direct.value).toBeNull();
    expect(direct.error).toContain("did not say whether 1 default-branch commit came through a pull request");
    // The rest of the history stands.
    expect(findings.find((f) => f.id === "commits.verified")?.value).toEqual({ total: 1, verified: 1 });
  });

  it("nests one connection under each commit, and none asks which pull request a commit came through", () => {
    const fields = historyFragment.text.slice(historyFragment.text.indexOf("fragment claimcheckBranchCommit"));
    expect([...fields.matchAll(/(\w+)\((?:first|last):/g)].map((m) => m[1])).toEqual(["contexts"]);
    expect(historyFragment.text).not.toContain("associatedPullRequests");
  });
});
