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

describe("a run's own configuration files, read together", () => {
  afterEach(() => nock.cleanAll());

  type Body = { query: string; variables: Record<string, string> };
  // The `.github` directory's entries say the file is a plain file (mode 100644, given in decimal).
  const entries = (mode: number, type = "blob") => ({ __typename: "Tree", entries: [{ name: "claimcheck.yml", mode, type }] });
  const blob = (text: string) => ({ cfg: { __typename: "Blob", text, byteSize: Buffer.byteLength(text), isBinary: false, isTruncated: false }, dir: entries(0o100644) });

  it("reads the announced repositories' own files in one GraphQL query, and each repository's answer once", async () => {
    const asked: Body[] = [];
    nock(API)
      .post("/graphql", (body: Body) => body.query.includes("claimcheckOwnConfigFiles") && asked.push(body) > 0)
      .reply(200, { data: { rateLimit: { cost: 1, remaining: 4999, resetAt: "2026-11-24T13:00:00Z" }, r0: { cfg: null, dir: null }, r1: blob("windowDays: 7\n"), r2: { cfg: null, dir: { __typename: "Tree", entries: [] } } } });
    nock(API).get(path(".github")).once().reply(200, "windowDays: 30\n", RAW);
    const cache = new RunConfigCache();
    cache.expect("acme", ["api", "web", "worker"]);
    const shared = withRunConfig(octokit(), cache);
    const clients = ["api", "web", "worker"].map(() => new GitHubClient(shared));
    const windows = [];
    for (const [i, r] of ["api", "web", "worker"].entries()) windows.push((await loadRepoConfig(clients[i]!, "acme", r, runConfigOf(shared))).config.windowDays);
    // Absent: the organisation's file applies; present: the repository's own.
    expect(windows).toEqual([30, 7, 30]);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.variables).toEqual({ owner: "acme", r0: "api", r1: "web", r2: "worker" });
    // The query is charged to the repository that asked first; no repository read its own file through REST.
    expect(clients.map((c) => c.counts)).toMatchObject([{ graphql: 1, rest: 1 }, { graphql: 0, rest: 0 }, { graphql: 0, rest: 0 }]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("leaves to REST what GraphQL cannot say as REST would, and a repository the run did not announce", async () => {
    nock(API)
      .post("/graphql", (body: Body) => body.query.includes("claimcheckOwnConfigFiles"))
      .reply(200, {
        data: { rateLimit: { cost: 1 }, r0: null, r1: { cfg: { __typename: "Tree" }, dir: entries(0o40000, "tree") }, r2: { cfg: { __typename: "Blob", text: null, byteSize: 10, isBinary: true, isTruncated: false }, dir: entries(0o100644) } },
        errors: [{ type: "NOT_FOUND", path: ["r0"], message: "Could not resolve to a Repository" }],
      });
    nock(API).get(path("gone")).reply(404, { message: "Not Found" });
    nock(API).get(path("dir")).reply(200, [{ name: "x" }]);
    nock(API).get(path("binary")).reply(200, "windowDays: 5\n", RAW);
    nock(API).get(path("late")).reply(200, "windowDays: 9\n", RAW);
    nock(API).get(path(".github")).reply(404, { message: "Not Found" });
    const cache = new RunConfigCache();
    cache.expect("acme", ["gone", "dir", "binary"]);
    const shared = withRunConfig(octokit(), cache);
    const read = async (r: string) => loadRepoConfig(new GitHubClient(shared), "acme", r, runConfigOf(shared));
    expect((await read("gone")).ok).toBe(true);
    // A directory at the path is the REST read's problem, in its words.
    const dir = await read("dir");
    expect(dir.ok).toBe(false);
    expect((await read("binary")).config.windowDays).toBe(5);
    expect((await read("late")).config.windowDays).toBe(9);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("reads every file through REST when the query fails", async () => {
    nock(API).post("/graphql").reply(502, { message: "Bad Gateway" });
    nock(API).get(path("api")).reply(200, "windowDays: 7\n", RAW);
    nock(API).get(path("web")).reply(404, { message: "Not Found" });
    nock(API).get(path(".github")).reply(404, { message: "Not Found" });
    const cache = new RunConfigCache();
    cache.expect("acme", ["api", "web"]);
    const shared = withRunConfig(octokit(), cache);
    const read = async (r: string) => (await loadRepoConfig(new GitHubClient(shared), "acme", r, runConfigOf(shared))).config.windowDays;
    expect(await read("api")).toBe(7);
    expect(await read("web")).toBe(90);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("asks for at most the given number of repositories at a time, reads a lone one alone, and an answer older than the age limit again", async () => {
    let now = 0;
    const cache = new RunConfigCache(1000, () => now);
    cache.expect("acme", ["a", "b", "c", "d", "e"]);
    const batches: string[][] = [];
    const readBatch = async (names: string[]) => {
      batches.push(names);
      return new Map(names.map((n) => [n, `answer ${n}`]));
    };
    expect(await cache.fromBatch("acme", "a", 2, readBatch)).toBe("answer a");
    now = 2000;
    // b's answer is too old: b is read alone, as a repository the run did not announce.
    expect(cache.fromBatch("acme", "b", 2, readBatch)).toBeUndefined();
    expect(await cache.fromBatch("acme", "c", 2, readBatch)).toBe("answer c");
    expect(await cache.fromBatch("acme", "d", 2, readBatch)).toBe("answer d");
    // Given out once: asked again, d is read alone.
    expect(cache.fromBatch("acme", "d", 2, readBatch)).toBeUndefined();
    // The last one left has no others to share a query with: a query would cost as much as its REST read.
    expect(cache.fromBatch("acme", "e", 2, readBatch)).toBeUndefined();
    expect(batches).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });
});
