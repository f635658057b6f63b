import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API, captureCheckRuns, mockInstallationToken } from "../helpers/github-api.js";
import type { GraphqlRequest } from "../helpers/graphql.js";
import { checkRollup } from "../helpers/repository-graphql.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { mockOrganisationEvidence, mockOrganisationTeams, mockRepositoryEvidence } from "../helpers/scenario.js";
import { webhookExample } from "../helpers/webhooks.js";

/*
 * The request budget of one full repository assessment with 100 pull requests merged in the
 * window and 100 default-branch commits. The batched query reads the first 31 of each; the list
 * of recent merged pull requests and the history's count say how many remain, and two follow-up
 * queries of at most 149 requests each (one point each) read exactly those, the commits' page and
 * the pull requests' sharing the first: 3 GraphQL requests. (What GitHub charges for them in points
 * is measured against the simulator, which applies GitHub's cost formula: test/e2e/real-world-configs.)
 * Organisation evidence is read once per run and is not part of a repository's count; in the app,
 * neither are the organisation's teams nor its `.github` configuration file, which an installation's
 * assessments share (app/org-evidence.ts). This counts requests; it does not time anything.
 */

const NOW = new Date("2026-11-24T09:30:00Z");
const sha = (i: number) => i.toString(16).padStart(40, "0");
const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString();

function mergedPr(i: number) {
  return {
    url: `https://github.com/Codertocat/Hello-World/pull/${i}`,
    createdAt: at(200 + i),
    mergedAt: at(10 + i),
    updatedAt: at(10 + i),
    author: { __typename: "User", login: "alice" },
    mergedBy: { login: "alice" },
    baseRefName: "main",
    headRefOid: sha(i),
    statusCheckRollup: { ...checkRollup(i % 10 === 0 ? "FAILURE" : "SUCCESS"), commit: { oid: sha(i) } },
    latestOpinionatedReviews: { totalCount: i % 4 === 0 ? 0 : 1, nodes: i % 4 === 0 ? [] : [{ state: "APPROVED", submittedAt: at(11 + i), author: { __typename: "User", login: "bob" }, commit: { oid: sha(i) } }] },
    files: { totalCount: 1, nodes: [{ path: "src/index.ts" }] },
  };
}

function commit(i: number) {
  return { oid: sha(1000 + i), committedDate: at(10 + i), signature: { isValid: i % 2 === 0 }, statusCheckRollup: checkRollup("SUCCESS") };
}

/** Answers the follow-up page `operation` with `repository` data. */
function mockPage(operation: string, repository: Record<string, unknown>): GraphqlRequest[] {
  const seen: GraphqlRequest[] = [];
  nock(API)
    .post("/graphql", (body: GraphqlRequest) => body.query.includes(`query ${operation}(`) && seen.push(body) > 0)
    .reply(200, { data: { rateLimit: { cost: 1, remaining: 4990, resetAt: "2026-11-24T13:00:00Z" }, repository } });
  return seen;
}

/** Answers `times` follow-up window queries from the lists, by each query's cursors and sizes. */
function mockWindowPages(prs: unknown[], commits: unknown[], times: number): GraphqlRequest[] {
  const seen: GraphqlRequest[] = [];
  const page = (items: unknown[], cursor: unknown, first: unknown, prefix: string) => {
    const from = Number(String(cursor).slice(prefix.length));
    const to = from + Number(first);
    return { pageInfo: { hasNextPage: to < items.length, endCursor: `${prefix}${to}` }, nodes: items.slice(from, to) };
  };
  nock(API)
    .post("/graphql", (body: GraphqlRequest) => body.query.includes("query claimcheckWindowPages(") && seen.push(body) > 0)
    .times(times)
    .reply(200, (_uri, body) => {
      const v = (body as GraphqlRequest).variables as Record<string, unknown>;
      const repository: Record<string, unknown> = {};
      if (v.prCursor !== undefined) repository.pr_merged = page(prs, v.prCursor, v.prFirst, "pr");
      if (v.histCursor !== undefined) repository.hist_branch = { target: { history: { totalCount: commits.length, ...page(commits, v.histCursor, v.histFirst, "c") } } };
      return { data: { rateLimit: { cost: 1, remaining: 4990, resetAt: "2026-11-24T13:00:00Z" }, repository } };
    });
  return seen;
}

describe("requests per repository assessment", () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp({ now: () => NOW });
  });
  afterEach(async () => await app.store.close());

  it("reads 100 merged pull requests and 100 commits in 3 GraphQL requests: a first page of each, then the rest in two queries of one point", async () => {
    const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence("Codertocat");
    mockOrganisationTeams();
    const prs = Array.from({ length: 100 }, (_, i) => mergedPr(i + 1));
    const commits = Array.from({ length: 100 }, (_, i) => commit(i));
    mockRepositoryEvidence("Codertocat", "Hello-World", {
      graphql: {
        pr_merged: { pageInfo: { hasNextPage: true, endCursor: "pr31" }, nodes: prs.slice(0, 31) },
        // The 100 most recently updated, the last of them still in the window.
        pr_recent: { nodes: prs.map((pr) => ({ updatedAt: pr.updatedAt })) },
        hist_branch: { target: { history: { totalCount: 100, pageInfo: { hasNextPage: true, endCursor: "c31" }, nodes: commits.slice(0, 31) } } },
        hist_merges: { nodes: commits.map((c) => ({ mergeCommit: { oid: c.oid } })) },
      },
    });
    const pages = mockWindowPages(prs, commits, 2);
    captureCheckRuns("Codertocat", "Hello-World");

    await app.deliver("pull_request", payload);

    const [stored] = await app.store.assessments(payload.installation.id, "Codertocat/Hello-World");
    expect(stored!.findings.find((f) => f.id === "reviews.merged-prs")?.value).toBe(100);
    expect(stored!.findings.find((f) => f.id === "reviews.independently-approved")?.value).toBe(75);
    expect(stored!.findings.find((f) => f.id === "commits.verified")?.value).toEqual({ total: 100, verified: 50 });
    expect(stored!.findings.find((f) => f.id === "commits.direct-pushes")?.value).toBe(0);
    // The history's count says 69 commits remain; the list could not see past 100, so the pull
    // requests' pages ask for the 69 it counts and one past them: 1 + 69 and 1 + 3 × 26 requests,
    // then 1 + 3 × 44 (149 and 133: one point each).
    expect(pages.map((p) => p.variables)).toEqual([
      expect.objectContaining({ histFirst: 69, histCursor: "c31", prFirst: 26, prCursor: "pr31" }),
      expect.objectContaining({ prFirst: 44, prCursor: "pr57" }),
    ]);
    expect(pages[1]!.variables).not.toHaveProperty("histFirst");
    const { rest, graphql } = stored!.requests;
    expect(stored!.findings.find((f) => f.id === "access.team-grants")?.value).toEqual([]);
    // The repository's own configuration file, the repository, classic protection, the rules that
    // apply, Actions token settings, secret-scanning alerts. The organisation's `.github` file (read
    // as the repository has none) is one of the installation's shared reads, as its teams are.
    expect(rest).toBe(6);
    expect(graphql).toBe(3);
  });

  it("asks for no more pull requests than the window holds", async () => {
    const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence("Codertocat");
    mockOrganisationTeams();
    const prs = Array.from({ length: 40 }, (_, i) => mergedPr(i + 1));
    const old = { updatedAt: new Date(NOW.getTime() - 200 * 86_400_000).toISOString() };
    mockRepositoryEvidence("Codertocat", "Hello-World", {
      graphql: {
        pr_merged: { pageInfo: { hasNextPage: true, endCursor: "pr31" }, nodes: prs.slice(0, 31) },
        pr_recent: { nodes: [...prs.map((pr) => ({ updatedAt: pr.updatedAt })), old, old] },
      },
    });
    const prPage = mockPage("claimcheckWindowPages", { pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: prs.slice(31) } });
    captureCheckRuns("Codertocat", "Hello-World");

    await app.deliver("pull_request", payload);

    const [stored] = await app.store.assessments(payload.installation.id, "Codertocat/Hello-World");
    expect(stored!.findings.find((f) => f.id === "reviews.merged-prs")?.value).toBe(40);
    // 9 left in the window, and one past it to show where the window ends (the list gives no numbers).
    expect(prPage[0]!.variables).toMatchObject({ prFirst: 10 });
    expect(stored!.requests).toMatchObject({ rest: 6, graphql: 2 });
  });

  it("adds one request, GitHub's list of workflows and their state, when the repository has workflow files", async () => {
    const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence("Codertocat");
    mockOrganisationTeams();
    const ci = "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n";
    mockRepositoryEvidence("Codertocat", "Hello-World", {
      graphql: { wf_workflows: { entries: [{ name: "ci.yml", path: ".github/workflows/ci.yml", type: "blob", mode: 33188, object: { text: ci, byteSize: ci.length, isBinary: false, isTruncated: false } }] } },
    });
    nock(API).get("/repos/Codertocat/Hello-World/actions/workflows").query(true).reply(200, { total_count: 1, workflows: [{ id: 1, path: ".github/workflows/ci.yml", state: "active" }] });
    captureCheckRuns("Codertocat", "Hello-World");

    await app.deliver("pull_request", payload);

    const [stored] = await app.store.assessments(payload.installation.id, "Codertocat/Hello-World");
    expect(stored!.findings.find((f) => f.id === "ci.test-workflows")?.value).toEqual([".github/workflows/ci.yml"]);
    expect(stored!.requests).toMatchObject({ rest: 7, graphql: 1 });
  });
});
