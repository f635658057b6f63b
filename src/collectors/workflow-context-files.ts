import { z } from "zod";
import { fieldError } from "../github/client.js";
import { ACTIONS_DIR, parseLocalAction, type LocalAction } from "./local-actions.js";
import type { CollectContext } from "./types.js";
import { yarnFlavour, type YarnFlavour } from "./workflow-installs.js";

/*
 * Files besides the workflows that decide what a workflow step does, read from the workflows
 * collector's own aliases of the batched query: the local composite actions a step may call, and
 * the files that tell which Yarn runs. A refused or malformed answer leaves them unknown, never
 * empty-as-seen.
 */

// The files that tell which Yarn runs; absent or malformed answers leave it unknown.
const rootFileSchema = z.looseObject({ text: z.string().nullable(), isTruncated: z.boolean() }).nullable();
const toolFilesSchema = z.looseObject({ wf_yarnrc: rootFileSchema.optional(), wf_packageJson: rootFileSchema.optional() });

const actionFileSchema = z.looseObject({ name: z.string(), object: z.looseObject({ text: z.string().nullable(), isBinary: z.boolean().nullable(), isTruncated: z.boolean() }).nullable().optional() });
const actionsSchema = z.looseObject({
  wf_actions: z.looseObject({ entries: z.array(z.looseObject({ name: z.string(), type: z.string(), object: z.looseObject({ entries: z.array(actionFileSchema).optional() }).nullable().optional() })).optional() }).nullable().optional(),
});

/** Pure: the composite actions in `.github/actions/<name>/action.yml`, by the path a workflow calls them with. */
export function localActionsOf(repositoryData: unknown, errors: CollectContext["repositoryErrors"]): Map<string, LocalAction> {
  const parsed = actionsSchema.safeParse(repositoryData);
  const actions = new Map<string, LocalAction>();
  if (!parsed.success || fieldError(errors, "repository", "wf_actions")) return actions;
  for (const dir of parsed.data.wf_actions?.entries ?? []) {
    if (dir.type !== "tree") continue;
    const key = `${ACTIONS_DIR}/${dir.name}`;
    const file = dir.object?.entries?.find((e) => e.name === "action.yml" || e.name === "action.yaml");
    if (!file) continue;
    const blob = file.object;
    if (!blob || blob.text === null || blob.isBinary === true || blob.isTruncated) actions.set(key, { kind: "opaque", reason: "its action.yml could not be read" });
    else actions.set(key, parseLocalAction(blob.text));
  }
  return actions;
}

/** A root file's text: null when it does not exist, undefined when it could not be read. */
function rootText(value: z.infer<typeof rootFileSchema> | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  return value.isTruncated || value.text === null ? undefined : value.text;
}

/** Pure: the Yarn the repository runs, from the batched query's answer. */
export function yarnOf(repositoryData: unknown, errors: CollectContext["repositoryErrors"]): YarnFlavour {
  const parsed = toolFilesSchema.safeParse(repositoryData);
  if (!parsed.success || fieldError(errors, "repository", "wf_yarnrc") || fieldError(errors, "repository", "wf_packageJson")) return null;
  return yarnFlavour(rootText(parsed.data.wf_yarnrc), rootText(parsed.data.wf_packageJson));
}
