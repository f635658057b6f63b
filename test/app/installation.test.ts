import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureCheckRuns, mockInstallationToken, mockNoConfig, mockWorkflowTokenSettings, repositoryExample } from "../helpers/github-api.js";
import { mockRepositoryEvidence } from "../helpers/scenario.js";
import { mockRepositoryQuery } from "../helpers/repository-graphql.js";
import { example } from "../helpers/openapi-examples.js";
import { dialects } from "../helpers/dialects.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { webhookExample } from "../helpers/webhooks.js";

describe.each(dialects("installation and protection events"))("installation and protection events on $name", ({ open }) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp({ store: await open() });
  });
  afterEach(async () => {
    await app.idle();
    await app.store.close();
  });

  it("assesses every selected repository when the app is installed, without publishing a check run", async () => {
    const payload = webhookExample("installation", "created");
    const installationId = payload.installation.id as number;
    const repos = payload.repositories as { full_name: string }[];
    expect(repos.length).toBeGreaterThan(0);
    mockInstallationToken(installationId);
    for (const { full_name } of repos) {
      const [owner, repo] = full_name.split("/") as [string, string];
      mockRepositoryEvidence(owner, repo);
    }
    const runs = captureCheckRuns("Codertocat", "Hello-World");

    await app.deliver("installation", payload);

    expect(nock.pendingMocks().filter((m) => !m.includes("check-runs"))).toEqual([]);
    expect(runs).toHaveLength(0);
    for (const { full_name } of repos) {
      const [stored] = await app.store.assessments(installationId, full_name);
      expect(stored?.trigger).toBe("installation.created");
      expect(stored?.results.find((r) => r.claimId === "2.2.2")?.status).toBe("gap");
    }
    expect(await app.store.repositoriesOf(installationId)).toEqual(repos.map((r) => r.full_name));
  });

  it("assesses repositories added to the installation", async () => {
    const payload = webhookExample("installation_repositories", "added");
    const installationId = payload.installation.id as number;
    mockInstallationToken(installationId);
    for (const { full_name } of payload.repositories_added as { full_name: string }[]) {
      const [owner, repo] = full_name.split("/") as [string, string];
      mockRepositoryEvidence(owner, repo);
    }
    await app.deliver("installation_repositories", payload);
    expect(nock.pendingMocks()).toEqual([]);
    expect(await app.store.assessments(installationId, "Codertocat/Space")).toHaveLength(1);
  });

  it("re-assesses a repository when its branch protection changes", async () => {
    const payload = webhookExample("branch_protection_rule", "created", (p) => Boolean(p.installation));
    const [owner, repo] = [payload.repository.owner.login as string, payload.repository.name as string];
    mockInstallationToken(payload.installation.id);
    mockRepositoryEvidence(owner, repo);
    await app.deliver("branch_protection_rule", payload);
    expect(nock.pendingMocks()).toEqual([]);
    const [stored] = await app.store.assessments(payload.installation.id, `${owner}/${repo}`);
    expect(stored?.trigger).toBe("branch_protection_rule.created");
  });

  it("re-reads only protection on a protection change, carrying the pull-request evidence over", async () => {
    const payload = webhookExample("branch_protection_rule", "created", (p) => Boolean(p.installation));
    const [owner, repo] = [payload.repository.owner.login as string, payload.repository.name as string];
    mockInstallationToken(payload.installation.id);
    mockRepositoryEvidence(owner, repo);
    await app.deliver("branch_protection_rule", payload, "first");

    // The organisation's `.github` file read by the first is the installation's shared read: only the repository's own is asked again.
    mockRepositoryEvidence(owner, repo, { protection: example("branch-protection"), protectionOnly: true, config: "run" });
    await app.deliver("branch_protection_rule", { ...payload, action: "edited" }, "second");

    expect(nock.pendingMocks()).toEqual([]);
    const [latest, first] = await app.store.assessments(payload.installation.id, `${owner}/${repo}`);
    // Its own configuration file, the repository, classic protection and the branch rules.
    expect(latest!.requests).toMatchObject({ rest: 4, graphql: 0 });
    expect(latest!.findings.find((f) => f.id === "branch-protection.pr-required")?.value).toBe(true);
    const carried = latest!.findings.find((f) => f.id === "reviews.merged-prs");
    expect(carried).toEqual(first!.findings.find((f) => f.id === "reviews.merged-prs"));
  });

  it("re-assesses a repository when a ruleset changes", async () => {
    // @octokit/webhooks-examples has no repository_ruleset payload: this one follows GitHub's
    // published webhook schema (repository-ruleset-created) with only the fields it requires.
    const base = webhookExample("branch_protection_rule", "created", (p) => Boolean(p.installation));
    const payload = {
      action: "created",
      repository_ruleset: { id: 42, name: "protect main", source: base.repository.full_name, enforcement: "active" },
      repository: base.repository,
      installation: base.installation,
      sender: base.sender,
    };
    const [owner, repo] = [base.repository.owner.login as string, base.repository.name as string];
    mockInstallationToken(base.installation.id);
    mockRepositoryEvidence(owner, repo);
    await app.deliver("repository_ruleset", payload);
    expect(nock.pendingMocks()).toEqual([]);
    expect((await app.store.assessments(base.installation.id, `${owner}/${repo}`))[0]?.trigger).toBe("repository_ruleset.created");
  });

  it("serialises two deliveries for the same repository", async () => {
    const first = webhookExample("branch_protection_rule", "created", (p) => Boolean(p.installation));
    const [owner, repo] = [first.repository.owner.login as string, first.repository.name as string];
    mockInstallationToken(first.installation.id);
    let inFlight = 0;
    let maxInFlight = 0;
    for (let i = 0; i < 2; i += 1) {
      mockNoConfig(owner, repo);
      mockRepositoryQuery();
      mockWorkflowTokenSettings(owner, repo);
      nock("https://api.github.com")
        .get(`/repos/${owner}/${repo}`)
        .delay(30)
        .reply(() => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          return [200, repositoryExample(owner, repo)];
        });
      nock("https://api.github.com")
        .get(`/repos/${owner}/${repo}/branches/main/protection`)
        .delay(30)
        .reply(() => {
          inFlight -= 1;
          return [404, { message: "Branch not protected" }];
        });
      nock("https://api.github.com").get(`/repos/${owner}/${repo}/rules/branches/main`).query(true).reply(200, []);
    }
    await Promise.all([
      app.probot.receive({ id: "a", name: "branch_protection_rule", payload: first } as never),
      app.probot.receive({ id: "b", name: "branch_protection_rule", payload: first } as never),
    ]);
    await app.idle();
    expect(maxInFlight).toBe(1);
    expect(await app.store.assessments(first.installation.id, `${owner}/${repo}`)).toHaveLength(2);
  });
});
