import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API, captureCheckRuns, mockInstallationToken, mockNoConfig, mockProtection, mockRepository, mockWorkflowTokenSettings } from "../helpers/github-api.js";
import type { GraphqlRequest } from "../helpers/graphql.js";
import { quietRepositoryData } from "../helpers/repository-graphql.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { mockOrganisationEvidence } from "../helpers/scenario.js";
import { webhookExample } from "../helpers/webhooks.js";

/*
 * GitHub fails a GraphQL query as a whole when one part of it is too heavy (its time limit) or
 * a server error strikes. The repository's batched query is then asked for part by part, so only
 * the evidence that still cannot be read is unknown.
 */

const OWNER = "Codertocat";
const REPO = "Hello-World";

describe("a batched repository query that GitHub fails as a whole", () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp();
  });
  afterEach(async () => await app.store.close());

  it("is asked for again collector by collector, and only the part that still fails is unknown", async () => {
    const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence(OWNER);
    mockNoConfig(OWNER, REPO);
    mockRepository(OWNER, REPO);
    mockProtection(OWNER, REPO, 404);
    mockWorkflowTokenSettings(OWNER, REPO);
    nock(API).get(`/repos/${OWNER}/${REPO}/secret-scanning/alerts`).query(true).reply(200, []);

    const repositoryQuery = (body: GraphqlRequest) => body.query.includes("query claimcheckRepository(");
    const fragments = (body: GraphqlRequest) => (body.query.match(/^fragment claimcheck\w+ on Repository/gm) ?? []).length;
    const heavy = (body: GraphqlRequest) => body.query.includes("fragment claimcheckPullRequests on Repository");
    // The whole query, then the pull-request part alone, time out; every other part answers.
    nock(API).post("/graphql", (b: GraphqlRequest) => repositoryQuery(b) && fragments(b) > 1).reply(502, { message: "Server Error" });
    nock(API).post("/graphql", (b: GraphqlRequest) => repositoryQuery(b) && fragments(b) === 1 && heavy(b)).reply(502, { message: "Server Error" });
    const parts: GraphqlRequest[] = [];
    nock(API)
      .post("/graphql", (b: GraphqlRequest) => repositoryQuery(b) && fragments(b) === 1 && !heavy(b) && parts.push(b) > 0)
      .times(20)
      .reply(200, { data: { rateLimit: { cost: 1, remaining: 4990, resetAt: "2026-11-24T13:00:00Z" }, repository: quietRepositoryData() } });
    captureCheckRuns(OWNER, REPO);

    await app.deliver("pull_request", payload);

    const [stored] = await app.store.assessments(payload.installation.id, `${OWNER}/${REPO}`);
    const finding = (id: string) => stored!.findings.find((f) => f.id === id)!;
    expect(parts.length).toBeGreaterThanOrEqual(4);
    expect(finding("reviews.merged-prs").value).toBeNull();
    expect(finding("reviews.merged-prs").error).toContain("HTTP 502");
    // Evidence of the other parts was read.
    expect(finding("commits.direct-pushes").value).toBe(0);
    expect(finding("codeowners.present").value).toBe(false);
    expect(finding("deps.manifests").value).toEqual([]);
    expect(stored!.requests.graphql).toBe(2 + parts.length);
  });

  function mockEverythingButGraphql(payload: Record<string, any>) {
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence(OWNER);
    mockNoConfig(OWNER, REPO);
    mockRepository(OWNER, REPO);
    mockProtection(OWNER, REPO, 404);
    mockWorkflowTokenSettings(OWNER, REPO);
    nock(API).get(`/repos/${OWNER}/${REPO}/secret-scanning/alerts`).query(true).reply(200, []);
    captureCheckRuns(OWNER, REPO);
  }

  it.each([
    ["GitHub's GraphQL rate limit", { data: null, errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for installation ID 1." }] }, "rate limit exceeded"],
    ["a repository GraphQL cannot see", { data: { rateLimit: { cost: 1, remaining: 10, resetAt: "2026-11-24T13:00:00Z" }, repository: null }, errors: [{ type: "NOT_FOUND", path: ["repository"], message: "Could not resolve to a Repository" }] }, "GraphQL could not see the repository"],
  ])("is not split into parts when the whole failed for %s: one query, not one per collector", async (_what, answer, reason) => {
    const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
    mockEverythingButGraphql(payload);
    const sent: GraphqlRequest[] = [];
    nock(API)
      .post("/graphql", (b: GraphqlRequest) => b.query.includes("query claimcheckRepository(") && sent.push(b) > 0)
      .times(20)
      .reply(200, answer);

    await app.deliver("pull_request", payload);

    expect(sent).toHaveLength(1);
    const [stored] = await app.store.assessments(payload.installation.id, `${OWNER}/${REPO}`);
    expect(stored!.requests.graphql).toBe(1);
    expect(stored!.findings.find((f) => f.id === "reviews.merged-prs")!.error).toContain(reason);
  });
});
