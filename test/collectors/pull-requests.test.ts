import { describe, expect, it } from "vitest";
import { findingSchema } from "../../src/core/findings.js";
import { headCommitsQuery, judgeApprovals, pullRequestsCollector, pullRequestsFragment, summarisePullRequests, MAX_MERGED_PAGES, type MergedPr } from "../../src/collectors/pull-requests.js";
import { pullRequestsWanted, windowPagesQuery } from "../../src/collectors/window-pages.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { collectContext, NOW, SINCE } from "../helpers/collect.js";
import { mockGraphql, schemaErrors } from "../helpers/graphql.js";
import { checkRollup, quietRepositoryData } from "../helpers/repository-graphql.js";

const HEAD = "a".repeat(40);
const OLD = "b".repeat(40);
const user = (login: string) => ({ __typename: "User", login });
const bot = (login: string) => ({ __typename: "Bot", login });

let n = 0;
type Review = { by: { __typename: string; login: string }; at?: string; on?: string; state?: string };
function pr(overrides: Partial<Omit<MergedPr, "files">> & { approvals?: Review[]; reviews?: Review[]; rollup?: string | null; files?: string[] } = {}): MergedPr {
  n += 1;
  const { approvals = [], reviews = [], rollup = "SUCCESS", files = ["src/index.ts"], ...rest } = overrides;
  const all = [...approvals.map((a) => ({ state: "APPROVED", ...a })), ...reviews];
  const checks = checkRollup(rollup as never);
  return {
    url: `https://github.com/octo-org/api/pull/${n}`,
    createdAt: "2026-11-01T09:00:00Z",
    mergedAt: "2026-11-02T10:00:00Z",
    updatedAt: "2026-11-02T10:00:00Z",
    baseRefName: "main",
    headRefOid: HEAD,
    author: user("alice"),
    mergedBy: { login: "alice" },
    statusCheckRollup: checks === null ? null : ({ ...checks, commit: { oid: HEAD } } as never),
    latestOpinionatedReviews: { totalCount: all.length, nodes: all.map((a) => ({ state: a.state!, submittedAt: a.at ?? "2026-11-02T09:00:00Z", author: a.by, commit: { oid: a.on ?? HEAD } })) },
    files: { totalCount: files.length, nodes: files.map((path) => ({ path })) },
    ...rest,
  };
}

const options = { since: SINCE, now: NOW, defaultBranch: "main", updateBots: ["renovate", "dependabot"], maxOpenDays: 30 };

describe("judgeApprovals", () => {
  it("does not count a merge by someone else without an approving review", () => {
    expect(judgeApprovals(pr({ mergedBy: { login: "bob" } })).humanApproval).toBe(false);
  });

  it("counts an approval by another person before merge", () => {
    expect(judgeApprovals(pr({ approvals: [{ by: user("bob") }] }))).toEqual({ humanApproval: true, humanApprovalOnFinalCommit: true, botApprovalOnly: false });
  });

  it("counts a PR an administrator merged past required reviews, with no approval, as unreviewed", () => {
    const bypassed = pr({ author: user("alice"), mergedBy: { login: "org-admin" } });
    expect(judgeApprovals(bypassed).humanApproval).toBe(false);
    expect(summarisePullRequests({ merged: [bypassed], open: [], closed: [] }, options)["reviews.unreviewed"]).toEqual([bypassed.url]);
  });

  it("does not count the author's own approval, or one after the merge", () => {
    expect(judgeApprovals(pr({ approvals: [{ by: user("Alice") }] })).humanApproval).toBe(false);
    expect(judgeApprovals(pr({ approvals: [{ by: user("bob"), at: "2026-11-03T00:00:00Z" }] })).humanApproval).toBe(false);
  });

  it("tells an approval of an earlier commit from one of the final commit", () => {
    expect(judgeApprovals(pr({ approvals: [{ by: user("bob"), on: OLD }] }))).toEqual({ humanApproval: true, humanApprovalOnFinalCommit: false, botApprovalOnly: false });
  });

  it("names a bot's approval as such and never counts it as a review", () => {
    expect(judgeApprovals(pr({ approvals: [{ by: bot("alice-approver") }] }))).toEqual({ humanApproval: false, humanApprovalOnFinalCommit: false, botApprovalOnly: true });
  });
});

describe("summarisePullRequests", () => {
  it("lists unreviewed and red merges, and counts a PR merged with a pending or missing check as not green", () => {
    const ok = pr({ approvals: [{ by: user("bob") }] });
    const unreviewed = pr({ mergedBy: { login: "admin" } });
    const pending = pr({ approvals: [{ by: user("bob") }], rollup: "PENDING" });
    const unchecked = pr({ approvals: [{ by: user("bob") }], rollup: null });
    const failing = pr({ approvals: [{ by: user("bob") }], rollup: "FAILURE" });
    const s = summarisePullRequests({ merged: [ok, unreviewed, pending, unchecked, failing], open: [], closed: [] }, options);
    expect(s["reviews.merged-prs"]).toBe(5);
    expect(s["reviews.independently-approved"]).toBe(4);
    expect(s["reviews.unreviewed"]).toEqual([unreviewed.url]);
    expect(s["ci.merged-with-checks"]).toBe(4);
    expect(s["ci.merged-green"]).toBe(2);
    expect(s["ci.merged-red-or-unchecked"]).toEqual([pending.url, unchecked.url, failing.url]);
  });

  it("ignores PRs merged before the window", () => {
    const old = pr({ mergedAt: "2025-01-01T00:00:00Z" });
    expect(summarisePullRequests({ merged: [old], open: [], closed: [] }, options)["reviews.merged-prs"]).toBe(0);
  });

  it("counts update-bot PRs and reports them, not skips them", () => {
    const update = pr({ author: bot("renovate"), createdAt: "2026-11-01T10:00:00Z", mergedAt: "2026-11-01T16:00:00Z", files: ["package.json", "package-lock.json"] });
    const redUpdate = pr({ author: bot("dependabot"), createdAt: "2026-11-01T10:00:00Z", mergedAt: "2026-11-03T10:00:00Z", rollup: "FAILURE" });
    const newDep = pr({ files: ["package.json"], approvals: [{ by: user("bob") }] });
    const untestedDep = pr({ files: ["services/x/go.mod"] });
    const staleOpen = { url: "https://github.com/octo-org/api/pull/900", createdAt: "2026-09-01T00:00:00Z", author: bot("renovate") };
    const closed = { url: "https://github.com/octo-org/api/pull/901", createdAt: "2026-11-05T00:00:00Z", closedAt: "2026-11-06T00:00:00Z", author: bot("dependabot[bot]") };
    const s = summarisePullRequests({ merged: [update, redUpdate, newDep, untestedDep], open: [staleOpen], closed: [closed] }, options);
    expect(s["reviews.merged-prs"]).toBe(4);
    expect(s["deps.update-prs"]).toEqual({ opened: 4, merged: 2, closedUnmerged: 1, openOlderThanThreshold: 1, medianHoursToMerge: 27 });
    expect(s["deps.update-prs-merge-health"]).toEqual({ merged: 2, green: 1, notGreen: [redUpdate.url] });
    expect(s["deps.update-prs-by-bot"]).toEqual({ renovate: 2, dependabot: 2 });
    expect(s["deps.new-dependency-prs"]).toEqual({ merged: 2, greenAndApproved: 1, urls: [untestedDep.url] });
  });

  it("counts a PR with more changed files than were read as possibly adding a dependency", () => {
    const huge = pr({ files: ["src/a.ts"] });
    huge.files = { totalCount: 250, nodes: [{ path: "src/a.ts" }] };
    const s = summarisePullRequests({ merged: [huge], open: [], closed: [] }, options);
    expect(s["deps.new-dependency-prs"]).toEqual({ merged: 1, greenAndApproved: 0, urls: [huge.url] });
  });
});

describe("reviews counted as GitHub counts them", () => {
  const approvedBy = (login: string, extra: Partial<Review> = {}): Review => ({ by: user(login), ...extra });

  it("does not count an approval the reviewer later replaced with changes requested", () => {
    // latestOpinionatedReviews holds one review per reviewer: the latest that approved or requested changes.
    const superseded = pr({ reviews: [{ by: user("bob"), state: "CHANGES_REQUESTED" }] });
    expect(judgeApprovals(superseded)).toEqual({ humanApproval: false, humanApprovalOnFinalCommit: false, botApprovalOnly: false });
  });

  it("does not count a dismissed approval", () => {
    expect(judgeApprovals(pr({ reviews: [{ by: user("bob"), state: "DISMISSED" }] })).humanApproval).toBe(false);
  });

  it("counts one standing approval beside another reviewer's request for changes", () => {
    const mixed = pr({ approvals: [approvedBy("bob")], reviews: [{ by: user("carol"), state: "CHANGES_REQUESTED" }] });
    expect(judgeApprovals(mixed).humanApprovalOnFinalCommit).toBe(true);
  });

  it("never counts a comment as an approval", () => {
    expect(judgeApprovals(pr({ reviews: [{ by: user("bob"), state: "COMMENTED" }] })).humanApproval).toBe(false);
  });

  it("does not count approvals by an app, the author, or after the merge", () => {
    expect(judgeApprovals(pr({ approvals: [{ by: bot("github-actions") }] }))).toEqual({ humanApproval: false, humanApprovalOnFinalCommit: false, botApprovalOnly: true });
    expect(judgeApprovals(pr({ approvals: [{ by: { __typename: "Mannequin", login: "imported" } }] })).humanApproval).toBe(false);
    expect(judgeApprovals(pr({ author: user("Alice"), approvals: [approvedBy("alice")] })).humanApproval).toBe(false);
    expect(judgeApprovals(pr({ approvals: [approvedBy("bob", { at: "2026-11-02T10:00:01Z" })] })).humanApproval).toBe(false);
    expect(judgeApprovals(pr({ author: null, approvals: [approvedBy("bob")] })).humanApproval).toBe(true);
  });

  it("counts an approval of an earlier commit as outdated, also for a PR adding a dependency", () => {
    const outdated = pr({ files: ["package.json"], approvals: [approvedBy("bob", { on: OLD })] });
    const s = summarisePullRequests({ merged: [outdated], open: [], closed: [] }, options);
    expect(s["reviews.independently-approved"]).toBe(1);
    expect(s["reviews.approved-on-final-commit"]).toBe(0);
    expect(s["reviews.approval-outdated"]).toEqual([outdated.url]);
    expect(s["deps.new-dependency-prs"]).toEqual({ merged: 1, greenAndApproved: 0, urls: [outdated.url] });
  });

  it("takes no evidence about the default branch from a PR merged into another branch", () => {
    const release = pr({ baseRefName: "release/1.x", approvals: [approvedBy("bob")] });
    const main = pr({ approvals: [] });
    const s = summarisePullRequests({ merged: [release, main], open: [], closed: [] }, options);
    expect(s["reviews.merged-prs"]).toBe(1);
    expect(s["reviews.unreviewed"]).toEqual([main.url]);
  });
});

describe("checks of the commit that merged", () => {
  it("uses the PR's rollup only when it names the head commit", () => {
    const own = pr({ rollup: "SUCCESS" });
    const other = pr({ rollup: "SUCCESS" });
    other.statusCheckRollup = { ...other.statusCheckRollup!, commit: { oid: OLD } };
    const s = summarisePullRequests({ merged: [own, other], open: [], closed: [] }, options);
    expect(s["ci.merged-green"]).toBe(1);
    expect(s["ci.merged-red-or-unchecked"]).toEqual([other.url]);
  });

  it("asks for the head commits whose rollup was missing or another commit's, in one query", async () => {
    const deleted = pr({ rollup: null, approvals: [{ by: user("bob") }] });
    const moved = pr({ approvals: [{ by: user("bob") }] });
    moved.headRefOid = OLD;
    const answer = { state: "SUCCESS", contexts: { totalCount: 1, nodes: [{ __typename: "CheckRun", name: "ci", status: "COMPLETED", conclusion: "FAILURE" }] } };
    const requests = mockGraphql((req) => ({
      data: { rateLimit: { cost: 1 }, repository: { h0: { oid: req.variables.h0, statusCheckRollup: checkRollup("SUCCESS") }, h1: { oid: req.variables.h1, statusCheckRollup: answer } } },
    }));
    const ctx = collectContext({ repositoryData: quietRepositoryData({ pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [deleted, moved] } }) });
    const findings = await pullRequestsCollector.collect(ctx);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.variables).toMatchObject({ owner: "octo-org", name: "api", h0: HEAD, h1: OLD });
    const value = (id: string) => findings.find((f) => f.id === id)?.value;
    expect(value("ci.merged-with-checks")).toBe(2);
    // claimcheck's rollup state said SUCCESS; the contexts without its own check run say FAILURE.
    expect(value("ci.merged-red-or-unchecked")).toEqual([moved.url]);
  });

  it("leaves a head commit GitHub does not return unchecked, never green", async () => {
    const gone = pr({ rollup: null });
    mockGraphql(() => ({ data: { rateLimit: { cost: 1 }, repository: { h0: null } } }));
    const findings = await pullRequestsCollector.collect(collectContext({ repositoryData: quietRepositoryData({ pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [gone] } }) }));
    expect(findings.find((f) => f.id === "ci.merged-green")?.value).toBe(0);
    expect(findings.find((f) => f.id === "ci.merged-with-checks")?.value).toBe(0);
  });

  it("asks nothing more when every rollup is the head commit's", async () => {
    const ctx = collectContext({ repositoryData: quietRepositoryData({ pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [pr(), pr()] } }) });
    await pullRequestsCollector.collect(ctx);
    expect(ctx.client.counts.graphql).toBe(0);
  });
});

describe("the merged-PR query", () => {
  it("is valid against GitHub's schema, alone and as a follow-up", () => {
    expect(schemaErrors(buildRepositoryQuery([pullRequestsFragment]))).toEqual([]);
    expect(schemaErrors(windowPagesQuery({ pullRequests: 5, commits: 0, lookups: 0 }))).toEqual([]);
    expect(schemaErrors(headCommitsQuery(3))).toEqual([]);
  });

  it("nests only three connections under the page of merged pull requests", () => {
    const fields = pullRequestsFragment.text.slice(pullRequestsFragment.text.indexOf("fragment claimcheckMergedPullRequest"));
    const nested = [...fields.matchAll(/(\w+)\((?:first|last):/g)].map((m) => m[1]);
    expect(nested).toEqual(["contexts", "latestOpinionatedReviews", "files"]);
    expect(fields).not.toContain("commits(");
    // Only approvals from accounts with write access count toward GitHub's required reviews.
    expect(fields).toContain("latestOpinionatedReviews(first: 100, writersOnly: true)");
  });
});

describe("pullRequestsWanted", () => {
  const since = new Date("2026-09-01T00:00:00Z");
  const listed = (inWindow: number, before: number, numbered = false) => [
    ...Array.from({ length: inWindow }, (_, i) => ({ updatedAt: "2026-10-01T00:00:00Z", ...(numbered ? { number: i + 1 } : {}) })),
    ...Array.from({ length: before }, (_, i) => ({ updatedAt: "2026-08-01T00:00:00Z", ...(numbered ? { number: 1000 + i } : {}) })),
  ];
  const read = (numbers: number[]) => numbers.map((n) => ({ ...pr({ approvals: [] }), number: n, url: `https://github.com/octo-org/api/pull/${n}`, updatedAt: "2026-10-01T00:00:00Z" }));
  const first = (count: number) => read(Array.from({ length: count }, (_, i) => i + 1));

  it("asks for the pull requests of the window not read yet, and one past it when the list only counts them", () => {
    expect(pullRequestsWanted(listed(40, 10), first(25), since)).toBe(16);
    expect(pullRequestsWanted(listed(99, 1), first(25), since)).toBe(75);
  });

  it("asks for exactly those not read when the list names every pull request of the window", () => {
    expect(pullRequestsWanted(listed(40, 10, true), first(25), since)).toBe(15);
    // A page returned one the list does not name: the list is not the window's, so one past the count.
    expect(pullRequestsWanted(listed(40, 10, true), read([...Array.from({ length: 24 }, (_, i) => i + 1), 500]), since)).toBe(16);
  });

  it("asks for one past what it knows, or as many as fit, when the list cannot see the end of the window, or no longer matches it", () => {
    expect(pullRequestsWanted(listed(100, 0, true), first(25), since)).toBe(76);
    expect(pullRequestsWanted(null, first(25), since)).toBe("fill");
    // Pull requests updated between the two queries: the list says none remain, the page says otherwise.
    expect(pullRequestsWanted(listed(20, 5), first(25), since)).toBe("fill");
  });
});

describe("pullRequestsCollector", () => {
  it("reads a second page when more than 100 PRs were updated in the window, and stops at the window", async () => {
    const firstPage = Array.from({ length: 100 }, () => pr({ approvals: [{ by: user("bob") }] }));
    const secondPage = [pr({ approvals: [{ by: user("bob") }] }), pr({ mergedAt: "2025-06-01T00:00:00Z", updatedAt: "2025-06-01T00:00:00Z" })];
    const requests = mockGraphql(() => ({ data: { rateLimit: { cost: 1 }, repository: { pr_merged: { pageInfo: { hasNextPage: true, endCursor: "c2" }, nodes: secondPage } } } }));
    const ctx = collectContext({
      repositoryData: quietRepositoryData({ pr_merged: { pageInfo: { hasNextPage: true, endCursor: "c1" }, nodes: firstPage } }),
    });
    const findings = await pullRequestsCollector.collect(ctx);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.variables).toMatchObject({ owner: "octo-org", name: "api", branch: "main", prCursor: "c1" });
    expect(ctx.client.counts.graphql).toBe(1);
    expect(findings.find((f) => f.id === "reviews.merged-prs")?.value).toBe(101);
    for (const f of findings) expect(findingSchema.safeParse(f).success).toBe(true);
  });

  it("reports the evidence unreadable when GitHub refused the pull-request fields", async () => {
    const ctx = collectContext({ repositoryData: { pr_merged: null }, repositoryErrors: [{ path: ["repository", "pr_merged"], message: "Resource not accessible by integration" }] });
    const findings = await pullRequestsCollector.collect(ctx);
    expect(findings.every((f) => f.value === null && f.error?.includes("Resource not accessible"))).toBe(true);
    expect(findings.map((f) => f.id)).toEqual([...pullRequestsCollector.produces]);
  });

  it("refuses to guess when the window holds more pages than it reads", async () => {
    const page = (cursor: string) => ({ pageInfo: { hasNextPage: true, endCursor: cursor }, nodes: [pr()] });
    mockGraphql(() => ({ data: { rateLimit: { cost: 1 }, repository: { pr_merged: page("next") } } }), MAX_MERGED_PAGES);
    const findings = await pullRequestsCollector.collect(collectContext({ repositoryData: quietRepositoryData({ pr_merged: page("c1") }) }));
    expect(findings.every((f) => f.value === null && f.error?.includes("shorten windowDays"))).toBe(true);
  });

  it("fails visibly on an answer of the wrong shape", async () => {
    await expect(pullRequestsCollector.collect(collectContext({ repositoryData: { pr_merged: { nodes: "nope" } } }))).rejects.toThrow();
  });

  it("does not say no update PR rots when open PRs past the age threshold were not all read", async () => {
    const open = (i: number, createdAt: string) => ({ url: `https://github.com/octo-org/api/pull/${i}`, createdAt, author: user("alice") });
    const oldest = { totalCount: 350, nodes: Array.from({ length: 100 }, (_, i) => open(i, "2026-01-01T00:00:00Z")) };
    const newest = { nodes: Array.from({ length: 100 }, (_, i) => open(1000 + i, "2026-11-20T00:00:00Z")) };
    const findings = await pullRequestsCollector.collect(collectContext({ repositoryData: quietRepositoryData({ pr_openOldest: oldest, pr_openNewest: newest }) }));
    const updates = findings.find((f) => f.id === "deps.update-prs")!;
    expect(updates.value).toBeNull();
    expect(updates.error).toContain("350 pull requests are open and 150 of them were not read");

    // When even the 100th oldest is recent, the unread ones are newer still: nothing is hidden.
    const recent = { totalCount: 350, nodes: Array.from({ length: 100 }, (_, i) => open(i, "2026-11-20T00:00:00Z")) };
    const fine = await pullRequestsCollector.collect(collectContext({ repositoryData: quietRepositoryData({ pr_openOldest: recent, pr_openNewest: newest }) }));
    expect(fine.find((f) => f.id === "deps.update-prs")!.value).toMatchObject({ openOlderThanThreshold: 0 });
  });
});
