import { z } from "zod";
import { observed, unreadable, type Finding, type FindingId, type FindingValue, type Where } from "../core/findings.js";
import { explainReadFailure, fieldError } from "../github/client.js";
import type { CollectContext, Collector } from "./types.js";
import {
  checksOutPrHead,
  commandsOf,
  installKind,
  isPinned,
  parseWorkflow,
  runsDependencyScan,
  runsTests,
  setsBundlerFrozen,
  usesDependencyScan,
  type InstallKind,
  type Job,
  type Workflow,
} from "./workflow-parse.js";

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
}`,
};

const blobSchema = z.looseObject({ text: z.string().nullable(), byteSize: z.number().int(), isBinary: z.boolean().nullable(), isTruncated: z.boolean() });
const entrySchema = z.looseObject({ name: z.string(), path: z.string().nullable(), type: z.string(), mode: z.number().int(), object: z.unknown() });
// `object` is null when the directory does not exist; a file in its place has no `entries`.
const fragmentSchema = z.looseObject({ wf_workflows: z.looseObject({ entries: z.array(entrySchema).optional() }).nullable() });
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

const PR_EVENTS = ["pull_request", "pull_request_target", "merge_group"];

/** The local reusable workflow a job calls (`uses: ./.github/workflows/x.yml`), as a path. */
function localCallee(job: Job): string | null {
  const uses = job.uses?.trim();
  if (!uses?.startsWith("./")) return null;
  return uses.slice(2).replace(/@.*$/, "");
}

/**
 * The jobs a workflow runs, following calls to reusable workflows in the same repository: a
 * check done in a called workflow runs on the caller's trigger.
 */
function reachableJobs(path: string, byPath: ReadonlyMap<string, Workflow>, seen = new Set<string>()): { workflow: Workflow; job: Job }[] {
  const workflow = byPath.get(path);
  if (!workflow || seen.has(path)) return [];
  seen.add(path);
  return workflow.jobs.flatMap((job) => {
    const callee = localCallee(job);
    return [{ workflow, job }, ...(callee ? reachableJobs(callee, byPath, seen) : [])];
  });
}

const envOf = (workflow: Workflow, job: Job, stepEnv: Record<string, string> = {}) => ({ ...workflow.env, ...job.env, ...stepEnv });

/** Installs of one job, in order, so `bundle config set frozen true` applies to later `bundle install`s. */
function jobInstalls(workflow: Workflow, job: Job): InstallKind[] {
  let bundlerFrozen = false;
  const kinds: InstallKind[] = [];
  for (const step of job.steps) {
    if (step.run === null) continue;
    for (const command of commandsOf(step.run)) {
      if (setsBundlerFrozen(command)) bundlerFrozen = true;
      const kind = installKind(command, envOf(workflow, job, step.env), bundlerFrozen);
      if (kind) kinds.push(kind);
    }
  }
  return kinds;
}

const unrestricted = (workflow: Workflow, job: Job) => (job.permissions === "absent" ? workflow.permissions : job.permissions) !== "restricted";

/** A workflow only ever called by another runs with its caller's token, which the caller's permissions bound. */
const onlyCalled = (workflow: Workflow) => workflow.events.every((e) => e === "workflow_call");

function runsTestsIn(job: Job): boolean {
  return job.steps.some((s) => s.run !== null && commandsOf(s.run).some(runsTests));
}

function scansDependencies(job: Job): boolean {
  if (job.uses !== null && usesDependencyScan({ uses: job.uses, with: {} })) return true;
  return job.steps.some((s) => usesDependencyScan(s) || (s.run !== null && commandsOf(s.run).some(runsDependencyScan)));
}

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
] as const satisfies readonly FindingId[];
type WorkflowFindingId = (typeof WORKFLOW_FINDINGS)[number];

export type WorkflowSummary = { [K in WorkflowFindingId]: { value: FindingValue<K> } | { value: null; error: string } };

/**
 * Pure: the workflow findings of a repository.
 *
 * A file that could not be read (truncated, binary, a symlink) might hold anything, so a finding
 * whose answer it could change is not given as if it had been seen: a list that is empty only
 * because nothing was found in the readable files, and an install verdict that the unread file
 * could overturn, become unreadable naming the file. What the readable files do show stands:
 * a non-empty list is a lower bound (its entries are real whatever the unread file holds).
 */
export function summariseWorkflows(files: readonly WorkflowFile[]): WorkflowSummary {
  const parsed = files.flatMap((f) => (f.kind === "parsed" ? [f] : []));
  const unread = files.filter((f) => f.kind === "unread").map((f) => f.path);
  const byPath = new Map(parsed.map((f) => [f.path, f.workflow]));
  const triggeredBy = (events: string[]) => parsed.filter((f) => f.workflow.events.some((e) => events.includes(e)));
  const jobsOf = (path: string) => reachableJobs(path, byPath);

  const unreadReason = `${unread.join(", ")} could not be read, and could change this finding`;
  const list = (paths: string[]): { value: string[] } | { value: null; error: string } =>
    paths.length === 0 && unread.length > 0 ? { value: null, error: unreadReason } : { value: paths };

  const installs = parsed.flatMap((f) => f.workflow.jobs.flatMap((job) => jobInstalls(f.workflow, job)));
  let locked: { value: boolean | null } | { value: null; error: string };
  if (installs.includes("afresh")) locked = { value: false };
  else if (unread.length > 0) locked = { value: null, error: unreadReason };
  else locked = { value: installs.length > 0 ? true : null };

  return {
    // Every workflow file, read or not: checks that find nothing wrong in no file are not applicable, not met.
    "ci.workflow-files": { value: files.map((f) => f.path) },
    "ci.workflows-on-pr": list(triggeredBy(PR_EVENTS).map((f) => f.path)),
    "ci.scheduled-workflows": list(parsed.filter((f) => f.workflow.crons.length > 0).map((f) => f.path)),
    "ci.test-workflows": list(parsed.filter((f) => f.workflow.jobs.some(runsTestsIn)).map((f) => f.path)),
    "ci.dependency-review-workflows": list(triggeredBy(PR_EVENTS).filter((f) => jobsOf(f.path).some(({ job }) => scansDependencies(job))).map((f) => f.path)),
    "ci.invalid-workflows": { value: files.flatMap((f) => (f.kind === "parsed" ? [] : [{ path: f.path, error: f.error }])) },
    "actions.unpinned-uses": list(parsed.flatMap((f) => unpinnedIn(f.path, f.workflow))),
    "actions.dangerous-workflows": list(
      triggeredBy(["pull_request_target"])
        .filter((f) => jobsOf(f.path).some(({ workflow, job }) => job.steps.some((s) => checksOutPrHead(s, envOf(workflow, job, s.env)))))
        .map((f) => f.path),
    ),
    "actions.workflows-without-permissions": list(parsed.filter((f) => !onlyCalled(f.workflow) && f.workflow.jobs.some((job) => unrestricted(f.workflow, job))).map((f) => f.path)),
    "deps.ci-installs-locked": locked,
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

function readWorkflowFiles({ repo, now, repositoryData, repositoryErrors }: CollectContext): Finding[] {
  const where: Where = {
    repo: repo.fullName,
    source: `GraphQL repository.object(expression: "HEAD:${WORKFLOW_DIR}")`,
    url: `${repo.htmlUrl}/tree/${encodeURIComponent(repo.defaultBranch)}/${WORKFLOW_DIR}`,
    observedAt: now.toISOString(),
  };
  const refused = fieldError(repositoryErrors, "repository", "wf_workflows");
  if (refused) {
    const reason = `${refused}; the app may lack the 'Contents: read' repository permission`;
    return WORKFLOW_FINDINGS.map((id) => unreadable(id, reason, where));
  }
  // A malformed answer must not take the token settings down with it, so it is not thrown.
  const parsed = fragmentSchema.safeParse(repositoryData);
  if (!parsed.success) {
    const reason = `GitHub's answer for ${WORKFLOW_DIR} did not have the expected shape: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
    return WORKFLOW_FINDINGS.map((id) => unreadable(id, reason, where));
  }
  return toFindings(summariseWorkflows(workflowFiles(parsed.data.wf_workflows?.entries ?? [])), where);
}

export const workflowsCollector: Collector = {
  id: "workflows",
  produces: [...WORKFLOW_FINDINGS, "actions.default-token-permission", "actions.can-approve-prs"],
  repositoryFragment: workflowsFragment,
  async collect(ctx: CollectContext): Promise<Finding[]> {
    return [...readWorkflowFiles(ctx), ...(await readTokenSettings(ctx))];
  },
};
