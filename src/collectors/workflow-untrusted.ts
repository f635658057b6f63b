import { actionName, commandsOf, effectiveArgv, positionals, type Job, type Step, type Workflow } from "./workflow-parse.js";

/*
 * Untrusted code in privileged workflows. `pull_request_target`, `workflow_run` and
 * `issue_comment` run the default branch's workflow with the base repository's secrets and its
 * token (write access unless `permissions:` narrows it). Such a job is dangerous when the pull
 * request's code arrives in it — however it arrives — and a later step builds or runs it, while
 * the job holds a secret or a write token. See GitHub's "Security hardening for GitHub Actions"
 * (https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions)
 * and the pull_request_target / workflow_run notes in "Events that trigger workflows".
 */

export const PRIVILEGED_EVENTS = ["pull_request_target", "workflow_run", "issue_comment"] as const;

/** Values that name the pull request's code (head or merge commit, head branch, head repository, the triggering run's head). */
const PR_CODE =
  /github\.event\.pull_request\.head\.(sha|ref|repo|label)|github\.head_ref|github\.event\.pull_request\.merge_commit_sha|refs\/pull\/|(^|[\s:/])pull\/\$\{\{|\bhead[._](sha|ref|branch|repository|commit)\b|github\.event\.workflow_run\.(head_|pull_requests)|GITHUB_HEAD_REF/i;

/** A value decided only at run time: a step's or job's output, an input, an event field not listed above. */
const RUNTIME_VALUE = /\$\{\{[^}]*\b(steps|needs|inputs|fromjson|github\.event)\b/i;

/** Follows `env.NAME`, `inputs.NAME`, `$NAME` and `${NAME}` to the variable's value, once, so indirection is still seen. */
export function withVariables(text: string, vars: Readonly<Record<string, string>>): string {
  const names = [...text.matchAll(/(?:env|inputs)\.([A-Za-z_][A-Za-z0-9_-]*)|\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? m[2]!);
  return [text, ...names.flatMap((n) => (vars[n] !== undefined ? [vars[n]] : []))].join("\n");
}

const isAction = (uses: string | null, name: string) => uses !== null && (actionName(uses) === name || actionName(uses).startsWith(`${name}/`));

/** How untrusted code arrived in a step, whether that is certain, or why it cannot be told. */
export type Arrival = { certain: boolean; how: string; after?: string } | null;

const GIT_FETCHING = ["fetch", "clone", "pull", "checkout", "switch", "reset", "worktree", "remote", "submodule"];
const DOWNLOADERS = ["curl", "wget", "invoke-webrequest", "iwr", "aria2c"];

/**
 * Pure: whether a step brings the pull request's code (or the triggering run's artifacts) into the
 * job. `vars` are the step's environment and the workflow's inputs; `events` the workflow's triggers.
 */
export function untrustedArrival(step: Step, vars: Readonly<Record<string, string>>, events: readonly string[]): Arrival {
  const resolve = (text: string) => withVariables(text, vars);
  if (isAction(step.uses, "actions/checkout")) {
    const target = [step.with.ref, step.with.repository].filter((v): v is string => v !== undefined).join("\n");
    if (target === "") return null;
    const resolved = resolve(target);
    if (PR_CODE.test(resolved)) return { certain: true, how: `checks out the pull request's code (\`actions/checkout\` with \`${target.replace(/\n/g, "`, `")}\`)` };
    if (RUNTIME_VALUE.test(resolved)) return { certain: false, how: `checks out \`${target.replace(/\n/g, "`, `")}\`, a ref decided at run time` };
    return null;
  }
  if (isAction(step.uses, "actions/download-artifact")) {
    const runId = step.with["run-id"];
    if (runId === undefined) return null;
    if (/workflow_run/i.test(resolve(runId))) return { certain: true, how: "downloads the artifacts of the triggering run (`actions/download-artifact` with `run-id`)" };
    return { certain: false, how: `downloads the artifacts of run \`${runId}\`` };
  }
  if (isAction(step.uses, "dawidd6/action-download-artifact")) return { certain: true, how: "downloads another run's artifacts (`dawidd6/action-download-artifact`)" };
  if (isAction(step.uses, "actions/github-script") && /downloadArtifact/.test(step.with.script ?? "")) return { certain: true, how: "downloads a run's artifacts (`actions/github-script` calling downloadArtifact)" };
  if (step.run === null) return null;
  const commands = commandsOf(step.run);
  for (const [index, { argv, env: inline }] of commands.entries()) {
    const found = commandArrival(argv, withVariables(argv.join(" "), { ...vars, ...inline }), events);
    // Commands later in the same script run what just arrived as surely as a later step.
    if (found) return { ...found, after: commands.slice(index + 1).map((c) => c.argv.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(" ")).join("\n") };
  }
  return null;
}

function commandArrival(argv: readonly string[], text: string, events: readonly string[]): { certain: boolean; how: string } | null {
  const [tool = "", ...args] = effectiveArgv(argv);
  const pos = positionals(args, new Set());
  if (tool === "gh") {
    if (pos[0] === "pr" && (pos[1] === "checkout" || pos[1] === "diff")) return { certain: true, how: `runs \`gh pr ${pos[1]}\`` };
    if (pos[0] === "repo" && pos[1] === "clone" && PR_CODE.test(text)) return { certain: true, how: "clones the pull request's repository (`gh repo clone`)" };
    if (pos[0] === "run" && pos[1] === "download") {
      return { certain: events.includes("workflow_run") || /workflow_run/i.test(text), how: "downloads a run's artifacts (`gh run download`)" };
    }
    if (pos[0] === "api" && PR_CODE.test(text) && /tarball|zipball|archive/i.test(text)) return { certain: true, how: "downloads the pull request's code as an archive (`gh api`)" };
    return null;
  }
  if (tool === "git" && GIT_FETCHING.includes(pos[0] ?? "")) {
    if (PR_CODE.test(text)) return { certain: true, how: `fetches the pull request's code (\`git ${pos[0]}\`)` };
    if (/\$\{\{[^}]*\b(steps|needs|inputs|fromjson)\b/i.test(text)) return { certain: false, how: `runs \`git ${pos[0]}\` on a ref decided at run time` };
    return null;
  }
  if (DOWNLOADERS.includes(tool.toLowerCase()) && PR_CODE.test(text)) return { certain: true, how: `downloads the pull request's code (\`${tool}\`)` };
  return null;
}

/** Commands that read or move files without running any of them. */
const INERT_COMMANDS = new Set([
  "echo", "printf", "cat", "ls", "cd", "pwd", "mkdir", "cp", "mv", "rm", "touch", "unzip", "tar", "gzip", "gunzip", "jq", "yq", "grep", "egrep", "fgrep",
  "head", "tail", "wc", "sort", "uniq", "cut", "tr", "test", "[", "[[", "]", "]]", "true", "false", "exit", "export", "set", "shopt", "base64", "sha256sum", "diff",
  "git", "gh", "stat", "file", "basename", "dirname", "tee", "date", "env", "fi", "done", "then", "else", "sed", "awk", "find", "xargs", "read", "local",
]);
/** Actions that only move files or talk to GitHub, running nothing from the working tree. */
const INERT_ACTIONS = [
  "actions/checkout", "actions/upload-artifact", "actions/download-artifact", "actions/labeler", "actions/first-interaction", "actions/stale",
  "peter-evans/create-or-update-comment", "peter-evans/find-comment", "marocchino/sticky-pull-request-comment", "thollander/actions-comment-pull-request",
];

/** Pure: whether a step may build or run what is in the working tree (or a downloaded artifact). */
export function mayExecute(step: Step): string | null {
  if (step.uses !== null) {
    const uses = step.uses.trim();
    if (uses.startsWith("./")) return `runs the local action \`${uses}\` from the fetched tree`;
    if (isAction(uses, "actions/github-script")) return /\brequire\s*\(|\bexec\b/.test(step.with.script ?? "") ? "runs a script that loads files or commands" : null;
    if (INERT_ACTIONS.some((a) => isAction(uses, a))) return null;
    return `uses \`${uses}\``;
  }
  if (step.run === null) return null;
  const active = commandsOf(step.run).find(({ argv }) => !INERT_COMMANDS.has(argv[0] ?? ""));
  return active ? `runs \`${active.argv.slice(0, 3).join(" ")}\`` : null;
}

/** Whether a job's token can write: its own `permissions:`, else the workflow's, else `fallback` (the repository default, or a caller's token). */
export function tokenWrites(workflow: Workflow, job: Job, fallback: boolean | null): boolean | null {
  if (job.permissions !== "absent") return job.writes ?? true;
  if (workflow.permissions !== "absent") return workflow.writes ?? true;
  return fallback;
}

/**
 * Pure: whether a job holds a secret or a token that can write. `defaultWrites` is the repository's
 * default token permission (null: not known); a called workflow's token is never more than its
 * caller's (`caller`).
 */
export function jobIsPrivileged(workflow: Workflow, job: Job, defaultWrites: boolean | null, caller: { secrets: boolean; writes: boolean | null | undefined } = { secrets: false, writes: undefined }): string | null {
  if (job.usesSecrets || workflow.envSecrets || caller.secrets) return "it names secrets";
  const own = tokenWrites(workflow, job, caller.writes === undefined ? defaultWrites : caller.writes);
  const writes = caller.writes === false ? false : own;
  if (writes === false) return null;
  return writes === true ? "its token can write" : "its token may write (no `permissions:` narrows it, and the repository's default could not be read)";
}

export type JobDanger = { certain: true; reason: string } | { certain: false; reason: string } | null;

/**
 * Pure: whether one job of a privileged workflow brings untrusted code in and then builds or runs
 * it while holding a secret or a write token. Steps whose `if:` is never true are passed over by
 * the caller (they are not given here).
 */
export function jobDanger(
  workflow: Workflow,
  job: Job,
  steps: readonly Step[],
  options: { vars: (step: Step) => Record<string, string>; defaultWrites: boolean | null; caller?: { secrets: boolean; writes: boolean | null | undefined } },
): JobDanger {
  const privileged = jobIsPrivileged(workflow, job, options.defaultWrites, options.caller);
  if (privileged === null) return null;
  let arrival: Arrival = null;
  let undecided: string | null = null;
  for (const step of steps) {
    if (arrival !== null) {
      const runs = mayExecute(step);
      if (runs) {
        const reason = `job \`${job.id}\` ${arrival.how}, then ${runs}, and ${privileged}`;
        if (arrival.certain) return { certain: true, reason };
        undecided ??= reason;
      }
    }
    const found = untrustedArrival(step, options.vars(step), workflow.events);
    if (found && (arrival === null || (found.certain && !arrival.certain))) {
      arrival = found;
      const runsAtOnce = found.after ? mayExecute({ uses: null, run: found.after, with: {}, env: {} }) : null;
      if (runsAtOnce) {
        const reason = `job \`${job.id}\` ${found.how}, then ${runsAtOnce}, and ${privileged}`;
        if (found.certain) return { certain: true, reason };
        undecided ??= reason;
      }
    }
  }
  return undecided ? { certain: false, reason: undecided } : null;
}
