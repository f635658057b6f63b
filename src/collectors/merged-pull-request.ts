import { z } from "zod";
import { rawRollupSchema, ROLLUP_FIELDS, type EffectiveRollup } from "./check-rollup.js";

/*
 * A merged pull request as the batched query and its follow-up pages read it: shared by the
 * pull-request collector and the window's page reader (window-pages.ts).
 */

/** GitHub's page size for one reviewer list; reviews past it could only add approvals, never remove one. */
export const REVIEWS_READ = 100;

/** Three connections nested under each pull request: its checks' contexts, its reviews, its files. */
export const MERGED_PR_FIELDS = `
fragment claimcheckMergedPullRequest on PullRequest {
  url
  number
  createdAt
  mergedAt
  updatedAt
  baseRefName
  headRefOid
  author { __typename login }
  mergedBy { login }
  statusCheckRollup {
    commit { oid }
    ${ROLLUP_FIELDS}
  }
  latestOpinionatedReviews(first: ${REVIEWS_READ}, writersOnly: true) {
    totalCount
    nodes { state submittedAt author { __typename login } commit { oid } }
  }
  files(first: 100) { totalCount nodes { path } }
}`;

/** A list of the most recently updated merged pull requests, without nested connections: one request. */
export const RECENT_LISTED = 100;

export const mergedPullRequests = (first: string) => `pullRequests(baseRefName: $branch, states: [MERGED], first: ${first}, orderBy: { field: UPDATED_AT, direction: DESC }`;

export const actor = z.looseObject({ __typename: z.string(), login: z.string() }).nullable();

const reviewSchema = z.looseObject({ state: z.string(), submittedAt: z.string().nullable(), author: actor, commit: z.looseObject({ oid: z.string() }).nullable() });

export const mergedPrSchema = z.looseObject({
  url: z.string(),
  // Optional for answers that predate it; the URL names the number too.
  number: z.number().int().optional(),
  createdAt: z.string(),
  mergedAt: z.string(),
  updatedAt: z.string(),
  baseRefName: z.string(),
  headRefOid: z.string(),
  author: actor,
  mergedBy: z.looseObject({ login: z.string() }).nullable(),
  statusCheckRollup: rawRollupSchema.extend({ commit: z.looseObject({ oid: z.string() }).nullable() }).nullable(),
  latestOpinionatedReviews: z.looseObject({ totalCount: z.number().int(), nodes: z.array(reviewSchema.nullable()) }).nullable(),
  files: z.looseObject({ totalCount: z.number().int(), nodes: z.array(z.looseObject({ path: z.string() }).nullable()) }).nullable(),
});
/** A merged pull request as read; `headChecks` is filled in when its own rollup was not for its head commit. */
export type MergedPr = z.infer<typeof mergedPrSchema> & { headChecks?: EffectiveRollup };

export const mergedConnection = z.looseObject({
  pageInfo: z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
  nodes: z.array(mergedPrSchema.nullable()),
});
export type MergedConnection = z.infer<typeof mergedConnection>;

// Absent from answers that predate it: the pages then go on until the window ends.
export const recentSchema = z.looseObject({ nodes: z.array(z.looseObject({ number: z.number().int().optional(), updatedAt: z.string() }).nullable()) }).nullish();
export type RecentPr = { number?: number | undefined; updatedAt: string };

export const present = <T>(items: (T | null)[]): T[] => items.filter((i): i is T => i !== null);

/** A pull request's number; from its URL for answers without `number`. */
export function numberOf(pr: { number?: number | undefined; url: string }): number | null {
  if (pr.number !== undefined) return pr.number;
  const match = /\/pull\/(\d+)$/.exec(pr.url);
  return match ? Number(match[1]) : null;
}
