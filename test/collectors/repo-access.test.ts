import nock from "nock";
import { describe, expect, it } from "vitest";
import { environments, individualGrants, repoAccessCollector, REPO_ACCESS_FINDINGS, securityFeature, teamGrants, writeDeployKeys } from "../../src/collectors/repo-access.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { findingSchema, type Finding } from "../../src/core/findings.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { collectContext, NOW, testRepo } from "../helpers/collect.js";
import { API } from "../helpers/github-api.js";
import { schemaErrors } from "../helpers/graphql.js";
import { example } from "../helpers/openapi-examples.js";
import { quietRepositoryData } from "../helpers/repository-graphql.js";

const ALERTS = "/repos/octo-org/api/secret-scanning/alerts";
const byId = (findings: Finding[], id: string) => findings.find((f) => f.id === id)!;

const source = (typename: string, permission: string, roleName: string | null = null) => ({ permission, roleName, source: { __typename: typename } });
const collaborator = (login: string, permission: string, sources: unknown[] | null) => ({ permission, permissionSources: sources, node: { login } });
const teamWith = (slug: string, edges: { repo: string; permission: string }[], totalCount = edges.length) => ({
  slug,
  acc_repos: { totalCount, edges: edges.map((e) => ({ permission: e.permission, node: { nameWithOwner: e.repo } })) },
});

/** An open alert from GitHub's example, created `daysAgo` before NOW. */
function openAlert(number: number, daysAgo: number) {
  const [alert] = example<any[]>("secret-scanning-alert-list");
  return { ...alert, number, state: "open", resolution: null, resolved_at: null, resolved_by: null, created_at: new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString() };
}

describe("repoAccessFragment", () => {
  it("is valid against GitHub's schema, alone", () => {
    expect(schemaErrors(buildRepositoryQuery([repoAccessCollector.repositoryFragment!]))).toEqual([]);
  });
});

describe("individualGrants", () => {
  it("takes the repository's own grant, not a higher one that comes from a team", () => {
    const read = individualGrants({
      totalCount: 4,
      edges: [
        collaborator("direct-writer", "WRITE", [source("Repository", "WRITE")]),
        collaborator("team-admin", "ADMIN", [source("Repository", "READ"), source("Team", "ADMIN")]),
        collaborator("maintainer", "MAINTAIN", [source("Repository", "WRITE", "maintain"), source("Organization", "READ")]),
        collaborator("triager", "TRIAGE", [source("Repository", "READ", "triage")]),
      ],
    });
    expect(read).toEqual({ value: [{ login: "direct-writer", permission: "write" }, { login: "maintainer", permission: "maintain" }] });
  });

  it("counts the edge's permission as individual when GitHub gives no sources", () => {
    expect(individualGrants({ totalCount: 1, edges: [collaborator("mona", "ADMIN", null)] })).toEqual({ value: [{ login: "mona", permission: "admin" }] });
  });

  it("is unreadable when not every collaborator was read", () => {
    const read = individualGrants({ totalCount: 150, edges: [collaborator("mona", "READ", [source("Repository", "READ")])] });
    expect(read).toMatchObject({ value: null, error: expect.stringContaining("150 direct collaborators") });
  });
});

describe("teamGrants", () => {
  it("matches this repository exactly among the name-filtered repositories of each team", () => {
    const read = teamGrants(
      {
        totalCount: 3,
        nodes: [
          teamWith("core", [{ repo: "octo-org/api", permission: "MAINTAIN" }]),
          teamWith("gateway", [{ repo: "octo-org/api-gateway", permission: "ADMIN" }]),
          teamWith("readers", [{ repo: "OCTO-ORG/API", permission: "READ" }]),
        ],
      },
      "octo-org/api",
    );
    expect(read).toEqual({ value: [{ team: "core", permission: "maintain" }, { team: "readers", permission: "read" }] });
  });

  it("is unreadable when teams, or a team's matching repositories, were cut off", () => {
    expect(teamGrants({ totalCount: 120, nodes: [] }, "octo-org/api")).toMatchObject({ value: null, error: expect.stringContaining("120 teams") });
    const crowded = teamGrants({ totalCount: 1, nodes: [teamWith("platform", [{ repo: "octo-org/api-1", permission: "WRITE" }], 140)] }, "octo-org/api");
    expect(crowded).toMatchObject({ value: null, error: expect.stringContaining("platform") });
  });
});

describe("writeDeployKeys and environments", () => {
  it("lists deploy keys that can push", () => {
    expect(writeDeployKeys({ totalCount: 2, nodes: [{ title: "ci read", readOnly: true }, { title: "release bot", readOnly: false }] })).toEqual({ value: ["release bot"] });
    expect(writeDeployKeys({ totalCount: 101, nodes: [{ title: "ci read", readOnly: true }] })).toMatchObject({ value: null });
  });

  it("counts only required reviewers and branch policies as guards, not a wait timer", () => {
    const env = (name: string, ...types: string[]) => ({ name, protectionRules: { nodes: types.map((type) => ({ type })) } });
    const read = environments({
      totalCount: 4,
      nodes: [env("production", "REQUIRED_REVIEWERS", "WAIT_TIMER"), env("staging", "BRANCH_POLICY"), env("preview", "WAIT_TIMER"), env("sandbox")],
    });
    expect(read.names).toEqual({ value: ["production", "staging", "preview", "sandbox"] });
    expect(read.unguarded).toEqual({ value: ["preview", "sandbox"] });
  });
});

describe("securityFeature", () => {
  it("reads enabled and disabled, and never reads an undisclosed setting as off", () => {
    const features = { secret_scanning: { status: "enabled" }, secret_scanning_push_protection: { status: "disabled" } };
    expect(securityFeature(testRepo({ securityAndAnalysis: features }), "secret_scanning")).toEqual({ value: true });
    expect(securityFeature(testRepo({ securityAndAnalysis: features }), "secret_scanning_push_protection")).toEqual({ value: false });
    expect(securityFeature(testRepo({ securityAndAnalysis: null }), "secret_scanning")).toMatchObject({ value: null, error: expect.stringContaining("did not disclose") });
    expect(securityFeature(testRepo({ securityAndAnalysis: { advanced_security: { status: "enabled" } } }), "secret_scanning")).toMatchObject({ value: null });
  });
});

describe("repoAccessCollector", () => {
  const repositoryData = quietRepositoryData({
    acc_direct: { totalCount: 1, edges: [collaborator("contractor", "WRITE", [source("Repository", "WRITE")])] },
    acc_owner: { acc_teams: { totalCount: 1, nodes: [teamWith("core", [{ repo: "octo-org/api", permission: "ADMIN" }])] } },
    acc_deployKeys: { totalCount: 1, nodes: [{ title: "release bot", readOnly: false }] },
    acc_environments: { totalCount: 1, nodes: [{ name: "production", protectionRules: { nodes: [] } }] },
  });
  const securityAndAnalysis = { secret_scanning: { status: "enabled" }, secret_scanning_push_protection: { status: "enabled" } };

  it("produces every finding, with open alerts read oldest first", async () => {
    let query: Record<string, string> = {};
    nock(API)
      .get(ALERTS)
      .query((q) => ((query = q as Record<string, string>), true))
      .reply(200, [openAlert(2, 30), openAlert(3, 1)]);
    const findings = await repoAccessCollector.collect(collectContext({ repo: testRepo({ securityAndAnalysis }), repositoryData }));
    expect(query).toMatchObject({ state: "open", sort: "created", direction: "asc", per_page: "100" });
    expect(findings.map((f) => f.id).sort()).toEqual([...REPO_ACCESS_FINDINGS].sort());
    for (const f of findings) expect(findingSchema.safeParse(f).success, f.id).toBe(true);
    expect(Object.fromEntries(findings.map((f) => [f.id, f.value]))).toEqual({
      "access.individual-grants": [{ login: "contractor", permission: "write" }],
      "access.team-grants": [{ team: "core", permission: "admin" }],
      "deploy-keys.write": ["release bot"],
      "environments.names": ["production"],
      "environments.unguarded": ["production"],
      "secrets.scanning": true,
      "secrets.push-protection": true,
      "secrets.alerts": { open: 2, overdue: 1 },
    });
  });

  it("makes refused fields and a refused alerts read unreadable with the permission, never empty", async () => {
    nock(API).get(ALERTS).query(true).reply(403, { message: "Resource not accessible by integration" });
    const errors = [
      { path: ["repository", "acc_deployKeys"], message: "Resource not accessible by integration" },
      { path: ["repository", "acc_environments"], message: "Resource not accessible by integration" },
      { path: ["repository", "acc_owner", "acc_teams"], message: "Resource not accessible by integration" },
    ];
    const data = { ...repositoryData, acc_deployKeys: null, acc_environments: null, acc_owner: { acc_teams: null } };
    const findings = await repoAccessCollector.collect(collectContext({ repositoryData: data, repositoryErrors: errors }));
    expect(byId(findings, "deploy-keys.write")).toMatchObject({ value: null, error: expect.stringContaining("Administration: read") });
    expect(byId(findings, "environments.unguarded")).toMatchObject({ value: null, error: expect.stringContaining("acc_environments") });
    expect(byId(findings, "access.team-grants")).toMatchObject({ value: null, error: expect.stringContaining("Members: read") });
    expect(byId(findings, "secrets.alerts")).toMatchObject({ value: null, error: expect.stringContaining("Secret scanning alerts: read") });
    expect(byId(findings, "secrets.scanning")).toMatchObject({ value: null, error: expect.stringContaining("security_and_analysis") });
    expect(byId(findings, "access.individual-grants").value).toEqual([{ login: "contractor", permission: "write" }]);
  });

  it("does not ask for the alerts of a repository GitHub says has secret scanning off: the judge finds the gap on that alone", async () => {
    // No alerts mock: nock refuses any request, so one made would show as a network error.
    const off = { secret_scanning: { status: "disabled" }, secret_scanning_push_protection: { status: "disabled" } };
    const findings = await repoAccessCollector.collect(collectContext({ repo: testRepo({ securityAndAnalysis: off }), repositoryData }));
    expect(byId(findings, "secrets.scanning").value).toBe(false);
    expect(byId(findings, "secrets.alerts")).toMatchObject({ value: null, source: "GET /repos/{owner}/{repo} security_and_analysis", error: expect.stringContaining("secret scanning is disabled") });
    const check = evaluateClaims(findings, DEFAULT_CONFIG).find((c) => c.claimId === "2.1.4")?.checks.find((c) => c.checkId === "secret-scanning");
    expect(check).toMatchObject({ status: "gap", reason: expect.stringContaining("secret scanning is off") });
    // Not disclosed is not off: then the alerts are asked for.
    const alerts = nock(API).get(ALERTS).query(true).reply(200, []);
    const undisclosed = await repoAccessCollector.collect(collectContext({ repo: testRepo({ securityAndAnalysis: null }), repositoryData }));
    expect(alerts.isDone()).toBe(true);
    expect(byId(undisclosed, "secrets.alerts").value).toEqual({ open: 0, overdue: 0 });
  });

  it("reads a user-owned repository as having no team grants", async () => {
    nock(API).get(ALERTS).query(true).reply(404, { message: "Secret scanning is disabled on this repository." });
    const findings = await repoAccessCollector.collect(collectContext({ repositoryData: { ...repositoryData, acc_owner: {} } }));
    expect(byId(findings, "access.team-grants").value).toEqual([]);
    expect(byId(findings, "secrets.alerts").error).toContain("HTTP 404");
  });

  describe("environments beyond the first page of 10", () => {
    const env = (name: string, guarded: boolean) => ({ name, protectionRules: { nodes: guarded ? [{ type: "REQUIRED_REVIEWERS" }] : [{ type: "WAIT_TIMER" }] } });
    const firstPage = { totalCount: 12, pageInfo: { hasNextPage: true, endCursor: "e10" }, nodes: Array.from({ length: 10 }, (_, i) => env(`env-${i}`, true)) };
    const withEnvironments = () => ({ ...repositoryData, acc_environments: firstPage });
    const pageQuery = (body: { query: string; variables: Record<string, unknown> }) => body.query.includes("query claimcheckEnvironmentsPage(") && body.variables.cursor === "e10";

    it("reads the next pages, so an unguarded environment there is seen and the list is whole", async () => {
      nock(API).get(ALERTS).query(true).reply(200, []);
      nock(API)
        .post("/graphql", pageQuery)
        .reply(200, { data: { rateLimit: { cost: 1, remaining: 4000, resetAt: "2026-11-24T13:00:00Z" }, repository: { acc_environments: { totalCount: 12, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [env("env-10", true), env("production", false)] } } } });
      const findings = await repoAccessCollector.collect(collectContext({ repositoryData: withEnvironments() }));
      expect(byId(findings, "environments.names").value).toHaveLength(12);
      expect(byId(findings, "environments.unguarded").value).toEqual(["production"]);
    });

    it("says the list was read in part when a later page cannot be read: never 'all guarded' on 10 of 12", async () => {
      nock(API).get(ALERTS).query(true).reply(200, []);
      nock(API).post("/graphql", pageQuery).reply(502, { message: "Server Error" });
      const findings = await repoAccessCollector.collect(collectContext({ repositoryData: withEnvironments() }));
      expect(byId(findings, "environments.names")).toMatchObject({ value: null, error: "12 environments, of which only 10 were read" });
      expect(byId(findings, "environments.unguarded")).toMatchObject({ value: null, error: "12 environments, of which only 10 were read" });
    });
  });
});
