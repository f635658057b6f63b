import { actor } from "./graphql.js";
import type { PullRequest } from "./model.js";

/*
 * Pull-request reviews as GitHub keeps them: every review in submission order, and each
 * reviewer's latest opinionated one (approved, changes requested, or a dismissed review), which
 * is what decides whether a pull request is approved.
 */

type Node = Record<string, unknown>;
const MINUTE = 60_000;

/** Every review of the pull request, oldest first. */
export function reviewNodes(pr: PullRequest): Node[] {
  const start = pr.createdAt.getTime() + 30 * MINUTE;
  const listed = [
    ...pr.staleApprovals.map((login) => ({ by: login, state: "APPROVED", oid: pr.firstOid, afterMerge: false })),
    ...pr.approvals.map((login) => ({ by: login, state: "APPROVED", oid: pr.headOid, afterMerge: false })),
    ...pr.reviews.map((r) => ({ by: r.by, state: r.state, oid: r.on === "first" ? pr.firstOid : pr.headOid, afterMerge: r.afterMerge })),
  ];
  return listed.map((r, i) => {
    const at = new Date(r.afterMerge && pr.mergedAt ? pr.mergedAt.getTime() + (i + 1) * MINUTE : start + i * MINUTE).toISOString();
    return { __typename: "PullRequestReview", id: `PRR_${pr.number}_${i}`, state: r.state, submittedAt: at, createdAt: at, author: actor(r.by), commit: { __typename: "Commit", oid: r.oid } };
  });
}

const OPINIONATED = new Set(["APPROVED", "CHANGES_REQUESTED", "DISMISSED"]);

/** Each reviewer's latest opinionated review; a comment does not replace an approval. */
export function latestOpinionatedReviews(pr: PullRequest): Node[] {
  const latest = new Map<string, Node>();
  for (const review of reviewNodes(pr)) {
    if (!OPINIONATED.has(review.state as string)) continue;
    latest.set((review.author as { login: string }).login, review);
  }
  return [...latest.values()];
}
