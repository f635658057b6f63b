/*
 * Pure: how the follow-up queries of an assessment's window are sized.
 *
 * GitHub's cost of a GraphQL query
 * (https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api,
 * "Calculating a rate limit score"): the requests its connections need — a connection nested
 * under a page counts once per item the page's `first` asks for — divided by 100 and rounded
 * to the nearest whole number, at least 1. So a query of up to 149 requests costs one point, and
 * the same work split into queries of at most 149 requests never costs more points than fewer,
 * larger queries (one of 150 already costs 2; 350 costs 4 where 149 + 149 + 52 cost 3). Half-way
 * (150) is counted as rounding up, so the plan never counts fewer points than GitHub could charge.
 *
 * After the batched query, what is left of the window is three kinds of reads:
 * - merged pull requests: a page costs 1 request and 3 per pull request asked for (its checks,
 *   its reviews and its files are connections nested under it);
 * - default-branch commits: 1 request and 1 per commit (its checks);
 * - for a commit that is no listed pull request's merge commit, which pull request brought it
 *   in: 1 request each (`associatedPullRequests(first: 1)`), and only for commits already read.
 * Each follow-up query carries as much of all three as fits in ONE_POINT_REQUESTS: the commits'
 * page first (cheapest per item, and it reveals the commits that need asking about), then the
 * pull requests, then the questions.
 */

/** The most requests a query can need and still cost one point (149 / 100 rounds to 1). */
export const ONE_POINT_REQUESTS = 149;

/** GitHub's largest page of a connection. */
export const MAX_PAGE = 100;

/** Requests of each part of a follow-up query, per GitHub's cost rule. */
export const PULL_REQUEST_REQUESTS = 3;
export const PAGE_REQUESTS = 1;
export const COMMIT_REQUESTS = 1;
export const LOOKUP_REQUESTS = 1;

/**
 * What the window still needs. A page's `items` is how many to ask for: a number when the counts
 * read so far say (for pull requests, one past the list's end when the list could not see it),
 * or "fill" when they cannot (as many as fit). `null`: nothing more to read of that kind.
 */
export type WindowNeeds = {
  pullRequests: { items: number | "fill" } | null;
  commits: { items: number | "fill" } | null;
  /** Commits read whose pull request is still to be asked about. */
  lookups: number;
};

/** One follow-up query: how many of each it asks for (0: that part is left out). */
export type WindowQuery = { pullRequests: number; commits: number; lookups: number };

/** GraphQL's cost rule: requests over 100, rounded (half-way up), at least one point. */
export function pointsOf(requests: number): number {
  return Math.max(1, Math.floor(requests / 100 + 0.5));
}

/** The requests GitHub counts for a follow-up query of this plan. */
export function requestsOf(query: WindowQuery): number {
  return (
    (query.pullRequests > 0 ? PAGE_REQUESTS + PULL_REQUEST_REQUESTS * query.pullRequests : 0) +
    (query.commits > 0 ? PAGE_REQUESTS + COMMIT_REQUESTS * query.commits : 0) +
    LOOKUP_REQUESTS * query.lookups
  );
}

const wanted = (items: number | "fill") => (items === "fill" ? MAX_PAGE : Math.min(MAX_PAGE, Math.max(1, items)));

/** Pure: the next follow-up query, or null when the window needs nothing more. */
export function planWindowQuery(needs: WindowNeeds, budget = ONE_POINT_REQUESTS): WindowQuery | null {
  let left = budget;
  const plan: WindowQuery = { pullRequests: 0, commits: 0, lookups: 0 };
  if (needs.commits) {
    plan.commits = Math.min(wanted(needs.commits.items), Math.floor((left - PAGE_REQUESTS) / COMMIT_REQUESTS));
    if (plan.commits > 0) left -= PAGE_REQUESTS + COMMIT_REQUESTS * plan.commits;
    else plan.commits = 0;
  }
  if (needs.pullRequests) {
    plan.pullRequests = Math.max(0, Math.min(wanted(needs.pullRequests.items), Math.floor((left - PAGE_REQUESTS) / PULL_REQUEST_REQUESTS)));
    if (plan.pullRequests > 0) left -= PAGE_REQUESTS + PULL_REQUEST_REQUESTS * plan.pullRequests;
  }
  plan.lookups = Math.max(0, Math.min(needs.lookups, Math.floor(left / LOOKUP_REQUESTS)));
  return plan.pullRequests + plan.commits + plan.lookups > 0 ? plan : null;
}

/**
 * Pure: the follow-up queries a window needs when the pages return what the counts say (no pull
 * request updated between queries, no error) and every commit is a listed pull request's merge
 * commit (nothing to ask about): what `planWindowQuery` gives query by query, laid out ahead.
 */
export function planWindowReads(start: { pullRequests: number; commits: number }): WindowQuery[] {
  let { pullRequests, commits } = start;
  const queries: WindowQuery[] = [];
  for (;;) {
    const query = planWindowQuery({ pullRequests: pullRequests > 0 ? { items: pullRequests } : null, commits: commits > 0 ? { items: commits } : null, lookups: 0 });
    if (!query) return queries;
    queries.push(query);
    pullRequests -= query.pullRequests;
    commits -= query.commits;
  }
}
