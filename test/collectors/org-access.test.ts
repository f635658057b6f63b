import nock from "nock";
import { describe, expect, it } from "vitest";
import {
  activityOf,
  inactiveFinding,
  ORG_ACCESS_FINDINGS,
  ORG_OUTSIDE_ACCESS_QUERY,
  ORG_SSO_QUERY,
  orgAccessCollector,
  outsideActivityQuery,
  outsideGrants,
  outsideWriteFinding,
  type Activity,
  type Contributions,
  type OutsideRepoNode,
} from "../../src/collectors/org-access.js";
import { parseRepoConfig } from "../../src/config/repo-config.js";
import { findingSchema, type Finding } from "../../src/core/findings.js";
import { orgContext } from "../helpers/collect.js";
import { API } from "../helpers/github-api.js";
import { mockGraphql, schemaErrors, type GraphqlRequest } from "../helpers/graphql.js";
import { example } from "../helpers/openapi-examples.js";

const WHERE = { source: "test", url: "https://github.com/orgs/octo-org/outside-collaborators", observedAt: "2026-11-24T12:00:00.000Z" };
const byId = (findings: Finding[], id: string) => findings.find((f) => f.id === id)!;

const users = (...logins: string[]) => logins.map((login) => ({ ...example<any[]>("simple-user-items")[0], login }));
const repoNode = (nameWithOwner: string, edges: [string, string][], extra: Partial<OutsideRepoNode> = {}): OutsideRepoNode => ({
  name: nameWithOwner.split("/")[1]!,
  nameWithOwner,
  isArchived: false,
  isFork: false,
  collaborators: { totalCount: edges.length, edges: edges.map(([login, permission]) => ({ permission: permission as "write", node: { login } })) },
  ...extra,
});
const contributions = (overrides: Partial<Contributions> = {}): Contributions => ({
  totalCommitContributions: 0,
  totalIssueContributions: 0,
  totalPullRequestContributions: 0,
  totalPullRequestReviewContributions: 0,
  totalRepositoryContributions: 0,
  restrictedContributionsCount: 0,
  ...overrides,
});

describe("organisation GraphQL documents", () => {
  it("are valid against GitHub's schema", () => {
    expect(schemaErrors(ORG_SSO_QUERY)).toEqual([]);
    expect(schemaErrors(ORG_OUTSIDE_ACCESS_QUERY)).toEqual([]);
    expect(schemaErrors(outsideActivityQuery(2))).toEqual([]);
  });
});

describe("outsideGrants", () => {
  it("keeps write, maintain and admin; skips archived, forked and excluded repositories", () => {
    const sweep = outsideGrants(
      [
        repoNode("octo-org/api", [["contractor", "write"], ["reader", "read"]]),
        repoNode("octo-org/old", [["contractor", "admin"]], { isArchived: true }),
        repoNode("octo-org/fork", [["contractor", "admin"]], { isFork: true }),
        repoNode("octo-org/sandbox", [["contractor", "admin"]]),
        repoNode("octo-org/web", [["designer", "maintain"]]),
      ],
      ["sandbox"],
    );
    expect(sweep.grants).toEqual([
      { login: "contractor", repo: "octo-org/api", permission: "write" },
      { login: "designer", repo: "octo-org/web", permission: "maintain" },
    ]);
    expect([...sweep.seen].sort()).toEqual(["contractor", "designer", "reader"]);
    expect(sweep.unread).toEqual([]);
  });

  it("does not let a repository read in part pass for one without outside writers", () => {
    const partial = outsideGrants([repoNode("octo-org/api", [["reader", "read"]], { collaborators: { totalCount: 130, edges: [{ permission: "read", node: { login: "reader" } }] } })], []);
    expect(outsideWriteFinding({ ok: true, value: partial }, [], WHERE)).toMatchObject({ value: null, error: expect.stringContaining("octo-org/api") });
    const excepted = outsideGrants([repoNode("octo-org/api", [["contractor", "write"]]), repoNode("octo-org/web", [], { collaborators: null })], []);
    expect(outsideWriteFinding({ ok: true, value: excepted }, ["Contractor"], WHERE).value).toBeNull();
    // A breach already seen stands whatever the unread repositories hold.
    expect(outsideWriteFinding({ ok: true, value: excepted }, [], WHERE).value).toEqual([{ login: "contractor", repo: "octo-org/api", permission: "write" }]);
    // An outside collaborator the organisation lists but no visible repository showed: access the app cannot see.
    const clean = { grants: [], seen: new Set(["contractor"]), unread: [] };
    expect(outsideWriteFinding({ ok: true, value: clean }, [], WHERE, ["contractor"]).value).toEqual([]);
    expect(outsideWriteFinding({ ok: true, value: clean }, [], WHERE, ["contractor", "hidden-helper"])).toMatchObject({ value: null, error: expect.stringContaining("hidden-helper is an outside collaborator only on repositories the app cannot see") });
  });
});

describe("activityOf and inactiveFinding", () => {
  it("takes a contribution as activity and zero as inactivity only when nothing is hidden", () => {
    expect(activityOf(contributions({ totalPullRequestReviewContributions: 1 }), true)).toBe("active");
    expect(activityOf(contributions(), false)).toBe("inactive");
    expect(activityOf(contributions({ restrictedContributionsCount: 3 }), false)).toEqual({ undetermined: expect.stringContaining("hidden") });
    expect(activityOf(contributions(), true)).toEqual({ undetermined: expect.stringContaining("cannot see") });
    expect(activityOf(null, false)).toEqual({ undetermined: expect.any(String) });
  });

  it("never reports nobody inactive while someone's activity is undetermined", () => {
    const undetermined = new Map<string, Activity>([["a", "active"], ["b", { undetermined: "has contributions hidden from the app" }]]);
    expect(inactiveFinding(undetermined, WHERE)).toMatchObject({ value: null, error: expect.stringContaining("b (has contributions hidden") });
    const named = new Map<string, Activity>([["b", { undetermined: "x" }], ["c", "inactive"]]);
    expect(inactiveFinding(named, WHERE).value).toEqual(["c"]);
  });
});

function mockOrg(overrides: Record<string, unknown> = {}, drop: string[] = []) {
  const org: Record<string, unknown> = { ...example("organization-full"), login: "octo-org", ...overrides };
  for (const key of drop) delete org[key];
  nock(API).get("/orgs/octo-org").reply(200, org);
  return org;
}

function mockMembers(query: Record<string, string>, status: number, body: unknown) {
  nock(API)
    .get("/orgs/octo-org/members")
    .query({ ...query, per_page: "100", page: "1" })
    .reply(status, body as nock.Body);
}

type Answers = { sso?: unknown; outside?: unknown; activity?: (request: GraphqlRequest) => unknown };

function mockOrgGraphql(answers: Answers) {
  const rateLimit = { cost: 1, remaining: 4999 };
  return mockGraphql((request) => {
    if (request.query.includes("claimcheckOrgSso")) return answers.sso ?? { data: { rateLimit, organization: { samlIdentityProvider: null } } };
    if (request.query.includes("claimcheckOrgOutsideAccess")) return answers.outside;
    return answers.activity!(request);
  }, 3);
}

/** GraphQL's answer for repositories: the same nodes, with permissions spelt as GitHub's enum. */
const asGraphql = (node: OutsideRepoNode) => ({
  ...node,
  collaborators: node.collaborators && { ...node.collaborators, edges: node.collaborators.edges.map((e) => ({ ...e, permission: e.permission.toUpperCase() })) },
});
const outsidePage = (nodes: OutsideRepoNode[]) => ({
  data: { rateLimit: { cost: 1, remaining: 4999 }, organization: { repositories: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: nodes.map(asGraphql) } } },
});

describe("orgAccessCollector", () => {
  it("reads the settings, owners, 2FA, outside write access and activity", async () => {
    const org = mockOrg();
    mockMembers({ role: "admin" }, 200, users("octocat", "hubot"));
    mockMembers({ filter: "2fa_disabled" }, 200, []);
    nock(API).get("/orgs/octo-org/outside_collaborators").query({ per_page: "100", page: "1" }).reply(200, users("contractor", "idle"));
    const requests = mockOrgGraphql({
      outside: outsidePage([repoNode("octo-org/api", [["contractor", "write"], ["idle", "read"]])]),
      activity: (request) => ({
        data: {
          rateLimit: { cost: 1, remaining: 4998 },
          u0: { login: request.variables.u0, contributionsCollection: contributions({ totalCommitContributions: 4 }) },
          u1: { login: request.variables.u1, contributionsCollection: contributions() },
        },
      }),
    });
    const config = parseRepoConfig({ exceptions: { outsideCollaborators: ["someone-else"] } }).config;
    const findings = await orgAccessCollector.collect(orgContext({ config }));

    expect(findings.map((f) => f.id).sort()).toEqual([...ORG_ACCESS_FINDINGS].sort());
    for (const f of findings) expect(findingSchema.safeParse(f).success, f.id).toBe(true);
    expect(Object.fromEntries(findings.filter((f) => f.value !== null).map((f) => [f.id, f.value]))).toEqual({
      "org.2fa-required": org.two_factor_requirement_enabled,
      "org.base-permission": org.default_repository_permission,
      "org.owners": ["octocat", "hubot"],
      "org.members-without-2fa": [],
      "org.outside-collaborators-with-write": [{ login: "contractor", repo: "octo-org/api", permission: "write" }],
      "org.outside-collaborators-inactive": ["idle"],
    });
    expect(byId(findings, "org.sso-enforced").error).toContain("no SAML identity provider");
    const activity = requests.find((r) => r.query.includes("claimcheckOutsideActivity"))!;
    expect(activity.variables).toMatchObject({ orgId: org.node_id, u0: "contractor", u1: "idle", from: expect.stringMatching(/^2026-08-26/) });
  });

  it("reads settings GitHub leaves out, and a refused 2FA filter, as unknown, never off", async () => {
    mockOrg({}, ["two_factor_requirement_enabled", "default_repository_permission"]);
    mockMembers({ role: "admin" }, 200, users("octocat"));
    mockMembers({ filter: "2fa_disabled" }, 422, { message: "Only owners can use this filter." });
    nock(API).get("/orgs/octo-org/outside_collaborators").query(true).reply(200, []);
    mockOrgGraphql({
      sso: { data: { rateLimit: { cost: 1, remaining: 1 }, organization: { samlIdentityProvider: { issuer: "https://idp.example.com", ssoUrl: "https://idp.example.com/sso" } } } },
      outside: outsidePage([]),
    });
    const findings = await orgAccessCollector.collect(orgContext());
    expect(byId(findings, "org.2fa-required")).toMatchObject({ value: null, error: expect.stringContaining("'Administration: read'") });
    expect(byId(findings, "org.base-permission")).toMatchObject({ value: null, error: expect.stringContaining("default_repository_permission") });
    expect(byId(findings, "org.members-without-2fa")).toMatchObject({ value: null, error: expect.stringContaining("only organisation owners") });
    expect(byId(findings, "org.sso-enforced")).toMatchObject({ value: null, error: expect.stringContaining("does not say whether it is required") });
    expect(byId(findings, "org.outside-collaborators-inactive").value).toEqual([]);
  });

  it("makes outside collaborators unreadable when the repositories cannot be walked", async () => {
    mockOrg();
    mockMembers({ role: "admin" }, 403, { message: "Resource not accessible by integration" });
    mockMembers({ filter: "2fa_disabled" }, 403, { message: "Resource not accessible by integration" });
    nock(API).get("/orgs/octo-org/outside_collaborators").query(true).reply(403, { message: "Resource not accessible by integration" });
    mockOrgGraphql({ outside: { data: { organization: null }, errors: [{ path: ["organization"], message: "Resource not accessible by integration" }] } });
    const findings = await orgAccessCollector.collect(orgContext());
    expect(byId(findings, "org.owners")).toMatchObject({ value: null, error: expect.stringContaining("Members: read") });
    expect(byId(findings, "org.outside-collaborators-with-write")).toMatchObject({ value: null, error: expect.stringContaining("Resource not accessible") });
    expect(byId(findings, "org.outside-collaborators-inactive")).toMatchObject({ value: null, error: expect.stringContaining("HTTP 403") });
  });
});
