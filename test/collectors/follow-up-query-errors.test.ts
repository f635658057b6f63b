import nock from "nock";
import { describe, expect, it } from "vitest";
import { defaultBranchHistoryCollector, FIRST_HISTORY_PAGE, type BranchCommit } from "../../src/collectors/default-branch-history.js";
import { FIRST_MERGED_PAGE, pullRequestsCollector, type MergedPr } from "../../src/collectors/pull-requests.js";
import { collectContext } from "../helpers/collect.js";
import { API } from "../helpers/github-api.js";
import { mockGraphql } from "../helpers/graphql.js";
import { checkRollup, mergedPullRequest, quietRepositoryData } from "../helpers/repository-graphql.js";

/*
 * An error GitHub reports beside a partial answer makes the findings it touches unknown, in the
 * batched query and in every follow-up query: later pages of merged pull requests and of commits,
 * pull requests read again by number, and the question of which pull request brought a commit in.
 * A node GitHub nulled beside an error must never be dropped as if it did not exist. With first
 * pages of FIRST_MERGED_PAGE and FIRST_HISTORY_PAGE (31 each), the 32nd pull request or commit of a window is read by a follow-up query, and
 * whether a commit came through a pull request is always one.
 */

function merged(i: number, approvedBy: string | null, at = "2026-11-10T12:00:00Z"): MergedPr {
  return mergedPullRequest({ number: i, approvedBy, mergedAt: at, updatedAt: at, withNumber: false }) as unknown as MergedPr;
}

let n = 0;
function commit(at: string): BranchCommit {
  n += 1;
  return { oid: n.toString(16).padStart(40, "0"), committedDate: at, signature: { isValid: true }, statusCheckRollup: checkRollup("SUCCESS") as never };
}

describe("errors GitHub reports beside a later page's answer", () => {
  it("does not drop a merged pull request GitHub nulled on the second page", async () => {
    const firstPage = Array.from({ length: FIRST_MERGED_PAGE }, (_, i) => merged(i + 1, "bob"));
    const old = merged(99, "bob", "2025-01-01T00:00:00Z");
    mockGraphql(() => ({
      data: { rateLimit: { cost: 1 }, repository: { pr_merged: { pageInfo: { hasNextPage: true, endCursor: "c2" }, nodes: [null, old] } } },
      errors: [{ path: ["repository", "pr_merged", "nodes", 0, "headRefOid"], message: "Something went wrong while executing your query." }],
    }));
    const recent = [...firstPage.map((p) => ({ updatedAt: p.updatedAt })), { updatedAt: "2026-11-09T12:00:00Z" }, { updatedAt: old.updatedAt }];
    const findings = await pullRequestsCollector.collect(
      collectContext({ repositoryData: quietRepositoryData({ pr_merged: { pageInfo: { hasNextPage: true, endCursor: "c1" }, nodes: firstPage }, pr_recent: { nodes: recent } }) }),
    );
    // Without the check: 31 merged, all reviewed; the 32nd, whatever it was, gone without a word.
    expect(findings.find((f) => f.id === "reviews.merged-prs")!.value).toBeNull();
    expect(findings.find((f) => f.id === "reviews.unreviewed")!.value).toBeNull();
  });

  it("does not drop a default-branch commit GitHub nulled on the second history page", async () => {
    const firstPage = Array.from({ length: FIRST_HISTORY_PAGE }, () => commit("2026-11-10T00:00:00Z"));
    mockGraphql(
      (request) =>
        request.query.includes("claimcheckWindowPages(")
          ? {
              data: { rateLimit: { cost: 1 }, repository: { hist_branch: { target: { history: { totalCount: 26, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [null] } } } } },
              errors: [{ path: ["repository", "hist_branch", "target", "history", "nodes", 0, "oid"], message: "Something went wrong while executing your query." }],
            }
          : { data: { rateLimit: { cost: 1 }, repository: {} } },
      2,
    );
    const ctx = collectContext({
      repositoryData: {
        hist_branch: { target: { history: { totalCount: 26, pageInfo: { hasNextPage: true, endCursor: "c1" }, nodes: firstPage } } },
        hist_merges: { nodes: firstPage.map((c) => ({ mergeCommit: { oid: c.oid } })) },
      },
    });
    const findings = await defaultBranchHistoryCollector.collect(ctx);
    // Without the check: 31 commits, no direct push, all verified; the 32nd (a direct push, unsigned?) gone.
    expect(findings.find((f) => f.id === "commits.verified")!.value).toBeNull();
    expect(findings.find((f) => f.id === "commits.direct-pushes")!.value).toBeNull();
  });

  it("does not count a commit as a direct push when GitHub refused to say which pull request brought it in", async () => {
    const lone = commit("2026-11-01T00:00:00Z");
    mockGraphql(() => ({
      data: { rateLimit: { cost: 1 }, repository: { c0: { oid: lone.oid, associatedPullRequests: null } } },
      errors: [{ path: ["repository", "c0", "associatedPullRequests"], message: "Something went wrong while executing your query." }],
    }));
    const ctx = collectContext({ repositoryData: { hist_branch: { target: { history: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [lone] } } }, hist_merges: { nodes: [] } } });
    const direct = (await defaultBranchHistoryCollector.collect(ctx)).find((f) => f.id === "commits.direct-pushes")!;
    // Before this branch the same error, in the batched query, made it unknown. Today: 1 direct push.
    expect(direct.value).toBeNull();
  });

  it("does not judge a merged pull request read again by number when GitHub reported an error beside it", async () => {
    const firstPage = Array.from({ length: FIRST_MERGED_PAGE }, (_, i) => ({ ...merged(i + 1, "bob"), number: i + 1 }));
    const old = { ...merged(99, "bob", "2025-01-01T00:00:00Z"), number: 99 };
    const missed = { ...merged(FIRST_MERGED_PAGE + 1, null), number: FIRST_MERGED_PAGE + 1 };
    const recent = [...firstPage, missed, old].map((p) => ({ number: p.number, updatedAt: p.updatedAt }));
    mockGraphql(
      (request) =>
        request.query.includes("claimcheckWindowPages(")
          ? { data: { rateLimit: { cost: 1 }, repository: { pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [old] } } } }
          : {
              data: { rateLimit: { cost: 1 }, repository: { pr0: { ...missed, latestOpinionatedReviews: null } } },
              errors: [{ path: ["repository", "pr0", "latestOpinionatedReviews"], message: "Something went wrong while executing your query." }],
            },
      2,
    );
    const findings = await pullRequestsCollector.collect(
      collectContext({ repositoryData: quietRepositoryData({ pr_merged: { pageInfo: { hasNextPage: true, endCursor: "c1" }, nodes: firstPage }, pr_recent: { nodes: recent } }) }),
    );
    const unreviewed = findings.find((f) => f.id === "reviews.unreviewed")!;
    expect(unreviewed.value).toBeNull();
    expect(JSON.stringify(unreviewed)).toContain("Something went wrong");
  });
});

describe("one follow-up query for the pull requests' and the history's pages", () => {
  /** A window of FIRST + 1 pull requests and commits: the batched answer holds the first pages, one of each is left. */
  function window() {
    const prs = Array.from({ length: FIRST_MERGED_PAGE + 1 }, (_, i) => ({ ...merged(i + 1, "bob"), number: i + 1 }));
    const commits = Array.from({ length: FIRST_HISTORY_PAGE + 1 }, () => commit("2026-11-10T00:00:00Z"));
    const old = { ...merged(999, "bob", "2025-01-01T00:00:00Z"), number: 999 };
    const repositoryData = quietRepositoryData({
      pr_merged: { pageInfo: { hasNextPage: true, endCursor: "p1" }, nodes: prs.slice(0, FIRST_MERGED_PAGE) },
      pr_recent: { nodes: [...prs, old].map((p) => ({ number: p.number, updatedAt: p.updatedAt })) },
      hist_branch: { target: { history: { totalCount: commits.length, pageInfo: { hasNextPage: true, endCursor: "h1" }, nodes: commits.slice(0, FIRST_HISTORY_PAGE) } } },
      hist_merges: { nodes: commits.map((c) => ({ mergeCommit: { oid: c.oid } })) },
    });
    return { prs, commits, repositoryData };
  }

  async function collectBoth(repositoryData: Record<string, unknown>) {
    const ctx = collectContext({ repositoryData });
    const [prFindings, historyFindings] = await Promise.all([pullRequestsCollector.collect(ctx), defaultBranchHistoryCollector.collect(ctx)]);
    return { ctx, value: (id: string) => [...prFindings, ...historyFindings].find((f) => f.id === id)!.value };
  }

  it("reads both collectors' next pages in one query, asking for exactly what is left", async () => {
    const { prs, commits, repositoryData } = window();
    const requests = mockGraphql(() => ({
      data: {
        rateLimit: { cost: 1 },
        repository: {
          pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: prs.slice(FIRST_MERGED_PAGE) },
          hist_branch: { target: { history: { totalCount: commits.length, pageInfo: { hasNextPage: false, endCursor: null }, nodes: commits.slice(FIRST_HISTORY_PAGE) } } },
        },
      },
    }));
    const { ctx, value } = await collectBoth(repositoryData);
    expect(ctx.client.counts.graphql).toBe(1);
    expect(requests[0]!.variables).toMatchObject({ prFirst: 1, prCursor: "p1", histFirst: 1, histCursor: "h1" });
    expect(value("reviews.merged-prs")).toBe(FIRST_MERGED_PAGE + 1);
    expect(value("commits.verified")).toEqual({ total: FIRST_HISTORY_PAGE + 1, verified: FIRST_HISTORY_PAGE + 1 });
  });

  it("makes unknown only the part an error is about", async () => {
    const { prs, repositoryData } = window();
    mockGraphql(() => ({
      data: { rateLimit: { cost: 1 }, repository: { pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: prs.slice(FIRST_MERGED_PAGE) }, hist_branch: null } },
      errors: [{ path: ["repository", "hist_branch"], message: "Something went wrong while executing your query." }],
    }));
    const { value } = await collectBoth(repositoryData);
    expect(value("reviews.merged-prs")).toBe(FIRST_MERGED_PAGE + 1);
    expect(value("commits.verified")).toBeNull();
    expect(value("commits.direct-pushes")).toBeNull();
  });

  it("makes both unknown when the error names no part, or the query failed", async () => {
    const { prs, commits, repositoryData } = window();
    mockGraphql(() => ({
      data: {
        rateLimit: { cost: 1 },
        repository: {
          pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: prs.slice(FIRST_MERGED_PAGE) },
          hist_branch: { target: { history: { totalCount: commits.length, pageInfo: { hasNextPage: false, endCursor: null }, nodes: commits.slice(FIRST_HISTORY_PAGE) } } },
        },
      },
      errors: [{ path: [], message: "Something went wrong while executing your query." }],
    }));
    const first = await collectBoth(repositoryData);
    expect(first.value("reviews.unreviewed")).toBeNull();
    expect(first.value("commits.verified")).toBeNull();

    // A server error on the query of both parts: each is asked for alone, and fails alone too.
    const failed = nock(API).post("/graphql").times(3).reply(502, { message: "Bad gateway" });
    const second = await collectBoth(window().repositoryData);
    expect(failed.isDone()).toBe(true);
    expect(second.ctx.client.counts.graphql).toBe(3);
    expect(second.value("reviews.unreviewed")).toBeNull();
    expect(second.value("commits.direct-pushes")).toBeNull();
  });
});
