import { describe, expect, it } from "vitest";
import { observed, unreadable, type Finding, type FindingId } from "../../src/core/findings.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";

const where = { repo: "octo-org/api", source: "test", url: "https://github.com/octo-org/api/network/dependencies", observedAt: "2026-11-24T12:00:00.000Z" };
const f = (values: Partial<Record<FindingId, unknown>>): Finding[] =>
  Object.entries(values).map(([id, v]) => (v instanceof Error ? unreadable(id as FindingId, v.message, where) : observed(id as FindingId, v as never, where)));

function check(findings: Finding[], claim: string, id: string, config = DEFAULT_CONFIG) {
  return evaluateClaims(findings, config).find((r) => r.claimId === claim)!.checks.find((c) => c.checkId === id)!;
}

type Entry = { ecosystem: string; manifest: string; lockfile: string | null; integrity: boolean | null; seenIn: "root" | "dependency-graph"; note?: string };
const npm: Entry = { ecosystem: "npm", manifest: "package.json", lockfile: "package-lock.json", integrity: true, seenIn: "root" };
const goNoSum: Entry = { ecosystem: "go", manifest: "go.mod", lockfile: null, integrity: false, seenIn: "root" };
const subdirUnsure: Entry = { ecosystem: "npm", manifest: "docs/package.json", lockfile: null, integrity: null, seenIn: "dependency-graph", note: "no lockfile seen" };
const subdirLocked: Entry = { ecosystem: "bundler", manifest: "tools/Gemfile", lockfile: "tools/Gemfile.lock", integrity: null, seenIn: "dependency-graph" };
const graph = (manifests = 2, read = manifests, components = 40, unparseable: string[] = []) => ({ manifests, read, components, unparseable });

describe("1.2.1 manifests-locked", () => {
  it("is met only when every manifest has its lockfile and the graph showed everything", () => {
    const met = check(f({ "deps.manifests": [npm], "deps.dependency-graph": graph() }), "1.2.1", "manifests-locked");
    expect(met.status).toBe("met");
    expect(met.reason).toContain("package.json → package-lock.json");
    const noGraph = check(f({ "deps.manifests": [npm], "deps.dependency-graph": new Error("dependency graph disabled") }), "1.2.1", "manifests-locked");
    expect(noGraph).toMatchObject({ status: "unknown", reason: expect.stringContaining("dependency graph disabled") });
  });

  it("names manifests without a lockfile", () => {
    expect(check(f({ "deps.manifests": [npm, goNoSum], "deps.dependency-graph": graph() }), "1.2.1", "manifests-locked")).toMatchObject({ status: "partial", reason: expect.stringContaining("go.mod") });
    expect(check(f({ "deps.manifests": [goNoSum], "deps.dependency-graph": graph() }), "1.2.1", "manifests-locked").status).toBe("gap");
  });

  it("does not call an unseen lockfile missing", () => {
    expect(check(f({ "deps.manifests": [npm, subdirUnsure], "deps.dependency-graph": graph() }), "1.2.1", "manifests-locked")).toMatchObject({ status: "unknown", reason: expect.stringContaining("docs/package.json") });
  });

  it("is not applicable with no manifest, unless manifests elsewhere could not be listed", () => {
    const alertsOn = { enabled: true, open: { critical: 0, high: 0, medium: 0, low: 0 }, overdue: 0 };
    expect(check(f({ "deps.manifests": [], "deps.dependency-graph": graph(0), "deps.vulnerability-alerts": alertsOn }), "1.2.1", "manifests-locked").status).toBe("not_applicable");
    expect(check(f({ "deps.manifests": [], "deps.dependency-graph": graph(150, 100) }), "1.2.1", "manifests-locked").status).toBe("unknown");
  });

  it("does not take an empty dependency graph for no manifests when the graph may be off", () => {
    // Manifests only in sub-folders and the graph off look exactly like "no manifest" — unless
    // Dependabot alerts, which need the graph, are on.
    const off = { enabled: false, open: { critical: 0, high: 0, medium: 0, low: 0 }, overdue: 0 };
    for (const [claim, id] of [["1.2.1", "manifests-locked"], ["1.2.1", "sbom-available"], ["1.2.2", "lockfile-integrity"], ["1.2.5", "update-tool"]] as const) {
      const c = check(f({ "deps.manifests": [], "deps.dependency-graph": graph(0), "deps.sbom-components": 0, "deps.vulnerability-alerts": off, "deps.update-tool": "none", "deps.update-config": noProblems, "ci.workflow-files": [] }), claim, id);
      expect(c, `${claim} ${id}`).toMatchObject({ status: "unknown", reason: expect.stringContaining("may be off") });
    }
  });
});

describe("1.2.1 sbom-available", () => {
  it("is met with the component count, partial when manifests could not be parsed", () => {
    expect(check(f({ "deps.sbom-components": 40, "deps.dependency-graph": graph() }), "1.2.1", "sbom-available")).toMatchObject({ status: "met", reason: expect.stringContaining("40 dependencies across 2 manifests") });
    expect(check(f({ "deps.sbom-components": 40, "deps.dependency-graph": graph(2, 2, 40, ["docs/package.json"]) }), "1.2.1", "sbom-available").status).toBe("partial");
  });

  it("is a gap when the graph lists nothing though manifests exist, unknown when unreadable", () => {
    expect(check(f({ "deps.sbom-components": 0, "deps.dependency-graph": graph(0), "deps.manifests": [npm] }), "1.2.1", "sbom-available").status).toBe("gap");
    const alertsOn = { enabled: true, open: { critical: 0, high: 0, medium: 0, low: 0 }, overdue: 0 };
    expect(check(f({ "deps.sbom-components": 0, "deps.dependency-graph": graph(0), "deps.manifests": [], "deps.vulnerability-alerts": alertsOn }), "1.2.1", "sbom-available").status).toBe("not_applicable");
    expect(check(f({ "deps.sbom-components": 40, "deps.dependency-graph": graph(140, 100) }), "1.2.1", "sbom-available").status).toBe("unknown");
    const refused = new Error("GitHub did not answer repository.deps_graph: timedout");
    expect(check(f({ "deps.sbom-components": refused, "deps.dependency-graph": refused }), "1.2.1", "sbom-available")).toMatchObject({ status: "unknown", reason: expect.stringContaining("timedout") });
  });
});

describe("1.2.2 lockfile-integrity", () => {
  it("is met when every lockfile seen carries hashes and nothing is unseen", () => {
    expect(check(f({ "deps.manifests": [npm], "deps.dependency-graph": graph() }), "1.2.2", "lockfile-integrity").status).toBe("met");
  });

  it("is a gap or partial when a lockfile lacks hashes", () => {
    const bare = { ...npm, integrity: false, note: "3 of 10 registry packages have no hash" };
    expect(check(f({ "deps.manifests": [bare], "deps.dependency-graph": graph() }), "1.2.2", "lockfile-integrity")).toMatchObject({ status: "gap", reason: expect.stringContaining("3 of 10") });
    expect(check(f({ "deps.manifests": [npm, goNoSum], "deps.dependency-graph": graph() }), "1.2.2", "lockfile-integrity")).toMatchObject({ status: "partial", reason: expect.stringContaining("no lockfile") });
  });

  it("never counts a truncated or unread lockfile as hashed", () => {
    const truncated = { ...npm, integrity: null, note: "package-lock.json could not be read: too large" };
    expect(check(f({ "deps.manifests": [truncated], "deps.dependency-graph": graph() }), "1.2.2", "lockfile-integrity").status).toBe("unknown");
    expect(check(f({ "deps.manifests": [npm, subdirLocked], "deps.dependency-graph": graph() }), "1.2.2", "lockfile-integrity").status).toBe("unknown");
    expect(check(f({ "deps.manifests": [npm, subdirUnsure], "deps.dependency-graph": graph() }), "1.2.2", "lockfile-integrity").status).toBe("unknown");
  });
});

const noProblems = { renovate: [], dependabot: null, automerge: false, problems: [] };
const dependabot = (updates: { ecosystem: string; directories: string[]; versionUpdates: boolean }[]) => ({
  ...noProblems,
  dependabot: { file: ".github/dependabot.yml", ecosystems: [...new Set(updates.filter((u) => u.versionUpdates).map((u) => u.ecosystem))], updates },
});
const tool = (t: string, config: unknown, extra: Partial<Record<FindingId, unknown>> = {}) =>
  f({ "deps.update-tool": t, "deps.update-config": config, "deps.manifests": [npm], "ci.workflow-files": [".github/workflows/ci.yml"], "deps.dependency-graph": graph(), ...extra });

describe("1.2.5 update-tool", () => {
  it("is met when Dependabot version updates cover every ecosystem found, github-actions included", () => {
    const config = dependabot([
      { ecosystem: "npm", directories: ["/"], versionUpdates: true },
      { ecosystem: "github-actions", directories: ["/"], versionUpdates: true },
    ]);
    expect(check(tool("dependabot", config), "1.2.5", "update-tool")).toMatchObject({ status: "met", reason: expect.stringContaining("github-actions") });
  });

  it("names ecosystems left out, and security-only entries do not count", () => {
    const config = dependabot([
      { ecosystem: "npm", directories: ["/"], versionUpdates: true },
      { ecosystem: "github-actions", directories: ["/"], versionUpdates: false },
    ]);
    expect(check(tool("dependabot", config), "1.2.5", "update-tool")).toMatchObject({ status: "partial", reason: expect.stringContaining("github-actions") });
    const securityOnly = dependabot([{ ecosystem: "npm", directories: ["/"], versionUpdates: false }]);
    expect(check(tool("none", securityOnly), "1.2.5", "update-tool")).toMatchObject({ status: "gap", reason: expect.stringContaining("security-update entries") });
  });

  it("checks Dependabot directories against where manifests are", () => {
    const config = dependabot([
      { ecosystem: "npm", directories: ["/"], versionUpdates: true },
      { ecosystem: "github-actions", directories: ["/"], versionUpdates: true },
    ]);
    const web: Entry = { ...npm, manifest: "web/package.json", lockfile: "web/package-lock.json", seenIn: "dependency-graph", integrity: null };
    expect(check(tool("dependabot", config, { "deps.manifests": [npm, web] }), "1.2.5", "update-tool")).toMatchObject({ status: "partial", reason: expect.stringContaining("npm in /web") });
  });

  it("takes Renovate's defaults as covering every ecosystem, unless enabledManagers narrows them", () => {
    const renovate = { ...noProblems, renovate: ["renovate.json"], renovateManagers: null };
    expect(check(tool("renovate", renovate, { "deps.dependency-graph": new Error("graph off") }), "1.2.5", "update-tool").status).toBe("met");
    expect(check(tool("renovate", { ...renovate, renovateManagers: ["npm"] }), "1.2.5", "update-tool")).toMatchObject({ status: "partial", reason: expect.stringContaining("github-actions") });
  });

  it("counts Renovate pull requests as evidence when no configuration file is in the repository", () => {
    const c = check(tool("none", noProblems, { "deps.update-prs-by-bot": { renovate: 7 } }), "1.2.5", "update-tool");
    expect(c.status).toBe("partial");
    expect(c.reason).toContain("7 pull requests by renovate[bot]");
    expect(check(tool("none", noProblems), "1.2.5", "update-tool").status).toBe("gap");
  });

  it("is unknown when the only configuration file is malformed", () => {
    const broken = { ...noProblems, dependabot: { file: ".github/dependabot.yml", ecosystems: [] }, problems: [".github/dependabot.yml: not valid YAML: bad indentation"] };
    expect(check(tool("dependabot", broken), "1.2.5", "update-tool")).toMatchObject({ status: "unknown", reason: expect.stringContaining("not valid YAML") });
  });

  it("is not applicable with nothing to update and no tool", () => {
    expect(check(tool("none", noProblems, { "deps.manifests": [], "ci.workflow-files": [] }), "1.2.5", "update-tool").status).toBe("not_applicable");
  });
});

describe("1.2.5 vulnerability-alerts", () => {
  const alerts = (enabled: boolean, overdue = 0, unclassified?: number) =>
    f({ "deps.manifests": [npm], "ci.workflow-files": [], "deps.vulnerability-alerts": { enabled, open: { critical: 1, high: 0, medium: 2, low: 0 }, overdue, ...(unclassified ? { unclassified } : {}) } });

  it("is not applicable, not met, with nothing for Dependabot to alert on", () => {
    const none = (enabled: boolean) => f({ "deps.manifests": [], "ci.workflow-files": [], "deps.vulnerability-alerts": { enabled, open: { critical: 0, high: 0, medium: 0, low: 0 }, overdue: 0 } });
    expect(check(none(true), "1.2.5", "vulnerability-alerts").status).toBe("not_applicable");
    expect(check(none(false), "1.2.5", "vulnerability-alerts")).toMatchObject({ status: "not_applicable", reason: expect.stringContaining("turn them on") });
    const unclassified = f({ "deps.manifests": [], "ci.workflow-files": [], "deps.vulnerability-alerts": { enabled: true, open: { critical: 0, high: 0, medium: 0, low: 0 }, overdue: 0, unclassified: 2 } });
    expect(check(unclassified, "1.2.5", "vulnerability-alerts").status).toBe("unknown");
  });

  it("is met when enabled with nothing critical or high overdue", () => {
    expect(check(alerts(true), "1.2.5", "vulnerability-alerts")).toMatchObject({ status: "met", reason: expect.stringContaining("1 critical") });
  });

  it("is a gap when disabled or overdue, using the configured threshold in the reason", () => {
    expect(check(alerts(false), "1.2.5", "vulnerability-alerts").status).toBe("gap");
    const config = parseRepoConfig({ thresholds: { vulnerabilityAlertMaxDays: 15 } });
    expect(check(alerts(true, 1), "1.2.5", "vulnerability-alerts", config.config)).toMatchObject({ status: "gap", reason: expect.stringContaining("longer than 15 days") });
  });

  it("is unknown past the first page of alerts, or without the permission", () => {
    expect(check(alerts(true, 0, 40), "1.2.5", "vulnerability-alerts").status).toBe("unknown");
    const refused = f({ "deps.manifests": [npm], "ci.workflow-files": [], "deps.vulnerability-alerts": new Error("the app may lack the 'Dependabot alerts: read' repository permission") });
    expect(check(refused, "1.2.5", "vulnerability-alerts")).toMatchObject({ status: "unknown", reason: expect.stringContaining("Dependabot alerts: read") });
  });
});
