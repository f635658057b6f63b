import type { CheckJudge } from "../types.js";
import { listSome, rateVerdict } from "./rates.js";

const NO_MERGES = { status: "not_applicable", reason: "no pull request was merged into the default branch in the window" } as const;

/**
 * An approval counts only as an approval of what merged: on the final commit, by a person other
 * than the author, before the merge, and still standing (not superseded by "changes requested"
 * or dismissed). Where stale approvals are kept, GitHub lets a PR merge on an approval of an
 * earlier commit, but nobody approved the commits pushed after it.
 */
export const reviewsHappened: CheckJudge = {
  claimId: "2.2.2",
  checkId: "reviews-happened",
  needs: ["reviews.merged-prs", "reviews.independently-approved", "reviews.approved-on-final-commit", "reviews.unreviewed", "reviews.approval-outdated"],
  uses: ["branch-protection.last-push-approval", "branch-protection.dismiss-stale-reviews", "reviews.bot-approved-only"],
  judge(view, thresholds) {
    const merged = view.value("reviews.merged-prs");
    if (merged === 0) return NO_MERGES;
    const expire = view.maybe("branch-protection.last-push-approval").value === true || view.maybe("branch-protection.dismiss-stale-reviews").value === true;
    const approved = view.value("reviews.approved-on-final-commit");
    const outdated = view.value("reviews.approval-outdated");
    const bots = view.maybe("reviews.bot-approved-only").value ?? [];
    const verdict = rateVerdict(approved, merged, thresholds.reviewedMergeRate, (rate) => `${approved} of ${merged} merged pull requests (${rate}) were approved by someone other than their author, before merge, on their final commit`);
    const notes = [
      view.value("reviews.unreviewed").length > 0 ? `not approved: ${listSome(view.value("reviews.unreviewed"))}` : "",
      outdated.length > 0 ? `approved only on an earlier commit than the one merged${expire ? "" : " (this branch keeps stale approvals)"}: ${listSome(outdated)}` : "",
      bots.length > 0 ? `approved only by a bot: ${listSome(bots)}` : "",
    ].filter(Boolean);
    return notes.length > 0 ? { status: verdict.status, reason: `${verdict.reason}; ${notes.join("; ")}` } : verdict;
  },
};

export const noDirectPushes: CheckJudge = {
  claimId: "2.2.2",
  checkId: "no-direct-pushes",
  needs: ["commits.direct-pushes", "commits.verified"],
  judge(view) {
    const total = view.value("commits.verified").total;
    const direct = view.value("commits.direct-pushes");
    if (total === 0) return { status: "not_applicable", reason: "no commits on the default branch in the window" };
    if (direct === 0) return { status: "met", reason: `all ${total} default-branch commits in the window came through pull requests` };
    return { status: "gap", reason: `${direct} of ${total} default-branch commits in the window were pushed without a pull request` };
  },
};

export const ciOnPrs: CheckJudge = {
  claimId: "1.3.2",
  checkId: "ci-on-prs",
  needs: ["reviews.merged-prs", "ci.merged-with-checks"],
  uses: ["ci.workflows-on-pr"],
  judge(view, thresholds) {
    const merged = view.value("reviews.merged-prs");
    if (merged === 0) return NO_MERGES;
    const checked = view.value("ci.merged-with-checks");
    const workflows = view.maybe("ci.workflows-on-pr").value;
    const suffix = workflows && workflows.length > 0 ? ` (workflows on pull requests: ${listSome(workflows)})` : "";
    const verdict = rateVerdict(checked, merged, thresholds.ciOnPrsRate, (rate) => `checks ran on ${checked} of ${merged} merged pull requests (${rate})`);
    return { ...verdict, reason: verdict.reason + suffix };
  },
};

export const noRedMerges: CheckJudge = {
  claimId: "1.3.3",
  checkId: "no-red-merges",
  needs: ["reviews.merged-prs", "ci.merged-green", "ci.merged-red-or-unchecked"],
  judge(view, thresholds) {
    const merged = view.value("reviews.merged-prs");
    if (merged === 0) return NO_MERGES;
    const red = view.value("ci.merged-red-or-unchecked");
    const share = red.length / merged;
    const text = `${red.length} of ${merged} merged pull requests (${(share * 100).toFixed(1)}%) had failing, pending or no checks at merge`;
    if (share <= thresholds.redMergeMaxRate) return { status: "met", reason: red.length > 0 ? `${text}, within the ${(thresholds.redMergeMaxRate * 100).toFixed(1)}% allowed: ${listSome(red)}` : text };
    return { status: red.length < merged ? "partial" : "gap", reason: `${text}: ${listSome(red)}` };
  },
};

export const mainGreenRate: CheckJudge = {
  claimId: "1.3.3",
  checkId: "main-green-rate",
  needs: ["ci.default-branch-runs", "ci.default-branch-success-rate"],
  judge(view, thresholds) {
    const runs = view.value("ci.default-branch-runs");
    const rate = view.value("ci.default-branch-success-rate");
    if (runs === 0 || rate === null) return { status: "not_applicable", reason: "no finished checks on default-branch commits in the window" };
    const green = Math.round(rate * runs);
    return rateVerdict(green, runs, thresholds.defaultBranchGreenRate, (r) => `${green} of ${runs} default-branch commits with checks (${r}) were green`);
  },
};

export const mainRecovers: CheckJudge = {
  claimId: "1.3.3",
  checkId: "main-recovers",
  needs: ["ci.default-branch-runs", "ci.default-branch-hours-to-green"],
  judge(view, thresholds) {
    const runs = view.value("ci.default-branch-runs");
    const hours = view.value("ci.default-branch-hours-to-green");
    if (runs === 0) return { status: "not_applicable", reason: "no finished checks on default-branch commits in the window" };
    if (hours === null) return { status: "met", reason: `the default branch was never red in the window (${runs} commits with checks)` };
    const text = `median time from a failing default-branch commit to the next green one: ${hours} h`;
    return hours <= thresholds.hoursToGreen ? { status: "met", reason: text } : { status: "partial", reason: `${text}, longer than the ${thresholds.hoursToGreen} h configured` };
  },
};

export const newDepsTested: CheckJudge = {
  claimId: "1.2.3",
  checkId: "new-deps-tested",
  needs: ["deps.new-dependency-prs"],
  judge(view) {
    const { merged, greenAndApproved, urls } = view.value("deps.new-dependency-prs");
    if (merged === 0) return { status: "not_applicable", reason: "no pull request changing a dependency manifest or lockfile (other than update bots') was merged in the window" };
    const text = `${greenAndApproved} of ${merged} merged pull requests changing dependencies had passing checks and an independent approval`;
    if (greenAndApproved === merged) return { status: "met", reason: text };
    return { status: greenAndApproved > 0 ? "partial" : "gap", reason: `${text}; not: ${listSome(urls)}` };
  },
};

export const historyJudges = [reviewsHappened, noDirectPushes, ciOnPrs, noRedMerges, mainGreenRate, mainRecovers, newDepsTested];
