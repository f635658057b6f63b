import nock from "nock";
import { API, mockNoConfig, mockProtection, mockRepository, mockWorkflowTokenSettings } from "./github-api.js";
import { example } from "./openapi-examples.js";
import { mockRepositoryQuery, quietRepositoryData } from "./repository-graphql.js";

export type RepositoryEvidence = {
  /** Classic protection answer (an OpenAPI example, adapted) or 404 for none. */
  protection?: Record<string, unknown> | 404;
  rules?: unknown[];
  /** Fields of the batched GraphQL `repository` answer, over a quiet repository's. */
  graphql?: Record<string, unknown>;
  repository?: Record<string, unknown>;
  /**
   * "skip": the test answers the configuration reads itself (e.g. with mockConfig). "run": only
   * the repository's own file; the organisation's `.github` file is read once per run, answered
   * by mockOrganisationRun.
   */
  config?: "none" | "skip" | "run";
  /** Only what a protection event re-reads: no batched query, no Actions settings. */
  protectionOnly?: boolean;
  /** Open secret-scanning alerts (GitHub's example list by default), or the status GitHub refused with. */
  secretAlerts?: unknown[] | 403 | 404;
};

/** GitHub answers `state=open` with open alerts only; its example list holds a resolved one, so by default none. */
function mockSecretAlerts(owner: string, repo: string, alerts: unknown[] | 403 | 404 = example<{ state: string }[]>("secret-scanning-alert-list").filter((a) => a.state === "open")): void {
  const route = nock(API).get(`/repos/${owner}/${repo}/secret-scanning/alerts`).query(true);
  if (typeof alerts === "number") route.reply(alerts, { message: alerts === 404 ? "Not Found" : "Resource not accessible by integration" });
  else route.reply(200, alerts);
}

/**
 * Every GitHub read of one repository assessment, answered: the one place that knows which
 * requests the collectors make, so a new collector updates this and not every test.
 */
export function mockRepositoryEvidence(owner: string, repo: string, evidence: RepositoryEvidence = {}): void {
  if (evidence.config === "run") nock(API).get(`/repos/${owner}/${repo}/contents/.github%2Fclaimcheck.yml`).reply(404, { message: "Not Found" });
  else if (evidence.config !== "skip") mockNoConfig(owner, repo);
  mockRepository(owner, repo, evidence.repository ?? {});
  mockProtection(owner, repo, evidence.protection ?? 404, evidence.rules ?? []);
  if (evidence.protectionOnly) return;
  mockRepositoryQuery(quietRepositoryData(evidence.graphql ?? {}));
  mockWorkflowTokenSettings(owner, repo);
  mockSecretAlerts(owner, repo, evidence.secretAlerts);
}

export type OrganisationEvidence = {
  /** What GET /orgs/{org}/repos lists; omit when the run names its repositories (`--repo`). */
  repositories?: string[];
  /** Fields of GET /orgs/{org} over GitHub's `organization-full` example. */
  organisation?: Record<string, unknown>;
  owners?: string[];
  membersWithout2fa?: string[];
  outsideCollaborators?: string[];
};

const usersNamed = (logins: readonly string[]) => logins.map((login) => ({ ...example<any[]>("simple-user-items")[0], login }));

/** Answers the next GraphQL request whose document names `operation`, and only that one. */
function mockNamedGraphql(operation: string, data: Record<string, unknown>): void {
  nock(API)
    .post("/graphql", (body: { query?: string }) => typeof body.query === "string" && body.query.includes(operation))
    .reply(200, { data: { rateLimit: { cost: 1, remaining: 4998 }, ...data } });
}

/**
 * Every organisation-level read of one organisation-wide run (runOrganisation): the organisation's
 * configuration, its repository list, the listed repositories' own configuration files (none; pass
 * `config: "skip"` to mockRepositoryEvidence for them) and the organisation collectors. Call it BEFORE
 * mockRepositoryEvidence: the repository query's mock answers any GraphQL document.
 */
export function mockOrganisationRun(org: string, evidence: OrganisationEvidence = {}): void {
  nock(API).get(`/repos/${org}/.github/contents/.github%2Fclaimcheck.yml`).reply(404, { message: "Not Found" });
  if (evidence.repositories) {
    // Listed without `security_and_analysis` (as GitHub lists them to a caller without admin
    // rights), so each repository is still read with GET /repos, which mockRepositoryEvidence
    // answers; test/assessment/listed-repositories.test.ts covers a list that stands in for it.
    const listed = evidence.repositories.map((name) => {
      const { security_and_analysis: _hidden, ...base } = example<any[]>("minimal-repository-items")[0];
      return { ...base, name, full_name: `${org}/${name}`, owner: { ...base.owner, login: org }, html_url: `https://github.com/${org}/${name}` };
    });
    nock(API).get(`/orgs/${org}/repos`).query({ type: "all", per_page: "100", page: "1" }).reply(200, listed);
    mockOwnConfigFiles(evidence.repositories);
    // From a run's second repository on, the organisation's teams are read once for all of them.
    if (listed.length > 1) mockOrganisationTeams();
  }
  mockOrganisationEvidence(org, evidence);
}

/**
 * The organisation's teams and their repositories (none), read once: by a run from its second
 * repository on, and by the app once for an installation's hour (with its organisation evidence).
 */
export function mockOrganisationTeams(): void {
  mockNamedGraphql("query claimcheckTeamRepositories(", { organization: { teams: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } } });
}

/** The own configuration files of a run's repositories, read together (a lone one through REST): none has one. */
export function mockOwnConfigFiles(repos: readonly string[]): void {
  if (repos.length > 1) mockNamedGraphql("query claimcheckOwnConfigFiles(", Object.fromEntries(repos.map((_, i) => [`r${i}`, { cfg: null, dir: null }])));
}

/** The organisation collectors' reads, made once per run (the app caches them per installation). */
export function mockOrganisationEvidence(org: string, evidence: OrganisationEvidence = {}): void {
  nock(API)
    .get(`/orgs/${org}`)
    .reply(200, { ...example("organization-full"), login: org, two_factor_requirement_enabled: true, default_repository_permission: "read", ...evidence.organisation });
  nock(API).get(`/orgs/${org}/members`).query({ role: "admin", per_page: "100", page: "1" }).reply(200, usersNamed(evidence.owners ?? ["octocat"]));
  nock(API).get(`/orgs/${org}/members`).query({ filter: "2fa_disabled", per_page: "100", page: "1" }).reply(200, usersNamed(evidence.membersWithout2fa ?? []));
  mockNamedGraphql("claimcheckOrgSso", { organization: { samlIdentityProvider: null } });
  mockNamedGraphql("claimcheckOrgOutsideAccess", { organization: { repositories: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } } });
  nock(API).get(`/orgs/${org}/outside_collaborators`).query({ per_page: "100", page: "1" }).reply(200, usersNamed(evidence.outsideCollaborators ?? []));
}
