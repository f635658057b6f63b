import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { historyFragment } from "../../src/collectors/default-branch-history.js";
import { pullRequestsFragment } from "../../src/collectors/pull-requests.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { startApp, type RunningApp } from "../simulator/app-harness.js";
import { sha } from "../simulator/model.js";
import { parseScenario, type ScenarioInput } from "../simulator/scenario.js";
import { startSimulator, type Simulator } from "../simulator/server.js";
import { deliver, pullRequestOpened } from "../simulator/webhooks.js";
import { check } from "./helpers.js";

/*
 * Configurations as real repositories write them, through the whole app over the simulator:
 * reviews GitHub would not count, update-tool files the tools would read differently, and a
 * claimcheck configuration whose `_extends` cannot be followed.
 */

const CI = `name: ci
on: [pull_request, push]
permissions: { contents: read }
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - run: npm ci
      - run: npm test
`;
const NPM = { "package.json": '{ "name": "x", "dependencies": { "zod": "^4.0.0" } }', "package-lock.json": '{ "name": "x", "lockfileVersion": 3, "packages": {} }', ".github/workflows/ci.yml": CI };

const scenario: ScenarioInput = {
  org: { login: "acme", members: [{ login: "olivia", role: "admin" }, { login: "alice" }, { login: "bob" }] },
  repositories: [
    // The organisation's defaults: no gap issues, which this file does not test.
    { name: ".github", files: { ".github/claimcheck.yml": "issues: { enabled: false }\n" } },
    {
      name: "reviews",
      protection: { requiredApprovals: 1, requiredChecks: ["ci"], dismissStaleReviews: false },
      files: NPM,
      pullRequests: [
        { author: "alice", approvals: ["bob"], count: 4, daysAgo: 2 },
        // bob approved, then asked for changes: his latest opinion is not an approval.
        { author: "alice", approvals: ["bob"], reviews: [{ by: "bob", state: "CHANGES_REQUESTED" }], daysAgo: 10 },
        // dismissed
        { author: "alice", reviews: [{ by: "bob", state: "DISMISSED" }], daysAgo: 11 },
        // only an app approved
        { author: "alice", reviews: [{ by: "review-bot[bot]", state: "APPROVED" }], daysAgo: 12 },
        // approved after it merged
        { author: "alice", reviews: [{ by: "bob", state: "APPROVED", afterMerge: true }], daysAgo: 13 },
        // approved an earlier commit; stale approvals are kept on this branch
        { author: "alice", staleApprovals: ["bob"], daysAgo: 14 },
        // the author's own
        { author: "alice", reviews: [{ by: "alice", state: "APPROVED" }], daysAgo: 15 },
        // approved, but merged into another branch
        { author: "alice", approvals: ["bob"], base: "release", count: 3, daysAgo: 16 },
      ],
    },
    { name: "busy", protection: { requiredApprovals: 1 }, files: NPM, pullRequests: [{ author: "alice", approvals: ["bob"], count: 100, daysAgo: 1, hoursOpen: 1 }] },
    {
      name: "renovate-off",
      protection: { requiredApprovals: 1 },
      files: { ...NPM, ".github/renovate.json5": "// paused while we migrate\n{\n  extends: ['config:recommended', ':disableRenovate',],\n}\n" },
    },
    {
      name: "renovate-shared",
      protection: { requiredApprovals: 1 },
      files: { ...NPM, "renovate.json": '{ "extends": ["local>acme/renovate-config"] }' },
    },
    {
      name: "dependabot-security-only",
      protection: { requiredApprovals: 1 },
      files: {
        ...NPM,
        ".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    schedule: { interval: weekly }\n    open-pull-requests-limit: 0\n  - package-ecosystem: github-actions\n    directory: /\n    schedule: { interval: weekly }\n    ignore: [{ dependency-name: '*' }]\n",
      },
    },
    {
      name: "owners",
      protection: { requiredApprovals: 1, codeOwnerReviews: true },
      // Everything is owned, then a later line without owners takes the workflows back out.
      files: { ...NPM, ".github/CODEOWNERS": "# owners\n*  @acme/core\n/.github/workflows/\n" },
    },
    {
      name: "extends-missing",
      files: { ...NPM, ".github/claimcheck.yml": "_extends: policies\nmode: enforce\n" },
    },
    {
      name: "extends-parent",
      files: { ...NPM, ".github/claimcheck.yml": "_extends: ../other-org\n" },
    },
    {
      name: "proto",
      files: { ...NPM, ".github/claimcheck.yml": "__proto__:\n  mode: enforce\n" },
    },
  ],
};

let sim: Simulator;
let app: RunningApp;
/** Every path the app asked the simulator for. */
const paths: string[] = [];

beforeAll(async () => {
  // Gap issues for seven repositories pass GitHub's 80 writes a minute; that limit is not what this file tests.
  sim = await startSimulator(parseScenario(scenario), { secondary: { contentPerMinute: 1000 }, trace: (entry) => paths.push(entry.path) });
  app = await startApp({ githubUrl: sim.url, retryBaseMs: 5, spaceWrites: false });
  for (const repo of sim.model.repoList.filter((r) => r.spec.name !== ".github")) await deliver(app.webhookUrl, app.secret, pullRequestOpened(sim.model, repo, sha("real-world", repo.spec.name)));
  await app.idle();
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await sim?.stop();
});

const latest = async (repo: string) => (await app.store.assessments(sim.model.scenario.installation.id, `acme/${repo}`, 1))[0];
const runOf = (repo: string) => sim.model.checkRuns.find((r) => r.repo === `acme/${repo}`)!;

describe("class 3: reviews counted as GitHub counts them", () => {
  it("counts only standing approvals of what merged, by another person, before the merge, into the default branch", async () => {
    const c = check(await latest("reviews"), "2.2.2", "reviews-happened");
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("4 of 10 merged pull requests");
    expect(c.reason).toContain("approved only on an earlier commit");
    expect(c.reason).toContain("approved only by a bot");
  });

  it("pays for the pull requests and commits a window holds, not for full pages", async () => {
    // A window with no merged pull request costs the batched query's fixed reads only.
    const query = buildRepositoryQuery([pullRequestsFragment, historyFragment]);
    const variables = (name: string) => ({ owner: "acme", name, branch: "main", qualifiedBranch: "refs/heads/main", since: new Date(Date.now() - 90 * 86_400_000).toISOString() });
    const quiet = await fetch(`${sim.url}/graphql`, { method: "POST", headers: { authorization: "token e2e", "content-type": "application/json" }, body: JSON.stringify({ query, variables: variables("renovate-off") }) });
    expect(((await quiet.json()) as { data: { rateLimit: { cost: number } } }).data.rateLimit.cost).toBe(1);

    // "busy" merged a pull request a day for 100 days: 90 of them, and their 90 merge commits, in
    // the 90-day window. A pull request's check run (the organisation's teams are the installation's
    // shared read, not in the query): the batched query (146 requests: 1 point) reads 31 of each;
    // the list of recent pull requests names the
    // 59 left by number, the history's count says 59 commits. Two follow-ups of at most 149
    // requests: the 59 commits and 29 pull requests (1 + 59 + 1 + 3 × 29 = 148), then the other 30
    // (1 + 3 × 30 = 91): 1 point each. Nothing else: every rollup names its head commit, and every
    // commit is a listed merge commit, so no follow-up asks about either. (Before: 4 points with the
    // teams in the batched query, and 5 before that.)
    const busy = (await latest("busy"))!;
    expect(busy.findings.find((f) => f.id === "reviews.merged-prs")?.value).toBe(90);
    expect(busy.findings.find((f) => f.id === "commits.verified")?.value).toEqual({ total: 90, verified: 90 });
    expect(busy.findings.find((f) => f.id === "commits.direct-pushes")?.value).toBe(0);
    expect(busy.requests).toMatchObject({ graphql: 3, graphqlCost: 3 });
  });
});

describe("class 2: update tools read as the tools read them", () => {
  it("takes :disableRenovate in a JSON5 file with comments as Renovate switched off", async () => {
    const c = check(await latest("renovate-off"), "1.2.5", "update-tool");
    expect(c.status).toBe("gap");
    expect(c.reason).toContain("switches Renovate off");
  });

  it("leaves coverage unknown when the configuration is in a preset that is not read", async () => {
    const c = check(await latest("renovate-shared"), "1.2.5", "update-tool");
    expect(c.status).toBe("unknown");
    expect(c.reason).toContain("local>acme/renovate-config");
  });

  it("reads CODEOWNERS as GitHub does: a later line without owners un-owns the workflows", async () => {
    const c = check(await latest("owners"), "2.2.2", "workflows-owned");
    expect(c.status).toBe("gap");
    expect(c.reason).toContain("without a code owner");
  });

  it("does not count Dependabot entries that open no version update", async () => {
    expect(check(await latest("dependabot-security-only"), "1.2.5", "update-tool").status).toBe("gap");
  });
});

describe("class 6: claimcheck's own configuration", () => {
  it("names an _extends that cannot be read in the check run, which asks for action", async () => {
    const run = runOf("extends-missing");
    expect(run.conclusion).toBe("action_required");
    expect(JSON.stringify(run.output)).toContain("_extends");
    expect(JSON.stringify(run.output)).toContain("acme/policies:.github/claimcheck.yml, which does not exist");
  });

  it("rejects an _extends that is not a repository of the organisation before asking for it", async () => {
    const run = runOf("extends-parent");
    expect(run.conclusion).toBe("action_required");
    expect(JSON.stringify(run.output)).toContain("is not a GitHub account name");
    expect(paths.some((p) => p.startsWith("/repos/acme/extends-parent/contents/"))).toBe(true);
    expect(paths.filter((p) => p.includes("..") || p.toLowerCase().includes("%2e%2e") || p.includes("other-org"))).toEqual([]);
  });

  it("rejects a prototype key and applies none of its settings", async () => {
    const run = runOf("proto");
    expect(run.conclusion).toBe("action_required");
    expect(JSON.stringify(run.output)).toContain("__proto__");
  });
});
