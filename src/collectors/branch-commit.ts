import { z } from "zod";
import { ROLLUP_SELECTION, rollupSchema } from "./check-rollup.js";

/*
 * A default-branch commit as the batched query and its follow-up pages read it: shared by the
 * history collector and the window's page reader (window-pages.ts).
 */

/** One connection nested under each commit: its checks. */
export const BRANCH_COMMIT_FIELDS = `
fragment claimcheckBranchCommit on Commit {
  oid
  committedDate
  signature { isValid }
  ${ROLLUP_SELECTION}
}`;

export const commitSchema = z.looseObject({
  oid: z.string(),
  committedDate: z.string(),
  signature: z.looseObject({ isValid: z.boolean() }).nullable(),
  statusCheckRollup: rollupSchema,
});
/**
 * A default-branch commit as read. `mergeOfPullRequest`: it is the merge commit of a merged pull
 * request. `associatedPullRequests`: GitHub's answer for a commit that is not.
 */
export type BranchCommit = z.infer<typeof commitSchema> & { mergeOfPullRequest?: boolean; associatedPullRequests?: { totalCount: number } | null };

export const historySchema = z.looseObject({
  totalCount: z.number().int().nonnegative().optional(),
  pageInfo: z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
  nodes: z.array(commitSchema.nullable()),
});
export type HistoryPage = z.infer<typeof historySchema>;
export const branchSchema = z.looseObject({ target: z.looseObject({ history: historySchema.optional() }).nullable() }).nullable();
export const mergesSchema = z.looseObject({ nodes: z.array(z.looseObject({ mergeCommit: z.looseObject({ oid: z.string() }).nullable() }).nullable()) }).nullish();
export type ListedMerges = z.infer<typeof mergesSchema>;
