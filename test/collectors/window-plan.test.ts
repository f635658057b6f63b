import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { COLLECTORS } from "../../src/collectors/index.js";
import { FIRST_HISTORY_PAGE } from "../../src/collectors/default-branch-history.js";
import { FIRST_MERGED_PAGE } from "../../src/collectors/pull-requests.js";
import { ONE_POINT_REQUESTS, planWindowQuery, planWindowReads, pointsOf, requestsOf } from "../../src/collectors/window-plan.js";
import { windowPagesQuery } from "../../src/collectors/window-pages.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { connectionRequests, queryCost } from "../simulator/graphql.js";

/*
 * GitHub's cost rule, applied by the simulator to the documents claimcheck sends: requests over
 * 100, rounded, at least one point. The plan keeps each follow-up query within 149 requests.
 */

const variables = { owner: "o", name: "r", branch: "main", qualifiedBranch: "refs/heads/main", since: "2026-08-01T00:00:00Z" };

/** The batched query's requests, within a run or for a lone repository. */
function batchedRequests(inRun: boolean): number {
  const fragments = COLLECTORS.flatMap((c) => {
    const f = inRun && c.runFragment ? c.runFragment : c.repositoryFragment;
    return f ? [f] : [];
  });
  return connectionRequests(parse(buildRepositoryQuery(fragments)), variables);
}

describe("GitHub's rounding", () => {
  it("charges one point up to 149 requests and counts half-way as the next point", () => {
    expect([1, 99, 100, 149, 150, 249, 250, 349, 350].map(pointsOf)).toEqual([1, 1, 1, 1, 2, 2, 3, 3, 4]);
  });

  it("is the simulator's rule too", () => {
    for (const plan of [{ pullRequests: 49, commits: 0, lookups: 0 }, { pullRequests: 50, commits: 0, lookups: 0 }, { pullRequests: 16, commits: 100, lookups: 0 }, { pullRequests: 0, commits: 0, lookups: 100 }]) {
      const document = parse(windowPagesQuery(plan));
      const vars = { ...variables, prFirst: plan.pullRequests, histFirst: plan.commits };
      expect(connectionRequests(document, vars), JSON.stringify(plan)).toBe(requestsOf(plan));
      expect(queryCost(document, vars)).toBe(pointsOf(requestsOf(plan)));
    }
  });
});

describe("the first pages", () => {
  it("cost one point within a run and two for a lone repository", () => {
    expect(batchedRequests(true)).toBe(146);
    expect(pointsOf(batchedRequests(true))).toBe(1);
    expect(batchedRequests(false)).toBe(247);
    expect(pointsOf(batchedRequests(false))).toBe(2);
  });

  it("are the largest equal pair that does: one more of each would cost a lone repository a third point", () => {
    expect(FIRST_MERGED_PAGE).toBe(FIRST_HISTORY_PAGE);
    // One more pull request (3 requests) and one more commit (1).
    expect(pointsOf(batchedRequests(false) + 4)).toBe(3);
    expect(pointsOf(batchedRequests(true) + 4)).toBe(2);
  });
});

describe("planWindowQuery", () => {
  it("fits the commits' page, then the pull requests', then the questions, in 149 requests", () => {
    const plan = planWindowQuery({ pullRequests: { items: 70 }, commits: { items: 69 }, lookups: 40 })!;
    expect(plan).toEqual({ commits: 69, pullRequests: 26, lookups: 0 });
    expect(requestsOf(plan)).toBe(149);
    expect(planWindowQuery({ pullRequests: { items: 44 }, commits: null, lookups: 40 })).toEqual({ commits: 0, pullRequests: 44, lookups: 16 });
  });

  it("asks for as many as fit when the counts cannot say, never more than a page", () => {
    expect(planWindowQuery({ pullRequests: { items: "fill" }, commits: null, lookups: 0 })).toEqual({ commits: 0, pullRequests: 49, lookups: 0 });
    expect(planWindowQuery({ pullRequests: null, commits: { items: "fill" }, lookups: 0 })).toEqual({ commits: 100, pullRequests: 0, lookups: 0 });
    expect(planWindowQuery({ pullRequests: null, commits: null, lookups: 500 })).toEqual({ commits: 0, pullRequests: 0, lookups: ONE_POINT_REQUESTS });
    expect(planWindowQuery({ pullRequests: null, commits: null, lookups: 0 })).toBeNull();
  });

  it("never plans a query of more than one point", () => {
    for (const prs of [0, 1, 17, 49, 50, 100, "fill"] as const)
      for (const commits of [0, 1, 48, 100, "fill"] as const)
        for (const lookups of [0, 1, 30, 200]) {
          const plan = planWindowQuery({ pullRequests: prs === 0 ? null : { items: prs }, commits: commits === 0 ? null : { items: commits }, lookups });
          if (plan) expect(pointsOf(requestsOf(plan))).toBe(1);
        }
  });
});

describe("a window of 100 merged pull requests and 100 commits", () => {
  it("costs 3 points within a run: the batched query and two follow-ups of one point", () => {
    // The list of recent pull requests is full (100, all in the window): one past them shows the window's end.
    const rest = planWindowReads({ pullRequests: 100 - FIRST_MERGED_PAGE + 1, commits: 100 - FIRST_HISTORY_PAGE });
    expect(rest).toEqual([
      { commits: 69, pullRequests: 26, lookups: 0 },
      { commits: 0, pullRequests: 44, lookups: 0 },
    ]);
    const points = [pointsOf(batchedRequests(true)), ...rest.map((q) => pointsOf(requestsOf(q)))];
    expect(points).toEqual([1, 1, 1]);
    // Alone, the batched query costs 2: 4 points.
    expect(pointsOf(batchedRequests(false)) + rest.length).toBe(4);
  });

  it("costs what it did for about 20 pull requests: one query of one point within a run", () => {
    expect(planWindowReads({ pullRequests: 0, commits: 0 })).toEqual([]);
    expect(planWindowReads({ pullRequests: 30 - FIRST_MERGED_PAGE, commits: 30 - FIRST_HISTORY_PAGE })).toEqual([]);
  });
});
