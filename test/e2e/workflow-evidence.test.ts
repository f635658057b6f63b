import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../simulator/app-harness.js";
import { parseScenario } from "../simulator/scenario.js";
import { startSimulator, type Simulator } from "../simulator/server.js";
import { deliver, installationCreated } from "../simulator/webhooks.js";
import { check } from "./helpers.js";

/*
 * The whole app against the simulator, for repositories shaped like real ones that used to look
 * `met`: a workflow GitHub has disabled, a trigger that skips pull requests to the default branch,
 * a workflow_run job that runs the pull request's artifact with a write token, and installs that
 * may resolve afresh (or cannot be told) in several ecosystems.
 */

const PIN = "11bd71901bbe5b1630ceea73d27597364c9af683";

const testAndReview = (on: string) => `on:
${on}
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@${PIN}
      - run: npm ci
      - run: npm test
      - uses: actions/dependency-review-action@${PIN}
`;

const npmFiles = { "package.json": '{ "name": "x" }', "package-lock.json": '{ "name": "x", "lockfileVersion": 3, "packages": {} }' };

const SCENARIO = parseScenario({
  org: { login: "wild", members: [{ login: "olivia", role: "admin" }] },
  repositories: [
    {
      name: "disabled",
      files: { ".github/workflows/ci.yml": testAndReview("  pull_request:"), ...npmFiles },
      workflowStates: { ".github/workflows/ci.yml": "disabled_manually" },
    },
    { name: "elsewhere", files: { ".github/workflows/ci.yml": testAndReview("  pull_request:\n    branches-ignore: [main]"), ...npmFiles } },
    { name: "running", files: { ".github/workflows/ci.yml": testAndReview("  pull_request:\n    paths-ignore: ['docs/**']"), ...npmFiles } },
    {
      name: "preview",
      files: {
        ".github/workflows/preview.yml": `on:
  workflow_run:
    workflows: [ci]
    types: [completed]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@${PIN}
        with:
          run-id: \${{ github.event.workflow_run.id }}
          github-token: \${{ secrets.GITHUB_TOKEN }}
      - run: sh ./preview/deploy.sh
`,
      },
    },
    {
      name: "rusty",
      files: {
        ".github/workflows/ci.yml": `on: pull_request\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cargo build --release\n      - run: cargo test --locked\n`,
        "Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n',
        "Cargo.lock": "version = 3\n",
      },
    },
    {
      name: "yarny",
      files: {
        ".github/workflows/ci.yml": `on: pull_request\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: yarn install\n      - run: yarn test\n`,
        "package.json": '{ "name": "y" }',
        "yarn.lock": "# yarn lockfile v1\n",
      },
    },
    {
      name: "berry",
      files: {
        ".github/workflows/ci.yml": `on: pull_request\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: yarn install\n      - run: yarn test\n`,
        ".yarnrc.yml": "nodeLinker: node-modules\n",
        "package.json": '{ "name": "b", "packageManager": "yarn@4.5.0" }',
        "yarn.lock": "__metadata:\n  version: 8\n",
      },
    },
  ],
});

let sim: Simulator;
let app: RunningApp;
const latest = async (repo: string) => (await app.store.assessments(SCENARIO.installation.id, `wild/${repo}`, 1))[0];

beforeAll(async () => {
  sim = await startSimulator(SCENARIO);
  app = await startApp({ githubUrl: sim.url, retryBaseMs: 5, spaceWrites: false });
  expect((await deliver(app.webhookUrl, app.secret, installationCreated(sim.model))).status).toBeLessThan(300);
  await app.idle();
});

afterAll(async () => {
  await app?.stop();
  await sim?.stop();
});

describe("workflow evidence over the simulator", () => {
  it("reads GitHub's workflow list for every repository with workflows", async () => {
    expect(sim.stats.byRoute["GET /repos/{owner}/{repo}/actions/workflows"]).toBe(SCENARIO.repositories.length);
    expect(sim.stats.unknownRoutes).toEqual({});
  });

  it("class 1: a disabled workflow, or one whose triggers skip pull requests to the default branch, is not evidence", async () => {
    const disabled = await latest("disabled");
    expect(check(disabled, "1.2.3", "dependency-review").status).toBe("gap");
    expect(check(disabled, "1.3.1", "tests-present").status).toBe("gap");
    expect(check(await latest("elsewhere"), "1.2.3", "dependency-review").status).toBe("gap");
    // The same workflow that ignores only docs changes does run: it is evidence.
    expect(check(await latest("running"), "1.2.3", "dependency-review").status).toBe("met");
  });

  it("class 4: a workflow_run job that runs the triggering run's artifact with a write token is dangerous", async () => {
    const verdict = check(await latest("preview"), "2.1.3", "workflow-permissions");
    expect(verdict.status).toBe("gap");
    expect(verdict.reason).toContain(".github/workflows/preview.yml");
  });

  it("class 5: the same rule in every ecosystem — an install that may rewrite the lockfile is a gap, one that cannot be told is unknown", async () => {
    const rusty = check(await latest("rusty"), "1.2.2", "ci-installs-locked");
    expect(rusty.status).toBe("gap");
    expect(rusty.reason).toContain("cargo build --release");
    // The same `yarn install`: Yarn 1 may rewrite yarn.lock, Yarn 2+ installs immutably on CI.
    const yarny = check(await latest("yarny"), "1.2.2", "ci-installs-locked");
    expect(yarny.status).toBe("gap");
    expect(yarny.reason).toContain("Yarn 1");
    expect(check(await latest("berry"), "1.2.2", "ci-installs-locked").status).toBe("met");
    expect(check(await latest("running"), "1.2.2", "ci-installs-locked").status).toBe("met");
  });
});
