import { z } from "zod";
import { CHECK_RUN_NAME } from "../core/check-run-name.js";

/*
 * A commit's CI result without claimcheck's own check run. GitHub's `statusCheckRollup.state`
 * includes every check on the commit, claimcheck's too: on a repository with no CI at all it
 * would make a merge look checked (and, with the neutral conclusion, green). So the contexts are
 * read and the result is recomputed from everyone else's.
 */

export const CONTEXTS_READ = 25;

/** The GraphQL selection for a commit's rollup; collectors interpolate it into their fragments. */
export const ROLLUP_FIELDS = `state
    contexts(first: ${CONTEXTS_READ}) {
      totalCount
      nodes {
        __typename
        ... on CheckRun { name status conclusion }
        ... on StatusContext { context state }
      }
    }`;
export const ROLLUP_SELECTION = `statusCheckRollup {
    ${ROLLUP_FIELDS}
  }`;

const contextSchema = z.union([
  z.looseObject({ __typename: z.literal("CheckRun"), name: z.string(), status: z.string(), conclusion: z.string().nullable() }),
  z.looseObject({ __typename: z.literal("StatusContext"), context: z.string(), state: z.string() }),
]);
type Context = z.infer<typeof contextSchema>;

export const rawRollupSchema = z.looseObject({
  state: z.string(),
  contexts: z.looseObject({ totalCount: z.number().int().nonnegative(), nodes: z.array(contextSchema) }),
});

export type RawRollup = z.infer<typeof rawRollupSchema>;
export type EffectiveRollup = { state: "SUCCESS" | "FAILURE" | "PENDING" | string } | null;

const FAILED_CONCLUSIONS = new Set(["FAILURE", "TIMED_OUT", "CANCELLED", "ACTION_REQUIRED", "STARTUP_FAILURE"]);
const PASSED_CONCLUSIONS = new Set(["SUCCESS", "NEUTRAL", "SKIPPED"]);

function outcome(context: Context): "SUCCESS" | "FAILURE" | "PENDING" {
  if (context.__typename === "StatusContext") {
    if (context.state === "SUCCESS") return "SUCCESS";
    return context.state === "FAILURE" || context.state === "ERROR" ? "FAILURE" : "PENDING";
  }
  if (context.status !== "COMPLETED" || context.conclusion === null) return "PENDING";
  if (FAILED_CONCLUSIONS.has(context.conclusion)) return "FAILURE";
  // STALE (never finished) and anything GitHub adds later are not a pass.
  return PASSED_CONCLUSIONS.has(context.conclusion) ? "SUCCESS" : "PENDING";
}

const isOwn = (c: Context) => c.__typename === "CheckRun" && c.name === CHECK_RUN_NAME;

/** Pure: the commit's result from every check but claimcheck's; null when nothing else ran. */
export function effectiveRollup(rollup: RawRollup | null): EffectiveRollup {
  if (rollup === null) return null;
  const others = rollup.contexts.nodes.filter((c) => !isOwn(c));
  // More checks than were read: GitHub's own state stands (claimcheck's can only make it worse, never green).
  if (rollup.contexts.totalCount > rollup.contexts.nodes.length) return { state: rollup.state };
  if (others.length === 0) return null;
  const outcomes = others.map(outcome);
  if (outcomes.includes("FAILURE")) return { state: "FAILURE" };
  if (outcomes.includes("PENDING")) return { state: "PENDING" };
  return { state: "SUCCESS" };
}

/** Validates a `statusCheckRollup` answer and gives the result without claimcheck's own check. */
export const rollupSchema = rawRollupSchema.nullable().transform(effectiveRollup);
