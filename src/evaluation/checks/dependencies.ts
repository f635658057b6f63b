import { ACTIONS_ECOSYSTEM, ECOSYSTEMS, type Ecosystem } from "../../core/ecosystems.js";
import type { FindingValue } from "../../core/findings.js";
import { dependabotExcludes, dirMatches, RENOVATE_DEFAULT_IGNORE, renovateCovers } from "../../collectors/update-config.js";
import type { CheckJudge, FindingView, Verdict } from "../types.js";
import { listSome } from "./rates.js";

type Manifest = FindingValue<"deps.manifests">[number];

const describeEntry = (m: Manifest) => `${m.manifest}${m.note ? ` (${m.note})` : ""}`;

/**
 * Whether the dependency graph showed every manifest outside the root: null when it did, the
 * reason otherwise. Without it, only the root was looked at.
 */
function graphGap(view: FindingView): string | null {
  const graph = view.maybe("deps.dependency-graph");
  if (graph.value === null) return `manifests outside the repository root could not be listed: ${graph.reason}`;
  if (graph.value.manifests > graph.value.read) return `the dependency graph lists ${graph.value.manifests} manifests and only the first ${graph.value.read} were read`;
  // An empty graph is also what a graph that is off looks like. Dependabot alerts need the graph,
  // so alerts that are on show an empty graph is a real "none".
  if (graph.value.manifests === 0 && view.maybe("deps.vulnerability-alerts").value?.enabled !== true) {
    return "the dependency graph lists no manifest and may be off (Dependabot alerts, which need it, are not on), so manifests outside the repository root were not seen";
  }
  return null;
}

/** A manifest without a lockfile is certain when its integrity is known (false); unknown integrity marks an uncertain "none". */
const noLockfile = (m: Manifest) => m.lockfile === null && m.integrity !== null;
const maybeLockfile = (m: Manifest) => m.lockfile === null && m.integrity === null;

export const manifestsLocked: CheckJudge = {
  claimId: "1.2.1",
  checkId: "manifests-locked",
  needs: ["deps.manifests"],
  uses: ["deps.dependency-graph", "deps.vulnerability-alerts"],
  judge(view) {
    const manifests = view.value("deps.manifests");
    const partialView = graphGap(view);
    if (manifests.length === 0) {
      return partialView ? { status: "unknown", reason: `no dependency manifest at the repository root; ${partialView}` } : { status: "not_applicable", reason: "no dependency manifest was found" };
    }
    const missing = manifests.filter(noLockfile);
    const uncertain = manifests.filter(maybeLockfile);
    const locked = manifests.filter((m) => m.lockfile !== null);
    const pairs = locked.map((m) => `${m.manifest} → ${m.lockfile}`);
    if (missing.length > 0) {
      return { status: locked.length > 0 ? "partial" : "gap", reason: `${missing.length} of ${manifests.length} manifests have no lockfile: ${listSome(missing.map(describeEntry))}` };
    }
    if (uncertain.length > 0) return { status: "unknown", reason: `whether ${listSome(uncertain.map(describeEntry))} has a lockfile could not be seen${pairs.length ? `; locked: ${listSome(pairs)}` : ""}` };
    if (partialView) return { status: "unknown", reason: `every manifest seen has its lockfile (${listSome(pairs)}), but ${partialView}` };
    return { status: "met", reason: `every manifest has its lockfile: ${listSome(pairs)}` };
  },
};

export const sbomAvailable: CheckJudge = {
  claimId: "1.2.1",
  checkId: "sbom-available",
  needs: ["deps.sbom-components", "deps.dependency-graph"],
  uses: ["deps.manifests", "deps.vulnerability-alerts"],
  judge(view) {
    const graph = view.value("deps.dependency-graph");
    const components = view.value("deps.sbom-components") ?? 0;
    const seen = view.maybe("deps.manifests").value ?? [];
    if (graph.manifests === 0) {
      if (seen.length > 0) return { status: "gap", reason: `the dependency graph lists no manifest although the repository has ${listSome(seen.map((m) => m.manifest))}: is the dependency graph enabled?` };
      const unseen = graphGap(view);
      return unseen ? { status: "unknown", reason: `no dependency manifest at the repository root; ${unseen}` } : { status: "not_applicable", reason: "no dependency manifest was found and the dependency graph lists none" };
    }
    if (graph.manifests > graph.read) return { status: "unknown", reason: `the dependency graph lists ${graph.manifests} manifests and only ${graph.read} were read: whether GitHub could parse the rest, and so export their dependencies, is not known` };
    const bound = "";
    const facts = `the dependency graph, which GitHub's SBOM export is built from, lists ${bound}${components} dependencies across ${graph.manifests} manifests`;
    if (graph.unparseable.length > 0) {
      const status = graph.unparseable.length >= graph.read ? "gap" : "partial";
      return { status, reason: `${facts}; GitHub could not parse ${listSome(graph.unparseable)}, so its dependencies are missing from the SBOM` };
    }
    return { status: "met", reason: facts };
  },
};

export const lockfileIntegrity: CheckJudge = {
  claimId: "1.2.2",
  checkId: "lockfile-integrity",
  needs: ["deps.manifests"],
  uses: ["deps.dependency-graph", "deps.vulnerability-alerts"],
  judge(view) {
    // One verdict per lockfile (workspace members share the root's), or per manifest that has none.
    const byKey = new Map<string, Manifest>();
    for (const m of view.value("deps.manifests")) if (!maybeLockfile(m)) byKey.set(m.lockfile ?? m.manifest, m);
    const items = [...byKey.entries()];
    if (items.length === 0) {
      const unsure = view.value("deps.manifests").length > 0;
      if (unsure) return { status: "unknown", reason: "no lockfile could be seen to check for hashes" };
      const unseen = graphGap(view);
      return unseen ? { status: "unknown", reason: `no dependency manifest at the repository root; ${unseen}` } : { status: "not_applicable", reason: "no dependency manifest was found" };
    }
    const name = ([key, m]: [string, Manifest]) => `${key}${m.note ? ` (${m.note})` : ""}`;
    const bad = items.filter(([, m]) => m.integrity === false);
    const good = items.filter(([, m]) => m.integrity === true);
    const unread = items.filter(([, m]) => m.integrity === null);
    if (bad.length > 0) {
      const withoutLock = bad.filter(([, m]) => m.lockfile === null).length;
      const what = withoutLock === bad.length ? "have no lockfile to carry hashes" : "carry no hash for every package";
      return { status: good.length > 0 ? "partial" : "gap", reason: `${bad.length} of ${items.length} ${what}: ${listSome(bad.map(name))}` };
    }
    const hashed = good.length ? `; hashed: ${listSome(good.map(([k]) => k))}` : "";
    if (unread.length > 0) return { status: "unknown", reason: `${listSome(unread.map(name))} could not be checked for hashes${hashed}` };
    const unseen = view.value("deps.manifests").filter(maybeLockfile);
    if (unseen.length > 0) return { status: "unknown", reason: `whether ${listSome(unseen.map((m) => m.manifest))} has a lockfile, and what it records, could not be seen${hashed}` };
    const partialView = graphGap(view);
    if (partialView) return { status: "unknown", reason: `every lockfile seen carries integrity hashes, but ${partialView}${hashed}` };
    return { status: "met", reason: `every lockfile carries integrity hashes: ${listSome(good.map(([k]) => k))}` };
  },
};

type Target = { eco: Ecosystem; dir: string; label: string; files: string[] };
type Config = FindingValue<"deps.update-config">;

const ecosystemByName = new Map([...ECOSYSTEMS, ACTIONS_ECOSYSTEM].map((e) => [e.ecosystem, e]));

function targetsOf(manifests: readonly Manifest[], workflowFiles: readonly string[]): Target[] {
  const targets = new Map<string, Target>();
  for (const m of manifests) {
    const eco = ecosystemByName.get(m.ecosystem);
    const dir = m.manifest.includes("/") ? `/${m.manifest.slice(0, m.manifest.lastIndexOf("/"))}` : "/";
    if (!eco) continue;
    const key = `${eco.ecosystem} ${dir}`;
    const target = targets.get(key) ?? { eco, dir, label: `${eco.ecosystem} in ${dir}`, files: [] };
    target.files.push(m.manifest);
    targets.set(key, target);
  }
  if (workflowFiles.length > 0) targets.set("github-actions /", { eco: ACTIONS_ECOSYSTEM, dir: "/", label: "github-actions (.github/workflows)", files: [...workflowFiles] });
  return [...targets.values()];
}

/**
 * Whether Renovate's configuration updates a target: every package file of it must be read by
 * some manager of its ecosystem that nothing in the file (or a built-in preset it extends)
 * switches off. null when the file alone cannot tell.
 */
function renovateCoversTarget(target: Target, config: Config): boolean | null {
  const each = target.files.map((file) => renovateCovers({ managers: config.renovateManagers, rules: config.renovateRules }, target.eco.renovate, file));
  if (each.includes(false)) return false;
  return each.includes(null) ? null : true;
}

/** Whether the configuration updates a target: true, false, or null when the file could not be read. */
function covered(target: Target, config: Config, tool: FindingValue<"deps.update-tool">): boolean | null {
  let unknown = false;
  if (tool === "renovate" || tool === "both") {
    const renovate = renovateCoversTarget(target, config);
    if (renovate === true) return true;
    if (renovate === null) unknown = true;
  }
  if ((tool === "dependabot" || tool === "both") && config.dependabot) {
    const updates = config.dependabot.updates;
    if (updates === undefined) unknown = true;
    else {
      const names = [target.eco.dependabot, ...(target.eco.dependabotAlso ?? [])];
      // Dependabot reads workflows for directory "/" (and accepts the workflows directory itself).
      const dirs = target.eco === ACTIONS_ECOSYSTEM ? ["/", "/.github/workflows"] : [target.dir];
      const entries = updates.filter((u) => u.versionUpdates && names.includes(u.ecosystem) && u.directories.some((p) => dirs.some((d) => dirMatches(p, d))));
      if (entries.length > 0 && target.files.every((file) => entries.some((u) => !dependabotExcludes(u, file)))) return true;
    }
  }
  return unknown ? null : false;
}

function describeTool(tool: FindingValue<"deps.update-tool">, config: Config): string {
  const parts: string[] = [];
  if (tool === "renovate" || tool === "both") parts.push(`Renovate (${config.renovate[0] ?? "?"})`);
  if ((tool === "dependabot" || tool === "both") && config.dependabot) parts.push(`Dependabot version updates (${config.dependabot.file})`);
  return parts.join(" and ");
}

function noTool(config: Config, renovatePrs: number, targets: readonly Target[]): Verdict {
  if (renovatePrs > 0) {
    return {
      status: "partial",
      reason: `no Renovate configuration file in the repository, but ${renovatePrs} pull requests by renovate[bot] in the window show Renovate runs with configuration held elsewhere; which ecosystems it covers cannot be read here (a repository renovate.json extending the shared preset makes it visible)`,
    };
  }
  const securityOnly = config.dependabot?.updates?.length ? `${config.dependabot.file} has only security-update entries (open-pull-requests-limit: 0), which open no version updates` : null;
  const notes = [...(securityOnly ? [securityOnly] : []), ...(config.problems ?? [])];
  if (targets.length === 0 && notes.length === 0) return { status: "not_applicable", reason: "no dependency manifest or workflow to keep updated" };
  return { status: "gap", reason: `neither Renovate nor Dependabot version updates are configured${notes.length ? `: ${listSome(notes)}` : ""}` };
}

export const updateTool: CheckJudge = {
  claimId: "1.2.5",
  checkId: "update-tool",
  needs: ["deps.update-tool", "deps.update-config", "deps.manifests", "ci.workflow-files"],
  uses: ["deps.update-prs-by-bot", "deps.dependency-graph", "deps.vulnerability-alerts"],
  judge(view) {
    const tool = view.value("deps.update-tool");
    const config = view.value("deps.update-config");
    const targets = targetsOf(view.value("deps.manifests"), view.value("ci.workflow-files"));
    const renovatePrs = view.maybe("deps.update-prs-by-bot").value?.renovate ?? 0;
    const unseen = targets.length === 0 ? graphGap(view) : null;
    if (tool === "none") {
      const verdict = noTool(config, renovatePrs, targets);
      return verdict.status === "not_applicable" && unseen ? { status: "unknown", reason: `no update tool and nothing to update at the repository root; ${unseen}` } : verdict;
    }
    const named = describeTool(tool, config);
    const problems = config.problems?.length ? `; ${listSome(config.problems)}` : "";
    if (targets.length === 0) {
      if (unseen) return { status: "unknown", reason: `${named} configured; nothing to update at the repository root, but ${unseen}${problems}` };
      return { status: "met", reason: `${named} configured; no dependency manifest or workflow found to cover${problems}` };
    }
    const verdicts = targets.map((t) => ({ t, covered: covered(t, config, tool) }));
    const missed = verdicts.filter((v) => v.covered === false).map((v) => v.t.label);
    const unsure = verdicts.filter((v) => v.covered === null).map((v) => v.t.label);
    const hit = verdicts.filter((v) => v.covered === true).map((v) => v.t.label);
    if (missed.length > 0) {
      return { status: hit.length > 0 ? "partial" : "gap", reason: `${named} configured, but it does not update ${listSome(missed)}${problems}` };
    }
    if (unsure.length > 0) return { status: "unknown", reason: `${named} found, but whether it updates ${listSome(unsure)} could not be read${problems}` };
    // Renovate's default covers every manager wherever it is; a Dependabot entry covers only the directories it names.
    // Only when nothing narrows it: a preset like config:recommended skips test/, examples/ and vendor/, where unseen manifests may be.
    const rules = config.renovateRules;
    const narrowed = rules !== undefined && (rules.includePaths !== null || rules.disabledManagers.length > 0 || rules.disabledFiles.length > 0 || rules.ignorePaths.some((p) => !RENOVATE_DEFAULT_IGNORE.includes(p)));
    const everywhere = (tool === "renovate" || tool === "both") && config.renovateManagers === null && !narrowed;
    const partialView = everywhere ? null : graphGap(view);
    if (partialView) return { status: "unknown", reason: `${named} updates everything seen (${listSome(hit)}), but ${partialView}` };
    return { status: "met", reason: `${named} updates ${listSome(hit)}${problems}` };
  },
};

export const vulnerabilityAlerts: CheckJudge = {
  claimId: "1.2.5",
  checkId: "vulnerability-alerts",
  needs: ["deps.vulnerability-alerts", "deps.manifests", "ci.workflow-files"],
  judge(view, thresholds) {
    const alerts = view.value("deps.vulnerability-alerts");
    const nothingToAlertOn = targetsOf(view.value("deps.manifests"), view.value("ci.workflow-files")).length === 0 && Object.values(alerts.open).every((n) => n === 0) && !alerts.unclassified;
    if (nothingToAlertOn) {
      return { status: "not_applicable", reason: `no dependency manifest or workflow for Dependabot to alert on (alerts are ${alerts.enabled ? "on" : "off: turn them on before adding dependencies"})` };
    }
    if (!alerts.enabled) return { status: "gap", reason: "Dependabot alerts are not enabled" };
    const { critical, high, medium, low } = alerts.open;
    const counts = `open: ${critical} critical, ${high} high, ${medium} medium, ${low} low`;
    if (alerts.overdue > 0) return { status: "gap", reason: `${alerts.overdue} critical/high alerts open longer than ${thresholds.vulnerabilityAlertMaxDays} days (${counts})` };
    if (alerts.unclassified) return { status: "unknown", reason: `${alerts.unclassified} open alerts past the first page could not be classified by severity and age (${counts})` };
    return { status: "met", reason: `Dependabot alerts are enabled; no critical/high alert open longer than ${thresholds.vulnerabilityAlertMaxDays} days (${counts})` };
  },
};

export const dependencyJudges = [manifestsLocked, sbomAvailable, lockfileIntegrity, updateTool, vulnerabilityAlerts];
