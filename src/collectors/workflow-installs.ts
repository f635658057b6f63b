import { parse } from "yaml";
import { effectiveArgv, flagged, positionals, type Command, type Step } from "./workflow-parse.js";

/*
 * Dependency installs in CI, one rule for every ecosystem: an install is `locked` when the tool
 * installs exactly what the lockfile records and fails rather than change it; `afresh` when it
 * may resolve versions again or rewrite the lockfile (including every install with no lockfile to
 * honour); `unknown` when the answer depends on something not read here (which Yarn major runs, a
 * project file's setting), with the reason. Some tools honour a lockfile only when there is one
 * (`poetry install`, `composer install`): the install then names the lockfiles it needs, and the
 * judge decides with the lockfiles the repository has.
 */

export type InstallKind = "locked" | "afresh" | "unknown";

export type Install = {
  /** The ecosystem of src/core/ecosystems.ts, or "*" when the install's ecosystem cannot be told. */
  ecosystem: string;
  kind: InstallKind;
  reason?: string;
  /** Lockfiles the `kind` depends on; without any of them the install is `withoutLockfile`. */
  lockfiles?: string[];
  withoutLockfile?: "afresh" | "unknown";
  /** A requirements file pip reads: when every requirement in it carries a hash, pip checks hashes by itself. */
  hashesIn?: string;
};

/**
 * Which Yarn runs at the repository root: Yarn 2+ ("berry", which installs immutably when it
 * detects CI unless `.yarnrc.yml` turns that off), Yarn 1 ("classic"), or not known (null).
 */
export type YarnFlavour = "berry" | "berry-mutable" | "classic" | null;

/** State carried through a job's steps: settings an earlier command makes for later ones, and what the repository says about its tools. */
export type JobInstallState = { bundlerFrozen: boolean; uvSynced: boolean; yarn?: YarnFlavour };

export const newJobInstallState = (yarn: YarnFlavour = null): JobInstallState => ({ bundlerFrozen: false, uvSynced: false, yarn });

/**
 * Pure: the Yarn a repository runs, from its root `.yarnrc.yml` (only Yarn 2+ reads it) and the
 * `packageManager` field of its root package.json. Without either, a runner's `yarn` is the Yarn 1
 * that GitHub's images install globally. `undefined`: the file could not be read.
 */
export function yarnFlavour(yarnrc: string | null | undefined, packageJson: string | null | undefined): YarnFlavour {
  if (yarnrc === undefined) return null;
  if (yarnrc !== null) {
    try {
      const settings: unknown = parse(yarnrc);
      const immutable = typeof settings === "object" && settings !== null ? (settings as Record<string, unknown>).enableImmutableInstalls : undefined;
      return immutable === false || immutable === "false" ? "berry-mutable" : "berry";
    } catch {
      return null;
    }
  }
  if (packageJson === undefined) return null;
  if (packageJson === null) return "classic";
  let manager: unknown;
  try {
    manager = (JSON.parse(packageJson) as Record<string, unknown>).packageManager;
  } catch {
    return null;
  }
  if (manager === undefined) return "classic";
  if (typeof manager !== "string" || !manager.startsWith("yarn@")) return null;
  return /^yarn@1\./.test(manager) ? "classic" : "berry";
}

const truthy = (value: string | undefined) => value !== undefined && /^(true|1|yes|on)$/i.test(value.trim());
const falsy = (value: string | undefined) => value !== undefined && /^(false|0|no|off)$/i.test(value.trim());

/** A project install takes no package names; `npm install typescript` installs a tool, not the project. */
const installsPackages = (pos: readonly string[]) => pos.length > 1;

/** The files of `-r FILE`, `-rFILE`, `--requirement FILE` and `--requirement=FILE`. */
function requirementFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (a === "-r" || a === "--requirement") files.push(args[i + 1] ?? "");
    else if (a.startsWith("--requirement=")) files.push(a.slice("--requirement=".length));
    else if (/^-r\S/.test(a)) files.push(a.slice(2));
  }
  return files.filter(Boolean);
}

const locked = (ecosystem: string): Install => ({ ecosystem, kind: "locked" });
const afresh = (ecosystem: string, reason?: string): Install => ({ ecosystem, kind: "afresh", ...(reason ? { reason } : {}) });
const unknown = (ecosystem: string, reason: string): Install => ({ ecosystem, kind: "unknown", reason });
const ifLockfile = (ecosystem: string, lockfiles: string[], withoutLockfile: "afresh" | "unknown", kind: InstallKind = "locked", reason?: string): Install => ({
  ecosystem,
  kind,
  lockfiles,
  withoutLockfile,
  ...(reason ? { reason } : {}),
});

const CARGO_RESOLVING = ["build", "test", "check", "run", "fetch", "clippy", "doc", "nextest", "bench", "b", "t", "c", "r", "tree", "metadata", "vendor", "package", "publish"];
const GO_BUILDING = ["build", "test", "run", "vet", "list", "generate"];
const DOTNET_RESTORING = ["restore", "build", "test", "publish", "run", "pack"];

function dotnetRestore(args: readonly string[], sub: string): Install | null {
  if (sub !== "restore" && flagged(args, "--no-restore")) return null;
  if (flagged(args, "--locked-mode") || args.some((a) => /RestoreLockedMode=true/i.test(a))) return locked("nuget");
  // <RestoreLockedMode> may be set in a project file, which is not read; without a lockfile there is nothing to honour.
  return ifLockfile("nuget", ["packages.lock.json"], "afresh", "unknown", "`dotnet " + sub + "` restores in locked mode only if a project file sets RestoreLockedMode, which is not read");
}

/**
 * Pure: whether a command installs the project's dependencies, and how. Tool installs
 * (`npm install -g x`, `pip install pre-commit`, `cargo install x`, `go install x@v`) are `null`:
 * they do not install the project's dependencies. `outer` is the step's environment (workflow,
 * job and step variables); the command's own inline assignments override it.
 */
export function classifyInstall(command: Command, outer: Readonly<Record<string, string>>, state: JobInstallState = newJobInstallState()): Install | null {
  const env: Readonly<Record<string, string>> = { ...outer, ...command.env };
  const argv = command.argv;
  const [tool = "", ...args] = effectiveArgv(argv);
  const pos = positionals(args);
  const sub = pos[0];
  const wrapped = argv[0] === "uv" && argv[1] === "run";
  // `uv run x` first syncs the project's environment, as `uv sync` would.
  if (wrapped && !state.uvSynced) {
    const uvArgs = argv.slice(2);
    if (!flagged(uvArgs, "--no-sync", "--no-project", "--script", "--with", "--isolated") && !truthy(env.UV_NO_SYNC)) {
      const lockedUv = flagged(uvArgs, "--locked", "--frozen") || truthy(env.UV_LOCKED) || truthy(env.UV_FROZEN);
      return lockedUv ? locked("pip") : afresh("pip", "`uv run` syncs the environment and may update uv.lock without `--locked`/`--frozen`");
    }
  }
  switch (tool) {
    case "npm":
      if (["ci", "clean-install", "ic", "install-clean", "isntall-clean"].includes(sub ?? "")) return locked("npm");
      if (["install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add"].includes(sub ?? "")) {
        return installsPackages(pos) || flagged(args, "-g", "--global") ? null : afresh("npm");
      }
      return sub === "update" || sub === "up" ? afresh("npm") : null;
    case "yarn": {
      if (sub === "upgrade" || sub === "up") return afresh("npm");
      if (sub !== undefined && sub !== "install") return null;
      if (flagged(args, "--version", "-v", "--help", "-h")) return null;
      if (flagged(args, "--frozen-lockfile", "--immutable")) return locked("npm");
      if (flagged(args, "--no-immutable", "--pure-lockfile", "--no-lockfile") || falsy(env.YARN_ENABLE_IMMUTABLE_INSTALLS)) return afresh("npm");
      if (truthy(env.YARN_ENABLE_IMMUTABLE_INSTALLS)) return locked("npm");
      // Yarn 2+ installs immutably when it detects CI; Yarn 1 rewrites the lockfile unless told not to.
      if (state.yarn === "berry") return locked("npm");
      if (state.yarn === "berry-mutable") return afresh("npm", "`.yarnrc.yml` sets `enableImmutableInstalls: false`");
      if (state.yarn === "classic") return afresh("npm", "Yarn 1 (no `.yarnrc.yml`, no Yarn 2+ `packageManager`) may rewrite yarn.lock without `--frozen-lockfile`");
      return unknown("npm", "`yarn install` without `--frozen-lockfile`/`--immutable` is locked with Yarn 2+ on CI but not with Yarn 1, and which Yarn runs could not be read");
    }
    case "pnpm":
      if (sub === "update" || sub === "up" || sub === "upgrade") return afresh("npm");
      if (sub !== "install" && sub !== "i") return null;
      if (installsPackages(pos) || flagged(args, "-g", "--global")) return null;
      // pnpm turns --frozen-lockfile on by itself when the CI variable is set, as on every Actions runner.
      return flagged(args, "--no-frozen-lockfile", "--frozen-lockfile=false", "--fix-lockfile", "--lockfile-only") || falsy(env.npm_config_frozen_lockfile) ? afresh("npm") : locked("npm");
    case "bun":
      if (sub === "ci") return locked("npm");
      if (sub === "update") return afresh("npm");
      if (sub !== "install" && sub !== "i") return null;
      if (installsPackages(pos) || flagged(args, "-g", "--global")) return null;
      return flagged(args, "--frozen-lockfile") ? locked("npm") : afresh("npm");
    case "pip": {
      if (sub !== "install") return null;
      if (flagged(args, "--require-hashes") || truthy(env.PIP_REQUIRE_HASHES)) return locked("pip");
      const project = flagged(args, "-r", "--requirement", "-e", "--editable", "-c", "--constraint") || args.some((a) => /^-[rc]\S/.test(a)) || pos.slice(1).some((p) => /^\.(\/|\[|$)/.test(p));
      if (!project) return null;
      const install = afresh("pip", "`pip install` checks hashes only with `--require-hashes` (or hashes in every requirement)");
      // One requirements file and nothing else: pip checks hashes by itself when every requirement in it has one.
      const files = requirementFiles(args);
      const others = pos.slice(1).filter((p) => !files.includes(p));
      return files.length === 1 && others.length === 0 && !flagged(args, "-e", "--editable", "-c", "--constraint") ? { ...install, hashesIn: files[0]!.replace(/^\.\//, "") } : install;
    }
    case "pip-sync":
      return unknown("pip", "`pip-sync` installs the pinned versions, and checks hashes only if the file carries them, which is not read here");
    case "poetry":
      if (sub === "install" || sub === "sync") return ifLockfile("pip", ["poetry.lock"], "afresh");
      return sub === "update" || sub === "lock" || sub === "add" ? afresh("pip") : null;
    case "uv":
      if (sub === "lock") return flagged(args, "--locked", "--check") ? null : afresh("pip");
      if (sub !== "sync") return null;
      return flagged(args, "--locked", "--frozen") || truthy(env.UV_LOCKED) || truthy(env.UV_FROZEN) ? locked("pip") : afresh("pip", "`uv sync` may update uv.lock without `--locked`/`--frozen`");
    case "pipenv":
      if (sub === "sync") return locked("pip");
      if (sub === "update" || sub === "lock") return afresh("pip");
      if (sub !== "install" || installsPackages(pos)) return null;
      return flagged(args, "--deploy", "--ignore-pipfile") ? locked("pip") : afresh("pip");
    case "pdm":
      if (sub === "sync") return locked("pip");
      if (sub === "update" || sub === "lock") return afresh("pip");
      if (sub !== "install") return null;
      return flagged(args, "--frozen-lockfile", "--check") ? locked("pip") : afresh("pip");
    case "cargo":
      if (sub === "update" || sub === "generate-lockfile") return afresh("cargo");
      if (!CARGO_RESOLVING.includes(sub ?? "")) return null;
      return flagged(args, "--locked", "--frozen") ? locked("cargo") : afresh("cargo", "Cargo may update Cargo.lock without `--locked`/`--frozen`");
    case "go": {
      if (sub === "get" || (sub === "mod" && pos[1] === "tidy")) return afresh("go");
      if (sub === "install" && pos.slice(1).some((p) => p.includes("@"))) return null;
      const fetches = (sub === "mod" && pos[1] === "download") || GO_BUILDING.includes(sub ?? "") || sub === "install";
      if (!fetches) return null;
      // Go checks every module against go.sum (and the checksum database) unless told to rewrite them.
      return flagged(args, "-mod=mod") || /-mod=mod\b/.test(env.GOFLAGS ?? "") ? afresh("go") : locked("go");
    }
    case "bundle":
      if (sub === "update" || sub === "lock") return afresh("bundler");
      if (sub !== "install") return null;
      return flagged(args, "--frozen", "--deployment") || state.bundlerFrozen || truthy(env.BUNDLE_FROZEN) || truthy(env.BUNDLE_DEPLOYMENT) ? locked("bundler") : afresh("bundler");
    case "composer":
      if (sub === "install" || sub === "i") return ifLockfile("composer", ["composer.lock"], "afresh");
      return sub === "update" || sub === "u" || sub === "require" ? afresh("composer") : null;
    case "dotnet":
      return DOTNET_RESTORING.includes(sub ?? "") ? dotnetRestore(args, sub!) : null;
    case "nuget":
      if (sub !== "restore") return null;
      return flagged(args, "-LockedMode", "-lockedmode") ? locked("nuget") : ifLockfile("nuget", ["packages.lock.json"], "afresh", "unknown", "`nuget restore` is locked only in locked mode, which a project file may set");
    case "mvn":
      if (flagged(args, "-v", "--version", "-h", "--help")) return null;
      return afresh("maven", "Maven has no lockfile: it resolves versions from the POMs on every build");
    case "gradle": {
      const tasks = positionals(args, new Set(["-x", "--exclude-task", "-p", "--project-dir", "-c", "-D", "-P"]));
      if (flagged(args, "-v", "--version", "-h", "--help")) return null;
      if (tasks.length > 0 && tasks.every((t) => t === "wrapper" || t === "help" || t === "tasks")) return null;
      if (flagged(args, "--write-locks", "--update-locks")) return afresh("gradle");
      return ifLockfile("gradle", ["gradle.lockfile"], "afresh");
    }
    default:
      return null;
  }
}

/** Pure: the install an action step performs, if it is one of the installing actions known here. */
export function classifyInstallAction(step: Pick<Step, "uses" | "with">): Install | null {
  if (step.uses === null) return null;
  const name = step.uses.trim().toLowerCase().replace(/@.*$/, "");
  const on = (key: string) => truthy(step.with[key]);
  if (name === "ruby/setup-ruby" && on("bundler-cache")) {
    // With a Gemfile.lock, setup-ruby installs in deployment mode (frozen); without one it resolves.
    return ifLockfile("bundler", ["Gemfile.lock"], "afresh");
  }
  if (name === "pnpm/action-setup" && step.with.run_install !== undefined && !falsy(step.with.run_install)) return locked("npm");
  if (name === "bahmutov/npm-install") return ifLockfile("npm", ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock"], "afresh", "locked");
  if (name === "actions-rs/cargo") {
    const command = step.with.command ?? "";
    const args = (step.with.args ?? "").split(/\s+/).filter(Boolean);
    return classifyInstall({ env: {}, argv: ["cargo", command, ...args] }, {});
  }
  return null;
}

/** Pure: `bundle config set frozen true` and its variants, which make later `bundle install`s frozen. */
export function setsBundlerFrozen(command: Command): boolean {
  const [tool = "", ...args] = effectiveArgv(command.argv);
  if (tool !== "bundle") return false;
  const pos = positionals(args, new Set()).filter((p) => p !== "set");
  return pos[0] === "config" && ["frozen", "deployment"].includes(pos[1] ?? "") && truthy(pos[2]);
}

/** Pure: whether a command makes the job's environment synced from uv.lock, so a later `uv run` changes nothing. */
export function syncsUvLocked(command: Command, outer: Readonly<Record<string, string>>): boolean {
  const env = { ...outer, ...command.env };
  const [tool = "", ...args] = command.argv;
  if (tool !== "uv" || positionals(args)[0] !== "sync") return false;
  return flagged(args, "--locked", "--frozen") || truthy(env.UV_LOCKED) || truthy(env.UV_FROZEN);
}

