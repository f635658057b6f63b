import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { defaultBranchHistoryCollector, FIRST_HISTORY_PAGE, type BranchCommit } from "../../src/collectors/default-branch-history.js";
import { FIRST_MERGED_PAGE, pullRequestsCollector } from "../../src/collectors/pull-requests.js";
import { collectContext } from "../helpers/collect.js";
import { API } from "../helpers/github-api.js";
import { MAX_HISTORY_PAGES, MAX_MERGED_PAGES, MAX_MERGED_PULL_REQUESTS, readWindowPages } from "../../src/collectors/window-pages.js";
import { planWindowQuery } from "../../src/collectors/window-plan.js";
import type { GraphqlRequest } from "../helpers/graphql.js";
import { checkRollup, mergedPullRequest, quietRepositoryData } from "../helpers/repository-graphql.js";

/*
 * The window's later pages as a whole: a server that answers every follow-up query from two lists
 * by cursor and page size, as GitHub pages them, so a test can say how large the window is and
 * which queries fail, and read what the collectors made of it.
 */

/** `n` merged pull requests, newest first, one minute apart, all in the window and reviewed. */
function mergedPrs(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.parse("2026-11-20T00:00:00Z") - i * 60_000).toISOString();
    return mergedPullRequest({ number: i + 1, approvedBy: "bob", mergedAt: at, updatedAt: at });
  });
}

/** `n` signed, green commits of the window. */
function commits(n: number): BranchCommit[] {
  return Array.from({ length: n }, (_, i) => ({ oid: (i + 1).toString(16).padStart(40, "0"), committedDate: "2026-11-10T00:00:00Z", signature: { isValid: true }, statusCheckRollup: checkRollup("SUCCESS") as never }));
}

type Window = { prs: ReturnType<typeof mergedPrs>; commits: BranchCommit[] };

/** The batched query's answer: first pages, the list of recent pull requests, every commit a listed merge commit. */
function batchedAnswer({ prs, commits }: Window, overrides: Record<string, unknown> = {}) {
  return quietRepositoryData({
    pr_merged: { pageInfo: { hasNextPage: prs.length > FIRST_MERGED_PAGE, endCursor: `p${FIRST_MERGED_PAGE}` }, nodes: prs.slice(0, FIRST_MERGED_PAGE) },
    pr_recent: { nodes: prs.slice(0, 100).map((pr) => ({ number: pr.number, updatedAt: pr.updatedAt })) },
    hist_branch: { target: { history: { totalCount: commits.length, pageInfo: { hasNextPage: commits.length > FIRST_HISTORY_PAGE, endCursor: `h${FIRST_HISTORY_PAGE}` }, nodes: commits.slice(0, FIRST_HISTORY_PAGE) } } },
    hist_merges: { nodes: commits.slice(0, 100).map((c) => ({ mergeCommit: { oid: c.oid } })) },
    ...overrides,
  });
}

/**
 * Answers follow-up queries from the window, by cursor (`p<offset>`, `h<offset>`) and size, and
 * records them. `fail(variables)` true: that query fails whole with a 502.
 */
function serveWindow({ prs, commits }: Window, fail: (variables: Record<string, unknown>) => boolean = () => false): GraphqlRequest[] {
  const seen: GraphqlRequest[] = [];
  const page = <T>(items: T[], cursor: unknown, first: unknown, prefix: string) => {
    const from = Number(String(cursor).slice(prefix.length));
    const to = from + Number(first);
    return { pageInfo: { hasNextPage: to < items.length, endCursor: `${prefix}${to}` }, nodes: items.slice(from, to) };
  };
  nock(API)
    .post("/graphql", (body: GraphqlRequest) => body.query.includes("claimcheckWindowPages(") && seen.push(body) > 0)
    .times(1000)
    .reply((_uri, body) => {
      const { variables } = body as GraphqlRequest;
      if (fail(variables)) return [502, { message: "Bad gateway" }];
      const repository: Record<string, unknown> = {};
      if (variables.prCursor !== undefined) repository.pr_merged = page(prs, variables.prCursor, variables.prFirst, "p");
      if (variables.histCursor !== undefined) repository.hist_branch = { target: { history: { totalCount: commits.length, ...page(commits, variables.histCursor, variables.histFirst, "h") } } };
      // Every commit is a merge commit of a pull request.
      for (const [name, oid] of Object.entries(variables)) if (/^c\d+$/.test(name)) repository[name] = { oid, associatedPullRequests: { totalCount: 1 } };
      return [200, { data: { rateLimit: { cost: 1 }, repository } }];
    });
  return seen;
}

const valueOf = (findings: { id: string; value: unknown }[], id: string) => findings.find((f) => f.id === id)!.value;

afterEach(() => nock.cleanAll());

describe("the window's later pages", () => {
  it("reads a window of 2,000 merged pull requests beside a history of 2,900 commits", async () => {
    // The commits' pages go first in each query, leaving room for 15 pull requests: bounded by
    // pages, the pull requests ran out of pages at about 1,900.
    const window = { prs: mergedPrs(2000), commits: commits(2900) };
    serveWindow(window);
    const ctx = collectContext({ repositoryData: batchedAnswer(window) });
    const [prFindings, history] = await Promise.all([pullRequestsCollector.collect(ctx), defaultBranchHistoryCollector.collect(ctx)]);
    expect(valueOf(prFindings, "reviews.merged-prs"), JSON.stringify(prFindings[0])).toBe(2000);
    expect(valueOf(prFindings, "reviews.unreviewed")).toEqual([]);
    expect(valueOf(history, "commits.verified")).toEqual({ total: 2900, verified: 2900 });
  });

  it("bounds the pages only as a guard: the fewest pull requests a query carries still reach the count", () => {
    const fewest = planWindowQuery({ pullRequests: { items: "fill" }, commits: { items: "fill" }, lookups: 0 })!.pullRequests;
    expect(fewest).toBe(15);
    expect(FIRST_MERGED_PAGE + (MAX_MERGED_PAGES - 1) * fewest).toBeGreaterThanOrEqual(MAX_MERGED_PULL_REQUESTS);
  });

  it("says the window is too big when 2,925 merged pull requests read do not reach its end", async () => {
    const window = { prs: mergedPrs(3000), commits: commits(0) };
    serveWindow(window);
    const findings = await pullRequestsCollector.collect(collectContext({ repositoryData: batchedAnswer(window) }));
    expect(findings.every((f) => f.value === null && f.error?.includes("shorten windowDays"))).toBe(true);
  });

  it("reads no page of a part its collector refused, so that part neither costs points nor sinks the other", async () => {
    const window = { prs: mergedPrs(60), commits: commits(60) };
    // The closed pull requests were refused: the pull-request findings are unknown whatever the pages say.
    const repositoryErrors = [{ path: ["repository", "pr_closed"], message: "Something went wrong while executing your query." }];
    const seen = serveWindow(window, (variables) => variables.prCursor !== undefined);
    const ctx = collectContext({ repositoryData: batchedAnswer(window), repositoryErrors });
    const [prFindings, history] = await Promise.all([pullRequestsCollector.collect(ctx), defaultBranchHistoryCollector.collect(ctx)]);
    expect(prFindings.every((f) => f.value === null && f.error?.includes("Something went wrong"))).toBe(true);
    expect(valueOf(history, "commits.verified")).toEqual({ total: 60, verified: 60 });
    expect(seen.filter((r) => r.variables.prCursor !== undefined)).toEqual([]);
  });

  it("reads no page of the history when it was refused or is about another branch", async () => {
    for (const refusal of [
      { repositoryErrors: [{ path: ["repository", "hist_branch"], message: "Resource not accessible by integration" }], overrides: {} },
      { repositoryErrors: [], overrides: { hist_isEmpty: false, hist_default: { name: "trunk" } } },
    ]) {
      const window = { prs: mergedPrs(60), commits: commits(60) };
      const seen = serveWindow(window);
      const ctx = collectContext({ repositoryData: batchedAnswer(window, refusal.overrides), repositoryErrors: refusal.repositoryErrors });
      // The history collector asks first: it starts the reading, and must not read its own part.
      const history = await defaultBranchHistoryCollector.collect(ctx);
      const prFindings = await pullRequestsCollector.collect(ctx);
      expect(history.every((f) => f.value === null)).toBe(true);
      expect(valueOf(prFindings, "reviews.merged-prs")).toBe(60);
      expect(seen.filter((r) => r.variables.histCursor !== undefined)).toEqual([]);
      nock.cleanAll();
    }
  });

  it("asks for each part alone after a server error on a query of several, and fails only the part that fails alone", async () => {
    const window = { prs: mergedPrs(60), commits: commits(60) };
    serveWindow(window, (variables) => variables.prCursor !== undefined);
    const ctx = collectContext({ repositoryData: batchedAnswer(window) });
    const [prFindings, history] = await Promise.all([pullRequestsCollector.collect(ctx), defaultBranchHistoryCollector.collect(ctx)]);
    expect(valueOf(history, "commits.verified")).toEqual({ total: 60, verified: 60 });
    expect(valueOf(history, "commits.direct-pushes")).toBe(0);
    expect(prFindings.every((f) => f.value === null && f.error?.includes("HTTP 502"))).toBe(true);
  });

  it("reads both parts whole when only the query carrying both failed", async () => {
    const window = { prs: mergedPrs(60), commits: commits(60) };
    const seen = serveWindow(window, (variables) => variables.prCursor !== undefined && variables.histCursor !== undefined);
    const ctx = collectContext({ repositoryData: batchedAnswer(window) });
    const [prFindings, history] = await Promise.all([pullRequestsCollector.collect(ctx), defaultBranchHistoryCollector.collect(ctx)]);
    expect(valueOf(prFindings, "reviews.merged-prs")).toBe(60);
    expect(valueOf(history, "commits.verified")).toEqual({ total: 60, verified: 60 });
    // After the failure, no query carries two parts.
    const after = seen.slice(1);
    expect(after.every((r) => [r.variables.prCursor, r.variables.histCursor, r.variables.c0].filter((v) => v !== undefined).length === 1)).toBe(true);
  });

  it("does not ask part by part when the rate limit is spent: that would only spend more of it", async () => {
    const window = { prs: mergedPrs(60), commits: commits(60) };
    nock(API).post("/graphql").reply(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0" });
    const ctx = collectContext({ repositoryData: batchedAnswer(window) });
    const [prFindings, history] = await Promise.all([pullRequestsCollector.collect(ctx), defaultBranchHistoryCollector.collect(ctx)]);
    expect(ctx.client.counts.graphql).toBe(1);
    expect(valueOf(prFindings, "reviews.merged-prs")).toBeNull();
    expect(valueOf(history, "commits.verified")).toBeNull();
  });

  it("makes the history unknown, not empty, when the reader gave no commits for a history the batched answer holds", async () => {
    const window = { prs: mergedPrs(0), commits: commits(60) };
    const seen = serveWindow(window);
    const ctx = collectContext({ repositoryData: batchedAnswer(window) });
    // The answer was read once already, for a caller that had the history refused: it holds no commits part.
    const read = await readWindowPages(ctx.client, ctx.repo, ctx.since, ctx.repositoryData, [{ path: ["repository", "hist_branch"], message: "Something went wrong" }]);
    expect(read.commits).toBeNull();
    const history = await defaultBranchHistoryCollector.collect(ctx);
    expect(seen).toEqual([]);
    expect(history.every((f) => f.value === null && f.error?.includes("later pages could not be read"))).toBe(true);
  });

  it("makes a part unknown when GitHub says more pages follow but gives no cursor to them", async () => {
    const window = { prs: mergedPrs(60), commits: commits(60) };
    serveWindow(window);
    const first = batchedAnswer(window) as { pr_merged: { pageInfo: { endCursor: unknown } }; hist_branch: { target: { history: { pageInfo: { endCursor: unknown } } } } };
    first.pr_merged.pageInfo.endCursor = null;
    first.hist_branch.target.history.pageInfo.endCursor = null;
    const ctx = collectContext({ repositoryData: first as never });
    const [prFindings, history] = await Promise.all([pullRequestsCollector.collect(ctx), defaultBranchHistoryCollector.collect(ctx)]);
    for (const f of [...prFindings, ...history]) expect(f, f.id).toMatchObject({ value: null, error: expect.stringContaining("gave no cursor") });
  });

  it("stops reading a history whose pages never end", async () => {
    const window = { prs: mergedPrs(0), commits: commits(60) };
    // Every later page is empty and says another follows.
    const seen = mockGraphqlForever(() => ({ data: { rateLimit: { cost: 1 }, repository: { hist_branch: { target: { history: { totalCount: 60, pageInfo: { hasNextPage: true, endCursor: "h31" }, nodes: [] } } } } } }));
    const ctx = collectContext({ repositoryData: batchedAnswer(window) });
    const history = await defaultBranchHistoryCollector.collect(ctx);
    expect(seen.length).toBe(MAX_HISTORY_PAGES - 1);
    expect(history.every((f) => f.value === null && f.error?.includes("shorten windowDays"))).toBe(true);
  });
});

/** Answers every follow-up query the same way, far more times than any bound allows. */
function mockGraphqlForever(answer: () => unknown): GraphqlRequest[] {
  const seen: GraphqlRequest[] = [];
  nock(API)
    .post("/graphql", (body: GraphqlRequest) => seen.push(body) > 0)
    .times(10_000)
    .reply(200, () => answer() as nock.Body);
  return seen;
}
