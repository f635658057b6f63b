import nock from "nock";
import { describe, expect, it } from "vitest";
import { findingSchema, type Finding } from "../../src/core/findings.js";
import { summariseWorkflows, workflowFiles, workflowsCollector, WORKFLOW_FINDINGS, type SummaryContext, type WorkflowFile } from "../../src/collectors/workflows.js";
import { parseWorkflow } from "../../src/collectors/workflow-parse.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { collectContext } from "../helpers/collect.js";
import { API } from "../helpers/github-api.js";
import { schemaErrors } from "../helpers/graphql.js";
import { example } from "../helpers/openapi-examples.js";

const SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab";
const TOKEN_PATH = "/repos/octo-org/api/actions/permissions/workflow";

function file(name: string, text: string): WorkflowFile {
  const path = `.github/workflows/${name}`;
  const result = parseWorkflow(text);
  return result.ok ? { path, kind: "parsed", workflow: result.workflow } : { path, kind: "invalid", error: result.error };
}

/** A tree entry as the batched query returns it. */
function entry(name: string, text: string | null, overrides: Record<string, unknown> = {}) {
  return {
    name,
    path: `.github/workflows/${name}`,
    type: "blob",
    mode: 33188,
    object: { text, byteSize: text?.length ?? 0, isBinary: text === null ? true : false, isTruncated: false },
    ...overrides,
  };
}

const CI = `
name: CI
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@${SHA}
      - uses: actions/setup-node@v4
      - run: npm ci
      - run: npm test
      - uses: actions/dependency-review-action@${SHA}
`;

const NIGHTLY = `
on:
  schedule:
    - cron: "0 2 * * *"
jobs:
  e2e:
    runs-on: ubuntu-latest
    steps:
      - uses: octo-org/shared-actions/setup@main
      - run: pip install -r requirements.txt && pytest
`;

const LABELLER = `
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@${SHA}
        with:
          ref: \${{ github.event.pull_request.head.sha }}
      - run: make build
`;

/** The summary of files GitHub runs (every one `active`), for a repository whose default branch is main. */
function summarise(files: WorkflowFile[], overrides: Partial<SummaryContext> = {}) {
  const states = new Map(files.map((f) => [f.path, "active"]));
  return summariseWorkflows(files, { repoFullName: "octo-org/api", defaultBranch: "main", states: { ok: true, byPath: states }, defaultTokenWrites: null, ...overrides });
}

const STATES_PATH = "/repos/octo-org/api/actions/workflows";
/** GitHub's workflow list for the given file names, each in `state`. */
function statesAnswer(names: string[], state = "active") {
  const base = example<{ workflows: Record<string, unknown>[] }>("workflow-paginated").workflows[0]!;
  return { total_count: names.length, workflows: names.map((n, i) => ({ ...base, id: i + 1, name: n, path: `.github/workflows/${n}`, state })) };
}

const values = (findings: Finding[]) => Object.fromEntries(findings.map((f) => [f.id, f.value]));
const byId = (findings: Finding[], id: string) => findings.find((f) => f.id === id)!;

describe("workflowsFragment", () => {
  it("is valid against GitHub's schema, alone", () => {
    expect(schemaErrors(buildRepositoryQuery([workflowsCollector.repositoryFragment!]))).toEqual([]);
  });
});

describe("workflowFiles", () => {
  it("reads only .yml and .yaml files directly in the directory", () => {
    const files = workflowFiles([
      entry("ci.yml", CI),
      entry("release.yaml", CI),
      entry("README.md", "# docs"),
      { ...entry("nested", null), type: "tree", object: {} },
      { ...entry("module.yml", null), type: "commit", object: null },
    ]);
    expect(files.map((f) => [f.path, f.kind])).toEqual([
      [".github/workflows/ci.yml", "parsed"],
      [".github/workflows/release.yaml", "parsed"],
    ]);
  });

  it("reports truncated, binary, linked and contentless files as unread, and bad YAML as invalid", () => {
    const files = workflowFiles([
      entry("big.yml", "on: push", { object: { text: "on: push", byteSize: 600_000, isBinary: false, isTruncated: true } }),
      entry("bin.yml", null),
      entry("link.yml", "ci.yml", { mode: 0o120000 }),
      entry("gone.yml", null, { object: null }),
      entry("broken.yml", "on: [push"),
      entry("list.yml", "- a\n- b"),
    ]);
    expect(files.map((f) => [f.path.replace(".github/workflows/", ""), f.kind, "error" in f ? f.error : ""])).toEqual([
      ["big.yml", "unread", "not readable (truncated: 600000 bytes)"],
      ["bin.yml", "unread", "not readable (binary content)"],
      ["broken.yml", "invalid", expect.stringMatching(/^not valid YAML/)],
      ["gone.yml", "unread", "not readable (GitHub returned no file contents)"],
      ["link.yml", "unread", "not readable (a symbolic link; its target was not read)"],
      ["list.yml", "invalid", "not a YAML mapping"],
    ]);
  });
});

describe("summariseWorkflows", () => {
  it("derives every workflow finding from the files", () => {
    const s = summarise([file("ci.yml", CI), file("nightly.yml", NIGHTLY), file("labeller.yml", LABELLER)]);
    expect(s["ci.workflows-on-pr"].value).toEqual([".github/workflows/ci.yml", ".github/workflows/labeller.yml"]);
    expect(s["ci.scheduled-workflows"].value).toEqual([".github/workflows/nightly.yml"]);
    expect(s["ci.test-workflows"].value).toEqual([".github/workflows/ci.yml", ".github/workflows/nightly.yml"]);
    expect(s["ci.dependency-review-workflows"].value).toEqual([".github/workflows/ci.yml"]);
    expect(s["ci.invalid-workflows"].value).toEqual([]);
    expect(s["actions.unpinned-uses"].value).toEqual([".github/workflows/ci.yml: actions/setup-node@v4", ".github/workflows/nightly.yml: octo-org/shared-actions/setup@main"]);
    expect(s["actions.dangerous-workflows"].value).toEqual([".github/workflows/labeller.yml"]);
    expect(s["actions.workflows-without-permissions"].value).toEqual([".github/workflows/nightly.yml", ".github/workflows/labeller.yml"]);
    // npm ci is locked, but pip install -r without hashes resolves afresh: not every install is locked.
    expect(s["deps.ci-installs-locked"].value).toBe(false);
  });

  it("has empty lists and no install verdict without workflows", () => {
    const s = summarise([]);
    expect(s["actions.unpinned-uses"].value).toEqual([]);
    expect(s["ci.workflows-on-pr"].value).toEqual([]);
    expect(s["deps.ci-installs-locked"].value).toBeNull();
    expect("error" in s["deps.ci-installs-locked"]).toBe(false);
  });

  it("is locked only when every project install reads the lockfile", () => {
    expect(summarise([file("ci.yml", CI)])["deps.ci-installs-locked"].value).toBe(true);
    const frozenLater = file("ruby.yml", "on: push\njobs:\n  t:\n    steps:\n      - run: bundle config set --local frozen true\n      - run: bundle install\n");
    expect(summarise([frozenLater])["deps.ci-installs-locked"].value).toBe(true);
    const envFrozen = file("ruby.yml", "on: push\nenv:\n  BUNDLE_FROZEN: true\njobs:\n  t:\n    steps:\n      - run: bundle install\n");
    expect(summarise([envFrozen])["deps.ci-installs-locked"].value).toBe(true);
    const notFrozen = file("ruby.yml", "on: push\njobs:\n  t:\n    steps:\n      - run: bundle install\n      - run: bundle config set frozen true\n");
    expect(summarise([notFrozen])["deps.ci-installs-locked"].value).toBe(false);
  });

  it("follows a pull request workflow into the local reusable workflows it calls", () => {
    const caller = file("pr.yml", "on: pull_request_target\npermissions: { contents: read, pull-requests: write }\njobs:\n  scan:\n    uses: ./.github/workflows/scan.yml\n");
    const callee = file("scan.yml", `on: workflow_call\njobs:\n  s:\n    steps:\n      - uses: actions/checkout@${SHA}\n        with: { ref: "\${{ github.head_ref }}" }\n      - run: osv-scanner -r .\n`);
    const s = summarise([caller, callee]);
    expect(s["ci.dependency-review-workflows"].value).toEqual([".github/workflows/pr.yml"]);
    expect(s["actions.dangerous-workflows"].value).toEqual([".github/workflows/pr.yml"]);
    // The called workflow runs with the caller's token, which the caller restricts.
    expect(s["actions.workflows-without-permissions"].value).toEqual([]);
  });

  it("survives a workflow that calls itself", () => {
    const loop = file("loop.yml", "on: [pull_request, workflow_call]\npermissions: read-all\njobs:\n  again:\n    uses: ./.github/workflows/loop.yml\n");
    expect(summarise([loop])["ci.dependency-review-workflows"].value).toEqual([]);
  });

  it("does not count a scan on a workflow that never runs on pull requests", () => {
    const pushOnly = file("scan.yml", `on: push\njobs:\n  s:\n    steps:\n      - uses: actions/dependency-review-action@${SHA}\n`);
    expect(summarise([pushOnly])["ci.dependency-review-workflows"].value).toEqual([]);
  });

  it("counts write-all as no restriction, at either level", () => {
    const top = file("a.yml", "on: push\npermissions: write-all\njobs:\n  a: {}\n");
    const job = file("b.yml", "on: push\npermissions: read-all\njobs:\n  a:\n    permissions: write-all\n");
    const jobOnly = file("c.yml", "on: push\njobs:\n  a:\n    permissions: { contents: read }\n  b:\n    permissions: {}\n");
    expect(summarise([top, job, jobOnly])["actions.workflows-without-permissions"].value).toEqual([".github/workflows/a.yml", ".github/workflows/b.yml"]);
  });

  it("lists invalid workflows and leaves them out of every other finding", () => {
    const s = summarise([file("broken.yml", "on: [push\n  uses: foo/bar@v1"), file("ci.yml", CI)]);
    expect(s["ci.invalid-workflows"].value).toEqual([{ path: ".github/workflows/broken.yml", error: expect.stringMatching(/^not valid YAML/) }]);
    expect(s["actions.unpinned-uses"].value).toEqual([".github/workflows/ci.yml: actions/setup-node@v4"]);
  });

  it("claims nothing an unread file could contradict, and keeps what was seen", () => {
    const unread: WorkflowFile = { path: ".github/workflows/huge.yml", kind: "unread", error: "not readable (truncated: 600000 bytes)" };
    const clean = file("ok.yml", `on: push\npermissions: {}\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@${SHA}\n      - run: npm ci\n`);
    const s = summarise([clean, unread]);
    expect(s["ci.invalid-workflows"].value).toEqual([{ path: ".github/workflows/huge.yml", error: "not readable (truncated: 600000 bytes)" }]);
    for (const id of ["actions.unpinned-uses", "actions.dangerous-workflows", "actions.workflows-without-permissions", "ci.workflows-on-pr", "ci.test-workflows", "deps.ci-installs-locked"] as const) {
      expect(s[id], id).toEqual({ value: null, error: expect.stringContaining("huge.yml could not be read") });
    }
    // A gap seen in the readable files is a gap whatever the unread one holds.
    const s2 = summarise([file("ci.yml", CI), file("nightly.yml", NIGHTLY), unread]);
    expect(s2["actions.unpinned-uses"].value).toHaveLength(2);
    expect(s2["deps.ci-installs-locked"].value).toBe(false);
    expect(s2["ci.test-workflows"].value).toHaveLength(2);
  });
});

describe("workflowsCollector", () => {
  const data = (...entries: unknown[]) => ({ wf_workflows: { entries } });

  it("produces every finding it promises, each valid, from the fragment and two REST requests", async () => {
    const settings = example("actions-default-workflow-permissions");
    settings.can_approve_pull_request_reviews = false;
    const scope = nock(API).get(TOKEN_PATH).reply(200, settings).get(STATES_PATH).query({ per_page: 100, page: 1 }).reply(200, statesAnswer(["ci.yml", "nightly.yml"]));
    const ctx = collectContext({ repositoryData: data(entry("ci.yml", CI), entry("nightly.yml", NIGHTLY)) });
    const findings = await workflowsCollector.collect(ctx);
    scope.done();
    expect(ctx.client.counts).toMatchObject({ rest: 2, graphql: 0 });
    expect(findings.map((f) => f.id).sort()).toEqual([...workflowsCollector.produces].sort());
    for (const f of findings) expect(findingSchema.safeParse(f).success, f.id).toBe(true);
    const v = values(findings);
    expect(v["actions.default-token-permission"]).toBe("read");
    expect(v["actions.can-approve-prs"]).toBe(false);
    expect(v["ci.scheduled-workflows"]).toEqual([".github/workflows/nightly.yml"]);
    expect(byId(findings, "ci.workflows-on-pr")).toMatchObject({ repo: "octo-org/api", url: "https://github.com/octo-org/api/tree/main/.github/workflows" });
    expect(byId(findings, "actions.can-approve-prs").url).toBe("https://github.com/octo-org/api/settings/actions");
  });

  it("reads a repository without .github/workflows as no workflows", async () => {
    nock(API).get(TOKEN_PATH).reply(200, example("actions-default-workflow-permissions"));
    const findings = await workflowsCollector.collect(collectContext({ repositoryData: { wf_workflows: null } }));
    for (const f of findings) expect(findingSchema.safeParse(f).success, f.id).toBe(true);
    expect(values(findings)).toMatchObject({ "actions.unpinned-uses": [], "ci.invalid-workflows": [], "deps.ci-installs-locked": null, "actions.can-approve-prs": true });
  });

  it.each([403, 404])("makes the token settings unknown, naming the permission, on HTTP %i", async (status) => {
    nock(API).get(TOKEN_PATH).reply(status, { message: status === 403 ? "Resource not accessible by integration" : "Not Found" });
    nock(API).get(STATES_PATH).query(true).reply(200, statesAnswer(["ci.yml"]));
    const findings = await workflowsCollector.collect(collectContext({ repositoryData: data(entry("ci.yml", CI)) }));
    for (const f of findings) expect(findingSchema.safeParse(f).success, f.id).toBe(true);
    for (const id of ["actions.default-token-permission", "actions.can-approve-prs"]) {
      expect(byId(findings, id).value).toBeNull();
      expect(byId(findings, id).error).toMatch(new RegExp(`HTTP ${status}.*Administration: read`));
    }
    // The workflow files were still read.
    expect(byId(findings, "ci.workflows-on-pr").value).toEqual([".github/workflows/ci.yml"]);
  });

  it("does not take an unexpected token setting for a known one", async () => {
    nock(API).get(TOKEN_PATH).reply(200, { default_workflow_permissions: "admin", can_approve_pull_request_reviews: false });
    const findings = await workflowsCollector.collect(collectContext({ repositoryData: data() }));
    expect(byId(findings, "actions.default-token-permission")).toMatchObject({ value: null, error: expect.stringContaining("did not have the expected shape") });
  });

  it("makes the workflow findings unknown when GitHub refused the field, and still reads the token settings", async () => {
    nock(API).get(TOKEN_PATH).reply(200, example("actions-default-workflow-permissions"));
    const ctx = collectContext({
      repositoryData: { wf_workflows: null },
      repositoryErrors: [{ path: ["repository", "wf_workflows"], message: "Resource not accessible by integration", type: "FORBIDDEN" }],
    });
    const findings = await workflowsCollector.collect(ctx);
    for (const f of findings) expect(findingSchema.safeParse(f).success, f.id).toBe(true);
    for (const id of WORKFLOW_FINDINGS) {
      expect(byId(findings, id).value, id).toBeNull();
      expect(byId(findings, id).error, id).toMatch(/Resource not accessible by integration.*Contents: read/);
    }
    expect(byId(findings, "actions.default-token-permission").value).toBe("read");
  });

  it("makes the workflow findings unknown when the answer lacks its field, rather than reading no workflows", async () => {
    nock(API).get(TOKEN_PATH).reply(200, example("actions-default-workflow-permissions"));
    const findings = await workflowsCollector.collect(collectContext({ repositoryData: {} }));
    expect(byId(findings, "actions.unpinned-uses")).toMatchObject({ value: null, error: expect.stringContaining("wf_workflows") });
    expect(byId(findings, "actions.can-approve-prs").value).toBe(true);
  });
});
