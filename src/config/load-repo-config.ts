import { parseDocument } from "yaml";
import { z } from "zod";
import { explainReadFailure, type GitHubClient } from "../github/client.js";
import type { RunConfigCache } from "./config-cache.js";
import { OWN_FILES_PER_QUERY, readOwnConfigFiles, type OwnFileAnswer } from "./own-config-files.js";
import { DEFAULT_CONFIG, parseRepoConfig, type ConfigOutcome, type ConfigProblem } from "./repo-config.js";

export const CONFIG_PATH = ".github/claimcheck.yml";
/** The repository GitHub treats as an organisation's defaults, and where its claimcheck.yml lives. */
export const ORG_CONFIG_REPO = ".github";

type ConfigFile = { owner: string; repo: string; path: string; config: Record<string, unknown> | null };
/** Probot's configuration reader, still used by callers outside this module for the organisation's file. */
export type ConfigReader = {
  config: {
    get(options: { owner: string; repo: string; path: string; defaults?: (configs: Record<string, unknown>[]) => Record<string, unknown> }): Promise<{
      config: Record<string, unknown>;
      files: ConfigFile[];
    }>;
  };
};

/** Keys that reach an object's prototype when assigned: never a setting, and never merged. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Far more than any real configuration needs; a larger file is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** More files than any real chain needs; past it the chain is a problem, not a loop. */
export const MAX_EXTENDS_DEPTH = 5;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Later (more specific) files win key by key; lists are replaced, not concatenated. Prototype keys are dropped, whatever called this. */
export function mergeConfigs(configs: Record<string, unknown>[]): Record<string, unknown> {
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of [...Object.entries(base), ...Object.entries(over)]) {
      if (FORBIDDEN_KEYS.has(key)) continue;
      const prior = Object.hasOwn(out, key) ? out[key] : undefined;
      const merged = isPlainObject(value) ? merge(isPlainObject(prior) ? prior : {}, value) : Array.isArray(value) ? value.map((v) => (isPlainObject(v) ? merge({}, v) : v)) : value;
      // defineProperty, not assignment: an own data property whatever the key is called.
      Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  return configs.reduce(merge, {});
}

export type ConfigLocation = { owner: string; repo: string; path: string };
const describeLocation = (l: ConfigLocation) => `${l.owner}/${l.repo}:${l.path}`;

/** GitHub's repository-name characters; "." and ".." are not names but path steps. */
const REPO_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** GitHub's login rules: alphanumerics and single inner hyphens, at most 39 characters. */
const OWNER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

function repoNameProblem(name: string): string | null {
  if (!REPO_NAME.test(name)) return `"${name}" is not a repository name (letters, digits, "-", "_" and "." only)`;
  if (name === "." || name === "..") return `"${name}" is not a repository name`;
  return null;
}

function filePathProblem(path: string): string | null {
  if (path === "") return "the path after \":\" is empty";
  if (path.startsWith("/")) return `"${path}" must be relative to the repository root, without a leading "/"`;
  if (path.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) return `"${path}" must not contain empty, "." or ".." steps`;
  if (!/^[\w./-]+$/.test(path)) return `"${path}" may use letters, digits, "-", "_", "." and "/" only`;
  if (!/\.ya?ml$/i.test(path)) return `"${path}" must be a YAML file (.yml or .yaml)`;
  return null;
}

/**
 * Pure: where `_extends` points, or why it cannot be followed. Only a repository of the same
 * organisation is read (`repo` or `repo:path`; `owner/repo` is accepted when the owner is this
 * organisation): the installation's token must not be used to read another owner's files, and
 * a value that is not a plain repository name never becomes a request.
 */
export function parseExtends(value: unknown, owner: string): { ok: true; location: ConfigLocation } | { ok: false; message: string } {
  const usage = 'name a repository of this organisation as "repo" or "repo:path/to/file.yml"';
  if (typeof value !== "string") return { ok: false, message: `must be a string; ${usage}` };
  const text = value.trim();
  const colon = text.indexOf(":");
  const target = colon < 0 ? text : text.slice(0, colon);
  const path = colon < 0 ? CONFIG_PATH : text.slice(colon + 1);
  const parts = target.split("/");
  if (parts.length > 2) return { ok: false, message: `"${value}" is not a repository; ${usage}` };
  const [first, second] = parts as [string, string | undefined];
  if (second !== undefined) {
    if (!OWNER_NAME.test(first)) return { ok: false, message: `"${first}" is not a GitHub account name; ${usage}` };
    if (first.toLowerCase() !== owner.toLowerCase()) return { ok: false, message: `"${value}" names a repository of ${first}, not of ${owner}: configuration is read only from this organisation's repositories; ${usage}` };
  }
  const repo = second ?? first;
  const repoProblem = repoNameProblem(repo);
  if (repoProblem) return { ok: false, message: `${repoProblem}; ${usage}` };
  const pathProblem = filePathProblem(path);
  if (pathProblem) return { ok: false, message: `${pathProblem}; ${usage}` };
  return { ok: true, location: { owner, repo, path } };
}

type Checked = { ok: true; value: Record<string, unknown> } | { ok: false; problems: ConfigProblem[] };

/**
 * Pure: a file's text as settings. The top level must be a mapping (an empty file is none), keys
 * are strings, and no key anywhere may be one that reaches a prototype.
 */
export function readConfigText(text: string, file: string): Checked {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return { ok: false, problems: [{ path: "(file)", message: `${file} is invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}` }] };
  let raw: unknown;
  try {
    // Maps first: a key stays a key, whatever it is called, until it has been checked.
    raw = doc.toJS({ mapAsMap: true });
  } catch (error) {
    return { ok: false, problems: [{ path: "(file)", message: `${file} could not be read as YAML: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  if (raw === null || raw === undefined) return { ok: true, value: {} };
  if (!(raw instanceof Map)) {
    const what = Array.isArray(raw) ? "a list" : `a ${typeof raw} (${JSON.stringify(raw)})`;
    return { ok: false, problems: [{ path: "(top level)", message: `${file}: the top level must be a mapping of settings, not ${what}` }] };
  }
  const problems: ConfigProblem[] = [];
  const toObject = (value: unknown, at: string[]): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => toObject(v, [...at, `[${i}]`]));
    if (!(value instanceof Map)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of value) {
      const where = [...at, String(key)].join(".").replace(/\.\[/g, "[");
      if (typeof key !== "string") problems.push({ path: where, message: `${file}: keys must be strings` });
      else if (FORBIDDEN_KEYS.has(key)) problems.push({ path: where, message: `${file}: "${key}" is not a setting and is not accepted` });
      else Object.defineProperty(out, key, { value: toObject(inner, [...at, key]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const value = toObject(raw, []) as Record<string, unknown>;
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

type FileOutcome = { kind: "absent" } | { kind: "found"; value: Record<string, unknown> } | { kind: "problem"; problems: ConfigProblem[]; transient?: boolean };

/** One configuration file, read and checked (never throws: a failed read is a problem). */
export async function readConfigFile(client: GitHubClient, at: ConfigLocation): Promise<FileOutcome> {
  const name = describeLocation(at);
  try {
    const { status, data } = await client.rest("GET /repos/{owner}/{repo}/contents/{path}", { ...at, mediaType: { format: "raw" } }, z.string(), { expect: [404] });
    if (status === 404 || data === null) return { kind: "absent" };
    if (data.length > MAX_CONFIG_BYTES) return { kind: "problem", problems: [{ path: "(file)", message: `${name} is ${data.length} bytes; a configuration file may be at most ${MAX_CONFIG_BYTES}` }] };
    const checked = readConfigText(data, name);
    return checked.ok ? { kind: "found", value: checked.value } : { kind: "problem", problems: checked.problems };
  } catch (error) {
    // A directory or submodule answers with JSON, not the raw text.
    return { kind: "problem", transient: true, problems: [{ path: "(file)", message: `${name} could not be read: ${explainReadFailure(error, "the 'Contents: read' repository permission")}` }] };
  }
}

/** Pure: what `readConfigFile` gives for GraphQL's answer; null when only the REST read can say. */
export function fileFromGraphql(answer: OwnFileAnswer, name: string): FileOutcome | null {
  if (answer.kind === "ask") return null;
  if (answer.kind === "absent") return { kind: "absent" };
  if (answer.byteSize > MAX_CONFIG_BYTES) return { kind: "problem", problems: [{ path: "(file)", message: `${name} is ${answer.byteSize} bytes; a configuration file may be at most ${MAX_CONFIG_BYTES}` }] };
  const checked = readConfigText(answer.text, name);
  return checked.ok ? { kind: "found", value: checked.value } : { kind: "problem", problems: checked.problems };
}

/**
 * The repository's own file: within a run that announced it, from one GraphQL read of the run's
 * next repositories (own-config-files.ts); otherwise, or when GraphQL cannot say, through REST.
 */
async function readOwnFile(client: GitHubClient, own: ConfigLocation, shared: RunConfigCache | undefined): Promise<FileOutcome> {
  const batch = shared?.fromBatch(own.owner, own.repo, OWN_FILES_PER_QUERY, (names) => readOwnConfigFiles(client, own.owner, names, own.path));
  const answer = batch ? await batch : undefined;
  return (answer && fileFromGraphql(answer, describeLocation(own))) ?? readConfigFile(client, own);
}

/**
 * Reads `.github/claimcheck.yml` as Probot apps do — the repository's own file, else the
 * organisation's `.github` repository — following `_extends` through this organisation's
 * repositories. Each `_extends` is checked before anything is requested for it, and one that
 * names a file that cannot be read is a problem: otherwise the file's own settings would apply
 * without the defaults its author built them on. Any problem means the defaults are used and the
 * check run names the problem. `sharedClient` reads (and counts) the files `shared` keeps for
 * more than this repository.
 */
export async function loadRepoConfig(client: GitHubClient, owner: string, repo: string, shared?: RunConfigCache, sharedClient: GitHubClient = client): Promise<ConfigOutcome> {
  let keptAt: number | undefined;
  const outcome = await loadChain(client, owner, repo, shared, sharedClient, (at) => {
    keptAt = Math.min(at, keptAt ?? at);
  });
  return keptAt === undefined ? outcome : { ...outcome, sharedReadAt: new Date(keptAt).toISOString() };
}

async function loadChain(client: GitHubClient, owner: string, repo: string, shared: RunConfigCache | undefined, sharedClient: GitHubClient, kept: (at: number) => void): Promise<ConfigOutcome> {
  const own: ConfigLocation = { owner, repo, path: CONFIG_PATH };
  // Files of other repositories (the organisation's, what `_extends` names) are the same for every
  // repository of a run: read once when the run shares them, and counted against the first.
  const isShared = (location: ConfigLocation) => location !== own || repo.toLowerCase() === ORG_CONFIG_REPO;
  const read = (location: ConfigLocation) =>
    shared && isShared(location)
      ? shared.shared(describeLocation(location).toLowerCase(), () => readConfigFile(sharedClient, location), kept)
      : location === own
        ? readOwnFile(client, own, shared)
        : readConfigFile(client, location);
  let at = own;
  let file = await read(own);
  if (file.kind === "absent" && repo.toLowerCase() !== ORG_CONFIG_REPO) {
    at = { owner, repo: ORG_CONFIG_REPO, path: CONFIG_PATH };
    file = await read(at);
  }
  const configs: Record<string, unknown>[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  for (;;) {
    const name = describeLocation(at);
    if (file.kind === "absent") {
      if (configs.length === 0) return parseRepoConfig({}, []);
      return failure(files, name, [{ path: "_extends", message: `${files.at(-1)} extends ${name}, which does not exist or cannot be seen by the app` }]);
    }
    files.push(name);
    seen.add(name.toLowerCase());
    if (file.kind === "problem") return failure(files, name, file.problems);
    const { _extends: extendsValue, ...settings } = file.value;
    configs.push(settings);
    if (extendsValue === undefined) break;
    const target = parseExtends(extendsValue, owner);
    if (!target.ok) return failure(files, name, [{ path: "_extends", message: `${name}: ${target.message}` }]);
    at = target.location;
    if (seen.has(describeLocation(at).toLowerCase())) return failure(files, name, [{ path: "_extends", message: `${name} extends ${describeLocation(at)}, which is already part of the chain (a loop)` }]);
    if (configs.length >= MAX_EXTENDS_DEPTH) return failure(files, name, [{ path: "_extends", message: `more than ${MAX_EXTENDS_DEPTH} files are chained with _extends; shorten the chain` }]);
    file = await read(at);
  }
  // The first file read is the most specific, so it is merged last.
  return parseRepoConfig(mergeConfigs([...configs].reverse()), files);
}

function failure(files: string[], current: string, problems: ConfigProblem[]): ConfigOutcome {
  return { ok: false, config: DEFAULT_CONFIG, files: files.includes(current) ? files : [...files, current], problems };
}
