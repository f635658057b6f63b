import nock from "nock";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { GitHubClient } from "../../src/github/client.js";
import { ConditionalCache } from "../../src/github/conditional-cache.js";
import { API } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { TestOctokit } from "../helpers/probot.js";

const ROUTE = "GET /repos/{owner}/{repo}";
const repoSchema = z.looseObject({ full_name: z.string() });
const repository = () => ({ ...example("full-repository"), full_name: "octo-org/api" });

describe("conditional REST requests", () => {
  it("sends the stored ETag and serves GitHub's 304 from the earlier answer, counting it", async () => {
    const cache = new ConditionalCache();
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
    const cache = new ConditionalCache();
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

  it("drops the least recently used answers beyond its bound", () => {
    const cache = new ConditionalCache(2);
    const answer = (etag: string) => ({ etag, status: 200, data: {}, headers: {} });
    cache.set("1", ROUTE, { repo: "a" }, answer("a"));
    cache.set("1", ROUTE, { repo: "b" }, answer("b"));
    cache.get("1", ROUTE, { repo: "a" });
    cache.set("1", ROUTE, { repo: "c" }, answer("c"));
    expect(cache.size).toBe(2);
    expect(cache.get("1", ROUTE, { repo: "b" })).toBeUndefined();
    expect(cache.get("1", ROUTE, { repo: "a" })?.etag).toBe("a");
  });
});
