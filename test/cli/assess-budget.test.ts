import nock from "nock";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli.js";
import { API } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { mockOrganisationRun, mockRepositoryEvidence } from "../helpers/scenario.js";

/*
 * The CLI plans from the budgets GitHub reports (GET /rate_limit, free) and the cost of a
 * repository; it waits for the reset with a progress line, or stops with exit 3 — and never
 * prints a report whose evidence GitHub refused for want of budget as if it were merely unknown.
 */

const ORG = "octo-org";
const NOW = new Date("2026-11-24T12:00:00Z");
const RESET = new Date("2026-11-24T12:20:00Z");
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

function mockBudgets(graphqlRemaining: number, restRemaining = 4_900) {
  const window = (remaining: number) => ({ limit: 5000, used: 5000 - remaining, remaining, reset: epoch(RESET) });
  nock(API).get("/rate_limit").reply(200, { resources: { core: window(restRemaining), graphql: window(graphqlRemaining) }, rate: window(restRemaining) });
}

function mockOrgVisible(publicRepos: number) {
  nock(API).get(`/orgs/${ORG}`).reply(200, { ...example("organization-full"), login: ORG, public_repos: publicRepos, total_private_repos: 0 });
}

async function cli(argv: string[]) {
  let now = NOW;
  const sleeps: number[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), progress: (t) => progress.push(t) }, {
    env: { GITHUB_TOKEN: "ghp_test" },
    now: () => now,
    concurrency: 1,
    sleep: async (ms) => {
      sleeps.push(ms);
      now = new Date(now.getTime() + ms);
    },
  });
  return { code, out: out.join("\n"), err, progress, sleeps };
}

describe("claimcheck assess under GitHub's rate limits", () => {
  it("stops before reading any repository when the budget cannot pay for the run and --rate-limit stop is given", async () => {
    mockOrgVisible(2);
    mockBudgets(3);
    const result = await cli(["assess", "--org", ORG, "--rate-limit", "stop"]);
    expect(result.code).toBe(3);
    expect(result.out).toBe("");
    expect(result.err[0]).toMatch(/GraphQL points 3 of 5,000 left until 2026-11-24T12:20:00.000Z; 2 repositories at about/);
    expect(result.err[1]).toMatch(/^claimcheck: the budget pays for 0 of 2 repositories before 2026-11-24T12:20:00.000Z; stopping \(--rate-limit stop\)/);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("waits for the reset with a progress line, then assesses and reports", async () => {
    mockOrgVisible(1);
    mockBudgets(3);
    mockOrganisationRun(ORG, { repositories: ["docs"] });
    mockRepositoryEvidence(ORG, "docs", { config: "run" });
    const result = await cli(["assess", "--org", ORG]);
    expect(result.code).toBe(0);
    expect(result.err[1]).toMatch(/the run will wait for GitHub's reset at 2026-11-24T12:20:00.000Z/);
    expect(result.progress).toContain("waiting for GitHub's GraphQL rate limit to reset at 2026-11-24T12:20:00.000Z (0/1 repositories assessed)");
    expect(result.sleeps).toHaveLength(1);
    expect(result.sleeps[0]).toBe(RESET.getTime() - NOW.getTime() + 1000);
    expect(result.out).toContain("1 repository in scope.");
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("prints no report and exits 3 when GitHub refused requests for its rate limit during the run", async () => {
    mockOrgVisible(1);
    mockBudgets(4_000);
    // The batched query gets GitHub's answer to a spent GraphQL budget (registered first, so it is
    // the one used), resetting in 20 minutes of real time: too long for the throttle to retry.
    const reset = new Date(Date.now() + 20 * 60_000);
    nock(API)
      .post("/graphql", (b: { query: string }) => b.query.includes("query claimcheckRepository("))
      .reply(200, { data: null, errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for installation ID 1." }] }, { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(epoch(reset)), "x-ratelimit-resource": "graphql" });
    mockOrganisationRun(ORG, { repositories: ["docs"] });
    mockRepositoryEvidence(ORG, "docs", { config: "run" });
    const result = await cli(["assess", "--org", ORG]);
    expect(result.code).toBe(3);
    expect(result.out).toBe("");
    expect(result.err.at(-1)).toMatch(/^claimcheck: GitHub refused 1 requests for its rate limit; no report is printed/);
  });

  it("refuses an unknown --rate-limit mode as a usage error", async () => {
    const result = await cli(["assess", "--org", ORG, "--rate-limit", "sometimes"]);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe('claimcheck: --rate-limit must be wait or stop, not "sometimes"');
  });
});
