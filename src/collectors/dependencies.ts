import { LOCKFILE_FORMATS, manifestEcosystem, type Ecosystem } from "../core/ecosystems.js";
import { observed, unreadable, type Finding, type FindingId, type FindingValue, type Where } from "../core/findings.js";
import { parse as parseYaml } from "yaml";
import { dependenciesFragment, readDependencyData, type AlertsRead, type DependencyData, type FileRead, type GraphRead } from "./dependency-files.js";
import { isPinnedRequirements, lockfileIntegrity, type Integrity } from "./lockfile-integrity.js";
import type { CollectContext, Collector } from "./types.js";
import { DEPENDABOT_FILES, dirMatches, parseDependabot, parseRenovateFile, RENOVATE_FILES, renovateInPackageJson, type RenovateConfig } from "./update-config.js";

/*
 * Third-party components: manifests and their lockfiles, the dependency graph GitHub builds its
 * SBOM from, the update tools configured, and open Dependabot alerts. Everything is read in the
 * batched repository query: this collector makes no request of its own.
 */

export type ManifestEntry = FindingValue<"deps.manifests">[number];
type Outcome<K extends FindingId> = { value: FindingValue<K> } | { error: string };

const dirOf = (path: string) => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
const text = (file: FileRead | undefined) => (file?.kind === "text" ? file.text : null);

/** Integrity of a lockfile at the root, from its text (or, for Gradle, its verification metadata). */
function rootIntegrity(lockfile: string, data: DependencyData): Integrity {
  const format = LOCKFILE_FORMATS[lockfile];
  if (format === "binary") return { integrity: null, note: `${lockfile} is binary and was not read` };
  if (format === "none") {
    if (data.gradleVerification === true) return { integrity: true, note: "gradle/verification-metadata.xml verifies artifact checksums" };
    if (data.gradleVerification === null) return { integrity: null, note: "whether gradle/verification-metadata.xml exists could not be read" };
    return { integrity: false, note: `${lockfile} records no hashes and there is no gradle/verification-metadata.xml` };
  }
  const file = data.files.get(lockfile);
  if (file?.kind === "text") return lockfileIntegrity(lockfile, file.text);
  const why = file?.kind === "unread" || file?.kind === "refused" ? file.reason : "GitHub returned no contents";
  return { integrity: null, note: `${lockfile} could not be read: ${why}` };
}

/** Whether the root requirements.txt pins every requirement (so it is a lockfile); null when it could not be read. */
function requirementsPinned(data: DependencyData): boolean | null {
  const body = text(data.files.get("requirements.txt"));
  return body === null ? null : isPinnedRequirements(body);
}

function rootEntry(manifest: string, eco: Ecosystem, names: readonly string[], data: DependencyData): ManifestEntry {
  const base = { ecosystem: eco.ecosystem, manifest, seenIn: "root" as const };
  const present = eco.lockfiles.filter((l) => names.includes(l));
  const others = present.filter((l) => l !== "requirements.txt" && l !== manifest);
  const pinned = present.includes("requirements.txt") ? requirementsPinned(data) : false;
  const lockfile = manifest === "requirements.txt" ? (pinned ? manifest : others[0]) : (others[0] ?? (pinned ? "requirements.txt" : undefined));
  if (lockfile) {
    const { integrity, note } = rootIntegrity(lockfile, data);
    return { ...base, lockfile, integrity, ...(note ? { note } : {}) };
  }
  if (pinned === null) return { ...base, lockfile: null, integrity: null, note: "requirements.txt could not be read to tell whether it pins every version" };
  if (eco.ecosystem === "gradle" && data.gradleVerification === true) return { ...base, lockfile: null, integrity: true, note: "no gradle.lockfile; gradle/verification-metadata.xml verifies artifact checksums" };
  const note = eco.lockfiles.length === 0 ? `${eco.ecosystem} has no lockfile format` : manifest === "requirements.txt" ? "does not pin every requirement to one version" : undefined;
  return { ...base, lockfile: null, integrity: false, ...(note ? { note } : {}) };
}

function patternsIn(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === "object" && value !== null && Array.isArray((value as { packages?: unknown }).packages) ? (value as { packages: unknown[] }).packages : [];
  return list.filter((p): p is string => typeof p === "string");
}

/** Directories a root lockfile pins as workspace members, as globs (a leading "!" excludes). */
function workspaceGlobs(eco: Ecosystem, data: DependencyData): string[] {
  if (eco.ecosystem === "npm") {
    const pkg = text(data.files.get("package.json"));
    const pnpm = text(data.files.get("pnpm-workspace.yaml"));
    const globs: string[] = [];
    try {
      if (pkg) globs.push(...patternsIn((JSON.parse(pkg) as { workspaces?: unknown }).workspaces));
    } catch {
      // A root package.json that is not JSON declares no workspace claimcheck can see.
    }
    try {
      if (pnpm) globs.push(...patternsIn(parseYaml(pnpm)));
    } catch {
      // Same for a malformed pnpm-workspace.yaml.
    }
    return globs;
  }
  if (eco.ecosystem === "cargo") {
    const toml = text(data.files.get("Cargo.toml")) ?? "";
    const workspace = /^\[workspace\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? "";
    const list = (key: string) => [...(new RegExp(`^${key}\\s*=\\s*\\[([\\s\\S]*?)\\]`, "m").exec(workspace)?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    return [...list("members"), ...list("exclude").map((p) => `!${p}`)];
  }
  return [];
}

function inWorkspace(dir: string, globs: readonly string[]): boolean {
  const included = globs.some((g) => !g.startsWith("!") && dirMatches(g, dir));
  return included && !globs.some((g) => g.startsWith("!") && dirMatches(g.slice(1), dir));
}

function graphEntry(manifest: string, eco: Ecosystem, graphPaths: ReadonlySet<string>, rootNames: readonly string[], data: DependencyData): ManifestEntry {
  const base = { ecosystem: eco.ecosystem, manifest, seenIn: "dependency-graph" as const };
  const dir = dirOf(manifest);
  const beside = eco.lockfiles.find((l) => l !== "requirements.txt" && graphPaths.has(`${dir}/${l}`));
  if (beside) return { ...base, lockfile: `${dir}/${beside}`, integrity: null, note: "lockfile outside the repository root: its contents are not read" };
  const rootLock = eco.lockfiles.find((l) => l !== "requirements.txt" && rootNames.includes(l));
  if (rootLock && inWorkspace(dir, workspaceGlobs(eco, data))) {
    const { integrity, note } = rootIntegrity(rootLock, data);
    return { ...base, lockfile: rootLock, integrity, note: `workspace member pinned by the root ${rootLock}${note ? `; ${note}` : ""}` };
  }
  if (eco.lockfiles.length === 0) return { ...base, lockfile: null, integrity: false, note: `${eco.ecosystem} has no lockfile format` };
  return { ...base, lockfile: null, integrity: null, note: "the dependency graph lists no lockfile beside it, and it does not list every lockfile format" };
}

/** Pure: every manifest found, with its lockfile and whether that lockfile carries hashes. */
export function summariseManifests(data: DependencyData): Outcome<"deps.manifests"> {
  if (!data.root.ok) return { error: data.root.reason };
  const rootNames = data.root.names ?? [];
  const entries: ManifestEntry[] = [];
  for (const name of [...rootNames].sort()) {
    const eco = manifestEcosystem(name);
    if (eco) entries.push(rootEntry(name, eco, rootNames, data));
  }
  if (data.graph.ok) {
    const graphPaths = new Set(data.graph.manifests.map((m) => m.path));
    for (const path of [...graphPaths].sort()) {
      const eco = manifestEcosystem(path);
      if (eco && dirOf(path) !== "") entries.push(graphEntry(path, eco, graphPaths, rootNames, data));
    }
  }
  return { value: entries };
}

export function summariseGraph(graph: GraphRead): Outcome<"deps.dependency-graph"> {
  if (!graph.ok) return { error: graph.reason };
  return {
    value: {
      manifests: graph.total,
      read: graph.manifests.length,
      components: graph.manifests.reduce((sum, m) => sum + (m.dependencies ?? 0), 0),
      unparseable: graph.manifests.filter((m) => !m.parseable || m.tooLarge).map((m) => `${m.path}${m.tooLarge ? " (too large)" : ""}`),
    },
  };
}

type UpdateSummary = { tool: FindingValue<"deps.update-tool">; config: FindingValue<"deps.update-config">; file: string | null };

function renovateOf(path: string, file: FileRead): RenovateConfig {
  if (file.kind === "text") return parseRenovateFile(path, file.text);
  return { ok: false, error: `could not be read: ${"reason" in file ? file.reason : "no contents"}` };
}

/**
 * Pure: which update tools the repository's own files configure, and how. A file GitHub did not
 * answer for might exist, so any such file leaves the whole answer unknown.
 */
export function summariseUpdateConfig(files: ReadonlyMap<string, FileRead>): UpdateSummary | { error: string } {
  const refused = [...RENOVATE_FILES, "package.json", ...DEPENDABOT_FILES].map((path) => files.get(path)).find((f) => f === undefined || f.kind === "refused");
  if (refused !== undefined) return { error: refused.kind === "refused" ? refused.reason : "a configuration file was not probed" };
  const problems: string[] = [];
  const found: { path: string; config: RenovateConfig }[] = RENOVATE_FILES.flatMap((path) => {
    const file = files.get(path);
    return file && file.kind !== "absent" ? [{ path, config: renovateOf(path, file) }] : [];
  });
  const pkg = files.get("package.json");
  if (pkg?.kind === "text") {
    const inPackage = renovateInPackageJson(pkg.text);
    if (inPackage) found.push({ path: "package.json", config: inPackage });
  } else if (pkg?.kind === "unread" && found.length === 0) {
    problems.push(`package.json could not be read to see whether it holds Renovate configuration: ${pkg.reason}`);
  }
  const effective = found[0];
  for (const ignored of found.slice(1)) problems.push(`${ignored.path} is ignored: Renovate reads only ${effective!.path}`);
  if (effective && !effective.config.ok) problems.push(`${effective.path}: ${effective.config.error}`);
  if (effective?.config.ok && !effective.config.enabled) problems.push(`${effective.path} switches Renovate off ("enabled": false, or a preset such as ":disableRenovate")`);
  if (effective?.config.ok && effective.config.enabled) for (const why of effective.config.unresolved) problems.push(`${effective.path}: ${why}`);
  const renovateActive = effective !== undefined && (!effective.config.ok || effective.config.enabled);

  const dependabotFiles = DEPENDABOT_FILES.filter((path) => files.get(path)?.kind !== "absent");
  if (dependabotFiles.length > 1) problems.push(`both ${dependabotFiles.join(" and ")} exist; only ${dependabotFiles[0]} was read`);
  let dependabot: FindingValue<"deps.update-config">["dependabot"] = null;
  let dependabotActive = false;
  const dependabotFile = dependabotFiles[0];
  if (dependabotFile) {
    const file = files.get(dependabotFile)!;
    const parsed = file.kind === "text" ? parseDependabot(file.text) : { ok: false as const, error: `could not be read: ${"reason" in file ? file.reason : "no contents"}` };
    if (parsed.ok) {
      dependabot = { file: dependabotFile, ecosystems: [...new Set(parsed.updates.filter((u) => u.versionUpdates).map((u) => u.ecosystem))], updates: parsed.updates };
      dependabotActive = parsed.updates.some((u) => u.versionUpdates);
    } else {
      dependabot = { file: dependabotFile, ecosystems: [] };
      dependabotActive = true;
      problems.push(`${dependabotFile}: ${parsed.error}`);
    }
  }

  const tool = renovateActive && dependabotActive ? "both" : renovateActive ? "renovate" : dependabotActive ? "dependabot" : "none";
  const renovateManagers = effective?.config.ok && effective.config.managers !== undefined ? { renovateManagers: effective.config.managers, renovateRules: effective.config.rules } : {};
  return {
    tool,
    config: {
      renovate: found.map((f) => f.path),
      dependabot,
      automerge: renovateActive && effective!.config.ok && effective!.config.automerge,
      ...renovateManagers,
      problems,
    },
    file: effective?.path ?? dependabotFile ?? null,
  };
}

const SEVERITY_KEYS: Record<string, keyof FindingValue<"deps.vulnerability-alerts">["open"]> = { CRITICAL: "critical", HIGH: "high", MODERATE: "medium", LOW: "low" };

/** Pure: open alerts by severity, and how many critical/high ones are older than the threshold. */
export function summariseAlerts(alerts: AlertsRead, now: Date, maxDays: number): Outcome<"deps.vulnerability-alerts"> {
  if (!alerts.ok) return { error: alerts.reason };
  const open = { critical: 0, high: 0, medium: 0, low: 0 };
  let overdue = 0;
  let unclassified = alerts.total - alerts.alerts.length;
  const cutoff = now.getTime() - maxDays * 86_400_000;
  for (const alert of alerts.alerts) {
    const key = alert.severity ? SEVERITY_KEYS[alert.severity] : undefined;
    if (!key) {
      unclassified += 1;
      continue;
    }
    open[key] += 1;
    if ((key === "critical" || key === "high") && Date.parse(alert.createdAt) < cutoff) overdue += 1;
  }
  return { value: { enabled: alerts.enabled, open, overdue, ...(unclassified > 0 ? { unclassified } : {}) } };
}

export const DEPENDENCY_FINDINGS = [
  "deps.manifests",
  "deps.dependency-graph",
  "deps.sbom-components",
  "deps.update-tool",
  "deps.update-config",
  "deps.vulnerability-alerts",
] as const satisfies readonly FindingId[];

function finding<K extends FindingId>(id: K, outcome: Outcome<K>, where: Where): Finding {
  return "error" in outcome ? unreadable(id, outcome.error, where) : observed(id, outcome.value, where);
}

const UPDATE_SOURCE = `GraphQL repository.object(expression: "HEAD:<file>") for ${[...RENOVATE_FILES, "package.json", ...DEPENDABOT_FILES].join(", ")}`;
const GRAPH_SOURCE = "GraphQL repository.dependencyGraphManifests (what GET /repos/{owner}/{repo}/dependency-graph/sbom exports)";

export function dependencyFindings(ctx: CollectContext): Finding[] {
  const { repo, now, config, repositoryData, repositoryErrors } = ctx;
  const data = readDependencyData(repositoryData, repositoryErrors, repo.defaultBranch);
  const tree = (path: string) => `${repo.htmlUrl}/tree/${encodeURIComponent(repo.defaultBranch)}${path ? `/${path}` : ""}`;
  const at = (source: string, url: string): Where => ({ repo: repo.fullName, source, url, observedAt: now.toISOString() });
  const graphWhere = at(GRAPH_SOURCE, `${repo.htmlUrl}/network/dependencies`);
  const manifestsWhere = at(`GraphQL repository.object(expression: "HEAD:") and ${GRAPH_SOURCE}`, `${repo.htmlUrl}/network/dependencies`);

  const graph = summariseGraph(data.graph);
  const sbom: Outcome<"deps.sbom-components"> = "error" in graph ? graph : { value: graph.value.components };

  const updates = summariseUpdateConfig(data.files);
  const updateFile = "error" in updates ? null : updates.file;
  const updateWhere = at(UPDATE_SOURCE, updateFile ? `${repo.htmlUrl}/blob/${encodeURIComponent(repo.defaultBranch)}/${updateFile}` : tree(""));

  return [
    finding("deps.manifests", summariseManifests(data), manifestsWhere),
    finding("deps.dependency-graph", graph, graphWhere),
    finding("deps.sbom-components", sbom, graphWhere),
    finding("deps.update-tool", "error" in updates ? updates : { value: updates.tool }, updateWhere),
    finding("deps.update-config", "error" in updates ? updates : { value: updates.config }, updateWhere),
    finding(
      "deps.vulnerability-alerts",
      summariseAlerts(data.alerts, now, config.thresholds.vulnerabilityAlertMaxDays),
      at("GraphQL repository.hasVulnerabilityAlertsEnabled and repository.vulnerabilityAlerts(states: OPEN)", `${repo.htmlUrl}/security/dependabot`),
    ),
  ];
}

export const dependenciesCollector: Collector = {
  id: "dependencies",
  produces: DEPENDENCY_FINDINGS,
  repositoryFragment: dependenciesFragment,
  collect: (ctx) => Promise.resolve(dependencyFindings(ctx)),
};
