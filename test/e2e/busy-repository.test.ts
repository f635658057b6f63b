import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessRepository } from "../../src/assessment/assess-repository.js";
import { runOrganisation, type RunOctokit } from "../../src/assessment/run-organisation.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { RunConfigCache, withRunConfig } from "../../src/config/config-cache.js";
import { GitHubClient, type OctokitLike } from "../../src/github/client.js";
import { productionOctokit } from "../simulator/app-harness.js";
import { busyScenario } from "../simulator/generate.js";
import { parseScenario } from "../simulator/scenario.js";
import { startSimulator, type Simulator } from "../simulator/server.js";

/*
 * Issue 15's points target for a busy repository: 100 pull requests merged in the window and
 * their 100 merge commits, assessed against the simulator, which charges each query by GitHub's
 * cost rule (requests over 100, rounded). Counts, not times.
 */

describe("a repository with 100 merged pull requests and 100 commits in the window", () => {
  let sim: Simulator;
  let octokit: RunOctokit;
  beforeAll(async () => {
    sim = await startSimulator(parseScenario(busyScenario({ repos: 5, mergedPullRequests: 100 })), { latencyMs: 0 });
    const Octokit = productionOctokit(5, false);
    octokit = new Octokit({ auth: "test-token", baseUrl: sim.url, log: pino({ level: "silent" }) } as never) as unknown as RunOctokit;
  });
  afterAll(async () => sim?.stop());

  it("costs 3 GraphQL points and at most 6 REST requests within a run, with all of its evidence", async () => {
    // One at a time, so that which repository pays for what the run reads once is known.
    const run = await runOrganisation({ octokit: withRunConfig(octokit, new RunConfigCache()), org: sim.model.org.login, concurrency: 1 });
    const repositories = run.assessment.repositories;
    expect(repositories.map((a) => a.name)).toEqual(["busy-000", "busy-001", "busy-002", "busy-003", "busy-004"]);
    for (const a of repositories) {
      const value = (id: string) => a.findings.find((f) => f.id === id)?.value;
      expect(value("reviews.merged-prs")).toBe(100);
      expect(value("reviews.approved-on-final-commit")).toBe(100);
      expect(value("ci.merged-green")).toBe(100);
      expect(value("commits.verified")).toEqual({ total: 100, verified: 100 });
      expect(value("commits.direct-pushes")).toBe(0);
      expect(a.requests.rest).toBeLessThanOrEqual(6);
    }
    // The batched query (146 requests), then 69 commits with 26 pull requests (149 requests), then
    // 44 pull requests (133): one point each.
    for (const a of repositories.slice(2)) expect(a.requests).toMatchObject({ graphql: 3, graphqlCost: 3 });
    // The first is assessed before the run's shared reads exist (its batched query asks for the
    // organisation's teams itself: 247 requests, 2 points) and pays for the run's read of every
    // repository's own configuration (1 point); the second pays for the teams' read (1 point).
    expect(repositories[0]!.requests).toMatchObject({ graphql: 4, graphqlCost: 5 });
    expect(repositories[1]!.requests).toMatchObject({ graphql: 4, graphqlCost: 4 });
  });

  it("costs 4 points alone: the batched query holds what a run reads once, 247 requests", async () => {
    const client = new GitHubClient(octokit as unknown as OctokitLike);
    const a = await assessRepository({ client, owner: sim.model.org.login, name: "busy-000", config: DEFAULT_CONFIG });
    expect(a.findings.find((f) => f.id === "reviews.merged-prs")?.value).toBe(100);
    expect(a.findings.find((f) => f.id === "commits.verified")?.value).toEqual({ total: 100, verified: 100 });
    expect(a.requests).toMatchObject({ graphql: 3, graphqlCost: 4 });
  });
});
