import { describe, expect, it } from "vitest";
import { observed, unreadable, type Finding, type FindingId } from "../../src/core/findings.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";
import { referenceOwner } from "../../src/evaluation/checks/workflows.js";

const where = { repo: "octo-org/api", source: "test", url: "https://github.com/octo-org/api/tree/main/.github/workflows", observedAt: "2026-11-24T12:00:00.000Z" };
const f = (values: Partial<Record<FindingId, unknown>>): Finding[] =>
  Object.entries(values).map(([id, v]) => (v instanceof Error ? unreadable(id as FindingId, v.message, where) : observed(id as FindingId, v as never, where)));

function check(findings: Finding[], claim: string, id: string) {
  return evaluateClaims(findings, DEFAULT_CONFIG).find((r) => r.claimId === claim)!.checks.find((c) => c.checkId === id)!;
}

const FILES = [".github/workflows/ci.yml"];

describe("workflow checks without workflows", () => {
  it("are not applicable, not met, when the default branch has no workflow file", () => {
    const none = f({ "ci.workflow-files": [], "actions.unpinned-uses": [], "actions.workflows-without-permissions": [], "actions.dangerous-workflows": [] });
    expect(check(none, "1.2.2", "actions-pinned").status).toBe("not_applicable");
    expect(check(none, "2.1.3", "workflow-permissions").status).toBe("not_applicable");
  });
});

describe("actions-pinned (1.2.2)", () => {
  it("is met when nothing is unpinned", () => {
    expect(check(f({ "ci.workflow-files": FILES, "actions.unpinned-uses": [] }), "1.2.2", "actions-pinned").status).toBe("met");
  });

  it("is a gap naming up to ten third-party references", () => {
    const refs = Array.from({ length: 12 }, (_, i) => `.github/workflows/ci.yml: vendor${i}/action@v1`);
    const c = check(f({ "ci.workflow-files": FILES, "actions.unpinned-uses": refs }), "1.2.2", "actions-pinned");
    expect(c.status).toBe("gap");
    expect(c.reason).toContain("12 third-party references are not pinned");
    expect(c.reason).toContain("vendor9/action@v1");
    expect(c.reason).not.toContain("vendor10/action@v1");
    expect(c.reason).toContain("and 2 more");
  });

  it("counts GitHub's own actions and container images as third-party, the organisation's own as not", () => {
    expect(check(f({ "ci.workflow-files": FILES, "actions.unpinned-uses": [".github/workflows/ci.yml: actions/checkout@v4"] }), "1.2.2", "actions-pinned").status).toBe("gap");
    expect(check(f({ "ci.workflow-files": FILES, "actions.unpinned-uses": [".github/workflows/ci.yml: docker://alpine:3"] }), "1.2.2", "actions-pinned").status).toBe("gap");
    const own = check(f({ "ci.workflow-files": FILES, "actions.unpinned-uses": [".github/workflows/ci.yml: Octo-Org/shared/.github/workflows/build.yml@main"] }), "1.2.2", "actions-pinned");
    expect(own.status).toBe("met");
    expect(own.reason).toContain("Octo-Org/shared/.github/workflows/build.yml@main");
  });

  it("reads the owner of a reference", () => {
    expect(referenceOwner(".github/workflows/a.yml: Octo-Org/x@v1")).toBe("octo-org");
    expect(referenceOwner(".github/workflows/a.yml: docker://octo-org/img:1")).toBeNull();
  });

  it("is unknown, not met, when the workflows could not be read", () => {
    const c = check(f({ "ci.workflow-files": FILES, "actions.unpinned-uses": new Error("huge.yml could not be read") }), "1.2.2", "actions-pinned");
    expect(c.status).toBe("unknown");
    expect(c.reason).toContain("huge.yml");
  });
});

describe("ci-installs-locked (1.2.2)", () => {
  const install = (command: string, ecosystem: string, kind: "locked" | "afresh" | "unknown", extra: Record<string, unknown> = {}) => ({ workflow: ".github/workflows/ci.yml", command, ecosystem, kind, ...extra });
  const manifest = (ecosystem: string, name: string, lockfile: string | null, integrity: boolean | null = lockfile ? true : false) => ({ ecosystem, manifest: name, lockfile, integrity, seenIn: "root" });
  const judge = (installs: unknown[], manifests: unknown = []) => check(f({ "deps.ci-installs": installs, "deps.manifests": manifests }), "1.2.2", "ci-installs-locked");

  it("is met when every install is locked, naming them", () => {
    const c = judge([install("npm ci", "npm", "locked"), install("cargo test --locked", "cargo", "locked")], [manifest("npm", "package.json", "package-lock.json")]);
    expect(c.status).toBe("met");
    expect(c.reason).toContain("`cargo test --locked`");
  });

  it("is a gap when any install may resolve afresh, in any ecosystem", () => {
    for (const [command, ecosystem] of [["npm install", "npm"], ["cargo build", "cargo"], ["pip install -r requirements.txt", "pip"], ["uv sync", "pip"], ["mvn verify", "maven"]] as const) {
      const c = judge([install("npm ci", "npm", "locked"), install(command, ecosystem, "afresh")]);
      expect(c.status, command).toBe("gap");
      expect(c.reason, command).toContain(command);
    }
  });

  it("is not applicable without any install step", () => {
    expect(judge([]).status).toBe("not_applicable");
  });

  it("is unknown when the installs could not be read", () => {
    expect(check(f({ "deps.ci-installs": new Error("huge.yml could not be read") }), "1.2.2", "ci-installs-locked").status).toBe("unknown");
  });

  it("decides an install that honours a lockfile only if there is one with the lockfiles the repository has", () => {
    const poetry = install("poetry install", "pip", "locked", { lockfiles: ["poetry.lock"], withoutLockfile: "afresh" });
    expect(judge([poetry], [manifest("pip", "pyproject.toml", "poetry.lock")]).status).toBe("met");
    const without = judge([poetry], [manifest("pip", "pyproject.toml", null)]);
    expect(without.status).toBe("gap");
    expect(without.reason).toContain("no poetry.lock");
    // A uv.lock is not what `poetry install` reads.
    expect(judge([poetry], [manifest("pip", "pyproject.toml", "uv.lock")]).status).toBe("gap");
    const unread = check(f({ "deps.ci-installs": [poetry], "deps.manifests": new Error("GitHub refused the tree") }), "1.2.2", "ci-installs-locked");
    expect(unread.status).toBe("unknown");
    expect(unread.reason).toContain("GitHub refused the tree");
    // Some directories with a lockfile, some without: which one the install runs in is not told.
    expect(judge([poetry], [manifest("pip", "pyproject.toml", "poetry.lock"), manifest("pip", "tools/pyproject.toml", null)]).status).toBe("unknown");
  });

  it("takes pip's own hash checking into account when the requirements file it reads carries a hash for every requirement", () => {
    const pip = install("pip install -r requirements.txt", "pip", "afresh", { hashesIn: "requirements.txt" });
    expect(judge([pip], [manifest("pip", "requirements.txt", "requirements.txt", true)]).status).toBe("met");
    expect(judge([pip], [manifest("pip", "requirements.txt", "requirements.txt", false)]).status).toBe("gap");
    expect(judge([pip], []).status).toBe("gap");
  });

  it("is unknown, never not applicable, for an undecided install of an ecosystem the repository has", () => {
    const yarn = install("yarn install", "npm", "unknown", { reason: "which Yarn runs is not read" });
    const c = judge([yarn], [manifest("npm", "package.json", "yarn.lock")]);
    expect(c.status).toBe("unknown");
    expect(c.reason).toContain("which Yarn runs is not read");
    expect(judge([yarn, install("npm ci", "npm", "locked")], [manifest("npm", "package.json", "yarn.lock")]).status).toBe("unknown");
    // A local action whose steps were not read could install anything the repository has.
    expect(judge([install("./.github/actions/setup", "*", "unknown", { reason: "not read" })], [manifest("go", "go.mod", "go.sum")]).status).toBe("unknown");
    // Without any npm manifest, that install installs nothing of the project's.
    expect(judge([yarn], [manifest("go", "go.mod", "go.sum")]).status).toBe("not_applicable");
    // When the manifests could not be read, it could be the project's.
    expect(check(f({ "deps.ci-installs": [yarn], "deps.manifests": new Error("refused") }), "1.2.2", "ci-installs-locked").status).toBe("unknown");
  });
});

describe("dependency-review (1.2.3)", () => {
  it("is met naming the workflows, a gap without", () => {
    const met = check(f({ "ci.dependency-review-workflows": [".github/workflows/deps.yml"] }), "1.2.3", "dependency-review");
    expect(met.status).toBe("met");
    expect(met.reason).toContain("deps.yml");
    expect(check(f({ "ci.dependency-review-workflows": [] }), "1.2.3", "dependency-review").status).toBe("gap");
  });
});

describe("tests-present (1.3.1, supporting)", () => {
  it("is met with test workflows and never decides the claim", () => {
    const claim = evaluateClaims(f({ "ci.test-workflows": [".github/workflows/ci.yml"] }), DEFAULT_CONFIG).find((r) => r.claimId === "1.3.1")!;
    expect(claim.checks[0]).toMatchObject({ checkId: "tests-present", status: "met", supporting: true });
    expect(claim.status).toBe("unknown");
    expect(check(f({ "ci.test-workflows": [] }), "1.3.1", "tests-present").status).toBe("gap");
  });
});

describe("scheduled-regression (1.3.2)", () => {
  it("is not met by a schedule in a file alone: CI must be seen to run in the window", () => {
    const idle = check(f({ "ci.scheduled-workflows": [".github/workflows/nightly.yml"], "ci.default-branch-runs": 0 }), "1.3.2", "scheduled-regression");
    expect(idle).toMatchObject({ status: "partial", reason: expect.stringContaining("nightly.yml") });
    expect(check(f({ "ci.scheduled-workflows": [".github/workflows/nightly.yml"] }), "1.3.2", "scheduled-regression").status).toBe("unknown");
    expect(check(f({ "ci.scheduled-workflows": [".github/workflows/nightly.yml"], "ci.default-branch-runs": 3 }), "1.3.2", "scheduled-regression").status).toBe("met");
  });

  it("is met by default-branch runs without a schedule", () => {
    const c = check(f({ "ci.scheduled-workflows": [], "ci.default-branch-runs": 4 }), "1.3.2", "scheduled-regression");
    expect(c.status).toBe("met");
    expect(c.reason).toContain("4 default-branch commits");
  });

  it("is a gap with neither, and says whether runs were looked at", () => {
    const none = check(f({ "ci.scheduled-workflows": [], "ci.default-branch-runs": 0 }), "1.3.2", "scheduled-regression");
    expect(none.status).toBe("gap");
    expect(none.reason).toContain("no default-branch commit");
    const notCollected = check(f({ "ci.scheduled-workflows": [] }), "1.3.2", "scheduled-regression");
    expect(notCollected.status).toBe("unknown");
    expect(notCollected.reason).toContain("could not be read");
  });

  it("is unknown when the runs could not be read and there is no schedule", () => {
    const c = check(f({ "ci.scheduled-workflows": [], "ci.default-branch-runs": new Error("HTTP 502") }), "1.3.2", "scheduled-regression");
    expect(c.status).toBe("unknown");
    expect(c.reason).toContain("HTTP 502");
  });
});

describe("token-read-only (2.1.3)", () => {
  it.each([
    ["read", false, "met"],
    ["write", false, "partial"],
    ["read", true, "partial"],
    ["write", true, "gap"],
  ])("%s token, can approve %s → %s", (permission, approve, status) => {
    const c = check(f({ "actions.default-token-permission": permission, "actions.can-approve-prs": approve }), "2.1.3", "token-read-only");
    expect(c.status).toBe(status);
    if (permission === "write") expect(c.reason).toContain("write access");
    if (approve) expect(c.reason).toContain("approve pull requests");
  });

  it("is unknown when the settings could not be read (a missing permission is not read-only)", () => {
    const c = check(f({ "actions.default-token-permission": new Error("HTTP 403; the app may lack the 'Administration: read' repository permission"), "actions.can-approve-prs": new Error("HTTP 403") }), "2.1.3", "token-read-only");
    expect(c.status).toBe("unknown");
    expect(c.reason).toContain("Administration: read");
  });
});

describe("workflow-permissions (2.1.3)", () => {
  const judge = (without: string[], dangerous: string[]) => check(f({ "ci.workflow-files": FILES, "actions.workflows-without-permissions": without, "actions.dangerous-workflows": dangerous }), "2.1.3", "workflow-permissions");

  it("is a gap for a dangerous pull_request_target workflow, whatever else holds", () => {
    const c = judge([], [".github/workflows/labeller.yml"]);
    expect(c.status).toBe("gap");
    expect(c.reason).toContain("labeller.yml");
  });

  it("is partial when some workflows run with the default permissions, met when none do", () => {
    const c = judge([".github/workflows/ci.yml"], []);
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("ci.yml");
    expect(judge([], []).status).toBe("met");
  });

  it("is unknown when either finding is unreadable", () => {
    expect(check(f({ "ci.workflow-files": FILES, "actions.workflows-without-permissions": [], "actions.dangerous-workflows": new Error("truncated") }), "2.1.3", "workflow-permissions").status).toBe("unknown");
  });
});
