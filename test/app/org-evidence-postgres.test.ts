import { drizzle } from "drizzle-orm/node-postgres";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { PostgresOrgEvidence } from "../../src/app/org-evidence-postgres.js";
import type { OrgEvidenceRead } from "../../src/app/org-evidence.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import type { Finding } from "../../src/core/findings.js";
import type { GitHubClient } from "../../src/github/client.js";
import { postgresPool } from "../../src/store/postgres.js";
import * as schema from "../../src/store/schema-pg.js";
import { testClient } from "../helpers/collect.js";
import { API } from "../helpers/github-api.js";
import { replicasForSuite, skipPostgres } from "../helpers/postgres.js";

/*
 * Organisation evidence shared by replicas: read by one, served to the other within the hour, for
 * its own installation and organisation only; forgotten by either, never served again. The teams'
 * maps and configuration files each replica keeps itself are not served after either forgot them.
 */

const NOW = new Date("2026-11-28T12:00:00Z");
const HOUR = 3_600_000;

function owners(org: string, ...logins: string[]): Finding[] {
  return [{ id: "org.owners", scope: "org", value: logins, source: `GET /orgs/${org}/members?role=admin`, url: `https://github.com/orgs/${org}/people`, observedAt: NOW.toISOString() }];
}

/** A GitHub standing in for the organisation collectors: counts its reads, answers with the organisation's owners. */
function fakeGitHub() {
  const reads: string[] = [];
  let release: (() => void) | null = null;
  let started: (() => void) | null = null;
  let hold = false;
  const read = async ({ org }: OrgEvidenceRead): Promise<Finding[]> => {
    reads.push(org);
    started?.();
    if (hold) await new Promise<void>((resolve) => (release = resolve));
    if (org === "broken") throw new Error("GitHub did not answer");
    return owners(org, `${org}-owner`);
  };
  return {
    reads,
    read,
    /** Holds the next read until `release`; resolves once it has begun. */
    holdNext: () => {
      hold = true;
      return new Promise<void>((resolve) => (started = resolve));
    },
    release: () => {
      hold = false;
      release?.();
    },
  };
}

const ask = (org: string, now = NOW): OrgEvidenceRead => ({ client: {} as GitHubClient, org, config: DEFAULT_CONFIG, now });

/** GitHub's answer to the next teams' map query about `org`: one team, `core`, writing to `org/api`. */
function mockTeamMap(org: string): nock.Scope {
  const body = { data: { rateLimit: { cost: 1, remaining: 4990, resetAt: "2026-11-28T13:00:00Z" }, organization: { teams: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [{ slug: "core", repositories: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, edges: [{ permission: "WRITE", node: { nameWithOwner: `${org}/api`, databaseId: 1296269 } }] } }] } } } };
  return nock(API)
    .post("/graphql", (b: { query: string; variables?: { org?: string } }) => b.query.includes("query claimcheckTeamRepositories(") && b.variables?.org === org)
    .reply(200, body);
}

const teamsOf = (org: string, now = NOW) => ({ client: testClient(), org, now });

describe.skipIf(skipPostgres("organisation evidence on PostgreSQL"))("organisation evidence, teams' maps and configuration files on PostgreSQL", () => {
  const target = replicasForSuite(3);

  function pair() {
    const github = fakeGitHub();
    const [a, b] = target().replicas.map((pool) => new PostgresOrgEvidence(drizzle(pool, { schema }), { read: github.read })) as [PostgresOrgEvidence, PostgresOrgEvidence];
    return { github, a, b };
  }

  it("serves one replica's read to the other within the hour, and reads again once it is an hour old", async () => {
    const { github, a, b } = pair();
    expect(await a.get(1, ask("acme"))).toEqual(owners("acme", "acme-owner"));
    expect(await b.get(1, ask("acme", new Date(NOW.getTime() + HOUR - 1)))).toEqual(owners("acme", "acme-owner"));
    expect(github.reads).toEqual(["acme"]);
    await b.get(1, ask("acme", new Date(NOW.getTime() + HOUR)));
    expect(github.reads).toEqual(["acme", "acme"]);
    // `fresh` always reads.
    await a.get(1, ask("acme", new Date(NOW.getTime() + HOUR)), { fresh: true });
    expect(github.reads).toHaveLength(3);
  });

  it("never serves one installation's evidence to another, nor evidence about another organisation", async () => {
    const { github, a, b } = pair();
    await a.get(2, ask("first"));
    expect(await b.get(3, ask("second"))).toEqual(owners("second", "second-owner"));
    // The same installation asking about another organisation (the account was renamed) reads it.
    expect(await b.get(2, ask("renamed"))).toEqual(owners("renamed", "renamed-owner"));
    expect(github.reads).toEqual(["first", "second", "renamed"]);
  });

  it("shares one read among the repositories of a run assessed at once, and keeps no failed read", async () => {
    const { github, a, b } = pair();
    const all = await Promise.all(Array.from({ length: 10 }, () => a.get(4, ask("many"))));
    expect(all.every((findings) => findings[0]?.value?.toString() === "many-owner")).toBe(true);
    expect(github.reads).toEqual(["many"]);
    await expect(b.get(5, ask("broken"))).rejects.toThrow("GitHub did not answer");
    await expect(a.get(5, ask("broken"))).rejects.toThrow("GitHub did not answer");
    expect(github.reads).toEqual(["many", "broken", "broken"]);
  });

  it("reads from GitHub when the database cannot answer, and says so", async () => {
    const github = fakeGitHub();
    const closed = postgresPool(target().url, { options: `-c search_path=${target().schema}` });
    await closed.end();
    const errors: unknown[] = [];
    const evidence = new PostgresOrgEvidence(drizzle(closed, { schema }), { read: github.read, onError: (error) => errors.push(error) });
    expect(await evidence.get(7, ask("acme"))).toEqual(owners("acme", "acme-owner"));
    expect(github.reads).toEqual(["acme"]);
    // Neither read nor kept: one error each.
    expect(errors).toHaveLength(2);
  });

  it("does not keep a read that began before another replica forgot the evidence", async () => {
    const { github, a, b } = pair();
    await a.get(6, ask("acme"));
    await b.forget(6);
    expect(github.reads).toHaveLength(1);
    await a.get(6, ask("acme"));
    expect(github.reads).toHaveLength(2);

    // A read under way on one replica while the other forgets (an owner was just removed).
    const begun = github.holdNext();
    const underWay = a.get(6, ask("acme"), { fresh: true });
    await begun;
    await b.forget(6);
    github.release();
    await underWay;
    await b.get(6, ask("acme"));
    expect(github.reads).toHaveLength(4);
  });

  /** The shared read of `key` through `evidence`'s configuration files for installation `id`, recorded in `reads`. */
  const configRead = async (evidence: PostgresOrgEvidence, id: number, key: string, reads: string[]) => (await evidence.configReads(id)).shared(key, async () => (reads.push(`${id} ${key}`), { kind: "absent" }));

  it("reads a replica's teams' map again once another replica was told the teams changed", async () => {
    const { a, b } = pair();
    mockTeamMap("acme");
    const first = await a.teamRepositories(11, teamsOf("acme"));
    expect("grants" in first && first.grants.get("acme/api")).toEqual([{ team: "core", permission: "write" }]);
    // Kept by replica A: no request.
    expect(await a.teamRepositories(11, teamsOf("acme"))).toBe(first);
    expect(nock.pendingMocks()).toEqual([]);

    // Replica B receives `team_add`: A's next ask reads GitHub again.
    await b.forget(11);
    const again = mockTeamMap("acme");
    const second = await a.teamRepositories(11, teamsOf("acme"));
    expect(again.isDone()).toBe(true);
    expect(second).not.toBe(first);
    // And keeps that one.
    expect(await a.teamRepositories(11, teamsOf("acme"))).toBe(second);
  });

  it("reads a replica's configuration file again once another replica saw a push to its repository", async () => {
    const { github, a, b } = pair();
    const reads: string[] = [];
    const file = "acme/.github:.github/claimcheck.yml";
    await a.get(12, ask("acme"));
    await configRead(a, 12, file, reads);
    await configRead(a, 12, file, reads);
    expect(reads).toEqual([`12 ${file}`]);
    // A push to the organisation's `.github` repository reaches replica B.
    await b.forgetConfigOf(12, "acme", ".github");
    await configRead(a, 12, file, reads);
    expect(reads).toEqual([`12 ${file}`, `12 ${file}`]);
    // Through the installation's generation: its organisation evidence is read again too.
    await a.get(12, ask("acme"));
    expect(github.reads).toEqual(["acme", "acme"]);
  });

  it("keeps each installation's maps and files to itself, and forgetting one leaves the other's", async () => {
    const { a, b } = pair();
    const reads: string[] = [];
    mockTeamMap("first");
    mockTeamMap("second");
    const firstMap = await a.teamRepositories(21, teamsOf("first"));
    const secondMap = await a.teamRepositories(22, teamsOf("second"));
    expect("grants" in secondMap && [...secondMap.grants.keys()]).toEqual(["second/api"]);
    await configRead(a, 21, "first/.github:.github/claimcheck.yml", reads);
    await configRead(a, 22, "first/.github:.github/claimcheck.yml", reads);
    // The same file asked by two installations is read for each.
    expect(reads).toEqual(["21 first/.github:.github/claimcheck.yml", "22 first/.github:.github/claimcheck.yml"]);

    await b.forget(21);
    await b.forgetConfigOf(21, "first", ".github");
    expect(await a.teamRepositories(22, teamsOf("second"))).toBe(secondMap);
    await configRead(a, 22, "first/.github:.github/claimcheck.yml", reads);
    expect(reads).toHaveLength(2);
    mockTeamMap("first");
    expect(await a.teamRepositories(21, teamsOf("first"))).not.toBe(firstMap);
    await configRead(a, 21, "first/.github:.github/claimcheck.yml", reads);
    expect(reads).toHaveLength(3);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("serves no kept map or file when the database cannot answer, and reads them from GitHub", async () => {
    const closed = postgresPool(target().url, { options: `-c search_path=${target().schema}` });
    const errors: unknown[] = [];
    const evidence = new PostgresOrgEvidence(drizzle(closed, { schema }), { onError: (error) => errors.push(error) });
    mockTeamMap("acme");
    const kept = await evidence.teamRepositories(31, teamsOf("acme"));
    const reads: string[] = [];
    await configRead(evidence, 31, "acme/.github:.github/claimcheck.yml", reads);
    await closed.end();
    // The database is gone: both are read again, each time.
    for (let i = 0; i < 2; i++) {
      mockTeamMap("acme");
      expect(await evidence.teamRepositories(31, teamsOf("acme"))).not.toBe(kept);
      await configRead(evidence, 31, "acme/.github:.github/claimcheck.yml", reads);
    }
    expect(reads).toHaveLength(3);
    expect(errors).toHaveLength(4);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
