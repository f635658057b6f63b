import type { CheckJudge } from "../types.js";

const DAY_MS = 86_400_000;

/**
 * 2.1.6: a person reviewed who can change the build environment recently enough. The review is the
 * access review issue claimcheck opens every `accessReview.everyDays`; it counts once a person closes
 * it as completed, and stays valid for the period plus `accessReview.graceDays`.
 */
export const accessReviewDone: CheckJudge = {
  claimId: "2.1.6",
  checkId: "access-review-done",
  needs: ["access.last-review"],
  judge(view, _thresholds, config) {
    const { everyDays, graceDays } = config.accessReview;
    const review = view.value("access.last-review");
    if (review === null) {
      return { status: "gap", reason: `no access review has been closed as completed by a person; claimcheck opens one every ${everyDays} days in the organisation's central repository` };
    }
    const observedAt = Date.parse(view.finding("access.last-review")?.observedAt ?? "");
    const closedAt = Date.parse(review.closedAt);
    if (!Number.isFinite(observedAt) || !Number.isFinite(closedAt)) return { status: "unknown", reason: "the date of the last access review could not be read" };
    const ageDays = Math.floor((observedAt - closedAt) / DAY_MS);
    const on = review.closedAt.slice(0, 10);
    if (ageDays <= everyDays + graceDays) return { status: "met", reason: `access reviewed by @${review.closedBy} on ${on} (${review.issueUrl})` };
    return { status: "gap", reason: `the last access review was completed by @${review.closedBy} on ${on}, ${ageDays} days ago: more than ${everyDays} days plus ${graceDays} days' grace (${review.issueUrl})` };
  },
};

export const accessReviewJudges: readonly CheckJudge[] = [accessReviewDone];
