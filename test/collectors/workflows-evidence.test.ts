import nock from "nock";
import { describe, expect, it } from "vitest";
import { parseLocalAction } from "../../src/collectors/local-actions.js";
import { yarnFlavour } from "../../src/collectors/workflow-installs.js";
import { parseWorkflow } from "../../src/collectors/workflow-parse.js";
import { localActionsOf } from "../../src/collectors/workflow-context-files.js";
import { summariseWorkflows, workflowsCollector, type SummaryContext, type WorkflowFile } from "../../src/collectors/workflows.js";
import { collectContext } from "../helpers/collect.js";
import { API } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";

/*
 * Patterns seen in public workflow files that made a workflow look as if it ran (or as if it were
 * safe) when it does not: each is reproduced here in a fixture of our own.
 */

const SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab";

function file(name: string, text: string): WorkflowFile {
  const path = `.github/workflows/${name}`;
  const result = parseWorkflow(text);
  return result.ok ? { path, kind: "parsed", workflow: result.workflow } : { path, kind: "invalid", error: result.error };
}

function summarise(files: WorkflowFile[], overrides: Partial<SummaryContext> = {}) {
  const states = new Map(files.map((f) => [f.path, "active"]));
  return summariseWorkflows(files, { repoFullName: "octo-org/api", defaultBranch: "main", states: { ok: true, byPath: states }, defaultTokenWrites: null, ...overrides });
}

const testWorkflow = (on: string, job = "") => `on:\n${on}\njobs:\n  test:\n    runs-on: ubuntu-latest\n${job}    steps:\n      - uses: actions/checkout@${SHA}\n      - run: npm ci\n      - run: npm test\n      - uses: actions/dependency-review-action@${SHA}\n`;

describe("a workflow counts only if it runs (class 1)", () => {
  it("does not count a workflow GitHub has disabled", () => {
    const ci = file("ci.yml", testWorkflow("  pull_request:"));
    for (const state of ["disabled_manually", "disabled_inactivity", "disabled_fork"]) {
      const s = summarise([ci], { states: { ok: true, byPath: new Map([[ci.path, state]]) } });
      expect(s["ci.test-workflows"].value, state).toEqual([]);
      expect(s["ci.dependency-review-workflows"].value, state).toEqual([]);
      expect(s["ci.workflows-on-pr"].value, state).toEqual([]);
      // A disabled workflow installs nothing either.
      expect(s["deps.ci-installs"].value, state).toEqual([]);
    }
  });

  it("makes the evidence unknown, not met, when GitHub's workflow states could not be read or do not list the file", () => {
    const ci = file("ci.yml", testWorkflow("  pull_request:"));
    const refused = summarise([ci], { states: { ok: false, error: "HTTP 403; the app may lack the 'Actions: read' repository permission" } });
    expect(refused["ci.test-workflows"]).toEqual({ value: null, error: expect.stringContaining("Actions: read") });
    expect(refused["ci.dependency-review-workflows"].value).toBeNull();
    const unlisted = summarise([ci], { states: { ok: true, byPath: new Map() } });
    expect(unlisted["ci.workflows-on-pr"]).toEqual({ value: null, error: expect.stringContaining("does not include .github/workflows/ci.yml") });
  });

  it("does not count a job whose if: can never be true", () => {
    for (const condition of ["false", "${{ false }}", "github.event_name == 'push'", "${{ github.event_name == 'schedule' && github.actor == 'x' }}", "github.repository_owner == 'upstream-org'"]) {
      const s = summarise([file("ci.yml", testWorkflow("  pull_request:", `    if: ${JSON.stringify(condition)}\n`))]);
      expect(s["ci.test-workflows"].value, condition).toEqual([]);
      expect(s["ci.dependency-review-workflows"].value, condition).toEqual([]);
      expect(s["deps.ci-installs"].value, condition).toEqual([]);
    }
  });

  it("does not count a step whose if: is never true on the event, and leaves one that depends on the run undecided", () => {
    const scanOnPushOnly = `on: [pull_request, push]\njobs:\n  s:\n    runs-on: x\n    steps:\n      - uses: actions/dependency-review-action@${SHA}\n        if: github.event_name == 'push'\n      - run: npm test\n        if: \${{ false }}\n`;
    const s = summarise([file("ci.yml", scanOnPushOnly)]);
    expect(s["ci.dependency-review-workflows"].value).toEqual([]);
    expect(s["ci.test-workflows"].value).toEqual([]);
    const gated = scanOnPushOnly.replace("if: github.event_name == 'push'", "if: github.actor != 'dependabot[bot]'");
    expect(summarise([file("ci.yml", gated)])["ci.dependency-review-workflows"]).toEqual({ value: null, error: expect.stringContaining("dependabot[bot]") });
  });

  it("does not count a job that needs a job that never runs", () => {
    const text = `on: pull_request\njobs:\n  gate:\n    if: false\n    runs-on: x\n    steps: [{ run: echo }]\n  test:\n    needs: gate\n    runs-on: x\n    steps:\n      - run: npm test\n`;
    expect(summarise([file("ci.yml", text)])["ci.test-workflows"].value).toEqual([]);
    const always = text.replace("    needs: gate\n", "    needs: gate\n    if: always()\n");
    expect(summarise([file("ci.yml", always)])["ci.test-workflows"].value).toEqual([".github/workflows/ci.yml"]);
  });

  it("makes a condition that depends on the run unknown, naming it, rather than met", () => {
    const s = summarise([file("ci.yml", testWorkflow("  pull_request:", "    if: contains(github.event.pull_request.labels.*.name, 'safe-to-test')\n"))]);
    expect(s["ci.dependency-review-workflows"]).toEqual({ value: null, error: expect.stringContaining("safe-to-test") });
  });

  it("counts a condition that mixes ${{ }} with text, which GitHub reads as a non-empty string", () => {
    const s = summarise([file("ci.yml", testWorkflow("  pull_request:", "    if: ${{ github.event_name == 'push' }} && github.actor != 'x'\n"))]);
    expect(s["ci.dependency-review-workflows"].value).toEqual([".github/workflows/ci.yml"]);
  });

  it("does not count pull request triggers that leave out pull requests to the default branch", () => {
    for (const on of ["  pull_request:\n    branches: [develop]", "  pull_request:\n    branches-ignore: [main]", "  pull_request:\n    types: [closed]", "  pull_request:\n    branches: ['**', '!main']"]) {
      const s = summarise([file("ci.yml", testWorkflow(on))]);
      expect(s["ci.dependency-review-workflows"].value, on).toEqual([]);
      expect(s["ci.workflows-on-pr"].value, on).toEqual([]);
    }
    const paths = summarise([file("ci.yml", testWorkflow("  pull_request:\n    paths: ['docs/**']"))]);
    expect(paths["ci.dependency-review-workflows"]).toEqual({ value: null, error: expect.stringContaining("docs/**") });
    const ignored = summarise([file("ci.yml", testWorkflow("  pull_request:\n    paths-ignore: ['**.md']"))]);
    expect(ignored["ci.dependency-review-workflows"].value).toEqual([".github/workflows/ci.yml"]);
  });

  it("follows the trigger into a local reusable workflow, and leaves one of another repository unknown", () => {
    const caller = file("ci.yml", "on: pull_request\njobs:\n  call:\n    if: false\n    uses: ./.github/workflows/test.yml\n");
    const callee = file("test.yml", "on: workflow_call\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: npm test\n");
    expect(summarise([caller, callee])["ci.test-workflows"].value).toEqual([]);
    const remote = file("ci.yml", "on: pull_request\njobs:\n  call:\n    uses: octo-org/shared/.github/workflows/test.yml@v1\n");
    expect(summarise([remote])["ci.test-workflows"]).toEqual({ value: null, error: expect.stringContaining("octo-org/shared/.github/workflows/test.yml@v1, whose jobs are not read") });
  });

  it("reads YAML anchors and aliases as GitHub does, and refuses merge keys as GitHub does", () => {
    const anchored = file(
      "ci.yml",
      `on:\n  pull_request:\n    branches: &branches [develop]\n  push:\n    branches: *branches\njobs:\n  test:\n    runs-on: x\n    steps: &steps\n      - run: npm test\n  again:\n    runs-on: x\n    steps: *steps\n`,
    );
    expect(anchored.kind).toBe("parsed");
    const s = summarise([anchored]);
    // The aliased branch filter leaves out pull requests to main.
    expect(s["ci.workflows-on-pr"].value).toEqual([]);
    expect(s["ci.test-workflows"].value).toEqual([".github/workflows/ci.yml"]);
    const merged = file("ci.yml", `on: pull_request\njobs:\n  base: &base\n    runs-on: x\n    steps: [{ run: npm test }]\n  test:\n    <<: *base\n`);
    expect(merged).toMatchObject({ kind: "invalid", error: expect.stringContaining("merge key") });
  });

  it("does not count a schedule whose jobs never run on it", () => {
    const text = "on:\n  schedule:\n    - cron: '0 3 * * *'\n  push:\njobs:\n  nightly:\n    if: github.event_name != 'schedule'\n    runs-on: x\n    steps: [{ run: npm test }]\n";
    expect(summarise([file("nightly.yml", text)])["ci.scheduled-workflows"].value).toEqual([]);
  });
});

describe("dangerous workflows however the code arrives (class 4)", () => {
  const dangerous = (text: string, overrides: Partial<SummaryContext> = {}) => summarise([file("x.yml", text)], overrides)["actions.dangerous-workflows"];

  it.each([
    ["pull_request_target, checkout of the head SHA, then a build", `on: pull_request_target\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@${SHA}\n        with:\n          ref: \${{ github.event.pull_request.head.sha }}\n      - run: npm install && npm run build\n`],
    ["issue_comment, gh pr checkout, then make", `on: issue_comment\njobs:\n  t:\n    if: github.event.issue.pull_request && contains(github.event.comment.body, '/test')\n    runs-on: x\n    steps:\n      - uses: actions/checkout@${SHA}\n      - run: gh pr checkout \${{ github.event.issue.number }}\n        env:\n          GH_TOKEN: \${{ secrets.GITHUB_TOKEN }}\n      - run: make test\n`],
    ["pull_request_target, git fetch of the head ref, then a local action", `on: pull_request_target\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: git fetch origin pull/\${{ github.event.number }}/head && git checkout FETCH_HEAD\n      - uses: ./.github/actions/build\n`],
    ["pull_request_target, a clone of the head repository, then a test run", `on: pull_request_target\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: git clone \${{ github.event.pull_request.head.repo.clone_url }} pr && cd pr && ./run-tests.sh\n`],
    ["pull_request_target, the head's archive downloaded, then run", `on: pull_request_target\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: curl -sL \${{ github.event.pull_request.head.repo.html_url }}/archive/\${{ github.event.pull_request.head.sha }}.tar.gz | tar xz\n      - run: python setup.py test\n`],
    ["workflow_run, the triggering run's artifact downloaded, then run", `on:\n  workflow_run:\n    workflows: [CI]\n    types: [completed]\njobs:\n  deploy:\n    runs-on: x\n    steps:\n      - uses: actions/download-artifact@v4\n        with:\n          run-id: \${{ github.event.workflow_run.id }}\n          github-token: \${{ secrets.GITHUB_TOKEN }}\n      - run: ./dist/publish.sh\n`],
    ["workflow_run, gh run download, then run", `on:\n  workflow_run:\n    workflows: [CI]\n    types: [completed]\njobs:\n  d:\n    runs-on: x\n    steps:\n      - run: gh run download \${{ github.event.workflow_run.id }} -n site\n      - run: bash site/deploy.sh\n`],
  ])("%s is dangerous", (_name, text) => {
    expect(dangerous(text).value).toEqual([".github/workflows/x.yml"]);
  });

  it("follows the pull request's head passed as an input into a local reusable workflow", () => {
    const caller = file("pr.yml", "on: pull_request_target\njobs:\n  call:\n    uses: ./.github/workflows/build.yml\n    with:\n      ref: ${{ github.event.pull_request.head.sha }}\n    secrets: inherit\n");
    const callee = file("build.yml", `on:\n  workflow_call:\n    inputs:\n      ref: { type: string }\npermissions: { contents: read }\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@${SHA}\n        with: { ref: "\${{ inputs.ref }}" }\n      - run: make\n`);
    expect(summarise([caller, callee])["actions.dangerous-workflows"].value).toEqual([".github/workflows/pr.yml"]);
  });

  it("is not dangerous without a secret or a write token, when nothing runs the code, or when the job never runs", () => {
    const checkoutThen = (then: string, perms = "") => `on: pull_request_target\n${perms}jobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@${SHA}\n        with:\n          ref: \${{ github.event.pull_request.head.sha }}\n${then}`;
    expect(dangerous(checkoutThen("      - run: make\n", "permissions: { contents: read }\n")).value).toEqual([]);
    expect(dangerous(checkoutThen("      - run: make\n"), { defaultTokenWrites: false }).value).toEqual([]);
    expect(dangerous(checkoutThen("      - uses: actions/upload-artifact@v4\n        with: { path: . }\n      - run: git diff --name-only HEAD~1\n")).value).toEqual([]);
    expect(dangerous(checkoutThen("      - run: make\n").replace("  b:\n", "  b:\n    if: false\n")).value).toEqual([]);
    // Read-only token, but a secret handed to the build.
    expect(dangerous(checkoutThen("      - run: make\n        env:\n          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n", "permissions: { contents: read }\n")).value).toEqual([".github/workflows/x.yml"]);
    // A write scope anywhere in the block, even `id-token`.
    expect(dangerous(checkoutThen("      - run: make\n", "permissions: { contents: read, id-token: write }\n")).value).toEqual([".github/workflows/x.yml"]);
  });

  it("is unknown, not safe, when the ref checked out is decided at run time", () => {
    const text = `on: issue_comment\njobs:\n  b:\n    runs-on: x\n    steps:\n      - id: pr\n        run: echo "sha=$(gh pr view \${{ github.event.issue.number }} --json headRefOid -q .headRefOid)" >> "$GITHUB_OUTPUT"\n      - uses: actions/checkout@${SHA}\n        with:\n          ref: \${{ steps.pr.outputs.sha }}\n      - run: make\n`;
    expect(dangerous(text)).toEqual({ value: null, error: expect.stringContaining("decided at run time") });
  });
});

describe("locked installs in every ecosystem (class 5)", () => {
  it("lists each install of a job that can run, with its ecosystem", () => {
    const text = `on: pull_request\njobs:\n  rust:\n    runs-on: x\n    steps:\n      - run: cargo build --release\n  py:\n    runs-on: x\n    steps:\n      - run: poetry install --no-root\n  ruby:\n    runs-on: x\n    steps:\n      - uses: ruby/setup-ruby@v1\n        with: { bundler-cache: true }\n  off:\n    if: false\n    runs-on: x\n    steps:\n      - run: npm install\n  local:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/setup\n`;
    const s = summarise([file("ci.yml", text)]);
    const installs = s["deps.ci-installs"].value!;
    expect(installs.map((i) => [i.command, i.ecosystem, i.kind])).toEqual([
      ["cargo build --release", "cargo", "afresh"],
      ["poetry install --no-root", "pip", "locked"],
      ["ruby/setup-ruby@v1", "bundler", "locked"],
      ["./.github/actions/setup", "*", "unknown"],
    ]);
    expect(s["deps.ci-installs-locked"].value).toBe(false);
  });

  it("tells which Yarn runs, so a bare `yarn install` is decided", () => {
    expect(yarnFlavour("nodeLinker: node-modules\n", '{"packageManager":"yarn@4.1.0"}')).toBe("berry");
    expect(yarnFlavour("enableImmutableInstalls: false\n", null)).toBe("berry-mutable");
    expect(yarnFlavour(null, '{"name":"x"}')).toBe("classic");
    expect(yarnFlavour(null, '{"packageManager":"yarn@1.22.22"}')).toBe("classic");
    expect(yarnFlavour(null, '{"packageManager":"yarn@3.6.0"}')).toBe("berry");
    expect(yarnFlavour(null, '{"packageManager":"pnpm@9.0.0"}')).toBeNull();
    // Not read: not known.
    expect(yarnFlavour(undefined, '{"name":"x"}')).toBeNull();
    expect(yarnFlavour(null, undefined)).toBeNull();
    const yarn = file("ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: yarn install\n");
    expect(summarise([yarn], { yarn: "berry" })["deps.ci-installs"].value![0]).toMatchObject({ kind: "locked" });
    expect(summarise([yarn], { yarn: "classic" })["deps.ci-installs"].value![0]).toMatchObject({ kind: "afresh" });
    expect(summarise([yarn])["deps.ci-installs"].value![0]).toMatchObject({ kind: "unknown" });
  });

  it("reads the steps of a local composite action, and leaves other local actions undecided with the reason", () => {
    const setup = parseLocalAction("name: setup\nruns:\n  using: composite\n  steps:\n    - run: pnpm install --frozen-lockfile\n      shell: bash\n    - run: pnpm test\n      shell: bash\n");
    const node = parseLocalAction("name: js\nruns:\n  using: node20\n  main: index.js\n");
    const actions = new Map([
      [".github/actions/setup", setup],
      [".github/actions/js", node],
    ]);
    const ci = file("ci.yml", "on: pull_request\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/setup\n      - uses: ./.github/actions/js/\n");
    const s = summarise([ci], { actions });
    expect(s["deps.ci-installs"].value!.map((i) => [i.command, i.kind])).toEqual([
      ["pnpm install --frozen-lockfile", "locked"],
      ["./.github/actions/js/", "unknown"],
    ]);
    expect(s["deps.ci-installs"].value![1]!.reason).toContain("node20");
    expect(s["ci.test-workflows"].value).toEqual([".github/workflows/ci.yml"]);
  });

  it("finds composite actions in the batched query's answer", () => {
    const blob = (text: string) => ({ text, isBinary: false, isTruncated: false });
    const data = {
      wf_actions: {
        entries: [
          { name: "setup", type: "tree", object: { entries: [{ name: "action.yml", object: blob("runs:\n  using: composite\n  steps:\n    - run: npm ci\n") }] } },
          { name: "big", type: "tree", object: { entries: [{ name: "action.yaml", object: { text: null, isBinary: false, isTruncated: true } }] } },
          { name: "README.md", type: "blob", object: null },
        ],
      },
    };
    const actions = localActionsOf(data, []);
    expect([...actions.keys()]).toEqual([".github/actions/setup", ".github/actions/big"]);
    expect(actions.get(".github/actions/setup")).toMatchObject({ kind: "composite" });
    expect(actions.get(".github/actions/big")).toEqual({ kind: "opaque", reason: "its action.yml could not be read" });
    expect(localActionsOf(data, [{ path: ["repository", "wf_actions"], message: "refused" }]).size).toBe(0);
  });

  it("skips a step whose if: is never true", () => {
    const text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - if: false\n        run: npm install\n      - run: npm ci\n";
    const s = summarise([file("ci.yml", text)]);
    expect(s["deps.ci-installs"].value!.map((i) => i.command)).toEqual(["npm ci"]);
    expect(s["deps.ci-installs-locked"].value).toBe(true);
  });
});

describe("workflowsCollector and GitHub's workflow states", () => {
  const CI = testWorkflow("  pull_request:");
  const data = { wf_workflows: { entries: [{ name: "ci.yml", path: ".github/workflows/ci.yml", type: "blob", mode: 33188, object: { text: CI, byteSize: CI.length, isBinary: false, isTruncated: false } }] } };
  const statesPath = "/repos/octo-org/api/actions/workflows";
  const listing = (state: string) => {
    const base = example<{ workflows: Record<string, unknown>[] }>("workflow-paginated");
    return { total_count: 1, workflows: [{ ...base.workflows[0], path: ".github/workflows/ci.yml", state }] };
  };

  it("reads the state of each workflow and drops a disabled one from the evidence", async () => {
    nock(API).get("/repos/octo-org/api/actions/permissions/workflow").reply(200, example("actions-default-workflow-permissions"));
    nock(API).get(statesPath).query({ per_page: 100, page: 1 }).reply(200, listing("disabled_manually"));
    const findings = await workflowsCollector.collect(collectContext({ repositoryData: data }));
    expect(findings.find((f) => f.id === "ci.test-workflows")?.value).toEqual([]);
  });

  it("makes the evidence unknown, naming the permission, when GitHub refuses the list", async () => {
    nock(API).get("/repos/octo-org/api/actions/permissions/workflow").reply(200, example("actions-default-workflow-permissions"));
    nock(API).get(statesPath).query(true).reply(403, { message: "Resource not accessible by integration" });
    const findings = await workflowsCollector.collect(collectContext({ repositoryData: data }));
    const tests = findings.find((f) => f.id === "ci.test-workflows")!;
    expect(tests.value).toBeNull();
    expect(tests.error).toMatch(/HTTP 403.*Actions: read/);
    // What does not depend on the workflow running is still judged.
    expect(findings.find((f) => f.id === "actions.unpinned-uses")?.value).toEqual([]);
  });
});
