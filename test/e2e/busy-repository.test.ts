import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessRepository } from "../../src/assessment/assess-repository.js";
import { runOrganisation, type RunOctokit } from "../../src/assessment/run-organisation.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { RunConfigCache, withRunConfig } from "../../src/config/config-cache.js";
import { GitHubClient, type OctokitLike } from "../../src/github/client.js";
import { productionOctokit, startApp, type RunningApp } from "../simulator/app-harness.js";
import { busyScenario } from "../simulator/generate.js";
import { parseScenario } from "../simulator/scenario.js";
import { startSimulator, type Simulator } from "../simulator/server.js";
import { deliver, pullRequestOpened } from "../simulator/webhooks.js";

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

  it("costs 3 GraphQL points and 4 REST requests within a run, with all of its evidence", async () => {
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
      // Classic protection, the branch's rules, the Actions token settings, the list of workflows: the
      // repository comes from the run's list, its own configuration file from the run's batched read,
      // and no alerts are asked for where the list says secret scanning is off.
      expect(a.requests.rest).toBe(4);
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

  it("costs 4 points assessed alone without shared reads (the CLI's one repository): the batched query holds what a run reads once, 247 requests", async () => {
    const client = new GitHubClient(octokit as unknown as OctokitLike);
    const a = await assessRepository({ client, owner: sim.model.org.login, name: "busy-000", config: DEFAULT_CONFIG });
    expect(a.findings.find((f) => f.id === "reviews.merged-prs")?.value).toBe(100);
    expect(a.findings.find((f) => f.id === "commits.verified")?.value).toEqual({ total: 100, verified: 100 });
    expect(a.requests).toMatchObject({ graphql: 3, graphqlCost: 4 });
  });
});

describe("a lone pull request's check run on a busy repository (the app, one webhook)", () => {
  let sim: Simulator;
  let app: RunningApp;
  beforeAll(async () => {
    const scenario = busyScenario({ repos: 3, mergedPullRequests: 100 });
    // The third has secret scanning on: its open alerts are read too.
    scenario.repositories[2] = { ...scenario.repositories[2]!, secretScanning: true };
    sim = await startSimulator(parseScenario(scenario), { latencyMs: 0 });
    app = await startApp({ githubUrl: sim.url, retryBaseMs: 5, spaceWrites: false });
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
  });

  const snapshot = () => ({ rest: sim.stats.rest, graphql: sim.stats.graphql, points: sim.stats.graphqlCost, byRoute: { ...sim.stats.byRoute } });

  it("costs 6 REST requests (7 with secret scanning on) and 3 points, the organisation's facts read once for the installation's hour", async () => {
    const installationId = sim.model.scenario.installation.id;
    const lone = async (name: string) => {
      const before = snapshot();
      const result = await deliver(app.webhookUrl, app.secret, pullRequestOpened(sim.model, sim.model.repos.get(name)!, "a".repeat(40)));
      expect(result.status).toBeLessThan(300);
      await app.idle();
      const after = snapshot();
      const [stored] = await app.store.assessments(installationId, `${sim.model.org.login}/${name}`);
      const routes = (route: string) => (after.byRoute[route] ?? 0) - (before.byRoute[route] ?? 0);
      return { stored: stored!, graphql: after.graphql - before.graphql, points: after.points - before.points, routes };
    };
    const value = (a: { stored: { findings: { id: string; value: unknown }[] } }, id: string) => a.stored.findings.find((f) => f.id === id);

    const first = await lone("busy-000");
    const second = await lone("busy-001");
    const scanned = await lone("busy-002");
    for (const a of [first, second, scanned]) {
      expect(value(a, "reviews.merged-prs")?.value).toBe(100);
      expect(value(a, "ci.merged-green")?.value).toBe(100);
      expect(value(a, "commits.verified")?.value).toEqual({ total: 100, verified: 100 });
      expect(value(a, "access.team-grants")?.value).toEqual([]);
      // The batched query (146 requests) and two follow-up pages: a point each.
      expect(a.stored.requests).toMatchObject({ graphql: 3, graphqlCost: 3 });
    }
    // The repository's own configuration file, the repository, classic protection, the branch's
    // rules, the Actions token settings and the list of workflows (it has workflow files). Its open
    // secret-scanning alerts are not asked for where the repository's answer says scanning is off.
    for (const a of [first, second]) {
      expect(a.stored.requests.rest).toBe(6);
      expect(a.routes("GET /repos/{owner}/{repo}/secret-scanning/alerts")).toBe(0);
      expect(value(a, "secrets.scanning")?.value).toBe(false);
    }
    expect(scanned.stored.requests.rest).toBe(7);
    expect(scanned.routes("GET /repos/{owner}/{repo}/secret-scanning/alerts")).toBe(1);
    expect(value(scanned, "secrets.alerts")?.value).toEqual({ open: 0, overdue: 0 });
    // The first of the hour also reads the organisation's facts, not charged to the repository: its
    // `.github` configuration file (REST), its settings, owners, members without 2FA and outside
    // collaborators (4 REST), and 3 GraphQL queries of a point each (single sign-on, outside access,
    // the teams and their repositories).
    expect(first.routes("GET /repos/{owner}/{repo}/contents/{path}")).toBe(2);
    expect(first.routes("GET /orgs/{org}") + first.routes("GET /orgs/{org}/members") + first.routes("GET /orgs/{org}/outside_collaborators")).toBe(4);
    expect({ graphql: first.graphql, points: first.points }).toEqual({ graphql: 6, points: 6 });
    // The second reads none of them again but the organisation's configuration file: the organisation
    // has no `.github` repository among the installation's, so no push would say the file changed
    // (read with the answer's ETag, so an unchanged one is a 304 not charged). Its team grants are
    // those of the first's read, and say so.
    expect(second.routes("GET /repos/{owner}/{repo}/contents/{path}")).toBe(2);
    expect(second.routes("GET /orgs/{org}") + second.routes("GET /orgs/{org}/members") + second.routes("GET /orgs/{org}/outside_collaborators")).toBe(0);
    expect({ graphql: second.graphql, points: second.points }).toEqual({ graphql: 3, points: 3 });
    const observed = (a: typeof first) => a.stored.findings.find((f) => f.id === "access.team-grants")!.observedAt;
    expect(observed(second)).toBe(observed(first));
    expect(observed(second) < second.stored.findings.find((f) => f.id === "reviews.merged-prs")!.observedAt).toBe(true);
  });
});
