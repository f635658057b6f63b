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

/** `managers`: `enabledManagers`, null for Renovate's default (every manager), undefined when the file alone cannot tell. */
export type RenovateConfig = { ok: true; enabled: boolean; managers: string[] | null | undefined; automerge: boolean } | { ok: false; error: string };

const message = (e: unknown) => (e instanceof Error ? e.message.split("\n")[0]! : String(e));

/** Removes JSON5 comments outside strings, so what remains parses as YAML flow (JSON5's other additions are valid there). */
function stripComments(text: string): string {
  let out = "";
  let quote: string | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quote) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i += 1;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
      out += " ";
    } else out += c;
  }
  return out;
}

function parseJsonish(text: string, json5: boolean): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (jsonError) {
    if (!json5) return { ok: false, error: `not valid JSON: ${message(jsonError)}` };
  }
  try {
    return { ok: true, value: parseYaml(stripComments(text)) as unknown };
  } catch (e) {
    return { ok: false, error: `not valid JSON5: ${message(e)}` };
  }
}

const packageRule = z.looseObject({ automerge: z.unknown().optional(), enabled: z.unknown().optional() });
const renovateSchema = z.looseObject({
  enabled: z.boolean().optional(),
  enabledManagers: z.array(z.string()).optional(),
  automerge: z.boolean().optional(),
  extends: z.array(z.string()).optional(),
  packageRules: z.array(packageRule).optional(),
  ignorePaths: z.array(z.string()).optional(),
  includePaths: z.array(z.string()).optional(),
});

/** A preset of the organisation's own (`local>`, `github>`, `org/repo`…), whose settings are not in this file. */
const isSharedPreset = (preset: string) => preset.includes(">") || (preset.includes("/") && !preset.startsWith(":"));

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ");

/** Pure: the parts of a Renovate configuration object claimcheck judges. */
export function readRenovateObject(value: unknown): RenovateConfig {
  const parsed = renovateSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: issues(parsed.error) };
  const c = parsed.data;
  // Presets named like ":automergeMinor" or "automergeAll" turn automerge on; ":automergeDisabled" turns it off.
  const presetAutomerge = (c.extends ?? []).some((p) => /automerge(?!Disabled)/i.test(p));
  const ruleAutomerge = (c.packageRules ?? []).some((r) => r.automerge === true);
  // What is updated cannot be read from this file when a shared preset, path filters or rules
  // that switch updates off may narrow Renovate's default of "every manager, everywhere".
  const narrowedElsewhere = (c.extends ?? []).some(isSharedPreset) || c.ignorePaths !== undefined || c.includePaths !== undefined || (c.packageRules ?? []).some((r) => r.enabled === false);
  const managers = c.enabledManagers ?? (narrowedElsewhere ? undefined : null);
  return { ok: true, enabled: c.enabled !== false, managers, automerge: c.automerge === true || presetAutomerge || ruleAutomerge };
}

/** Pure: a Renovate configuration file's text. JSON files are strict JSON; `.json5` files may use JSON5. */
export function parseRenovateFile(path: string, text: string): RenovateConfig {
  const parsed = parseJsonish(text, path.endsWith(".json5"));
  return parsed.ok ? readRenovateObject(parsed.value) : { ok: false, error: parsed.error };
}

/** Pure: the `renovate` key of package.json, or null when it has none. */
export function renovateInPackageJson(text: string): RenovateConfig | null {
  const parsed = parseJsonish(text, false);
  if (!parsed.ok) return null;
  const value = parsed.value;
  if (typeof value !== "object" || value === null || !("renovate" in value)) return null;
  return readRenovateObject((value as { renovate: unknown }).renovate);
}

export type DependabotUpdate = { ecosystem: string; directories: string[]; versionUpdates: boolean };
export type DependabotConfig = { ok: true; updates: DependabotUpdate[] } | { ok: false; error: string };

const dependabotSchema = z.looseObject({
  version: z.literal(2),
  updates: z.array(
    z.looseObject({
      "package-ecosystem": z.string(),
      directory: z.string().optional(),
      directories: z.array(z.string()).optional(),
      "open-pull-requests-limit": z.number().int().nonnegative().optional(),
      ignore: z.array(z.looseObject({ "dependency-name": z.string().optional(), "update-types": z.array(z.string()).optional() })).optional(),
    }),
  ),
});

const ALL_SEMVER_UPDATES = ["version-update:semver-major", "version-update:semver-minor", "version-update:semver-patch"];

/** `ignore: [{ dependency-name: "*" }]` (for every update type) is the other documented way to keep security updates only. */
function ignoresEverything(ignore: { "dependency-name"?: string | undefined; "update-types"?: string[] | undefined }[] | undefined): boolean {
  return (ignore ?? []).some((rule) => rule["dependency-name"] === "*" && (rule["update-types"] === undefined || ALL_SEMVER_UPDATES.every((t) => rule["update-types"]!.includes(t))));
}

/**
 * Pure: a Dependabot configuration file. An entry with `open-pull-requests-limit: 0`, or one that
 * ignores every dependency, opens no version-update pull request (GitHub documents both as ways
 * to keep security updates only).
 */
export function parseDependabot(text: string): DependabotConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return { ok: false, error: `not valid YAML: ${message(e)}` };
  }
  const parsed = dependabotSchema.safeParse(doc);
  if (!parsed.success) return { ok: false, error: issues(parsed.error) };
  return {
    ok: true,
    updates: parsed.data.updates.map((u) => ({
      ecosystem: u["package-ecosystem"],
      directories: (u.directories ?? (u.directory !== undefined ? [u.directory] : [])).map(normaliseDir),
      versionUpdates: u["open-pull-requests-limit"] !== 0 && !ignoresEverything(u.ignore),
    })),
  };
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
