import nock from "nock";
import { describe, expect, it } from "vitest";
import { observeRateLimits, probeRateLimits, RateBudget, RateBudgets, readingFromHeaders, type SharedReadings } from "../../src/app/rate-budget.js";
import { API } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { TestOctokit } from "../helpers/probot.js";

const headers = (resource: string | null, remaining: number, reset = 1_800_000_000, limit = 5000) => ({
  "x-ratelimit-limit": String(limit),
  "x-ratelimit-remaining": String(remaining),
  "x-ratelimit-reset": String(reset),
  "x-ratelimit-used": String(limit - remaining),
  ...(resource ? { "x-ratelimit-resource": resource } : {}),
});

describe("readingFromHeaders", () => {
  it("reads REST and GraphQL budgets by GitHub's resource name", () => {
    expect(readingFromHeaders(headers("core", 4990), "/repos/{owner}/{repo}")).toEqual({ resource: "rest", reading: { limit: 5000, remaining: 4990, resetAt: new Date(1_800_000_000_000) } });
    expect(readingFromHeaders(headers("graphql", 4000), "/graphql")?.resource).toBe("graphql");
  });

  it("falls back on the URL when the resource is not named, and ignores other resources", () => {
    expect(readingFromHeaders(headers(null, 10), "https://ghe.example/api/graphql")?.resource).toBe("graphql");
    expect(readingFromHeaders(headers(null, 10), "/repos/{owner}/{repo}?per_page=1")?.resource).toBe("rest");
    expect(readingFromHeaders(headers("search", 10), "/search/issues")).toBeNull();
  });

  it("is null when GitHub sent no budget", () => {
    expect(readingFromHeaders({ "x-ratelimit-remaining": "12" }, "/repos/{owner}/{repo}")).toBeNull();
    expect(readingFromHeaders({ ...headers("core", 12), "x-ratelimit-reset": "soon" }, "/x")).toBeNull();
  });
});

describe("RateBudget", () => {
  it("keeps the lowest remaining count within a window, and a newer window over an older one", () => {
    const budget = new RateBudget();
    const reset = new Date("2026-11-25T11:00:00Z");
    budget.observe("rest", { limit: 5000, remaining: 4000, resetAt: reset });
    budget.observe("rest", { limit: 5000, remaining: 4100, resetAt: reset });
    expect(budget.current().rest?.remaining).toBe(4000);
    budget.observe("rest", { limit: 5000, remaining: 4990, resetAt: new Date("2026-11-25T12:00:00Z") });
    expect(budget.current().rest?.remaining).toBe(4990);
    budget.observe("rest", { limit: 5000, remaining: 1, resetAt: reset });
    expect(budget.current().rest?.remaining).toBe(4990);
    expect(budget.current().graphql).toBeNull();
  });

  it("is kept per installation", () => {
    const budgets = new RateBudgets();
    budgets.of(1).observe("rest", { limit: 5000, remaining: 0, resetAt: new Date() });
    expect(budgets.of(2).current().rest).toBeNull();
    expect(budgets.of(1).current().rest?.remaining).toBe(0);
  });
});

describe("observeRateLimits", () => {
  it("feeds the budget from answers and from errors, once per Octokit", async () => {
    const octokit = new TestOctokit({ auth: "token" });
    const budget = new RateBudget();
    observeRateLimits(octokit, budget);
    observeRateLimits(octokit, budget);
    nock(API).get("/repos/o/r").reply(200, {}, headers("core", 4321));
    nock(API).post("/graphql").reply(200, { data: { viewer: { login: "x" } } }, headers("graphql", 3999));
    nock(API).get("/repos/o/gone").reply(404, { message: "Not Found" }, headers("core", 4320));
    await octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" });
    await octokit.graphql("query { viewer { login } }");
    await expect(octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "gone" })).rejects.toMatchObject({ status: 404 });
    expect(budget.current().rest?.remaining).toBe(4320);
    expect(budget.current().graphql?.remaining).toBe(3999);
  });
});

describe("probeRateLimits", () => {
  it("reads both budgets from GET /rate_limit", async () => {
    const body = example("rate-limit-overview");
    nock(API).get("/rate_limit").reply(200, body);
    const budget = new RateBudget();
    expect(await probeRateLimits(new TestOctokit({ auth: "token" }), budget)).toBe(true);
    expect(budget.current().rest).toEqual({ limit: body.resources.core.limit, remaining: body.resources.core.remaining, resetAt: new Date(body.resources.core.reset * 1000) });
    expect(budget.current().graphql?.remaining).toBe(body.resources.graphql.remaining);
  });

  it("leaves the budget unknown when the server has rate limiting off or answers oddly", async () => {
    nock(API).get("/rate_limit").reply(404, { message: "Rate limiting is not enabled." });
    nock(API).get("/rate_limit").reply(200, { resources: {}, rate: {} });
    const budget = new RateBudget();
    expect(await probeRateLimits(new TestOctokit({ auth: "token" }), budget)).toBe(false);
    expect(await probeRateLimits(new TestOctokit({ auth: "token" }), budget)).toBe(false);
    expect(budget.current()).toEqual({ rest: null, graphql: null });
  });
});

describe("RateBudget with shared readings", () => {
  const reset = new Date("2026-11-25T11:00:00Z");

  it("records many answers as few writes, keeping the lowest count, and merges what others recorded", async () => {
    const recorded: number[] = [];
    const readings: SharedReadings = {
      record: async (_id, _resource, reading) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        recorded.push(reading.remaining);
      },
      read: async () => ({ rest: { limit: 5000, remaining: 100, resetAt: reset }, graphql: null }),
      claim: async () => true,
    };
    const budget = new RateBudgets({ readings }).of(7);
    for (let remaining = 4000; remaining > 3900; remaining -= 1) budget.observe("rest", { limit: 5000, remaining, resetAt: reset });
    await budget.flushed();
    // The first answer goes at once; the 99 after it wait for that write and go as one.
    expect(recorded).toEqual([4000, 3901]);
    expect(budget.current().rest?.remaining).toBe(3901);
    expect((await budget.refresh()).rest?.remaining).toBe(100);
  });

  it("keeps planning with its own readings when the shared ones cannot be read or written", async () => {
    const errors: unknown[] = [];
    const readings: SharedReadings = { record: () => Promise.reject(new Error("down")), read: () => Promise.reject(new Error("down")), claim: () => Promise.reject(new Error("down")) };
    const budget = new RateBudget({ readings, installationId: 7, onError: (error) => errors.push(error) });
    budget.observe("graphql", { limit: 5000, remaining: 42, resetAt: reset });
    await budget.flushed();
    expect((await budget.refresh()).graphql?.remaining).toBe(42);
    expect(await budget.claim({ rest: 0, graphql: 10 }, 0.2, new Date("2026-11-25T10:30:00Z"))).toBe(true);
    expect(errors).toHaveLength(3);
  });
});
