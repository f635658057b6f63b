import nock from "nock";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOrganisation, type RunOctokit } from "../../src/assessment/run-organisation.js";
import { LISTING_MAX_AGE_MS, listedRepository, ORG_REPOSITORIES_ROUTE, readRepository, REPOSITORY_ROUTE } from "../../src/collectors/repository.js";
import { RunConfigCache, withRunConfig } from "../../src/config/config-cache.js";
import { API, repositoryExample } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { NOW, testClient } from "../helpers/collect.js";
import { productionOctokit } from "../simulator/app-harness.js";
import { generateScenario } from "../simulator/generate.js";
import { parseScenario } from "../simulator/scenario.js";
import { startSimulator, type Simulator } from "../simulator/server.js";

/*
 * An organisation-wide run lists the organisation's repositories, and each entry carries the
 * fields GET /repos/{owner}/{repo} would give (GitHub's `minimal-repository`). While the list is
 * fresh it stands in for that read; an entry without `security_and_analysis`, which GitHub shows
 * only to some callers, never does.
 */

describe("a listed repository in place of GET /repos", () => {
  const entry = () => ({ ...example<any[]>("minimal-repository-items")[0], default_branch: "main" });

  it("stands in only with every field read, security_and_analysis included, and keeps only those", () => {
    const { security_and_analysis: _hidden, ...withoutFeatures } = entry();
    expect(listedRepository(withoutFeatures, 0)).toBeNull();
    expect(listedRepository({ ...entry(), security_and_analysis: null }, 0)).toBeNull();
    const listed = listedRepository(entry(), 5)!;
    expect(listed.readAt).toBe(5);
    expect(Object.keys(listed.data).sort()).toEqual(["archived", "default_branch", "fork", "full_name", "html_url", "id", "name", "owner", "private", "security_and_analysis", "visibility"]);
    expect(listed.data.security_and_analysis).toMatchObject({ secret_scanning: { status: "enabled" } });
  });

  it("is read without a request while fresh, and GitHub is asked once the list is older than the limit", async () => {
    const listed = listedRepository(entry(), 1_000)!;
    const name = listed.data.name;
    const owner = listed.data.owner.login;
    const fresh = testClient();
    const read = await readRepository(fresh, owner, name, NOW, listed, () => 1_000 + LISTING_MAX_AGE_MS - 1);
    expect(fresh.counts.rest).toBe(0);
    expect(read.repo).toMatchObject({ defaultBranch: "main", source: ORG_REPOSITORIES_ROUTE, securityAndAnalysis: { secret_scanning: { status: "enabled" } } });
    expect(read.findings.every((f) => f.source === ORG_REPOSITORIES_ROUTE)).toBe(true);

    nock(API).get(`/repos/${owner}/${name}`).reply(200, repositoryExample(owner, name, { default_branch: "trunk" }));
    const stale = testClient();
    const again = await readRepository(stale, owner, name, NOW, listed, () => 1_000 + LISTING_MAX_AGE_MS);
    expect(stale.counts.rest).toBe(1);
    expect(again.repo).toMatchObject({ defaultBranch: "trunk", source: REPOSITORY_ROUTE });
  });
});

describe("an organisation-wide run over the simulator", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator(parseScenario(generateScenario({ repos: 6, seed: 7 })), { latencyMs: 0 });
  });
  afterAll(async () => sim?.stop());

  it("reads neither GET /repos nor a repository's own configuration file through REST for a listed repository", async () => {
    const Octokit = productionOctokit(5, false);
    const octokit = new Octokit({ auth: "test-token", baseUrl: sim.url, log: pino({ level: "silent" }) } as never) as unknown as RunOctokit;
    const run = await runOrganisation({ octokit: withRunConfig(octokit, new RunConfigCache()), org: sim.model.org.login });
    const repositories = run.assessment.repositories;
    expect(repositories).toHaveLength(6);
    expect(repositories.every((a) => a.repo?.source === ORG_REPOSITORIES_ROUTE)).toBe(true);
    expect(sim.stats.byRoute["GET /repos/{owner}/{repo}"] ?? 0).toBe(0);
    // Only the organisation's own .github file goes through REST; the six repositories' files are one GraphQL query.
    expect(sim.stats.byRoute["GET /repos/{owner}/{repo}/contents/{path}"]).toBe(1);
    expect(repositories.every((a) => a.findings.find((f) => f.id === "secrets.scanning")?.value !== null)).toBe(true);
  });
});
