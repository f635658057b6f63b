import { z } from "zod";
import { observed, unreadable, type Finding, type FindingId, type FindingValue, type Where } from "../core/findings.js";
import { explainReadFailure, fieldError } from "../github/client.js";
import type { CollectContext, Collector } from "./types.js";
import { ACTIONS_DIR, expandLocalActions, localActionKey, type LocalAction } from "./local-actions.js";
import { localActionsOf, yarnOf } from "./workflow-context-files.js";
import { classifyInstall, classifyInstallAction, newJobInstallState, setsBundlerFrozen, syncsUvLocked, type Install, type YarnFlavour } from "./workflow-installs.js";
import { commandsOf, isPinned, parseWorkflow, runsDependencyScan, runsTests, usesDependencyScan, type Job, type Step, type Workflow } from "./workflow-parse.js";
import { anyRuns, bothRun, conditionRuns, jobRuns, PR_EVENTS, stateVerdict, triggerRuns, YES, type RunContext, type Runs, type WorkflowStates } from "./workflow-runs.js";
import { jobDanger, PRIVILEGED_EVENTS, tokenWrites, withVariables } from "./workflow-untrusted.js";

/*
 * GitHub Actions on the default branch: the workflow files in `.github/workflows` (read in the
 * batched repository query) and the repository's settings for the workflow token.
 */

const WORKFLOW_DIR = ".github/workflows";
const TOKEN_ROUTE = "GET /repos/{owner}/{repo}/actions/permissions/workflow";
/*
 * GitHub's OpenAPI description names no GitHub App permission for this route (only the classic
 * `repo` scope); GitHub's documentation of the Actions permissions endpoints names the
 * "Administration" repository permission (read), which the app already requests.
 */
const TOKEN_PERMISSION = "the 'Administration: read' repository permission";
const STATES_ROUTE = "GET /repos/{owner}/{repo}/actions/workflows";
const STATES_PERMISSION = "the 'Actions: read' repository permission";

export const workflowsFragment = {
  name: "claimcheckWorkflows",
  text: `
fragment claimcheckWorkflows on Repository {
  wf_workflows: object(expression: "HEAD:${WORKFLOW_DIR}") {
    ... on Tree {
      entries {
        name
        path
        type
        mode
        object {
          ... on Blob { text byteSize isBinary isTruncated }
        }
      }
    }
  }
  wf_actions: object(expression: "HEAD:${ACTIONS_DIR}") {
    ... on Tree {
      entries {
        name
        type
        object {
          ... on Tree {
            entries {
              name
              object {
                ... on Blob { text isBinary isTruncated }
              }
            }
          }
        }
      }
    }
  }
  wf_yarnrc: object(expression: "HEAD:.yarnrc.yml") {
    ... on Blob { text isTruncated }
  }
  wf_packageJson: object(expression: "HEAD:package.json") {
    ... on Blob { text isTruncated }
  }
}`,
};

const blobSchema = z.looseObject({ text: z.string().nullable(), byteSize: z.number().int(), isBinary: z.boolean().nullable(), isTruncated: z.boolean() });
const entrySchema = z.looseObject({ name: z.string(), path: z.string().nullable(), type: z.string(), mode: z.number().int(), object: z.unknown() });
// `object` is null when the directory does not exist; a file in its place has no `entries`.
const fragmentSchema = z.looseObject({ wf_workflows: z.looseObject({ entries: z.array(entrySchema).optional() }).nullable() });
const statesSchema = z.looseObject({ total_count: z.number().int(), workflows: z.array(z.looseObject({ path: z.string(), state: z.string() })) });
const tokenSchema = z.looseObject({ default_workflow_permissions: z.enum(["read", "write"]), can_approve_pull_request_reviews: z.boolean() });

const SYMLINK_MODE = 0o120000;

/** A workflow file as read: parsed, invalid (GitHub would not run it either), or not readable here. */
export type WorkflowFile =
  | { path: string; kind: "parsed"; workflow: Workflow }
  | { path: string; kind: "invalid"; error: string }
  | { path: string; kind: "unread"; error: string };

type Entry = z.infer<typeof entrySchema>;

/** Pure: the tree entries of `.github/workflows` to workflow files. GitHub runs only `.yml`/`.yaml` files directly in it. */
export function workflowFiles(entries: readonly Entry[]): WorkflowFile[] {
  return entries
    .filter((e) => e.type === "blob" && /\.ya?ml$/.test(e.name))
    .map((e): WorkflowFile => {
      const path = e.path ?? `${WORKFLOW_DIR}/${e.name}`;
      if (e.mode === SYMLINK_MODE) return { path, kind: "unread", error: "not readable (a symbolic link; its target was not read)" };
      const blob = blobSchema.safeParse(e.object);
      if (!blob.success) return { path, kind: "unread", error: "not readable (GitHub returned no file contents)" };
      const { text, isBinary, isTruncated, byteSize } = blob.data;
      if (isTruncated) return { path, kind: "unread", error: `not readable (truncated: ${byteSize} bytes)` };
      if (isBinary === true || text === null) return { path, kind: "unread", error: "not readable (binary content)" };
      const parsed = parseWorkflow(text);
      return parsed.ok ? { path, kind: "parsed", workflow: parsed.workflow } : { path, kind: "invalid", error: parsed.error };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** The local reusable workflow a job calls (`uses: ./.github/workflows/x.yml`), as a path. */
function localCallee(job: Job): string | null {
  const uses = job.uses?.trim();
  if (!uses?.startsWith("./")) return null;
  return uses.slice(2).replace(/@.*$/, "");
}

/** A job reached from a triggered workflow, directly or through the reusable workflows it calls. */
type Reached = { path: string; workflow: Workflow; job: Job; runs: Runs; inputs: Record<string, string>; caller: { secrets: boolean; writes: boolean | null | undefined } };

/**
 * The jobs a run of `path` on `event` reaches, following calls to reusable workflows in the same
 * repository: a called workflow's jobs run on the caller's event, only when the calling job runs,
 * with the inputs it passes (`with:`) and the secrets it holds.
 */
function reach(
  path: string,
  event: string,
  gate: Runs,
  byPath: ReadonlyMap<string, Workflow>,
  ctx: SummaryContext,
  inputs: Record<string, string> = {},
  caller: Reached["caller"] = { secrets: false, writes: undefined },
  seen: ReadonlySet<string> = new Set(),
): Reached[] {
  const workflow = byPath.get(path);
  if (!workflow || seen.has(path)) return [];
  const inside = new Set([...seen, path]);
  return workflow.jobs.flatMap((job) => {
    const runs = bothRun(gate, jobRuns(workflow, job, event, ctx));
    const here: Reached = { path, workflow, job, runs, inputs, caller };
    const callee = localCallee(job);
    if (!callee || runs.runs === "no") return [here];
    // An input passed on from this workflow's own inputs keeps what the outer caller gave.
    const passed = Object.fromEntries(Object.entries(job.with ?? {}).map(([k, v]) => [k, withVariables(v, inputs)]));
    // The called workflow gets the secrets the calling job passes, and a token no stronger than its own.
    const secrets = caller.secrets || job.usesSecrets === true || workflow.envSecrets === true;
    const writes = caller.writes === false ? false : tokenWrites(workflow, job, caller.writes === undefined ? ctx.defaultTokenWrites : caller.writes);
    return [here, ...reach(callee, event, runs, byPath, ctx, passed, { secrets, writes }, inside)];
  });
}

const envOf = (workflow: Workflow, job: Job, stepEnv: Record<string, string> = {}) => ({ ...workflow.env, ...job.env, ...stepEnv });

/** A job's steps that can run on `event` (a step whose `if:` is never true is left out). */
function runnableSteps(job: Job, event: string, ctx: RunContext): Step[] {
  return job.steps.filter((s) => conditionRuns(s.if, event, ctx, false, "step").runs !== "no");
}

/** A dependency install found in a workflow, for `deps.ci-installs`. */
type FoundInstall = Install & { workflow: string; command: string };

/** Installs of one job, in order, so `bundle config set frozen true` applies to later `bundle install`s. */
function jobInstalls(path: string, workflow: Workflow, job: Job, steps: readonly Step[], ctx: SummaryContext): FoundInstall[] {
  const state = newJobInstallState(ctx.yarn ?? null);
  const actions = ctx.actions ?? new Map<string, LocalAction>();
  const found: FoundInstall[] = [];
  for (const step of expandLocalActions(steps, actions)) {
    const env = envOf(workflow, job, step.env);
    if (step.uses !== null) {
      const uses = step.uses.trim();
      const viaAction = classifyInstallAction(step);
      if (viaAction) found.push({ ...viaAction, workflow: path, command: uses });
      else if (uses.startsWith("./")) {
        const action = actions.get(localActionKey(uses));
        const why = action?.kind === "opaque" ? action.reason : "its steps were not read (only composite actions in .github/actions/<name>/ are)";
        found.push({ ecosystem: "*", kind: "unknown", reason: `the local action \`${uses}\` may install dependencies, and ${why}`, workflow: path, command: uses });
      }
    }
    if (step.run === null) continue;
    for (const command of commandsOf(step.run)) {
      if (setsBundlerFrozen(command)) state.bundlerFrozen = true;
      const install = classifyInstall(command, env, state);
      if (syncsUvLocked(command, env)) state.uvSynced = true;
      if (install) found.push({ ...install, workflow: path, command: command.argv.join(" ") });
    }
  }
  return found;
}

const unrestricted = (workflow: Workflow, job: Job) => (job.permissions === "absent" ? workflow.permissions : job.permissions) !== "restricted";

/** A workflow only ever called by another runs with its caller's token, which the caller's permissions bound. */
const onlyCalled = (workflow: Workflow) => workflow.events.every((e) => e === "workflow_call");

const runsTestsStep = (s: Step) => s.run !== null && commandsOf(s.run).some(runsTests);
const scansStep = (s: Step) => usesDependencyScan(s) || (s.run !== null && commandsOf(s.run).some(runsDependencyScan));

/**
 * Whether a job does something on `event` through one of its steps (local composite actions
 * included): the best of those steps' own `if:` verdicts, or null when no step does it. A step
 * whose `if:` is never true on the event does nothing.
 */
function stepsDo(job: Job, event: string, ctx: SummaryContext, does: (s: Step) => boolean): Runs | null {
  const actions = ctx.actions ?? new Map<string, LocalAction>();
  const verdicts = job.steps.flatMap((step) => {
    if (!expandLocalActions([step], actions).some(does)) return [];
    return [conditionRuns(step.if, event, ctx, false, "the step")];
  });
  return verdicts.length > 0 ? anyRuns(verdicts) : null;
}

/** A reusable workflow of another repository (`owner/repo/.github/workflows/x.yml@ref`), whose jobs are not read. */
const remoteCallee = (job: Job): string | null => (job.uses && !job.uses.trim().startsWith("./") ? job.uses.trim() : null);

function unpinnedIn(path: string, workflow: Workflow): string[] {
  const refs = workflow.jobs.flatMap((job) => [job.uses, ...job.steps.map((s) => s.uses)]).filter((u): u is string => u !== null);
  return [...new Set(refs.filter((u) => !isPinned(u)).map((u) => `${path}: ${u.trim()}`))];
}

export const WORKFLOW_FINDINGS = [
  "ci.workflow-files",
  "ci.workflows-on-pr",
  "ci.scheduled-workflows",
  "ci.test-workflows",
  "ci.dependency-review-workflows",
  "ci.invalid-workflows",
  "actions.unpinned-uses",
  "actions.dangerous-workflows",
  "actions.workflows-without-permissions",
  "deps.ci-installs-locked",
  "deps.ci-installs",
] as const satisfies readonly FindingId[];
type WorkflowFindingId = (typeof WORKFLOW_FINDINGS)[number];

export type WorkflowSummary = { [K in WorkflowFindingId]: { value: FindingValue<K> } | { value: null; error: string } };

/** What the summary needs besides the files: the repository, GitHub's workflow states and the default token permission. */
export type SummaryContext = RunContext & { defaultTokenWrites: boolean | null; yarn?: YarnFlavour; actions?: ReadonlyMap<string, LocalAction> };

/**
 * Pure: the workflow findings of a repository.
 *
 * Evidence that something runs (tests, a dependency scan, a schedule, a workflow on pull requests)
 * is taken only from workflows GitHub runs (their state is `active`), whose triggers fire for pull
 * requests to the default branch where that matters, and from jobs whose `if:` lets the run
 * through. What cannot be decided statically, and files that could not be read, never count as
 * seen: a list that is empty only because of them becomes unreadable, naming them. A non-empty
 * list is kept: its entries are certain whatever the undecided ones do.
 */
export function summariseWorkflows(files: readonly WorkflowFile[], ctx: SummaryContext): WorkflowSummary {
  const parsed = files.flatMap((f) => (f.kind === "parsed" ? [f] : []));
  const unread = files.filter((f) => f.kind === "unread").map((f) => f.path);
  const byPath = new Map(parsed.map((f) => [f.path, f.workflow]));
  const roots = parsed.filter((f) => !onlyCalled(f.workflow));
  const unreadReason = unread.length > 0 ? `${unread.join(", ")} could not be read, and could change this finding` : null;

  /** A list from per-workflow verdicts: certain entries, or unreadable when only undecided ones (or unread files) were found. */
  const list = (verdicts: { path: string; runs: Runs }[]): { value: string[] } | { value: null; error: string } => {
    const certain = verdicts.filter((v) => v.runs.runs === "yes").map((v) => v.path);
    if (certain.length > 0) return { value: certain };
    const undecided = verdicts.flatMap((v) => (v.runs.runs === "sometimes" ? [`${v.path}: ${v.runs.reason}`] : []));
    const reasons = [...undecided, ...(unreadReason ? [unreadReason] : [])];
    return reasons.length > 0 ? { value: null, error: `nothing certain was found, and ${reasons.join("; ")}` } : { value: [] };
  };

  const eventsOf = (workflow: Workflow, only?: readonly string[]) => workflow.events.filter((e) => e !== "workflow_call" && (!only || only.includes(e)));
  const gate = (path: string, workflow: Workflow, event: string) => bothRun(stateVerdict(path, ctx), triggerRuns(workflow, event, ctx));

  /** Whether some reached job with `has` runs on one of `events`; a remote reusable workflow counts as undecided. */
  /** Whether a job reached from `path` does something on one of `events`: the job must run, and so must the step that does it. */
  const verdictFor = (path: string, workflow: Workflow, events: readonly string[], has: (job: Job, event: string) => Runs | null): Runs =>
    anyRuns(
      events.map((event) =>
        anyRuns(
          reach(path, event, gate(path, workflow, event), byPath, ctx).flatMap(({ job, runs }) => {
            const done = has(job, event);
            if (done) return [bothRun(runs, done)];
            const remote = remoteCallee(job);
            return remote && runs.runs !== "no" ? [{ runs: "sometimes" as const, reason: `it calls ${remote}, whose jobs are not read` }] : [];
          }),
        ),
      ),
    );

  const onPr = roots.map((f) => ({ path: f.path, runs: verdictFor(f.path, f.workflow, eventsOf(f.workflow, PR_EVENTS), () => YES) }));
  const tests = roots.map((f) => ({ path: f.path, runs: verdictFor(f.path, f.workflow, eventsOf(f.workflow), (job, event) => stepsDo(job, event, ctx, runsTestsStep)) }));
  // A reusable workflow that is itself a known scanner does the review as a job.
  const reviews = (job: Job, event: string) => (job.uses !== null && usesDependencyScan({ uses: job.uses, with: {} }) ? YES : stepsDo(job, event, ctx, scansStep));
  const review = roots.map((f) => ({ path: f.path, runs: verdictFor(f.path, f.workflow, eventsOf(f.workflow, PR_EVENTS), reviews) }));
  const scheduled = roots.filter((f) => f.workflow.crons.length > 0).map((f) => ({ path: f.path, runs: verdictFor(f.path, f.workflow, ["schedule"], () => YES) }));

  // Installs in every job that can run, on any event (a disabled workflow installs nothing).
  const installs = new Map<string, FoundInstall>();
  for (const f of roots) {
    for (const event of eventsOf(f.workflow)) {
      for (const { path, workflow, job, runs } of reach(f.path, event, gate(f.path, f.workflow, event), byPath, ctx)) {
        if (runs.runs === "no") continue;
        for (const found of jobInstalls(path, workflow, job, runnableSteps(job, event, ctx), ctx)) installs.set(`${found.workflow}\u0000${job.id}\u0000${found.command}`, found);
        const remote = remoteCallee(job);
        if (remote) installs.set(`${f.path}\u0000${remote}`, { ecosystem: "*", kind: "unknown", reason: `it calls ${remote}, whose jobs are not read`, workflow: f.path, command: remote });
      }
    }
  }
  for (const path of unread) installs.set(path, { ecosystem: "*", kind: "unknown", reason: "the file could not be read", workflow: path, command: "(not read)" });
  const installList = [...installs.values()];
  let locked: { value: boolean | null } | { value: null; error: string };
  // A `pip install -r` whose file may carry hashes still counts as afresh here; the check itself reads the file's hashes.
  if (installList.some((i) => i.kind === "afresh" && !i.lockfiles)) locked = { value: false };
  else if (unreadReason) locked = { value: null, error: unreadReason };
  else if (installList.length === 0) locked = { value: null };
  else if (installList.every((i) => i.kind === "locked" && !i.lockfiles)) locked = { value: true };
  else locked = { value: null, error: "whether every install is locked depends on the repository's lockfiles or on settings not read here (see `deps.ci-installs`)" };

  // Dangerous workflows: any run of a privileged trigger, whatever its filters (an attacker picks the base branch and the activity).
  const dangerous = roots
    .filter((f) => PRIVILEGED_EVENTS.some((e) => f.workflow.events.includes(e)))
    .map((f) => {
      const verdicts = eventsOf(f.workflow, PRIVILEGED_EVENTS).flatMap((event) =>
        reach(f.path, event, YES, byPath, ctx).flatMap(({ workflow, job, runs, inputs, caller }): Runs[] => {
          if (runs.runs === "no") return [];
          const danger = jobDanger(workflow, job, runnableSteps(job, event, ctx), { vars: (s) => ({ ...envOf(workflow, job, s.env), ...inputs }), defaultWrites: ctx.defaultTokenWrites, caller });
          if (danger) return [danger.certain ? YES : { runs: "sometimes", reason: danger.reason }];
          const remote = remoteCallee(job);
          // A reusable workflow of another repository handed the pull request's head cannot be judged unread.
          if (remote && /head|pull_request|workflow_run/i.test(JSON.stringify(job.with ?? {}))) return [{ runs: "sometimes", reason: `job \`${job.id}\` passes the pull request's head to ${remote}, whose jobs are not read` }];
          return [];
        }),
      );
      return { path: f.path, runs: verdicts.length > 0 ? anyRuns(verdicts) : ({ runs: "no", reason: "" } as Runs) };
    });

  return {
    // Every workflow file, read or not: checks that find nothing wrong in no file are not applicable, not met.
    "ci.workflow-files": { value: files.map((f) => f.path) },
    "ci.workflows-on-pr": list(onPr),
    "ci.scheduled-workflows": list(scheduled),
    "ci.test-workflows": list(tests),
    "ci.dependency-review-workflows": list(review),
    "ci.invalid-workflows": { value: files.flatMap((f) => (f.kind === "parsed" ? [] : [{ path: f.path, error: f.error }])) },
    "actions.unpinned-uses": list(parsed.flatMap((f) => unpinnedIn(f.path, f.workflow)).map((path) => ({ path, runs: YES }))),
    "actions.dangerous-workflows": list(dangerous),
    "actions.workflows-without-permissions": list(parsed.filter((f) => !onlyCalled(f.workflow) && f.workflow.jobs.some((job) => unrestricted(f.workflow, job))).map((f) => ({ path: f.path, runs: YES }))),
    "deps.ci-installs-locked": locked,
    "deps.ci-installs": { value: installList },
  };
}

function toFindings(summary: WorkflowSummary, where: Where): Finding[] {
  return WORKFLOW_FINDINGS.map((id) => {
    const entry = summary[id];
    return "error" in entry ? unreadable(id, entry.error, where) : observed(id, entry.value as FindingValue<typeof id>, where);
  });
}

async function readTokenSettings({ client, repo, now }: CollectContext): Promise<Finding[]> {
  const where: Where = { repo: repo.fullName, source: TOKEN_ROUTE, url: `${repo.htmlUrl}/settings/actions`, observedAt: now.toISOString() };
  try {
    const { data } = await client.rest(TOKEN_ROUTE, { owner: repo.owner, repo: repo.name }, tokenSchema);
    if (data === null) throw new Error("GitHub sent no body");
    return [observed("actions.default-token-permission", data.default_workflow_permissions, where), observed("actions.can-approve-prs", data.can_approve_pull_request_reviews, where)];
  } catch (error) {
    const reason = explainReadFailure(error, TOKEN_PERMISSION);
    return [unreadable("actions.default-token-permission", reason, where), unreadable("actions.can-approve-prs", reason, where)];
  }
}

/** GitHub lists at most 100 workflows a page; a repository with more is read page by page, up to this many. */
const MAX_STATE_PAGES = 5;

/**
 * The state GitHub holds for each workflow file (`active`, `disabled_manually`,
 * `disabled_inactivity`, `disabled_fork`…). Asked only when there are workflow files to judge.
 */
async function readWorkflowStates({ client, repo }: CollectContext): Promise<WorkflowStates> {
  const byPath = new Map<string, string>();
  try {
    for (let page = 1; page <= MAX_STATE_PAGES; page += 1) {
      const { data } = await client.rest(STATES_ROUTE, { owner: repo.owner, repo: repo.name, per_page: 100, page }, statesSchema);
      if (data === null) throw new Error("GitHub sent no body");
      for (const w of data.workflows) byPath.set(w.path, w.state);
      if (page * 100 >= data.total_count || data.workflows.length === 0) return { ok: true, byPath };
    }
    // Workflows past the pages read are simply not in the map: their state is then unknown.
    return { ok: true, byPath };
  } catch (error) {
    return { ok: false, error: explainReadFailure(error, STATES_PERMISSION) };
  }
}

function workflowsWhere({ repo, now }: CollectContext, statesRead: boolean): Where {
  return {
    repo: repo.fullName,
    source: `GraphQL repository.object(expression: "HEAD:${WORKFLOW_DIR}")${statesRead ? `, ${STATES_ROUTE}` : ""}`,
    url: `${repo.htmlUrl}/tree/${encodeURIComponent(repo.defaultBranch)}/${WORKFLOW_DIR}`,
    observedAt: now.toISOString(),
  };
}

/** The workflow files of the batched query, or the reason every workflow finding is unreadable. */
function readWorkflowFiles({ repositoryData, repositoryErrors }: CollectContext): { files: WorkflowFile[] } | { error: string } {
  const refused = fieldError(repositoryErrors, "repository", "wf_workflows");
  if (refused) return { error: `${refused}; the app may lack the 'Contents: read' repository permission` };
  // A malformed answer must not take the token settings down with it, so it is not thrown.
  const parsed = fragmentSchema.safeParse(repositoryData);
  if (!parsed.success) {
    return { error: `GitHub's answer for ${WORKFLOW_DIR} did not have the expected shape: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` };
  }
  return { files: workflowFiles(parsed.data.wf_workflows?.entries ?? []) };
}

const NO_STATES: WorkflowStates = { ok: true, byPath: new Map() };

export const workflowsCollector: Collector = {
  id: "workflows",
  produces: [...WORKFLOW_FINDINGS, "actions.default-token-permission", "actions.can-approve-prs"],
  repositoryFragment: workflowsFragment,
  async collect(ctx: CollectContext): Promise<Finding[]> {
    const read = readWorkflowFiles(ctx);
    const needStates = "files" in read && read.files.length > 0;
    const where = workflowsWhere(ctx, needStates);
    const [token, states] = await Promise.all([readTokenSettings(ctx), needStates ? readWorkflowStates(ctx) : Promise.resolve(NO_STATES)]);
    if ("error" in read) return [...WORKFLOW_FINDINGS.map((id) => unreadable(id, read.error, where)), ...token];
    const setting = token.find((f) => f.id === "actions.default-token-permission")?.value;
    const defaultTokenWrites = setting === "write" ? true : setting === "read" ? false : null;
    const yarn = yarnOf(ctx.repositoryData, ctx.repositoryErrors);
    const actions = localActionsOf(ctx.repositoryData, ctx.repositoryErrors);
    const summary = summariseWorkflows(read.files, { repoFullName: ctx.repo.fullName, defaultBranch: ctx.repo.defaultBranch, states, defaultTokenWrites, yarn, actions });
    return [...toFindings(summary, where), ...token];
  },
};
