import nock from "nock";
import { describe, expect, it } from "vitest";
import { ORG_EVIDENCE_MAX_AGE_MS, OrgEvidence } from "../../src/app/org-evidence.js";
import { CONFIG_CACHE_MAX_AGE_MS } from "../../src/config/config-cache.js";
import { API, captureCheckRuns, mockInstallationToken } from "../helpers/github-api.js";
import { testClient } from "../helpers/collect.js";
import { dialects } from "../helpers/dialects.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { mockOrganisationEvidence, mockOrganisationTeams, mockRepositoryEvidence } from "../helpers/scenario.js";
import { webhookExample } from "../helpers/webhooks.js";

/*
 * The installation's organisation-wide reads kept for later assessments: the teams' map (read at
 * most once an hour, never kept when it failed, forgotten with the rest of the organisation's
 * evidence) and the configuration files shared by its repositories.
 */

const T0 = new Date("2026-11-24T09:00:00Z");
const later = (ms: number) => new Date(T0.getTime() + ms);

function mockTeams(status = 200): void {
  const body = { data: { rateLimit: { cost: 1, remaining: 4990, resetAt: "2026-11-24T13:00:00Z" }, organization: { teams: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [{ slug: "core", repositories: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, edges: [{ permission: "WRITE", node: { nameWithOwner: "octo-org/api", databaseId: 1296269 } }] } }] } } } };
  nock(API)
    .post("/graphql", (b: { query: string }) => b.query.includes("query claimcheckTeamRepositories("))
    .reply(status, status === 200 ? body : { message: "Server Error" });
}

describe("the installation's organisation-wide reads", () => {
  it("reads the teams' map once for the hour, with the time of that read, and per installation", async () => {
    const cache = new OrgEvidence();
    mockTeams();
    const first = await cache.teamRepositories(1, { client: testClient(), org: "octo-org", now: T0 });
    // Within the hour (and whatever the case of the organisation's name): no request.
    const again = await cache.teamRepositories(1, { client: testClient(), org: "Octo-Org", now: later(ORG_EVIDENCE_MAX_AGE_MS - 1) });
    expect(again).toBe(first);
    expect(first).toMatchObject({ readAt: T0.toISOString() });
    expect("grants" in first && first.grants.get("octo-org/api")).toEqual([{ team: "core", permission: "write" }]);
    // Another installation never gets this one's map.
    mockTeams();
    expect(await cache.teamRepositories(2, { client: testClient(), org: "octo-org", now: T0 })).not.toBe(first);
    // An hour on, it is read again.
    mockTeams();
    expect(await cache.teamRepositories(1, { client: testClient(), org: "octo-org", now: later(ORG_EVIDENCE_MAX_AGE_MS) })).toMatchObject({ readAt: later(ORG_EVIDENCE_MAX_AGE_MS).toISOString() });
    expect(nock.pendingMocks()).toEqual([]);
    // The other installation's map, as old, was dropped then rather than kept: asked with an earlier
    // clock, which a kept entry would still answer, it is read again.
    mockTeams();
    await cache.teamRepositories(2, { client: testClient(), org: "octo-org", now: later(ORG_EVIDENCE_MAX_AGE_MS / 2) });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("does not keep a map that could not be read, and forgets one when told", async () => {
    const cache = new OrgEvidence();
    mockTeams(502);
    expect(await cache.teamRepositories(1, { client: testClient(), org: "octo-org", now: T0 })).toMatchObject({ error: expect.stringContaining("could not be read") });
    mockTeams();
    const read = await cache.teamRepositories(1, { client: testClient(), org: "octo-org", now: later(1) });
    expect(read).toMatchObject({ readAt: later(1).toISOString() });
    await cache.forget(1);
    mockTeams();
    expect(await cache.teamRepositories(1, { client: testClient(), org: "octo-org", now: later(2) })).not.toBe(read);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("shares configuration files per installation, forgets a repository's on a push to it, and all of them with the organisation's evidence", async () => {
    let clock = T0.getTime();
    const cache = new OrgEvidence(undefined, () => clock);
    const reads: string[] = [];
    const read = async (key: string) => (await cache.configReads(1)).shared(key, async () => (reads.push(key), { kind: "absent" }));
    expect(await cache.configReads(1)).toBe(await cache.configReads(1));
    expect(await cache.configReads(2)).not.toBe(await cache.configReads(1));
    await read("octo-org/.github:.github/claimcheck.yml");
    await read("octo-org/policies:base.yml");
    await read("octo-org/.github:.github/claimcheck.yml");
    expect(reads).toEqual(["octo-org/.github:.github/claimcheck.yml", "octo-org/policies:base.yml"]);
    // A push to the organisation's `.github` repository: its file is read again, the other is not.
    await cache.forgetConfigOf(1, "Octo-Org", ".github");
    await read("octo-org/.github:.github/claimcheck.yml");
    await read("octo-org/policies:base.yml");
    expect(reads).toHaveLength(3);
    // Past the shared reads' bound, and after the organisation's evidence was forgotten.
    clock += CONFIG_CACHE_MAX_AGE_MS;
    await read("octo-org/policies:base.yml");
    await cache.forget(1);
    await read("octo-org/policies:base.yml");
    expect(reads).toEqual(["octo-org/.github:.github/claimcheck.yml", "octo-org/policies:base.yml", "octo-org/.github:.github/claimcheck.yml", "octo-org/policies:base.yml", "octo-org/policies:base.yml"]);
  });

  it("keeps a configuration file only when its repository is one whose pushes the installation hears of, and says when a kept one was read", async () => {
    let clock = T0.getTime();
    const cache = new OrgEvidence(undefined, () => clock);
    const asked: string[] = [];
    const reads = await cache.configReads(1, async (repository) => (asked.push(repository), repository === "octo-org/.github"));
    const reads2: string[] = [];
    const keptAt: number[] = [];
    const read = (key: string) => reads.shared(key, async () => (reads2.push(key), { kind: "absent" }), (at) => keptAt.push(at));
    await read("octo-org/.github:.github/claimcheck.yml");
    await read("octo-org/public-policies:base.yml");
    clock += 1000;
    await read("octo-org/.github:.github/claimcheck.yml");
    await read("octo-org/public-policies:base.yml");
    expect(reads2).toEqual(["octo-org/.github:.github/claimcheck.yml", "octo-org/public-policies:base.yml", "octo-org/public-policies:base.yml"]);
    expect(asked).toEqual(["octo-org/.github", "octo-org/public-policies", "octo-org/public-policies"]);
    // Only the kept one is reported, with the time of its read.
    expect(keptAt).toEqual([T0.getTime()]);
  });

  it("drops configuration reads past their bound, and the caches of installations left with none", async () => {
    let clock = T0.getTime();
    const cache = new OrgEvidence(undefined, () => clock);
    const reads: string[] = [];
    const read = async (installation: number, key: string) => (await cache.configReads(installation)).shared(key, async () => (reads.push(key), { kind: "absent" }));
    await read(1, "octo-org/.github:.github/claimcheck.yml");
    await read(1, "octo-org/policies:base.yml");
    const first = await cache.configReads(1);
    clock += CONFIG_CACHE_MAX_AGE_MS - 1;
    await read(1, "octo-org/policies:base.yml");
    // Still within the bound: a prune keeps both.
    expect(first.prune()).toBe(false);
    clock += 1;
    // Installation 1 idle past the bound: another installation's read drops its cache, not keeps it.
    await read(2, "other-org/.github:.github/claimcheck.yml");
    expect(await cache.configReads(1)).not.toBe(first);
    // An expired read is not kept beside a fresh one of the same cache.
    clock += CONFIG_CACHE_MAX_AGE_MS;
    const second = await cache.configReads(2);
    await read(2, "other-org/policies:base.yml");
    expect(second.prune()).toBe(false);
    clock += CONFIG_CACHE_MAX_AGE_MS;
    expect(second.prune()).toBe(true);
    expect(reads).toEqual(["octo-org/.github:.github/claimcheck.yml", "octo-org/policies:base.yml", "other-org/.github:.github/claimcheck.yml", "other-org/policies:base.yml"]);
  });
});

/** A pull request whose assessment reads the organisation's evidence and teams' map afresh: each is asked for once. */
async function pullRequestReadingAll(app: TestApp, pr: ReturnType<typeof webhookExample>, owner: string, repo: string): Promise<void> {
  mockOrganisationEvidence(owner);
  mockOrganisationTeams();
  mockRepositoryEvidence(owner, repo);
  captureCheckRuns(owner, repo);
  await app.deliver("pull_request", pr);
  expect(nock.pendingMocks()).toEqual([]);
}

describe.each(dialects("pull requests of one installation"))("pull requests of one installation on $name", ({ open }) => {
  it("read the organisation's evidence again after a team event, even one delivered again after it was recorded", async () => {
    const app = await testApp({ store: await open() });
    try {
      const pr = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
      const [owner, repo] = ["Codertocat", "Hello-World"];
      const team = { ...webhookExample("team", "edited"), installation: pr.installation };
      mockInstallationToken(pr.installation.id);
      const assessWithFreshTeams = () => pullRequestReadingAll(app, pr, owner, repo);
      await assessWithFreshTeams();
      await app.deliver("team", team, "team-delivery");
      await assessWithFreshTeams();
      // GitHub sends the same delivery again (its answer was lost): already in the audit trail, and
      // still a sign that what the installation keeps may be stale.
      await app.deliver("team", team, "team-delivery");
      await assessWithFreshTeams();
    } finally {
      await app.store.close();
    }
  });

  it("read the organisation's .github configuration once, say when in the check run, and read it again after a push to its default branch", async () => {
    let clock = T0.getTime();
    const app = await testApp({ now: () => new Date((clock += 1000)), store: await open() });
    try {
      const pr = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
      const [owner, repo] = ["Codertocat", "Hello-World"];
      const push = { ...webhookExample("push", null), ref: "refs/heads/main", installation: pr.installation, repository: { ...pr.repository, name: ".github", full_name: `${owner}/.github`, default_branch: "main" } };
      // The `.github` repository is one of the installation's: its pushes reach the app.
      await app.store.upsertInstallation(pr.installation.id, owner, "Organization");
      await app.store.addRepositories(pr.installation.id, [{ id: 9001, fullName: `${owner}/.github` }]);
      mockInstallationToken(pr.installation.id);
      mockOrganisationEvidence(owner);
      mockOrganisationTeams();
      const stored = async () => (await app.store.assessments(pr.installation.id, `${owner}/${repo}`, 1))[0]!;

      // The first reads both files (the repository has none of its own, nor has the organisation).
      mockRepositoryEvidence(owner, repo);
      captureCheckRuns(owner, repo);
      await app.deliver("pull_request", pr);
      expect(nock.pendingMocks()).toEqual([]);

      // The second only its own: the organisation's answer is the installation's shared read.
      mockRepositoryEvidence(owner, repo, { config: "run" });
      const second = captureCheckRuns(owner, repo);
      await app.deliver("pull_request", pr);
      expect(nock.pendingMocks()).toEqual([]);
      expect((await stored()).configProblems).toEqual([]);
      // The check run says when the organisation's file it went by was read: by the first.
      expect(second[0]!.output.summary).toContain("The organisation configuration was read at 2026-11-24 09:00 UTC");

      // A push to the organisation's `.github` repository on another branch changes nothing read;
      // one to its default branch makes the next pull request read the organisation's file again.
      await app.deliver("push", { ...push, ref: "refs/heads/draft" });
      await app.deliver("push", push);
      mockRepositoryEvidence(owner, repo, { config: "run" });
      nock(API).get(`/repos/${owner}/.github/contents/.github%2Fclaimcheck.yml`).reply(200, "mode: enforce\n", { "content-type": "application/vnd.github.v3.raw; charset=utf-8" });
      const third = captureCheckRuns(owner, repo);
      await app.deliver("pull_request", pr);
      expect(nock.pendingMocks()).toEqual([]);
      // Enforcing now, as the organisation's file says: its gaps fail the check.
      expect(second[0]!.conclusion).toBe("neutral");
      expect(third[0]!.conclusion).toBe("failure");
      expect(third[0]!.output.summary).not.toContain("The organisation configuration was read at");
      expect((await stored()).configProblems).toEqual([]);
    } finally {
      await app.store.close();
    }
  });

  it("read the organisation's .github configuration afresh each time when its repository is not the installation's (no push would say it changed)", async () => {
    let clock = T0.getTime();
    const app = await testApp({ now: () => new Date((clock += 1000)), store: await open() });
    try {
      const pr = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
      const [owner, repo] = ["Codertocat", "Hello-World"];
      await app.store.upsertInstallation(pr.installation.id, owner, "Organization");
      await app.store.addRepositories(pr.installation.id, [{ id: 9002, fullName: `${owner}/${repo}` }]);
      mockInstallationToken(pr.installation.id);
      await pullRequestReadingAll(app, pr, owner, repo);
      // The organisation switches to enforcing: the next pull request sees it at once.
      mockRepositoryEvidence(owner, repo, { config: "run" });
      nock(API).get(`/repos/${owner}/.github/contents/.github%2Fclaimcheck.yml`).reply(200, "mode: enforce\n", { "content-type": "application/vnd.github.v3.raw; charset=utf-8" });
      const second = captureCheckRuns(owner, repo);
      await app.deliver("pull_request", pr);
      expect(nock.pendingMocks()).toEqual([]);
      expect(second[0]!.conclusion).toBe("failure");
      expect(second[0]!.output.summary).not.toContain("The organisation configuration was read at");
    } finally {
      await app.store.close();
    }
  });
});
