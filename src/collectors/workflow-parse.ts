import { parseDocument } from "yaml";

/*
 * One GitHub Actions workflow file, reduced to what the checks judge: its triggers, its
 * `permissions:` blocks, and for each job the actions it uses and the shell commands it runs.
 * Nothing here throws on a bad file: a file GitHub could not run either comes back as an error
 * that the report names.
 */

/** How a `permissions:` key limits the token: not at all (absent or `write-all`), or somehow. */
export type Permissions = "absent" | "write-all" | "restricted";

export type Step = { uses: string | null; run: string | null; with: Record<string, string>; env: Record<string, string> };
export type Job = { id: string; permissions: Permissions; uses: string | null; env: Record<string, string>; steps: Step[] };
export type Workflow = { events: string[]; crons: string[]; permissions: Permissions; env: Record<string, string>; jobs: Job[] };
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
  return { uses: scalar(value.uses), run: scalar(value.run), with: scalars(value.with), env: scalars(value.env) };
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/:\s*$/, "").trim();
}

/** Pure: one workflow file's text to the parts the checks use, or why GitHub could not run it. */
export function parseWorkflow(text: string): ParseResult {
  let root: unknown;
  try {
    const doc = parseDocument(text);
    const error = doc.errors[0];
    if (error) return { ok: false, error: `not valid YAML: ${firstLine(error.message)}` };
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, error: `not valid YAML: ${firstLine(error instanceof Error ? error.message : String(error))}` };
  }
  if (!isDict(root)) return { ok: false, error: "not a YAML mapping" };
  // A file that declares YAML 1.1 turns the `on` key into `true`; GitHub still reads it as `on`.
  const on = Object.hasOwn(root, "on") ? root.on : root.true;
  const { events, crons } = eventsOf(on);
  if (events.length === 0) return { ok: false, error: "no `on:` trigger" };
  if (!isDict(root.jobs) || Object.keys(root.jobs).length === 0) return { ok: false, error: "no `jobs:` mapping" };
  const jobs: Job[] = [];
  for (const [id, body] of Object.entries(root.jobs)) {
    if (!isDict(body)) return { ok: false, error: `job \`${id}\` is not a mapping` };
    const steps = Array.isArray(body.steps) ? body.steps.map(stepOf).filter((s): s is Step => s !== null) : [];
    jobs.push({ id, permissions: permissionsOf(body), uses: scalar(body.uses), env: scalars(body.env), steps });
  }
  return { ok: true, workflow: { events, crons, permissions: permissionsOf(root), env: scalars(root.env), jobs } };
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

const isAction = (uses: string | null, name: string): boolean => {
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
function positionals(args: readonly string[], valueFlags: ReadonlySet<string> = JS_VALUE_FLAGS): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (a.startsWith("-")) {
      if (valueFlags.has(a)) i += 1;
    } else out.push(a);
  }
  return out;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (a === flag) return args[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

const flagged = (args: readonly string[], ...flags: string[]) => args.some((a) => flags.some((f) => a === f || a.startsWith(`${f}=`)));

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
 * Dependency installs
 */

export type InstallKind = "locked" | "afresh";

const truthy = (value: string | undefined) => value !== undefined && /^(true|1|yes)$/i.test(value.trim());

/** A project install takes no package names; `npm install typescript` installs a tool, not the project. */
const installsPackages = (pos: readonly string[]) => pos.length > 1;

/**
 * Pure: whether a command installs the project's dependencies, and if so whether it reads the
 * lockfile (`locked`) or may resolve versions afresh. Tool installs (`npm install -g x`,
 * `pip install pre-commit`) and commands whose behaviour depends on files not read here
 * (`cargo build` without `--locked`) are `null`: they neither help nor hurt.
 * `outer` is the environment of the step (workflow, job and step variables); the command's own
 * inline assignments override it.
 */
export function installKind(command: Command, outer: Readonly<Record<string, string>>, bundlerFrozen = false): InstallKind | null {
  const env: Readonly<Record<string, string>> = { ...outer, ...command.env };
  const [tool = "", ...args] = effectiveArgv(command.argv);
  const pos = positionals(args);
  const sub = pos[0];
  switch (tool) {
    case "npm":
      if (["ci", "clean-install", "ic", "install-clean", "isntall-clean"].includes(sub ?? "")) return "locked";
      if (["install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall"].includes(sub ?? "")) {
        return installsPackages(pos) || flagged(args, "-g", "--global") ? null : "afresh";
      }
      return null;
    case "yarn":
      if (sub !== undefined && sub !== "install") return null;
      if (flagged(args, "--version", "-v", "--help", "-h")) return null;
      return flagged(args, "--frozen-lockfile", "--immutable") || truthy(env.YARN_ENABLE_IMMUTABLE_INSTALLS) ? "locked" : "afresh";
    case "pnpm":
      if (sub !== "install" && sub !== "i") return null;
      if (installsPackages(pos) || flagged(args, "-g", "--global")) return null;
      // pnpm turns --frozen-lockfile on by itself when the CI variable is set, as on every Actions runner.
      return flagged(args, "--no-frozen-lockfile", "--frozen-lockfile=false") ? "afresh" : "locked";
    case "bun":
      if (sub === "ci") return "locked";
      if (sub !== "install" && sub !== "i") return null;
      if (installsPackages(pos) || flagged(args, "-g", "--global")) return null;
      return flagged(args, "--frozen-lockfile") ? "locked" : "afresh";
    case "pip": {
      if (sub !== "install") return null;
      if (flagged(args, "--require-hashes")) return "locked";
      const project = flagged(args, "-r", "--requirement", "-e", "--editable") || args.some((a) => /^-r\S/.test(a)) || pos.slice(1).some((p) => /^\.(\/|\[|$)/.test(p));
      return project ? "afresh" : null;
    }
    case "poetry":
      if (sub === "install" || sub === "sync") return "locked";
      return sub === "update" ? "afresh" : null;
    case "uv":
      if (sub !== "sync") return null;
      return flagged(args, "--locked", "--frozen") || truthy(env.UV_LOCKED) || truthy(env.UV_FROZEN) ? "locked" : "afresh";
    case "pipenv":
      if (sub === "sync") return "locked";
      if (sub !== "install" || installsPackages(pos)) return null;
      return flagged(args, "--deploy", "--ignore-pipfile") ? "locked" : "afresh";
    case "pdm":
      if (sub === "sync") return "locked";
      if (sub !== "install") return null;
      return flagged(args, "--frozen-lockfile", "--check") ? "locked" : "afresh";
    case "cargo":
      if (!["build", "test", "check", "run", "fetch", "clippy", "doc", "nextest", "bench"].includes(sub ?? "")) return null;
      return flagged(args, "--locked", "--frozen") ? "locked" : null;
    case "go": {
      const fetches = (sub === "mod" && pos[1] === "download") || sub === "build" || sub === "test";
      if (!fetches) return null;
      // Go checks every module against go.sum (and the checksum database) unless told to rewrite them.
      return flagged(args, "-mod=mod") || /-mod=mod\b/.test(env.GOFLAGS ?? "") ? "afresh" : "locked";
    }
    case "bundle":
      if (sub !== "install") return null;
      return flagged(args, "--frozen", "--deployment") || bundlerFrozen || truthy(env.BUNDLE_FROZEN) || truthy(env.BUNDLE_DEPLOYMENT) ? "locked" : "afresh";
    case "composer":
      if (sub === "install") return "locked";
      return sub === "update" ? "afresh" : null;
    case "dotnet":
      if (sub !== "restore") return null;
      return flagged(args, "--locked-mode") || args.some((a) => /RestoreLockedMode=true/i.test(a)) ? "locked" : "afresh";
    default:
      return null;
  }
}

/** Pure: `bundle config set frozen true` and its variants, which make later `bundle install`s frozen. */
export function setsBundlerFrozen(command: Command): boolean {
  const [tool = "", ...args] = effectiveArgv(command.argv);
  if (tool !== "bundle") return false;
  const pos = positionals(args, new Set()).filter((p) => p !== "set");
  return pos[0] === "config" && ["frozen", "deployment"].includes(pos[1] ?? "") && truthy(pos[2]);
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

/* ---------------------------------------------------------------------------------------------
 * Checkouts of untrusted pull request code
 */

/** Expressions and refs that name the pull request's own code rather than the base branch. */
const PR_HEAD = /github\.event\.pull_request\.head\.(sha|ref|repo)|github\.head_ref|github\.event\.pull_request\.merge_commit_sha|refs\/pull\/|(^|[\s:/])pull\/\$\{\{/i;

/** Follows `env.NAME`, `$NAME` and `${NAME}` to the variable's value, once, so indirection is still seen. */
function withEnv(text: string, env: Readonly<Record<string, string>>): string {
  const names = [...text.matchAll(/env\.([A-Za-z_][A-Za-z0-9_]*)|\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? m[2]!);
  return [text, ...names.flatMap((n) => (env[n] !== undefined ? [env[n]] : []))].join("\n");
}

/**
 * Pure: whether a step checks out the pull request's head (or merge) commit. Under
 * `pull_request_target` that runs the contributor's code with the base repository's token and secrets.
 * `env` is the environment of the step (workflow, job and step variables).
 */
export function checksOutPrHead(step: Step, env: Readonly<Record<string, string>>): boolean {
  if (isAction(step.uses, "actions/checkout")) {
    // The head ref, or the contributor's fork (`repository:` set to the head repository).
    const target = [step.with.ref, step.with.repository].filter((v): v is string => v !== undefined).join("\n");
    return target !== "" && PR_HEAD.test(withEnv(target, env));
  }
  if (step.run === null) return false;
  return commandsOf(step.run).some(({ argv, env: inline }) => {
    const [tool = "", ...args] = effectiveArgv(argv);
    const pos = positionals(args, new Set());
    if (tool === "gh") return pos[0] === "pr" && pos[1] === "checkout";
    if (tool !== "git" || !["fetch", "checkout", "pull", "switch", "reset"].includes(pos[0] ?? "")) return false;
    return PR_HEAD.test(withEnv(argv.join(" "), { ...env, ...inline }));
  });
}
