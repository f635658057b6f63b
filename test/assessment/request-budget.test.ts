import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API, captureCheckRuns, mockInstallationToken } from "../helpers/github-api.js";
import { checkRollup } from "../helpers/repository-graphql.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { mockOrganisationEvidence, mockRepositoryEvidence } from "../helpers/scenario.js";
import { webhookExample } from "../helpers/webhooks.js";

/*
 * The request budget of one full repository assessment: 100 pull requests merged in the window
 * and 100 default-branch commits still fit in the one batched GraphQL query, so the whole
 * assessment stays within 8 requests. Organisation evidence is read once per run and is not
 * part of a repository's count. This counts requests; it does not time anything.
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
  return { oid: sha(1000 + i), committedDate: at(10 + i), signature: { isValid: i % 2 === 0 }, associatedPullRequests: { totalCount: 1 }, statusCheckRollup: checkRollup("SUCCESS") };
}

describe("requests per repository assessment", () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp({ now: () => NOW });
  });
  afterEach(() => app.store.close());

  it("stays within 8 requests with 100 merged pull requests and 100 commits in the window", async () => {
    const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence("Codertocat");
    mockRepositoryEvidence("Codertocat", "Hello-World", {
      graphql: {
        pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: Array.from({ length: 100 }, (_, i) => mergedPr(i + 1)) },
        hist_branch: { target: { history: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: Array.from({ length: 100 }, (_, i) => commit(i)) } } },
      },
    });
    captureCheckRuns("Codertocat", "Hello-World");

    await app.deliver("pull_request", payload);

    const [stored] = app.store.assessments(payload.installation.id, "Codertocat/Hello-World");
    expect(stored!.findings.find((f) => f.id === "reviews.merged-prs")?.value).toBe(100);
    expect(stored!.findings.find((f) => f.id === "reviews.independently-approved")?.value).toBe(75);
    const { rest, graphql } = stored!.requests;
    // Configuration (repository and organisation .github), the repository, classic protection,
    // the rules that apply, Actions token settings, secret-scanning alerts; one batched query.
    expect(rest).toBe(7);
    expect(graphql).toBe(1);
    expect(rest + graphql).toBeLessThanOrEqual(8);
  });

  it("adds one request, GitHub's list of workflows and their state, when the repository has workflow files", async () => {
    const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence("Codertocat");
    const ci = "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n";
    mockRepositoryEvidence("Codertocat", "Hello-World", {
      graphql: { wf_workflows: { entries: [{ name: "ci.yml", path: ".github/workflows/ci.yml", type: "blob", mode: 33188, object: { text: ci, byteSize: ci.length, isBinary: false, isTruncated: false } }] } },
    });
    nock(API).get("/repos/Codertocat/Hello-World/actions/workflows").query(true).reply(200, { total_count: 1, workflows: [{ id: 1, path: ".github/workflows/ci.yml", state: "active" }] });
    captureCheckRuns("Codertocat", "Hello-World");

    await app.deliver("pull_request", payload);

    const [stored] = app.store.assessments(payload.installation.id, "Codertocat/Hello-World");
    expect(stored!.findings.find((f) => f.id === "ci.test-workflows")?.value).toEqual([".github/workflows/ci.yml"]);
    expect(stored!.requests).toMatchObject({ rest: 8, graphql: 1 });
  });
});
