import { describe, expect, it } from "vitest";
import { staleDefaultBranch } from "../../src/collectors/default-branch-check.js";
import { defaultBranchHistoryCollector, historyFragment } from "../../src/collectors/default-branch-history.js";
import { pullRequestsCollector, pullRequestsFragment } from "../../src/collectors/pull-requests.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { collectContext, testRepo } from "../helpers/collect.js";
import { schemaErrors } from "../helpers/graphql.js";
import { quietRepositoryData } from "../helpers/repository-graphql.js";

/*
 * An organisation-wide run now takes each repository's default branch from the organisation's
 * list for up to 15 minutes (LISTING_MAX_AGE_MS) instead of reading GET /repos/{owner}/{repo}
 * seconds before the batched query. A default branch renamed in between (master -> main) makes
 * `ref(qualifiedName: "refs/heads/master")` null, which the history collector takes for an
 * empty repository: no commits, no direct push, observed. A repository with commits is not
 * empty; GitHub says so in the same query for nothing (`isEmpty`, `defaultBranchRef { name }`,
 * no connection), and then the findings must be unknown (or the repository read again).
 */
describe("a default branch renamed after the organisation's list was read", () => {
  it("does not observe 'no direct push' on a non-empty repository whose listed branch no longer exists", async () => {
    const ctx = collectContext({
      repo: testRepo({ defaultBranch: "master" }),
      // The ref is gone; the repository is not empty and its default branch is now main. The field
      // names a fix reads may be aliased differently: both spellings are given.
      repositoryData: { hist_branch: null, hist_merges: { nodes: [] }, isEmpty: false, hist_isEmpty: false, defaultBranchRef: { name: "main" }, hist_default: { name: "main" } },
    });
    const findings = await defaultBranchHistoryCollector.collect(ctx);
    // Today: 0 direct pushes and { total: 0, verified: 0 }, observed.
    expect(findings.find((f) => f.id === "commits.direct-pushes")!.value).toBeNull();
  });

  it("does not observe 'no merged pull request' when the listed branch is no longer the default", async () => {
    const ctx = collectContext({ repo: testRepo({ defaultBranch: "master" }), repositoryData: quietRepositoryData({ pr_isEmpty: false, pr_default: { name: "main" } }) });
    const findings = await pullRequestsCollector.collect(ctx);
    const merged = findings.find((f) => f.id === "reviews.merged-prs")!;
    expect(merged.value).toBeNull();
    expect(JSON.stringify(merged)).toContain('now \\"main\\"');
  });

  it("still observes an empty repository, and a branch that is the default", async () => {
    const empty = collectContext({ repo: testRepo({ defaultBranch: "main" }), repositoryData: { hist_branch: null, hist_merges: { nodes: [] }, hist_isEmpty: true, hist_default: null } });
    expect((await defaultBranchHistoryCollector.collect(empty)).find((f) => f.id === "commits.direct-pushes")!.value).toBe(0);
    const same = collectContext({ repo: testRepo({ defaultBranch: "main" }), repositoryData: quietRepositoryData({ hist_isEmpty: false, hist_default: { name: "main" } }) });
    expect((await defaultBranchHistoryCollector.collect(same)).find((f) => f.id === "commits.direct-pushes")!.value).toBe(0);
  });

  it("says why for a non-empty repository without a default branch", () => {
    expect(staleDefaultBranch(false, null, "main")).toMatch(/not empty/);
    expect(staleDefaultBranch(true, null, "main")).toBeNull();
    expect(staleDefaultBranch(undefined, undefined, "main")).toBeNull();
  });

  it("asks with a query GitHub's schema accepts", () => {
    expect(schemaErrors(buildRepositoryQuery([historyFragment, pullRequestsFragment]))).toEqual([]);
  });
});
