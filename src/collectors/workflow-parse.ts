import { parseDocument } from "yaml";
import type { TriggerFilters } from "./workflow-filters.js";

/*
 * One GitHub Actions workflow file, reduced to what the checks judge: its triggers, its
 * `permissions:` blocks, and for each job the actions it uses and the shell commands it runs.
 * Nothing here throws on a bad file: a file GitHub could not run either comes back as an error
 * that the report names.
 */

/** How a `permissions:` key limits the token: not at all (absent or `write-all`), or somehow. */
export type Permissions = "absent" | "write-all" | "restricted";

/** An `if:` as written: YAML may give a boolean or a number as well as an expression. */
export type Condition = string | boolean | number | null;

export type Step = { uses: string | null; run: string | null; with: Record<string, string>; env: Record<string, string>; if?: Condition; id?: string | null };
export type Job = {
  id: string;
  permissions: Permissions;
  /** Whether the job's own `permissions:` grants any write scope: null when it has none of its own. */
  writes?: boolean | null;
  uses: string | null;
  env: Record<string, string>;
  steps: Step[];
  if?: Condition;
  needs?: string[];
  /** Inputs passed to a called workflow (`with:`). */
  with?: Record<string, string>;
  /** Whether the job names a secret anywhere (`secrets.X`, `secrets: inherit`). */
  usesSecrets?: boolean;
};
export type Workflow = {
  events: string[];
  crons: string[];
  permissions: Permissions;
  /** Whether the workflow's `permissions:` grants any write scope: null when it has none. */
  writes?: boolean | null;
  env: Record<string, string>;
  jobs: Job[];
  /** The filters of each trigger that has any (`branches`, `paths`, `types`…). */
  triggers?: Record<string, TriggerFilters>;
  /** Whether the workflow-level `env:` names a secret (every job then holds it). */
  envSecrets?: boolean;
};
export type ParseResult = { ok: true; workflow: Workflow } | { ok: false; error: string };

type Dict = Record<string, unknown>;
const isDict = (value: unknown): value is Dict => typeof value === "object" && value !== null && !Array.isArray(value);

/** Scalars as GitHub sees them in `with:`/`env:` (`true`, `3`); anything structured is dropped. */
function scalar(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

function scalars(value: unknown): Record<string, string> {
  if (!isDict(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    const s = scalar(v);
    if (s !== null) out[key] = s;
  }
  return out;
}

function permissionsOf(node: Dict): Permissions {
  if (!Object.hasOwn(node, "permissions")) return "absent";
  const value = node.permissions;
  // `write-all` is a declaration that restricts nothing; every other form narrows the token.
  return value === "write-all" ? "write-all" : "restricted";
}

/** Whether a `permissions:` value grants any write scope (`id-token: write` mints a credential too). */
function writesOf(node: Dict): boolean | null {
  if (!Object.hasOwn(node, "permissions")) return null;
  const value = node.permissions;
  if (value === "write-all") return true;
  if (value === "read-all" || value === null) return false;
  if (isDict(value)) return Object.values(value).some((v) => v === "write");
  // Anything else is not a form GitHub documents; it is not taken as read-only.
  return true;
}

const SECRET_REFERENCE = /\bsecrets\s*(\.|\[)|toJSON\(\s*secrets\s*\)/i;
const mentionsSecrets = (value: unknown) => value !== undefined && SECRET_REFERENCE.test(JSON.stringify(value) ?? "");

const stringList = (value: unknown): string[] | null => {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === "string" ? [v] : typeof v === "number" ? [String(v)] : []));
  return null;
};

/** The filters of each trigger given as a mapping (`on: { pull_request: { branches: [main] } }`). */
function triggersOf(on: unknown): Record<string, TriggerFilters> {
  if (!isDict(on)) return {};
  const out: Record<string, TriggerFilters> = {};
  for (const [event, body] of Object.entries(on)) {
    if (!isDict(body)) continue;
    out[event] = {
      branches: stringList(body.branches),
      branchesIgnore: stringList(body["branches-ignore"]),
      paths: stringList(body.paths),
      pathsIgnore: stringList(body["paths-ignore"]),
      types: stringList(body.types),
    };
  }
  return out;
}

/** GitHub refuses YAML merge keys (`<<`): a workflow using one does not run. */
function hasMergeKey(value: unknown, depth = 0): boolean {
  if (depth > 50) return false;
  if (Array.isArray(value)) return value.some((v) => hasMergeKey(v, depth + 1));
  if (!isDict(value)) return false;
  return Object.entries(value).some(([k, v]) => k === "<<" || hasMergeKey(v, depth + 1));
}

const conditionOf = (value: unknown): Condition => (typeof value === "string" || typeof value === "boolean" || typeof value === "number" ? value : null);

function eventsOf(on: unknown): { events: string[]; crons: string[] } {
  if (typeof on === "string") return { events: [on], crons: [] };
  if (Array.isArray(on)) return { events: on.filter((e): e is string => typeof e === "string"), crons: [] };
  if (!isDict(on)) return { events: [], crons: [] };
  const schedule = on.schedule;
  // GitHub runs a schedule only from `cron:` entries; a bare `schedule` key never fires.
  const crons = Array.isArray(schedule) ? schedule.flatMap((s) => (isDict(s) && typeof s.cron === "string" ? [s.cron] : [])) : [];
  return { events: Object.keys(on), crons };
}

function stepOf(value: unknown): Step | null {
  if (!isDict(value)) return null;
  return { uses: scalar(value.uses), run: scalar(value.run), with: scalars(value.with), env: scalars(value.env), if: conditionOf(value.if), id: scalar(value.id) };
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/:\s*$/, "").trim();
}

/** Pure: one workflow file's text to the parts the checks use, or why GitHub could not run it. */
export function parseWorkflow(text: string): ParseResult {
  let root: unknown;
  try {
    // Merge keys stay plain keys, so a file that uses them can be refused as GitHub refuses it.
    const doc = parseDocument(text, { merge: false });
    const error = doc.errors[0];
    if (error) return { ok: false, error: `not valid YAML: ${firstLine(error.message)}` };
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, error: `not valid YAML: ${firstLine(error instanceof Error ? error.message : String(error))}` };
  }
  if (!isDict(root)) return { ok: false, error: "not a YAML mapping" };
  if (hasMergeKey(root)) return { ok: false, error: "uses a YAML merge key (`<<`), which GitHub does not accept" };
  // A file that declares YAML 1.1 turns the `on` key into `true`; GitHub still reads it as `on`.
  const on = Object.hasOwn(root, "on") ? root.on : root.true;
  const { events, crons } = eventsOf(on);
  if (events.length === 0) return { ok: false, error: "no `on:` trigger" };
  if (!isDict(root.jobs) || Object.keys(root.jobs).length === 0) return { ok: false, error: "no `jobs:` mapping" };
  const jobs: Job[] = [];
  for (const [id, body] of Object.entries(root.jobs)) {
    if (!isDict(body)) return { ok: false, error: `job \`${id}\` is not a mapping` };
    const steps = Array.isArray(body.steps) ? body.steps.map(stepOf).filter((s): s is Step => s !== null) : [];
    jobs.push({
      id,
      permissions: permissionsOf(body),
      writes: writesOf(body),
      uses: scalar(body.uses),
      env: scalars(body.env),
      steps,
      if: conditionOf(body.if),
      needs: stringList(body.needs) ?? [],
      with: scalars(body.with),
      usesSecrets: body.secrets === "inherit" || isDict(body.secrets) || mentionsSecrets(body),
    });
  }
  return {
    ok: true,
    workflow: { events, crons, permissions: permissionsOf(root), writes: writesOf(root), env: scalars(root.env), jobs, triggers: triggersOf(on), envSecrets: mentionsSecrets(root.env) },
  };
}

/* ---------------------------------------------------------------------------------------------
 * `uses:` references
 */

const FULL_SHA = /^[0-9a-f]{40}$/i;
const DIGEST = /@sha256:[0-9a-f]{64}$/i;

/**
 * Whether a `uses:` reference names immutable content: a local path (it comes from the same
 * commit), a container image by digest, or an action or reusable workflow at a full commit SHA.
 * Tags and branches can be moved to other code after review, so they are not pinned.
 */
export function isPinned(uses: string): boolean {
  const ref = uses.trim();
  if (ref.startsWith("./")) return true;
  if (ref.startsWith("docker://")) return DIGEST.test(ref);
  const at = ref.lastIndexOf("@");
  return at > 0 && FULL_SHA.test(ref.slice(at + 1));
}

/** `owner/repo/path` of a reference, lower-cased and without its `@ref`, for matching by name. */
export function actionName(uses: string): string {
  const ref = uses.trim().toLowerCase();
  const at = ref.lastIndexOf("@");
  return at > 0 ? ref.slice(0, at) : ref;
}

export const isAction = (uses: string | null, name: string): boolean => {
  if (uses === null) return false;
  const found = actionName(uses);
  return found === name || found.startsWith(`${name}/`);
};

/* ---------------------------------------------------------------------------------------------
 * Shell commands of `run:` scripts
 */

export type Command = { env: Record<string, string>; argv: string[] };

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Splits a `run:` script into simple commands: separators (`;`, `&&`, `||`, `|`, `&`, newlines,
 * parentheses, backticks) end a command, quotes group words, comments and line continuations
 * are dropped. Not a shell, but enough to find `npm ci` in `cd web && npm ci --silent`.
 */
export function splitCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < script.length; i += 1) {
    const c = script[i]!;
    if (c === "\\" && script[i + 1] === "\n") {
      i += 1;
    } else if (c === "\\" && i + 1 < script.length) {
      word += script[i + 1];
      inWord = true;
      i += 1;
    } else if (c === "'" || c === '"') {
      const close = script.indexOf(c, i + 1);
      const end = close === -1 ? script.length : close;
      word += script.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === "#" && !inWord) {
      const eol = script.indexOf("\n", i);
      i = (eol === -1 ? script.length : eol) - 1;
    } else if (c === "\n" || c === ";" || c === "&" || c === "|" || c === "(" || c === ")" || c === "`") {
      endCommand();
    } else if (c === " " || c === "\t" || c === "\r") {
      endWord();
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

const PREFIXES = new Set(["sudo", "time", "exec", "command", "nohup", "then", "do", "else", "if", "elif", "while", "until", "!", "env"]);

/** The commands of a script with leading `NAME=value` assignments and wrappers (`sudo`, `then`) split off. */
export function commandsOf(script: string): Command[] {
  return splitCommands(script).flatMap((words) => {
    const env: Record<string, string> = {};
    let i = 0;
    for (; i < words.length; i += 1) {
      const w = words[i]!;
      if (ASSIGNMENT.test(w)) {
        const eq = w.indexOf("=");
        env[w.slice(0, eq)] = w.slice(eq + 1);
      } else if (!PREFIXES.has(w)) break;
    }
    const argv = words.slice(i);
    return argv.length > 0 ? [{ env, argv }] : [];
  });
}

const baseName = (word: string) => word.slice(word.replace(/\\/g, "/").lastIndexOf("/") + 1).replace(/\.(exe|cmd|bat)$/i, "");

/** Command names that are the same tool under another name. */
function canonicalTool(word: string): string {
  const name = baseName(word).toLowerCase();
  if (/^python(\d+(\.\d+)*)?$/.test(name) || name === "py") return "python";
  if (/^pip(\d+(\.\d+)*)?$/.test(name)) return "pip";
  if (name === "gradlew") return "gradle";
  if (name === "mvnw") return "mvn";
  if (name === "py.test") return "pytest";
  if (name === "bundler-audit") return "bundle-audit";
  return name;
}

const RUNNERS: Record<string, readonly string[]> = {
  bundle: ["exec"],
  uv: ["run"],
  poetry: ["run"],
  pipenv: ["run"],
  pdm: ["run"],
  hatch: ["run"],
  pnpm: ["exec", "dlx"],
  yarn: ["exec", "dlx"],
  npm: ["exec"],
};

/**
 * The command a wrapper finally runs: `bundle exec rspec` is rspec, `python -m pip` is pip,
 * `npx jest` is jest, `uv pip install` is pip install.
 */
export function effectiveArgv(argv: readonly string[]): string[] {
  let out = [canonicalTool(argv[0] ?? ""), ...argv.slice(1)];
  for (let guard = 0; guard < 4 && out.length > 1; guard += 1) {
    const [tool, next] = out as [string, string];
    const skipFlags = (from: number) => {
      let i = from;
      while (i < out.length && out[i]!.startsWith("-")) i += 1;
      return i;
    };
    let at: number | null = null;
    if (tool === "python" && next === "-m") at = 2;
    else if (tool === "uv" && next === "pip") at = 1;
    else if (["npx", "pnpx", "bunx", "uvx", "pipx"].includes(tool)) at = skipFlags(1);
    else if (RUNNERS[tool]?.includes(next)) at = skipFlags(2);
    if (at === null || at >= out.length) break;
    out = [canonicalTool(out[at]!), ...out.slice(at + 1)];
  }
  return out;
}

/** Flags of JavaScript package managers that take a value (so the value is not a script name). */
const JS_VALUE_FLAGS = new Set(["--prefix", "-C", "--cwd", "--dir", "--filter", "-F", "-w", "--workspace", "--loglevel", "--registry"]);

/** Positional words after the tool name, skipping flags and the values of flags known to take one. */
export function positionals(args: readonly string[], valueFlags: ReadonlySet<string> = JS_VALUE_FLAGS): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (a.startsWith("-")) {
      if (valueFlags.has(a)) i += 1;
    } else out.push(a);
  }
  return out;
}

export function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (a === flag) return args[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

export const flagged = (args: readonly string[], ...flags: string[]) => args.some((a) => flags.some((f) => a === f || a.startsWith(`${f}=`)));

const SCRIPT_TEST = /^test([:_-][\w:-]*)?$/i;

/** `yarn test`, `pnpm run test:unit`, `yarn workspace web test`, `yarn workspaces foreach run test`. */
function runsTestScript(pos: readonly string[]): boolean {
  if (pos[0] === "run") return SCRIPT_TEST.test(pos[1] ?? "");
  if (pos[0] === "workspace") return runsTestScript(pos.slice(2));
  if (pos[0] === "workspaces") return pos.slice(1).some((p) => SCRIPT_TEST.test(p));
  return SCRIPT_TEST.test(pos[0] ?? "");
}

const TESTISH = /^(tests?|specs?|check)([:_-][\w:-]*)?$|^[\w-]*[-_:](tests?|specs?)$/i;
/** Pure: whether a command runs a test suite (the list is documented in docs/claims/workflows.md). */
export function runsTests(command: Command): boolean {
  const [tool = "", ...args] = effectiveArgv(command.argv);
  const pos = positionals(args);
  switch (tool) {
    case "npm":
      return ["test", "t", "tst"].includes(pos[0] ?? "") || (["run", "run-script", "rum", "urn"].includes(pos[0] ?? "") && SCRIPT_TEST.test(pos[1] ?? ""));
    case "yarn":
    case "pnpm":
    case "bun":
      return runsTestScript(pos);
    case "pytest":
    case "unittest":
    case "tox":
    case "nox":
    case "rspec":
    case "ctest":
    case "phpunit":
    case "pest":
    case "jest":
    case "vitest":
    case "mocha":
    case "ava":
    case "jasmine":
    case "karma":
      return true;
    case "coverage":
      return pos[0] === "run";
    case "playwright":
    case "go":
    case "dotnet":
    case "swift":
    case "mix":
    case "flutter":
    case "dart":
    case "deno":
    case "rails":
    case "bazel":
    case "bazelisk":
    case "stack":
    case "cabal":
    case "lein":
      return pos[0] === "test";
    case "cargo":
      return pos[0] === "test" || pos[0] === "nextest";
    case "mvn":
      return !flagged(args, "-DskipTests", "-Dmaven.test.skip") && positionals(args, new Set(["-pl", "-P", "-f", "-s", "-T", "-rf"])).some((g) => /^(test|verify|integration-test)$/.test(g));
    case "gradle": {
      const tasks = positionals(args, new Set(["-x", "--exclude-task", "-p", "--project-dir", "-c", "-D", "-P"]));
      return tasks.some((t) => /(^|:)(test|check|\w*Test|\w*Check)$/.test(t));
    }
    case "rake":
    case "make":
    case "composer":
    case "sbt":
    case "zig":
      return positionals(args, new Set(["-C", "-f", "--file", "-d", "--directory"])).some((p) => TESTISH.test(p));
    case "turbo":
    case "nx":
      // Their targets come as positionals or as flag values (`nx run-many -t test`).
      return args.some((a) => TESTISH.test(a.replace(/^--?(t|target|targets)=/, "")));
    default:
      return false;
  }
}

/* ---------------------------------------------------------------------------------------------
 * Dependency review and vulnerability scanners
 */

/** Actions and reusable workflows that review dependency changes or scan dependencies for known vulnerabilities. */
export const DEPENDENCY_SCAN_ACTIONS = [
  "actions/dependency-review-action",
  "google/osv-scanner-action",
  "snyk/actions",
  "aquasecurity/trivy-action",
  "anchore/scan-action",
  "pypa/gh-action-pip-audit",
  "golang/govulncheck-action",
  "rustsec/audit-check",
  "actions-rs/audit-check",
  "embarkstudios/cargo-deny-action",
  "dependency-check/dependency-check_action",
] as const;

/** Trivy also scans configuration and secrets only; those modes are not dependency scans. */
function trivyScansDependencies(step: Step): boolean {
  const scanType = (step.with["scan-type"] ?? "").trim().toLowerCase();
  if (scanType === "config") return false;
  const scanners = step.with.scanners;
  return scanners === undefined || /\bvuln\b/i.test(scanners);
}

/** Pure: whether a `uses:` step is a dependency review or vulnerability scan. */
export function usesDependencyScan(step: Pick<Step, "uses" | "with">): boolean {
  if (step.uses === null) return false;
  if (isAction(step.uses, "aquasecurity/trivy-action")) return trivyScansDependencies({ uses: step.uses, run: null, with: step.with, env: {} });
  return DEPENDENCY_SCAN_ACTIONS.some((name) => isAction(step.uses, name));
}

/** Pure: whether a command scans dependencies for known vulnerabilities. */
export function runsDependencyScan(command: Command): boolean {
  const [tool = "", ...args] = effectiveArgv(command.argv);
  const pos = positionals(args);
  switch (tool) {
    case "npm":
    case "pnpm":
    case "bun":
      return pos[0] === "audit" && pos[1] !== "signatures";
    case "yarn":
      return pos[0] === "audit" || (pos[0] === "npm" && pos[1] === "audit");
    case "osv-scanner":
    case "grype":
    case "pip-audit":
    case "govulncheck":
    case "bundle-audit":
    case "audit-ci":
    case "dependency-check":
    case "dependency-check.sh":
      return true;
    case "snyk":
      return pos[0] === "test";
    case "trivy":
      return ["fs", "filesystem", "repo", "repository", "image", "rootfs", "sbom"].includes(pos[0] ?? "") && /\bvuln\b/.test(flagValue(args, "--scanners") ?? "vuln");
    case "safety":
      return pos[0] === "check" || pos[0] === "scan";
    case "cargo":
      return pos[0] === "audit" || (pos[0] === "deny" && pos[1] === "check" && (pos[2] === undefined || pos.slice(2).includes("advisories")));
    case "bundle":
      return pos[0] === "audit";
    case "composer":
      return pos[0] === "audit";
    case "dotnet":
      return pos[0] === "list" && flagged(args, "--vulnerable");
    default:
      return false;
  }
}
