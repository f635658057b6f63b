import { conditionTruth, hasStatusFunction, type ExpressionContext } from "./workflow-expressions.js";
import { prTriggerVerdict, type TriggerFilters } from "./workflow-filters.js";
import type { Condition, Job, Workflow } from "./workflow-parse.js";

/*
 * Whether a workflow, a job or a step runs, decided statically as GitHub decides it: the
 * workflow's state in GitHub (a disabled workflow never runs), the trigger's filters for a pull
 * request to the default branch, and `if:` conditions. "sometimes" carries the reason it cannot
 * be told; evidence that something runs is only taken from "yes".
 */

export type Runs = { runs: "yes" } | { runs: "no"; reason: string } | { runs: "sometimes"; reason: string };

export const YES: Runs = { runs: "yes" };

/** The workflow states GitHub's Actions API reports (`GET /repos/{owner}/{repo}/actions/workflows`). */
export type WorkflowStates = { ok: true; byPath: ReadonlyMap<string, string> } | { ok: false; error: string };

export type RunContext = { repoFullName: string; defaultBranch: string; states: WorkflowStates };

export const PR_EVENTS = ["pull_request", "pull_request_target", "merge_group"];

/** Pure: whether GitHub runs a workflow file at all, from its state in the Actions API. */
export function stateVerdict(path: string, ctx: RunContext): Runs {
  if (!ctx.states.ok) return { runs: "sometimes", reason: `whether GitHub runs ${path} could not be read: ${ctx.states.error}` };
  const state = ctx.states.byPath.get(path);
  if (state === undefined) return { runs: "sometimes", reason: `GitHub's list of workflows does not include ${path}, so whether it runs is not known` };
  if (state === "active") return YES;
  return { runs: "no", reason: `${path} is ${state.replace(/_/g, " ")} in GitHub and does not run` };
}

/** What an expression can know about a run of `event` (context paths lower-case). */
export function expressionValues(event: string, ctx: RunContext): Record<string, string> {
  const [owner = ""] = ctx.repoFullName.split("/");
  const values: Record<string, string> = { "github.event_name": event, "github.repository": ctx.repoFullName, "github.repository_owner": owner };
  if (PR_EVENTS.includes(event) && event !== "merge_group") {
    // Judged for pull requests to the default branch.
    values["github.base_ref"] = ctx.defaultBranch;
    values["github.event.pull_request.base.ref"] = ctx.defaultBranch;
    values["github.event.repository.default_branch"] = ctx.defaultBranch;
  }
  return values;
}

/** Pure: whether an `if:` lets a run of `event` through. */
export function conditionRuns(condition: Condition | undefined, event: string, ctx: RunContext, hasNeeds: boolean, what: string): Runs {
  const expression: ExpressionContext = { values: expressionValues(event, ctx), hasNeeds };
  const { truth, error } = conditionTruth(condition ?? null, expression);
  if (truth === "true") return YES;
  const shown = `\`if: ${String(condition)}\``;
  if (truth === "false") return { runs: "no", reason: `${what}'s ${shown} is never true on \`${event}\`` };
  return { runs: "sometimes", reason: error ? `${what}'s ${error}` : `${what} runs on \`${event}\` only when ${shown} holds, which depends on the run` };
}

/**
 * Pure: whether a job runs on `event`: its own `if:`, and the jobs it `needs` (a job whose needed
 * job was skipped is skipped too, unless its `if:` names a status function such as `always()`).
 */
export function jobRuns(workflow: Workflow, job: Job, event: string, ctx: RunContext, seen: ReadonlySet<string> = new Set()): Runs {
  const needs = job.needs ?? [];
  const own = conditionRuns(job.if, event, ctx, needs.length > 0, `job \`${job.id}\``);
  if (own.runs === "no") return own;
  const statusDecides = typeof job.if === "string" && hasStatusFunction(job.if);
  if (statusDecides || needs.length === 0 || seen.has(job.id)) return own;
  let result: Runs = own;
  for (const name of needs) {
    const needed = workflow.jobs.find((j) => j.id === name);
    if (!needed) return { runs: "no", reason: `job \`${job.id}\` needs \`${name}\`, which the workflow does not define` };
    const upstream = jobRuns(workflow, needed, event, ctx, new Set([...seen, job.id]));
    if (upstream.runs === "no") return { runs: "no", reason: `job \`${job.id}\` needs \`${name}\`, which never runs on \`${event}\` (${upstream.reason})` };
    if (upstream.runs === "sometimes" && result.runs === "yes") result = upstream;
  }
  return result;
}

const NO_FILTERS: TriggerFilters = { branches: null, branchesIgnore: null, paths: null, pathsIgnore: null, types: null };

/** Pure: whether a workflow's trigger for `event` fires: pull request triggers for pull requests to the default branch, others whenever they occur. */
export function triggerRuns(workflow: Workflow, event: string, ctx: RunContext): Runs {
  if (!workflow.events.includes(event)) return { runs: "no", reason: `not triggered by \`${event}\`` };
  if (!PR_EVENTS.includes(event)) return YES;
  const verdict = prTriggerVerdict(event, workflow.triggers?.[event] ?? NO_FILTERS, ctx.defaultBranch);
  return verdict;
}

/** The best of several verdicts: yes if any is yes, sometimes if any is, no (with every reason) otherwise. */
export function anyRuns(verdicts: readonly Runs[]): Runs {
  if (verdicts.some((v) => v.runs === "yes")) return YES;
  const sometimes = verdicts.find((v): v is Extract<Runs, { runs: "sometimes" }> => v.runs === "sometimes");
  if (sometimes) return sometimes;
  const reasons = verdicts.flatMap((v) => (v.runs === "no" ? [v.reason] : []));
  return { runs: "no", reason: reasons.join("; ") || "nothing runs" };
}

/** Both must run: no if either never does, sometimes if either is undecided. */
export function bothRun(a: Runs, b: Runs): Runs {
  if (a.runs === "no") return a;
  if (b.runs === "no") return b;
  if (a.runs === "sometimes") return a;
  return b;
}
