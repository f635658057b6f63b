import nock from "nock";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { GitHubClient } from "../../src/github/client.js";
import { ConditionalCache, type AnswerCache } from "../../src/github/conditional-cache.js";
import { ANSWERS_PER_REPOSITORY, MIN_ANSWERS, StoredAnswerCache } from "../../src/store/conditional-answers.js";
import { Store } from "../../src/store/store.js";
import { API } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { TestOctokit } from "../helpers/probot.js";
import { dialects } from "../helpers/dialects.js";

const ROUTE = "GET /repos/{owner}/{repo}";
const repoSchema = z.looseObject({ full_name: z.string() });
const repository = () => ({ ...example("full-repository"), full_name: "octo-org/api" });

const caches: [string, () => AnswerCache | Promise<AnswerCache>][] = [
  ["in memory", () => new ConditionalCache()],
  ["in the store", async () => new StoredAnswerCache(await Store.open(":memory:"))],
];

describe.each(caches)("conditional REST requests, answers kept %s", (_where, newCache) => {
  it("sends the stored ETag and serves GitHub's 304 from the earlier answer, counting it", async () => {
    const cache = await newCache();
    const octokit = new TestOctokit({ auth: "ghs_test" });
    nock(API).get("/repos/octo-org/api").reply(200, repository(), { etag: 'W/"abc"' });
    const first = new GitHubClient(octokit as never, { cache, scope: "1" });
    expect((await first.rest(ROUTE, { owner: "octo-org", repo: "api" }, repoSchema)).data?.full_name).toBe("octo-org/api");

    nock(API).get("/repos/octo-org/api").matchHeader("if-none-match", 'W/"abc"').reply(304);
    const again = new GitHubClient(octokit as never, { cache, scope: "1" });
    expect((await again.rest(ROUTE, { owner: "octo-org", repo: "api" }, repoSchema)).data?.full_name).toBe("octo-org/api");
    expect(again.counts).toMatchObject({ rest: 1, notModified: 1 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("never sends one installation's ETag, or serves its answer, for another", async () => {
    const cache = await newCache();
    const octokit = new TestOctokit({ auth: "ghs_test" });
    nock(API).get("/repos/octo-org/api").reply(200, repository(), { etag: '"one"' });
    await new GitHubClient(octokit as never, { cache, scope: "1" }).rest(ROUTE, { owner: "octo-org", repo: "api" }, repoSchema);

    let sentEtag: unknown = "not asked";
    nock(API)
      .get("/repos/octo-org/api")
      .reply(function () {
        sentEtag = this.req.headers["if-none-match"];
        return [200, repository(), { etag: '"two"' }];
      });
    const other = new GitHubClient(octokit as never, { cache, scope: "2" });
    await other.rest(ROUTE, { owner: "octo-org", repo: "api" }, repoSchema);
    expect(sentEtag).toBeUndefined();
    expect(other.counts.notModified).toBeUndefined();
  });

});

describe("conditional answers kept in memory", () => {
  it("drops the least recently used answers beyond its bound", async () => {
    const cache = new ConditionalCache(2);
    const answer = (etag: string) => ({ etag, status: 200, data: {}, headers: {} });
    await cache.set("1", ROUTE, { repo: "a" }, answer("a"));
    await cache.set("1", ROUTE, { repo: "b" }, answer("b"));
    await cache.get("1", ROUTE, { repo: "a" });
    await cache.set("1", ROUTE, { repo: "c" }, answer("c"));
    expect(cache.size).toBe(2);
    expect(await cache.get("1", ROUTE, { repo: "b" })).toBeUndefined();
    expect((await cache.get("1", ROUTE, { repo: "a" }))?.etag).toBe("a");
  });
});

describe("conditional answers kept in the store, per installation", () => {
  const answer = (etag: string) => ({ etag, status: 200, data: { etag }, headers: { etag, link: '<https://api.github.com/x?page=2>; rel="next"', "x-ratelimit-remaining": "10" } });

  it("holds a whole pass over a 1,500-repository installation, so a second pass can be answered 304 throughout", async () => {
    const store = await Store.open(":memory:");
    await store.upsertInstallation(1, "big", "Organization");
    await store.upsertInstallation(2, "other", "Organization");
    await store.addRepositories(1, Array.from({ length: 1_500 }, (_, i) => ({ id: i + 1, fullName: `big/r${i}` })));
    let tick = 0;
    const cache = new StoredAnswerCache(store, () => (tick += 1));
    expect(await cache.capacity(1)).toBe(1_500 * ANSWERS_PER_REPOSITORY);
    const reads = ["GET /repos/{owner}/{repo}", "GET /repos/{owner}/{repo}/branches/{branch}/protection", "GET /repos/{owner}/{repo}/rules/branches/{branch}", "GET /repos/{owner}/{repo}/actions/permissions/workflow", "GET /repos/{owner}/{repo}/secret-scanning/alerts", "GET /repos/{owner}/{repo}/contents/{path}"];
    for (let i = 0; i < 1_500; i += 1) for (const route of reads) await cache.set("1", route, { owner: "big", repo: `r${i}` }, answer(`${i}${route}`));
    // Another installation's traffic takes none of this installation's room.
    for (let i = 0; i < 3_000; i += 1) await cache.set("2", "GET /repos/{owner}/{repo}", { owner: "other", repo: `r${i}` }, answer(`o${i}`));
    expect(await cache.size(1)).toBe(9_000);
    let hits = 0;
    for (let i = 0; i < 1_500; i += 1) for (const route of reads) if (await cache.get("1", route, { owner: "big", repo: `r${i}` })) hits += 1;
    expect(hits).toBe(9_000);
    // Pagination links are kept for replay; rate-limit figures are not (they would be stale).
    expect((await cache.get("1", reads[0]!, { owner: "big", repo: "r0" }))?.headers).toEqual({ etag: `0${reads[0]}`, link: '<https://api.github.com/x?page=2>; rel="next"' });
    await store.close();
  }, 60_000);
});

describe.each(dialects("conditional answers in the store"))("conditional answers kept in the store on $name", ({ open }) => {
  const answer = (etag: string) => ({ etag, status: 200, data: { etag }, headers: { etag, link: '<https://api.github.com/x?page=2>; rel="next"', "x-ratelimit-remaining": "10" } });

  it("drops the least recently used answers of an installation beyond its bound, and only that installation's", async () => {
    const store = await open();
    await store.upsertInstallation(1, "small", "Organization");
    await store.upsertInstallation(2, "other", "Organization");
    let tick = 0;
    const cache = new StoredAnswerCache(store, () => (tick += 1));
    await cache.set("2", "GET /repos/{owner}/{repo}", { owner: "other", repo: "kept" }, answer("kept"));
    for (let i = 0; i < MIN_ANSWERS + 200; i += 1) await cache.set("1", "GET /repos/{owner}/{repo}", { owner: "small", repo: `r${i}` }, answer(String(i)));
    expect(await cache.size(1)).toBe(MIN_ANSWERS);
    expect(await cache.get("1", "GET /repos/{owner}/{repo}", { owner: "small", repo: "r0" })).toBeUndefined();
    expect((await cache.get("1", "GET /repos/{owner}/{repo}", { owner: "small", repo: `r${MIN_ANSWERS + 199}` }))?.etag).toBe(String(MIN_ANSWERS + 199));
    expect((await cache.get("2", "GET /repos/{owner}/{repo}", { owner: "other", repo: "kept" }))?.etag).toBe("kept");
    await store.close();
    // 1,200 writes: one round trip each on PostgreSQL, slow when the machine is busy.
  }, 60_000);
});
