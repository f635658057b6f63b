import nock from "nock";
import { describe, expect, it } from "vitest";
import { absentFromMap, repoAccessCollector, repoAccessRunFragment } from "../../src/collectors/repo-access.js";
import { readTeamRepositories, TEAM_REPOSITORIES_QUERY } from "../../src/collectors/team-repositories.js";
import { runReadsFor } from "../../src/assessment/run-shared.js";
import { GitHubClient, type OctokitLike } from "../../src/github/client.js";
import { collectContext, testClient } from "../helpers/collect.js";
import { API } from "../helpers/github-api.js";
import { TestOctokit } from "../helpers/probot.js";
import { QUIET_REPOSITORY_ID, quietRepositoryData } from "../helpers/repository-graphql.js";

/*
 * Within a run the organisation's teams and their repositories are read once (a point per hundred
 * teams and per further hundred repositories of a team) instead of once per repository.
 */

const rate = { cost: 1, remaining: 4000, resetAt: "2026-11-24T13:00:00Z" };
const edge = (repo: string, permission: string) => ({ permission, node: { nameWithOwner: repo, databaseId: repo.length } });
const page = (edges: unknown[], next: string | null, totalCount = edges.length) => ({ totalCount, pageInfo: { hasNextPage: next !== null, endCursor: next }, edges });
const isQuery = (name: string) => (body: { query: string }) => body.query.includes(`query ${name}(`);

function mockTeams() {
  nock(API)
    .post("/graphql", isQuery("claimcheckTeamRepositories"))
    .reply(200, {
      data: {
        rateLimit: rate,
        organization: {
          teams: {
            totalCount: 2,
            pageInfo: { hasNextPage: false, endCursor: null },
            nodes: [
              { slug: "core", repositories: page([edge("octo-org/api", "ADMIN")], null) },
              { slug: "everyone", repositories: page([edge("octo-org/web", "READ")], "r1", 2) },
            ],
          },
        },
      },
    });
  nock(API)
    .post("/graphql", (b: { query: string; variables: Record<string, unknown> }) => isQuery("claimcheckTeamRepositoriesPage")(b) && b.variables.slug === "everyone" && b.variables.cursor === "r1")
    .reply(200, { data: { rateLimit: rate, organization: { team: { repositories: page([edge("Octo-Org/API", "WRITE")], null, 2) } } } });
}

describe("the organisation's teams, read once for a run", () => {
  it("maps every repository to the teams that reach it, paging a team's repositories", async () => {
    mockTeams();
    const read = await readTeamRepositories(testClient(), "octo-org", new Date("2026-11-24T09:00:00Z"));
    expect(read).toMatchObject({ readAt: "2026-11-24T09:00:00.000Z" });
    expect("grants" in read && read.grants.get("octo-org/api")).toEqual([
      { team: "core", permission: "admin" },
      { team: "everyone", permission: "write" },
    ]);
    expect("grants" in read && read.grants.get("octo-org/web")).toEqual([{ team: "everyone", permission: "read" }]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("says why when a page cannot be read, rather than a partial map", async () => {
    nock(API).post("/graphql", isQuery("claimcheckTeamRepositories")).reply(502, { message: "Server Error" });
    const read = await readTeamRepositories(testClient(), "octo-org");
    expect(read).toEqual({ error: expect.stringContaining("the organisation's teams could not be read") });
  });

  // The map is kept for an hour: a team it leaves out is a grant nobody sees, so only a whole answer is a map.
  const teamsAnswer = (nodes: unknown[], totalCount = nodes.length) => ({ rateLimit: rate, organization: { teams: { totalCount, pageInfo: { hasNextPage: false, endCursor: null }, nodes } } });
  it.each([
    ["an error beside partial data", { data: teamsAnswer([{ slug: "core", repositories: page([edge("octo-org/api", "ADMIN")], null) }]), errors: [{ path: ["organization", "teams", "nodes", 1], message: "Something went wrong" }] }, "GitHub answered in part: Something went wrong"],
    ["a team answered with null", { data: teamsAnswer([{ slug: "core", repositories: page([edge("octo-org/api", "ADMIN")], null) }, null]) }, "GitHub left out 1 of the organisation's teams"],
    ["a repository edge answered with null", { data: teamsAnswer([{ slug: "core", repositories: page([edge("octo-org/api", "ADMIN"), null], null, 2) }]) }, "GitHub left out 1 of the repositories of team core"],
    ["fewer teams than GitHub counts", { data: teamsAnswer([{ slug: "core", repositories: page([edge("octo-org/api", "ADMIN")], null) }], 2) }, "GitHub counted 2 of the organisation's teams, of which only 1 were read"],
    ["fewer repositories of a team than GitHub counts", { data: teamsAnswer([{ slug: "admins", repositories: page([edge("octo-org/api", "ADMIN")], null, 3) }]) }, "GitHub counted 3 of the repositories of team admins, of which only 1 were read"],
  ])("is an error, not a map, for %s", async (_, body, reason) => {
    nock(API).post("/graphql", isQuery("claimcheckTeamRepositories")).reply(200, body);
    const read = await readTeamRepositories(testClient(), "octo-org");
    expect(read).toEqual({ error: expect.stringContaining(reason) });
  });

  it("is an error when a further page of a team's repositories comes with an error or a null edge", async () => {
    const cases: [unknown, string][] = [
      [{ data: { rateLimit: rate, organization: { team: { repositories: page([edge("octo-org/web", "ADMIN")], null, 2) } } }, errors: [{ path: ["organization", "team"], message: "timeout" }] }, "GitHub answered in part: timeout"],
      [{ data: { rateLimit: rate, organization: { team: { repositories: page([null], null, 2) } } } }, "GitHub left out 1 of the repositories of team ops"],
    ];
    for (const [next, reason] of cases) {
      nock(API).post("/graphql", isQuery("claimcheckTeamRepositories")).reply(200, { data: teamsAnswer([{ slug: "ops", repositories: page([edge("octo-org/api", "ADMIN")], "r1", 2) }]) });
      nock(API).post("/graphql", isQuery("claimcheckTeamRepositoriesPage")).reply(200, next as Record<string, unknown>);
      const read = await readTeamRepositories(testClient(), "octo-org");
      expect(read).toEqual({ error: expect.stringContaining(reason) });
    }
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("is shared from a run's second repository on, one read for all of them, and never across Octokits (installations)", async () => {
    const octokit = new TestOctokit({ auth: "ghs_test" }) as unknown as OctokitLike;
    const client = () => new GitHubClient(octokit);
    expect(runReadsFor(client())).toBeNull();
    const second = runReadsFor(client())!;
    const third = runReadsFor(client())!;
    mockTeams();
    const [a, b] = await Promise.all([second.teamRepositories("octo-org", new Date("2026-11-24T09:00:00Z")), third.teamRepositories("Octo-Org", new Date("2026-11-24T09:05:00Z"))]);
    expect(a).toBe(b);
    // Read when the first asked: that is when every repository's team grants were observed.
    expect(a).toMatchObject({ readAt: "2026-11-24T09:00:00.000Z" });
    expect(nock.pendingMocks()).toEqual([]);
    // Another installation's Octokit starts a run of its own.
    expect(runReadsFor(new GitHubClient(new TestOctokit({ auth: "ghs_other" }) as unknown as OctokitLike))).toBeNull();
  });

  it("gives the repository access collector this repository's teams within a run, and unknown when the teams could not be read", async () => {
    const repositoryData = { ...quietRepositoryData(), acc_owner: { __typename: "Organization" } };
    const alerts = () => nock(API).get("/repos/octo-org/api/secret-scanning/alerts").query(true).reply(200, []);
    alerts();
    const grants = new Map([["octo-org/api", [{ team: "core", permission: "admin" as const }]]]);
    // The map was read earlier in the run (or the installation's hour): the grant was observed then.
    const readAt = "2026-11-24T08:45:00.000Z";
    const ids = new Map([["octo-org/api", QUIET_REPOSITORY_ID]]);
    const found = await repoAccessCollector.collect(collectContext({ repositoryData, run: { teamRepositories: async () => ({ grants, ids, readAt }) } }));
    expect(found.find((f) => f.id === "access.team-grants")).toMatchObject({ value: [{ team: "core", permission: "admin" }], observedAt: readAt });

    alerts();
    const failed = await repoAccessCollector.collect(collectContext({ repositoryData, run: { teamRepositories: async () => ({ error: "the organisation's teams could not be read: HTTP 502" }) } }));
    expect(failed.find((f) => f.id === "access.team-grants")).toMatchObject({ value: null, error: expect.stringContaining("HTTP 502") });

    alerts();
    const user = await repoAccessCollector.collect(collectContext({ repositoryData: { ...repositoryData, acc_owner: { __typename: "User" } }, run: { teamRepositories: async () => ({ error: "not asked" }) } }));
    expect(user.find((f) => f.id === "access.team-grants")!.value).toEqual([]);
  });

  it("trusts the map's silence about a repository only when the repository existed when the map was read", async () => {
    const readAt = "2026-11-24T08:45:00.000Z";
    const run = { teamRepositories: async () => ({ grants: new Map([["octo-org/web", [{ team: "core", permission: "admin" as const }]]]), ids: new Map([["octo-org/web", 7]]), readAt }) };
    const teamGrantsOf = async (createdAt: unknown) => {
      nock(API).get("/repos/octo-org/api/secret-scanning/alerts").query(true).reply(200, []);
      const repositoryData = { ...quietRepositoryData(), acc_owner: { __typename: "Organization" }, acc_createdAt: createdAt };
      return (await repoAccessCollector.collect(collectContext({ repositoryData, run }))).find((f) => f.id === "access.team-grants");
    };
    // Older than the map: no team reached it then.
    expect(await teamGrantsOf("2025-01-01T00:00:00Z")).toMatchObject({ value: [], observedAt: readAt });
    // Created after the map was read: the map cannot say, so the grants are unknown rather than none.
    expect(await teamGrantsOf("2026-11-24T08:50:00Z")).toMatchObject({ value: null, error: expect.stringContaining("before this repository was created (2026-11-24T08:50:00.000Z)") });
    // No creation time: the same.
    expect(await teamGrantsOf(null)).toMatchObject({ value: null, error: expect.stringContaining("did not say when the repository was created") });
    expect(absentFromMap("2026-11-24T08:45:00Z", readAt)).toMatchObject({ value: null });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("does not give a repository the grants the map kept under its name for another repository (names swapped by renames)", async () => {
    const readAt = "2026-11-24T08:45:00.000Z";
    // When the map was read, octo-org/api was the repository with id 7; this one (QUIET_REPOSITORY_ID) has taken the name since.
    const run = { teamRepositories: async () => ({ grants: new Map([["octo-org/api", [{ team: "core", permission: "admin" as const }]]]), ids: new Map([["octo-org/api", 7]]), readAt }) };
    const teamGrantsOf = async (databaseId: unknown) => {
      nock(API).get("/repos/octo-org/api/secret-scanning/alerts").query(true).reply(200, []);
      const repositoryData = { ...quietRepositoryData(), acc_owner: { __typename: "Organization" }, acc_databaseId: databaseId };
      return (await repoAccessCollector.collect(collectContext({ repositoryData, run }))).find((f) => f.id === "access.team-grants");
    };
    expect(await teamGrantsOf(QUIET_REPOSITORY_ID)).toMatchObject({ value: null, error: expect.stringContaining("may have belonged to another repository") });
    // No id in GitHub's answer: the name cannot be checked either.
    expect(await teamGrantsOf(null)).toMatchObject({ value: null });
    // The same repository: its grants.
    expect(await teamGrantsOf(7)).toMatchObject({ value: [{ team: "core", permission: "admin" }], observedAt: readAt });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("asks for the repository's creation time and id in the run's batched query, and for each team repository's id", () => {
    expect(repoAccessRunFragment.text).toContain("acc_databaseId: databaseId");
    expect(TEAM_REPOSITORIES_QUERY).toContain("nameWithOwner databaseId");
    expect(repoAccessRunFragment.text).toContain("acc_createdAt: createdAt");
    expect(repoAccessRunFragment.text).not.toContain("acc_teams");
  });
});
