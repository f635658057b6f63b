import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import { RunConfigCache, runConfigOf, withRunConfig } from "../../src/config/config-cache.js";
import { loadRepoConfig, type ConfigReader } from "../../src/config/load-repo-config.js";
import { GitHubClient, type OctokitLike } from "../../src/github/client.js";
import { API } from "../helpers/github-api.js";

const Octokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } }));
const octokit = () => new Octokit({ auth: "ghs_test" }) as unknown as OctokitLike & ConfigReader;
const RAW = { "content-type": "application/vnd.github.v3.raw; charset=utf-8" };
const path = (repo: string) => `/repos/acme/${repo}/contents/.github%2Fclaimcheck.yml`;

describe("configuration shared by a run", () => {
  afterEach(() => nock.cleanAll());

  it("reads the organisation's .github file (and what it extends) once for every repository of the run", async () => {
    const repos = ["api", "web", "worker"];
    for (const r of repos) nock(API).get(path(r)).reply(404, { message: "Not Found" });
    const org = nock(API).get(path(".github")).once().reply(200, "_extends: policies\nwindowDays: 30\n", RAW);
    const extended = nock(API).get(path("policies")).once().reply(200, "mode: enforce\n", RAW);
    const shared = withRunConfig(octokit(), new RunConfigCache());
    const counted: number[] = [];
    for (const r of repos) {
      const client = new GitHubClient(shared);
      const outcome = await loadRepoConfig(client, "acme", r, runConfigOf(shared));
      expect(outcome.ok).toBe(true);
      // `_extends` is followed for every repository, not only the first (the answers are copies).
      expect(outcome.config).toMatchObject({ windowDays: 30, mode: "enforce" });
      counted.push(client.counts.rest);
    }
    expect(org.isDone() && extended.isDone()).toBe(true);
    // Requests as counted against each repository: the shared files only by the first.
    expect(counted).toEqual([3, 1, 1]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("keeps a repository's own file its own, and asks again for a shared file that failed", async () => {
    nock(API).get(path("api")).reply(200, "windowDays: 7\n", RAW);
    nock(API).get(path("web")).reply(404, { message: "Not Found" });
    nock(API).get(path(".github")).reply(502, { message: "Bad Gateway" });
    nock(API).get(path("worker")).reply(404, { message: "Not Found" });
    nock(API).get(path(".github")).reply(200, "windowDays: 60\n", RAW);
    const shared = withRunConfig(octokit(), new RunConfigCache());
    const read = async (r: string) => loadRepoConfig(new GitHubClient(shared), "acme", r, runConfigOf(shared));
    expect((await read("api")).config.windowDays).toBe(7);
    const failed = await read("web");
    expect(failed.ok).toBe(false);
    expect((await read("worker")).config.windowDays).toBe(60);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("reads a shared file again once it is older than the cache's age limit", async () => {
    let now = 0;
    nock(API).get(path("api")).times(2).reply(404, { message: "Not Found" });
    nock(API).get(path(".github")).reply(200, "windowDays: 30\n", RAW);
    nock(API).get(path(".github")).reply(200, "windowDays: 45\n", RAW);
    const shared = withRunConfig(octokit(), new RunConfigCache(1000, () => now));
    const read = async () => (await loadRepoConfig(new GitHubClient(shared), "acme", "api", runConfigOf(shared))).config.windowDays;
    expect(await read()).toBe(30);
    now = 2000;
    expect(await read()).toBe(45);
  });
});
