import { describe, expect, it } from "vitest";
import { FIRST_MERGED_PAGE, missedPullRequests, missedPullRequestsQuery, pullRequestsCollector, type MergedPr } from "../../src/collectors/pull-requests.js";
import { collectContext } from "../helpers/collect.js";
import { mockGraphql, schemaErrors } from "../helpers/graphql.js";
import { mergedPullRequest, quietRepositoryData } from "../helpers/repository-graphql.js";

/*
 * Merged pull requests are paged by UPDATED_AT, newest first. A pull request that is updated
 * between two page queries (a bot's comment or label after the merge is common) moves ahead of
 * the cursor and is on no later page: the paged read never sees it. One query of 100 read a
 * window of up to 100 pull requests at once; with a smaller first page, any window larger than it
 * is read in two queries, so this now happens to ordinary repositories. The batched query's
 * list of recent merged pull requests (`pr_recent`, same snapshot as the first page) knows every
 * pull request the window held: one it lists in the window that no page returned was not judged,
 * and its evidence must be read, or the findings unknown, never "all reviewed".
 */

// Numbers after the first page's.
const N = FIRST_MERGED_PAGE;

function merged(i: number, updatedAt: string, approvedBy: string | null, mergedAt = "2026-11-02T10:00:00Z"): MergedPr {
  return mergedPullRequest({ number: i, approvedBy, mergedAt, updatedAt }) as unknown as MergedPr;
}

describe("merged pull requests updated between two page queries", () => {
  it("does not report every merged pull request reviewed when one listed in the window was on no page", async () => {
    // The first page: FIRST_MERGED_PAGE (31) reviewed pull requests, updated from 20 to 10 November.
    const firstPage = Array.from({ length: FIRST_MERGED_PAGE }, (_, i) => merged(i + 1, `2026-11-${String(20 - Math.floor(i / 3)).padStart(2, "0")}T12:00:00Z`, "bob"));
    // Then, in the same snapshot: N + 1 (reviewed) and N + 2, merged by its author without review.
    const reviewed = merged(N + 1, "2026-11-05T12:00:00Z", "bob");
    const unreviewed = merged(N + 2, "2026-11-04T12:00:00Z", null);
    const beforeWindow = merged(N + 3, "2025-01-01T00:00:00Z", "bob", "2025-01-01T00:00:00Z");
    const recent = [...firstPage, reviewed, unreviewed, beforeWindow].map((pr) => ({ number: pr.number, url: pr.url, updatedAt: pr.updatedAt }));

    // Between the two queries a bot labels N + 2: it is now the most recently updated, before the
    // cursor, and the second page holds only what is after it.
    const later = mockGraphql(
      (request) =>
        request.query.includes("claimcheckWindowPages(")
          ? { data: { rateLimit: { cost: 1 }, repository: { pr_merged: { pageInfo: { hasNextPage: true, endCursor: "c2" }, nodes: [reviewed, beforeWindow] } } } }
          : // A fix may read the missing pull request again (by number): it now says so.
            { data: { rateLimit: { cost: 1 }, repository: { pr0: { ...unreviewed, updatedAt: "2026-11-24T11:59:00Z" } } } },
      2,
    );
    const ctx = collectContext({
      repositoryData: quietRepositoryData({ pr_merged: { pageInfo: { hasNextPage: true, endCursor: "c1" }, nodes: firstPage }, pr_recent: { nodes: recent } }),
    });
    const findings = await pullRequestsCollector.collect(ctx);
    expect(later.length).toBeGreaterThanOrEqual(1);

    const unreviewedFinding = findings.find((f) => f.id === "reviews.unreviewed")!;
    const mergedCount = findings.find((f) => f.id === "reviews.merged-prs")!;
    // Either the unreviewed one is judged (and named unreviewed), or the reviews are unknown. Before the list was read: all merged, none unreviewed.
    const judged = Array.isArray(unreviewedFinding.value) && (unreviewedFinding.value as string[]).includes(unreviewed.url) && mergedCount.value === N + 2;
    const unknown = unreviewedFinding.value === null && mergedCount.value === null;
    expect({ merged: mergedCount.value, unreviewed: unreviewedFinding.value, judgedOrUnknown: judged || unknown }).toMatchObject({ judgedOrUnknown: true });
  });

  it("makes the pull-request findings unknown, naming the pull request, when it cannot be read again", async () => {
    const firstPage = Array.from({ length: FIRST_MERGED_PAGE }, (_, i) => merged(i + 1, "2026-11-20T12:00:00Z", "bob"));
    const unreviewed = merged(N + 2, "2026-11-04T12:00:00Z", null);
    const beforeWindow = merged(N + 3, "2025-01-01T00:00:00Z", "bob", "2025-01-01T00:00:00Z");
    const recent = [...firstPage, unreviewed, beforeWindow].map((pr) => ({ number: pr.number, updatedAt: pr.updatedAt }));
    mockGraphql(
      (request) =>
        request.query.includes("claimcheckWindowPages(")
          ? { data: { rateLimit: { cost: 1 }, repository: { pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [beforeWindow] } } } }
          : { data: { rateLimit: { cost: 1 }, repository: { pr0: null } } },
      2,
    );
    const ctx = collectContext({
      repositoryData: quietRepositoryData({ pr_merged: { pageInfo: { hasNextPage: true, endCursor: "c1" }, nodes: firstPage }, pr_recent: { nodes: recent } }),
    });
    const findings = await pullRequestsCollector.collect(ctx);
    const unreviewedFinding = findings.find((f) => f.id === "reviews.unreviewed")!;
    expect(unreviewedFinding.value).toBeNull();
    expect(JSON.stringify(unreviewedFinding)).toContain(`#${N + 2}`);
    expect(findings.find((f) => f.id === "reviews.merged-prs")!.value).toBeNull();
  });

  it("counts a pull request two pages returned once", async () => {
    const firstPage = Array.from({ length: FIRST_MERGED_PAGE }, (_, i) => merged(i + 1, "2026-11-20T12:00:00Z", "bob"));
    const beforeWindow = merged(28, "2025-01-01T00:00:00Z", "bob", "2025-01-01T00:00:00Z");
    mockGraphql(() => ({ data: { rateLimit: { cost: 1 }, repository: { pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [firstPage.at(-1), beforeWindow] } } } }));
    const ctx = collectContext({ repositoryData: quietRepositoryData({ pr_merged: { pageInfo: { hasNextPage: true, endCursor: "c1" }, nodes: firstPage } }) });
    const findings = await pullRequestsCollector.collect(ctx);
    expect(findings.find((f) => f.id === "reviews.merged-prs")!.value).toBe(FIRST_MERGED_PAGE);
  });

  it("asks again only for listed pull requests in the window that no page returned", () => {
    const since = new Date("2026-10-25T00:00:00Z");
    const read = [merged(1, "2026-11-20T12:00:00Z", "bob")];
    const recent = [
      { number: 1, updatedAt: "2026-11-20T12:00:00Z" },
      { number: 2, updatedAt: "2026-11-19T12:00:00Z" },
      { number: 2, updatedAt: "2026-11-19T12:00:00Z" },
      { number: 3, updatedAt: "2026-10-01T00:00:00Z" },
    ];
    expect(missedPullRequests(recent, read, since)).toEqual([2]);
    expect(missedPullRequests(null, read, since)).toEqual([]);
  });

  it("reads them again with a query GitHub's schema accepts", () => {
    expect(schemaErrors(missedPullRequestsQuery(2))).toEqual([]);
  });
});
