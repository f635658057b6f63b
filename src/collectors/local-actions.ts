import { parseDocument } from "yaml";
import type { Step } from "./workflow-parse.js";

/*
 * Composite actions kept in the repository (`.github/actions/<name>/action.yml`), which workflows
 * call as `uses: ./.github/actions/<name>`. Their steps are read so that an install, a test run or
 * a scan done inside one is seen as part of the calling job. An action of another kind (node,
 * docker), or one that could not be read, stays opaque.
 */

export const ACTIONS_DIR = ".github/actions";

/** A local action: its steps when it is a readable composite action, or why it cannot be followed. */
export type LocalAction = { kind: "composite"; steps: Step[] } | { kind: "opaque"; reason: string };

type Dict = Record<string, unknown>;
const isDict = (value: unknown): value is Dict => typeof value === "object" && value !== null && !Array.isArray(value);
const scalar = (value: unknown): string | null => (typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : null);
const scalars = (value: unknown): Record<string, string> =>
  isDict(value) ? Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (scalar(v) === null ? [] : [[k, scalar(v)!]]))) : {};

/** Pure: an action.yml's text to its steps, when it is a composite action. */
export function parseLocalAction(text: string): LocalAction {
  let root: unknown;
  try {
    const doc = parseDocument(text, { merge: false });
    if (doc.errors[0]) return { kind: "opaque", reason: "its action.yml is not valid YAML" };
    root = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return { kind: "opaque", reason: "its action.yml is not valid YAML" };
  }
  const runs = isDict(root) ? root.runs : undefined;
  if (!isDict(runs)) return { kind: "opaque", reason: "its action.yml has no `runs:`" };
  if (runs.using !== "composite") return { kind: "opaque", reason: `it is a \`${String(runs.using)}\` action, whose code is not read` };
  const steps = Array.isArray(runs.steps) ? runs.steps : [];
  return {
    kind: "composite",
    steps: steps.flatMap((s): Step[] => (isDict(s) ? [{ uses: scalar(s.uses), run: scalar(s.run), with: scalars(s.with), env: scalars(s.env), if: scalar(s.if) ?? (typeof s.if === "boolean" ? s.if : null) }] : [])),
  };
}

/** The key a `uses: ./path` reference is looked up by: the repository path without `./` or a trailing slash. */
export const localActionKey = (uses: string) => uses.trim().replace(/^\.\//, "").replace(/\/+$/, "");

/**
 * Pure: a job's steps with each call of a readable local composite action replaced by that
 * action's steps (up to `depth` levels), the call's `with:` values given to them as variables.
 * A call that cannot be followed is kept as it is.
 */
export function expandLocalActions(steps: readonly Step[], actions: ReadonlyMap<string, LocalAction>, depth = 3): Step[] {
  return steps.flatMap((step) => {
    if (depth <= 0 || step.uses === null || !step.uses.trim().startsWith("./")) return [step];
    const action = actions.get(localActionKey(step.uses));
    if (!action || action.kind !== "composite") return [step];
    const inner = action.steps.map((s) => ({ ...s, env: { ...step.with, ...step.env, ...s.env } }));
    return expandLocalActions(inner, actions, depth - 1);
  });
}
