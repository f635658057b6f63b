import type { CheckJudge, Verdict } from "../types.js";
import { listSome, percent, rateVerdict } from "./rates.js";

const WORKFLOWS = "`.github/workflows/`";

/**
 * Workflow changes need a code owner's approval only when all of these hold: a CODEOWNERS file
 * GitHub uses, no lines it rejects, an owner for every workflow file, and code-owner review
 * required. A part that could not be read keeps the check from `met` but does not hide a part
 * seen to fail.
 */
export const workflowsOwned: CheckJudge = {
  claimId: "2.2.2",
  checkId: "workflows-owned",
  needs: ["codeowners.present"],
  uses: ["codeowners.path", "codeowners.covers-workflows", "codeowners.errors", "branch-protection.code-owner-review"],
  judge(view): Verdict {
    const review = view.maybe("branch-protection.code-owner-review");
    if (!view.value("codeowners.present")) {
      const reviewNote = review.value === true ? " (code-owner review is required, but there are no code owners)" : "";
      return { status: "gap", reason: `no CODEOWNERS file on the default branch (GitHub looks in .github/, the root and docs/)${reviewNote}` };
    }
    const file = view.maybe("codeowners.path").value ?? "CODEOWNERS";
    const covers = view.maybe("codeowners.covers-workflows");
    const errors = view.maybe("codeowners.errors");
    const failures: string[] = [];
    const unknowns: string[] = [];

    if (covers.value === false) failures.push(`${file} leaves ${WORKFLOWS} without a code owner (a new workflow file, or an existing one, matches no line with owners)`);
    else if (covers.value === null) unknowns.push(`whether ${file} owns ${WORKFLOWS} is not known: ${covers.reason}`);
    if (errors.value === null) unknowns.push(`GitHub's errors for ${file} could not be read: ${errors.reason}`);
    else if (errors.value.length > 0) failures.push(`GitHub reports ${errors.value.length} error${errors.value.length === 1 ? "" : "s"} in ${file}, and skips lines with errors: ${listSome(errors.value, 3)}`);
    if (review.value === false) failures.push("code-owner review is not required on the default branch, so owners are asked but their approval is not needed");
    else if (review.value === null) unknowns.push(`whether code-owner review is required is not known: ${review.reason}`);

    if (failures.length === 0 && unknowns.length === 0) {
      return { status: "met", reason: `${file} gives every file in ${WORKFLOWS} a code owner, GitHub reports no errors in it, and a code owner's approval is required` };
    }
    if (failures.length === 0) return { status: "unknown", reason: unknowns.join("; ") };
    const reason = [...failures, ...unknowns].join("; ");
    return { status: covers.value === false ? "gap" : "partial", reason };
  },
};

/**
 * Either the branch refuses unsigned commits, or nearly all commits in the window were verified.
 * With no commits in the window the second route shows nothing, so only the first can meet it.
 */
export const signedCommits: CheckJudge = {
  claimId: "2.2.2",
  checkId: "signed-commits",
  needs: [],
  uses: ["branch-protection.signed-commits", "commits.verified"],
  judge(view, thresholds): Verdict {
    // With no `needs`, the evaluator cannot tell "not collected" on its own; say it as it would.
    if (!view.finding("branch-protection.signed-commits") && !view.finding("commits.verified")) return { status: "unknown", reason: "not collected yet" };
    const required = view.maybe("branch-protection.signed-commits");
    const history = view.maybe("commits.verified");
    const counted = history.value && history.value.total > 0 ? history.value : null;
    const tally = counted ? `${counted.verified} of ${counted.total} default-branch commits in the window (${percent(counted.verified, counted.total)}) have a verified signature` : null;

    if (required.value === true) {
      return { status: "met", reason: `signed commits are required on the default branch${tally ? `; ${tally}` : ""}` };
    }
    if (history.value === null && required.value === null) {
      return { status: "unknown", reason: `whether signed commits are required is not known (${required.reason}), and the commits could not be read (${history.reason})` };
    }
    if (history.value === null) {
      return { status: "unknown", reason: `signed commits are not required, and the commits in the window could not be read: ${history.reason}` };
    }
    if (counted === null) {
      if (required.value === null) return { status: "unknown", reason: `no default-branch commits in the window, and whether signed commits are required is not known: ${required.reason}` };
      return { status: "gap", reason: "signed commits are not required on the default branch, and there were no default-branch commits in the window to show signing in practice" };
    }
    const verdict = rateVerdict(counted.verified, counted.total, thresholds.verifiedCommitRate, () => tally!);
    if (required.value === null) {
      // The requirement might still hold; only a rate that meets the threshold settles it.
      if (verdict.status === "met") return { status: "met", reason: `${tally}, at least the ${percent(thresholds.verifiedCommitRate, 1)} configured (whether signing is required could not be read: ${required.reason})` };
      return { status: "unknown", reason: `${tally}, below the ${percent(thresholds.verifiedCommitRate, 1)} configured, and whether signed commits are required is not known: ${required.reason}` };
    }
    return { status: verdict.status, reason: `signed commits are not required; ${verdict.reason}` };
  },
};

export const changeControlJudges = [workflowsOwned, signedCommits];
