import JSON5 from "json5";
import { minimatch } from "minimatch";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/*
 * Renovate and Dependabot configuration files, read from their text. Only what the repository's
 * own file says is read: presets a Renovate file `extends` are not fetched, so a setting that
 * lives only in a preset is not seen (Renovate's defaults are assumed for it).
 */

/** Every file Renovate reads its repository configuration from, in the order it looks. */
export const RENOVATE_FILES = [
  "renovate.json",
  "renovate.json5",
  ".github/renovate.json",
  ".github/renovate.json5",
  ".gitlab/renovate.json",
  ".gitlab/renovate.json5",
  ".renovaterc",
  ".renovaterc.json",
  ".renovaterc.json5",
] as const;

export const DEPENDABOT_FILES = [".github/dependabot.yml", ".github/dependabot.yaml"] as const;

/** What Renovate's configuration switches off, beyond `enabledManagers`. */
export type RenovateRules = {
  /** Globs (or path parts) of package files Renovate skips: the file's own, a preset's, or Renovate's default. */
  ignorePaths: string[];
  /** When set, only package files matching one are read. */
  includePaths: string[] | null;
  /** Managers switched off everywhere (`<manager>: { enabled: false }`, a rule matching only managers). */
  disabledManagers: string[];
  /** Rules switching every update off for some files: for these managers (null: any) and files. */
  disabledFiles: { managers: string[] | null; files: string[] }[];
};

/**
 * `managers`: `enabledManagers`, null for Renovate's default (every manager), undefined when the
 * file alone cannot tell — `unresolved` then says why (a preset not read, a rule not modelled).
 */
export type RenovateConfig =
  | { ok: true; enabled: boolean; managers: string[] | null | undefined; automerge: boolean; rules: RenovateRules; unresolved: string[] }
  | { ok: false; error: string };

const message = (e: unknown) => (e instanceof Error ? e.message.split("\n")[0]! : String(e));

/**
 * Renovate refuses a JSON file with a key twice in one object (its config validation says
 * "Duplicate keys in JSON"), where JSON.parse would quietly keep the last. Pure scan over text
 * JSON.parse has already accepted.
 */
export function duplicateJsonKey(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === "{") stack.push(new Set());
    else if (c === "[") stack.push(null);
    else if (c === "}" || c === "]") stack.pop();
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const literal = text.slice(i, j + 1);
      i = j;
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k]!)) k += 1;
      const keys = stack.at(-1);
      if (text[k] === ":" && keys) {
        const key = JSON.parse(literal) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
    }
  }
  return null;
}

function parseJsonish(text: string, json5: boolean): { ok: true; value: unknown } | { ok: false; error: string } {
  if (json5) {
    try {
      return { ok: true, value: JSON5.parse(text) };
    } catch (e) {
      return { ok: false, error: `not valid JSON5: ${message(e)}` };
    }
  }
  try {
    const value = JSON.parse(text) as unknown;
    const duplicate = duplicateJsonKey(text);
    if (duplicate !== null) return { ok: false, error: `the key "${duplicate}" appears twice in one object, and Renovate refuses such a file` };
    return { ok: true, value };
  } catch (jsonError) {
    return { ok: false, error: `not valid JSON: ${message(jsonError)}` };
  }
}

const strings = z.array(z.string());
const packageRule = z.looseObject({ automerge: z.unknown().optional(), enabled: z.unknown().optional() });
const renovateSchema = z.looseObject({
  enabled: z.boolean().optional(),
  enabledManagers: strings.optional(),
  automerge: z.boolean().optional(),
  extends: strings.optional(),
  packageRules: z.array(packageRule).optional(),
  ignorePaths: strings.optional(),
  includePaths: strings.optional(),
});

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ");

/** Renovate's own default `ignorePaths`. */
export const RENOVATE_DEFAULT_IGNORE = ["**/node_modules/**", "**/bower_components/**"];
/** `:ignoreModulesAndTests`, which `config:recommended` (formerly `config:base`) extends. */
export const IGNORE_MODULES_AND_TESTS = [...RENOVATE_DEFAULT_IGNORE, "**/vendor/**", "**/examples/**", "**/__tests__/**", "**/test/**", "**/tests/**", "**/__fixtures__/**"];

/** Namespaces of Renovate's built-in presets; anything else (`github>`, `local>`, npm packages, `org/repo`) is a preset held elsewhere. */
const BUILT_IN_NAMESPACES = new Set(["", "default", "config", "docker", "group", "helpers", "monorepo", "npm", "packages", "preview", "replacements", "schedule", "security", "workarounds", "customManagers", "regexManagers", "mergeConfidence", "abandonments"]);
/** Built-in presets that include `:ignoreModulesAndTests`. */
const RECOMMENDED = new Set(["config:recommended", "config:base", "config:best-practices", "config:js-app", "config:js-lib", ":ignoreModulesAndTests"]);
/** Namespaces whose presets group, schedule, label or replace packages, but never decide which files or managers run. */
const COVERAGE_NEUTRAL = new Set(["group", "helpers", "monorepo", "npm", "packages", "preview", "replacements", "schedule", "workarounds", "customManagers", "regexManagers", "mergeConfidence", "abandonments"]);
/** Managers `docker:disable` switches off. */
const DOCKER_MANAGERS = ["dockerfile", "docker-compose", "circleci"];

type PresetEffect = { enabled?: boolean; ignorePaths?: string[]; disableManagers?: string[]; disableAll?: boolean; unresolved?: string };

/** Pure: what one `extends` entry does to coverage, as far as claimcheck knows Renovate's built-in presets. */
export function presetEffect(preset: string): PresetEffect {
  const match = /^([A-Za-z]*):([A-Za-z0-9_-]+)(?:\(.*\))?$/.exec(preset.trim());
  if (!match || !BUILT_IN_NAMESPACES.has(match[1]!)) return { unresolved: `the preset "${preset}" is held outside this file and is not read` };
  const namespace = match[1] === "default" ? "" : match[1]!;
  const name = `${namespace}:${match[2]!}`;
  if (name === ":disableRenovate") return { enabled: false };
  if (name === ":enableRenovate") return { enabled: true };
  if (RECOMMENDED.has(name)) return { ignorePaths: IGNORE_MODULES_AND_TESTS };
  if (name === "docker:disable") return { disableManagers: DOCKER_MANAGERS };
  if (name === "security:only-security-updates") return { disableAll: true };
  if (name === ":disableDomain" || name === ":disableHost" || name === ":onlyNpm") return { unresolved: `the preset "${preset}" may switch off whole ecosystems, which is not modelled` };
  if (namespace === "config" || namespace === "security") return { unresolved: `the built-in preset "${preset}" is not modelled` };
  if (namespace === "" || namespace === "docker" || COVERAGE_NEUTRAL.has(namespace)) return {};
  return { unresolved: `the built-in preset "${preset}" is not modelled` };
}

/** Matchers that narrow a rule to some dependencies without changing which files or managers it covers. */
const SUBSET_MATCHERS = ["matchDepTypes", "matchCurrentVersion", "matchCurrentValue", "matchNewValue", "matchCurrentAge", "matchSourceUrls", "matchRepositories", "matchBaseBranches", "matchJsonata", "matchConfidence", "matchRegistryUrls"];
const ALL_UPDATE_TYPES = ["major", "minor", "patch"];
const isWildcardAll = (p: string) => p === "*" || p === "**" || p === "/.*/" || p === "/.+/" || p === ".*" || p === ".+" || p === "/^.*$/";

type RuleReading = { kind: "none" } | { kind: "subset" } | { kind: "disable"; managers: string[] | null; files: string[] | null } | { kind: "unresolved"; reason: string };

/** Matcher names Renovate has renamed; it migrates the old ones, so they still match. */
const LEGACY_MATCHERS: Record<string, string> = {
  packageNames: "matchPackageNames",
  packagePatterns: "matchPackagePatterns",
  packagePrefixes: "matchPackagePrefixes",
  excludePackageNames: "excludePackageNames",
  depTypeList: "matchDepTypes",
  paths: "matchPaths",
  managers: "matchManagers",
  datasources: "matchDatasources",
  languages: "matchCategories",
  updateTypes: "matchUpdateTypes",
  baseBranchList: "matchBaseBranches",
  sourceUrlPrefixes: "matchSourceUrls",
};

/** Pure: what one `enabled: false` package rule switches off. */
function readDisablingRule(raw: Record<string, unknown>, index: number): RuleReading {
  const rule = Object.fromEntries(Object.entries(raw).map(([k, v]) => [LEGACY_MATCHERS[k] ?? k, v]));
  const list = (key: string): string[] | undefined => (Array.isArray(rule[key]) ? (rule[key] as unknown[]).filter((v): v is string => typeof v === "string") : undefined);
  const where = `packageRules[${index}]`;
  const managers = list("matchManagers");
  const files = list("matchFileNames") ?? list("matchPaths");
  const packages = [...(list("matchPackageNames") ?? []), ...(list("matchPackagePatterns") ?? []), ...(list("matchDepNames") ?? []), ...(list("matchDepPatterns") ?? []), ...(list("matchPackagePrefixes") ?? [])];
  const hasPackages = ["matchPackageNames", "matchPackagePatterns", "matchDepNames", "matchDepPatterns", "matchPackagePrefixes"].some((k) => k in rule);
  const excludes = Object.keys(rule).some((k) => k.startsWith("exclude"));
  const updateTypes = list("matchUpdateTypes");
  if (managers?.some((m) => m.startsWith("!")) || files?.some((f) => f.startsWith("!"))) return { kind: "unresolved", reason: `${where} negates a manager or file, which is not modelled` };
  if (hasPackages) {
    const positive = packages.filter((p) => !p.startsWith("!"));
    if (!positive.some(isWildcardAll)) return { kind: "subset" };
    if (excludes || packages.some((p) => p.startsWith("!"))) return { kind: "unresolved", reason: `${where} switches off every package but some` };
  }
  if (updateTypes && !ALL_UPDATE_TYPES.every((t) => updateTypes.includes(t))) return { kind: "subset" };
  if (SUBSET_MATCHERS.some((k) => k in rule)) return { kind: "subset" };
  if ("matchDatasources" in rule || "matchCategories" in rule) return { kind: "unresolved", reason: `${where} switches off every update of some datasources or categories, which is not mapped to ecosystems` };
  const known = new Set(["matchManagers", "matchFileNames", "matchPaths", "matchPackageNames", "matchPackagePatterns", "matchDepNames", "matchDepPatterns", "matchPackagePrefixes", "matchUpdateTypes"]);
  const unknownMatcher = Object.keys(rule).find((k) => (k.startsWith("match") || k.startsWith("exclude")) && !known.has(k));
  if (unknownMatcher) return { kind: "unresolved", reason: `${where} uses ${unknownMatcher}, which is not modelled` };
  return { kind: "disable", managers: managers ?? null, files: files ?? null };
}

/** Known Renovate manager names, whose top-level `{ enabled: false }` switches the manager off. */
const MANAGER_KEYS = new Set(["npm", "bun", "gomod", "cargo", "pip_requirements", "pip-compile", "pip_setup", "pipenv", "poetry", "pep621", "setup-cfg", "bundler", "maven", "gradle", "composer", "nuget", "github-actions", "dockerfile", "docker-compose", "circleci", "helm-values", "helmv3", "terraform", "pre-commit"]);

/** Pure: the parts of a Renovate configuration object claimcheck judges. */
export function readRenovateObject(value: unknown): RenovateConfig {
  const parsed = renovateSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: issues(parsed.error) };
  const c = parsed.data;
  const unresolved: string[] = [];
  let enabled: boolean | undefined;
  let presetIgnore: string[] | undefined;
  const disabledManagers: string[] = [];
  const disabledFiles: RenovateRules["disabledFiles"] = [];
  // Presets apply in order, each over the one before; the file's own settings apply over them all.
  for (const preset of c.extends ?? []) {
    const effect = presetEffect(preset);
    if (effect.unresolved) unresolved.push(effect.unresolved);
    if (effect.enabled !== undefined) enabled = effect.enabled;
    if (effect.ignorePaths) presetIgnore = effect.ignorePaths;
    if (effect.disableManagers) disabledManagers.push(...effect.disableManagers);
    if (effect.disableAll) disabledFiles.push({ managers: null, files: ["**"] });
  }
  if (c.enabled !== undefined) enabled = c.enabled;
  for (const [key, setting] of Object.entries(c)) {
    if (MANAGER_KEYS.has(key) && typeof setting === "object" && setting !== null && (setting as { enabled?: unknown }).enabled === false) disabledManagers.push(key);
  }
  let disabling = false;
  for (const [index, rule] of (c.packageRules ?? []).entries()) {
    if (rule.enabled === true && disabling) unresolved.push(`packageRules[${index}] switches updates back on after an earlier rule switched them off, which is not modelled`);
    if (rule.enabled !== false) continue;
    const reading = readDisablingRule(rule, index);
    if (reading.kind === "unresolved") unresolved.push(reading.reason);
    if (reading.kind !== "disable") continue;
    disabling = true;
    if (reading.files === null && reading.managers !== null) disabledManagers.push(...reading.managers);
    else disabledFiles.push({ managers: reading.managers, files: reading.files ?? ["**"] });
  }
  // Presets named like ":automergeMinor" or "automergeAll" turn automerge on; ":automergeDisabled" turns it off.
  const presetAutomerge = (c.extends ?? []).some((p) => /automerge(?!Disabled)/i.test(p));
  const ruleAutomerge = (c.packageRules ?? []).some((r) => r.automerge === true);
  // Renovate reads an empty enabledManagers as "every manager".
  const enabledManagers = c.enabledManagers && c.enabledManagers.length > 0 ? c.enabledManagers : null;
  return {
    ok: true,
    enabled: enabled !== false,
    managers: unresolved.length > 0 ? undefined : enabledManagers,
    automerge: c.automerge === true || presetAutomerge || ruleAutomerge,
    rules: { ignorePaths: c.ignorePaths ?? presetIgnore ?? RENOVATE_DEFAULT_IGNORE, includePaths: c.includePaths && c.includePaths.length > 0 ? c.includePaths : null, disabledManagers: [...new Set(disabledManagers)], disabledFiles },
    unresolved,
  };
}

/**
 * Pure: a Renovate configuration file's text, parsed as Renovate parses it: `.json5` files with a
 * JSON5 parser, every other file as strict JSON without duplicate keys.
 */
export function parseRenovateFile(path: string, text: string): RenovateConfig {
  const parsed = parseJsonish(text, path.endsWith(".json5"));
  return parsed.ok ? readRenovateObject(parsed.value) : { ok: false, error: parsed.error };
}

/** Pure: the `renovate` key of package.json, or null when it has none. */
export function renovateInPackageJson(text: string): RenovateConfig | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, "renovate")) return null;
  return readRenovateObject((value as { renovate: unknown }).renovate);
}

const repoPath = (path: string) => path.replace(/^\/+/, "");

/** Renovate's `ignorePaths` test: a part of the path, or a glob. */
export function renovateIgnores(pattern: string, path: string): boolean {
  const file = repoPath(path);
  return file.includes(pattern) || minimatch(file, pattern, { dot: true });
}

/** Renovate's `includePaths` and `matchFileNames` test: the path itself, or a glob. */
export function renovatePathMatches(pattern: string, path: string): boolean {
  const file = repoPath(path);
  return file === pattern || minimatch(file, pattern, { dot: true });
}

/**
 * Pure: whether Renovate would update the package file `path` with any of `managers` (the
 * ecosystem's). False when a setting in the file switches it off; null when the file alone cannot
 * tell; true otherwise.
 */
export function renovateCovers(config: { managers: string[] | null | undefined; rules?: RenovateRules | undefined }, managers: readonly string[], path: string): boolean | null {
  const rules = config.rules;
  const allowed = managers.filter((m) => (config.managers ?? null) === null || config.managers!.includes(m)).filter((m) => !rules?.disabledManagers.includes(m));
  if (allowed.length === 0) return false;
  if (rules) {
    if (rules.ignorePaths.some((p) => renovateIgnores(p, path))) return false;
    if (rules.includePaths && !rules.includePaths.some((p) => renovatePathMatches(p, path))) return false;
    const stillOn = allowed.filter((m) => !rules.disabledFiles.some((d) => (d.managers === null || d.managers.includes(m)) && d.files.some((p) => renovatePathMatches(p, path))));
    if (stillOn.length === 0) return false;
  }
  return config.managers === undefined ? null : true;
}

export type DependabotUpdate = { ecosystem: string; directories: string[]; versionUpdates: boolean; excludePaths?: string[] };
export type DependabotConfig = { ok: true; updates: DependabotUpdate[] } | { ok: false; error: string };

const anything = z.unknown().optional();
/**
 * GitHub's schema for dependabot.yml: Dependabot refuses a file with an unknown key, a missing
 * `schedule.interval` or both `directory` and `directories`, and then runs no version update at
 * all — so such a file is a problem, never coverage.
 */
/**
 * The `package-ecosystem` values GitHub documents. Dependabot refuses a file naming any other; one
 * GitHub adds later makes the file unknown here, never covered.
 */
export const DEPENDABOT_ECOSYSTEMS = [
  "bazel", "bun", "bundler", "cargo", "composer", "conda", "devcontainers", "docker", "docker-compose", "dotnet-sdk", "elm", "gitsubmodule", "github-actions", "gomod", "gradle", "helm", "julia", "maven", "mix", "npm", "nuget", "opentofu", "pip", "pre-commit", "pub", "rust-toolchain", "swift", "terraform", "uv", "vcpkg",
] as const;

const updateSchema = z
  .strictObject({
    "package-ecosystem": z.enum(DEPENDABOT_ECOSYSTEMS, { error: (issue) => `"${String(issue.input)}" is not a package-ecosystem Dependabot knows` }),
    directory: z.string().optional(),
    directories: z.array(z.string()).min(1).optional(),
    schedule: z.looseObject({ interval: z.enum(["daily", "weekly", "monthly", "quarterly", "semiannually", "yearly", "cron"]) }),
    "open-pull-requests-limit": z.number().int().nonnegative().optional(),
    ignore: z.array(z.looseObject({ "dependency-name": z.string().optional(), "update-types": z.array(z.string()).optional() })).optional(),
    "exclude-paths": z.array(z.string()).optional(),
    allow: anything,
    assignees: anything,
    "commit-message": anything,
    cooldown: anything,
    groups: anything,
    "insecure-external-code-execution": anything,
    labels: anything,
    milestone: anything,
    "multi-ecosystem-group": anything,
    patterns: anything,
    "pull-request-branch-name": anything,
    "rebase-strategy": anything,
    registries: anything,
    reviewers: anything,
    "target-branch": anything,
    vendor: anything,
    "versioning-strategy": anything,
  })
  .refine((u) => (u.directory === undefined) !== (u.directories === undefined), { message: "set exactly one of directory and directories" });

const dependabotSchema = z.strictObject({
  version: z.literal(2),
  updates: z.array(updateSchema),
  registries: anything,
  "enable-beta-ecosystems": anything,
  "multi-ecosystem-groups": anything,
});

const ALL_SEMVER_UPDATES = ["version-update:semver-major", "version-update:semver-minor", "version-update:semver-patch"];

/** `ignore: [{ dependency-name: "*" }]` (for every update type) is the other documented way to keep security updates only. */
function ignoresEverything(ignore: { "dependency-name"?: string | undefined; "update-types"?: string[] | undefined }[] | undefined): boolean {
  return (ignore ?? []).some((rule) => rule["dependency-name"] === "*" && (rule["update-types"] === undefined || ALL_SEMVER_UPDATES.every((t) => rule["update-types"]!.includes(t))));
}

/**
 * Pure: a Dependabot configuration file. An entry with `open-pull-requests-limit: 0`, or one that
 * ignores every dependency, opens no version-update pull request (GitHub documents both as ways
 * to keep security updates only). YAML merge keys (`<<: *defaults`) are followed, as GitHub does.
 */
export function parseDependabot(text: string): DependabotConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { merge: true });
  } catch (e) {
    return { ok: false, error: `not valid YAML: ${message(e)}` };
  }
  const parsed = dependabotSchema.safeParse(doc);
  if (!parsed.success) {
    const described = parsed.error.issues.map((i) => (i.code === "unrecognized_keys" ? `${[...i.path, ...i.keys].join(".")}: unknown key` : `${i.path.join(".") || "(top level)"}: ${i.message}`));
    return { ok: false, error: `Dependabot would refuse it: ${described.join("; ")}` };
  }
  return {
    ok: true,
    updates: parsed.data.updates.map((u) => ({
      ecosystem: u["package-ecosystem"],
      directories: (u.directories ?? (u.directory !== undefined ? [u.directory] : [])).map(normaliseDir),
      versionUpdates: u["open-pull-requests-limit"] !== 0 && !ignoresEverything(u.ignore),
      ...(u["exclude-paths"] ? { excludePaths: u["exclude-paths"] } : {}),
    })),
  };
}

/** Whether an entry's `exclude-paths` leaves out the manifest at `path` (globs from the entry's directory, or from the root). */
export function dependabotExcludes(update: DependabotUpdate, path: string): boolean {
  const file = path.replace(/^\/+/, "");
  return (update.excludePaths ?? []).some((p) => {
    const pattern = p.replace(/^\.?\/+/, "");
    return minimatch(file, pattern, { dot: true }) || update.directories.some((d) => minimatch(file, `${d.replace(/^\/+/, "")}/${pattern}`.replace(/^\//, ""), { dot: true }));
  });
}

/** Directories as Dependabot writes them: from the repository root, with a leading slash. */
export function normaliseDir(dir: string): string {
  const trimmed = dir.trim().replace(/^\.?\/*/, "").replace(/\/+$/, "");
  return `/${trimmed}`;
}

/** Whether a Dependabot `directory`/`directories` entry (`*` and `**` globs allowed) names `dir`. */
export function dirMatches(pattern: string, dir: string): boolean {
  const p = normaliseDir(pattern);
  const d = normaliseDir(dir);
  if (!p.includes("*")) return p === d;
  const regex = p
    .split(/(\*\*\/?|\*)/)
    .map((part) => (part.startsWith("**") ? "(?:.*/)?" + (part.endsWith("/") ? "" : ".*") : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${regex}$`).test(d);
}
