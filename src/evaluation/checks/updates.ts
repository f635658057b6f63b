import type { CheckJudge } from "../types.js";
import { listSome, rateVerdict } from "./rates.js";

export const updatePrsGreen: CheckJudge = {
  claimId: "1.2.4",
  checkId: "update-prs-green",
  needs: ["deps.update-prs-merge-health"],
  uses: ["deps.update-config", "branch-protection.required-checks"],
  judge(view, thresholds) {
    const { merged, green, notGreen } = view.value("deps.update-prs-merge-health");
    if (merged === 0) return { status: "not_applicable", reason: "no dependency-update pull request was merged in the window" };
    const verdict = rateVerdict(green, merged, thresholds.updatePrsGreenRate, (rate) => `${green} of ${merged} merged update pull requests (${rate}) had all checks passing at merge`);
    const withList = notGreen.length > 0 ? { ...verdict, reason: `${verdict.reason}; not green: ${listSome(notGreen)}` } : verdict;
    // Automerge is only safe where GitHub itself refuses to merge a red update.
    const automerge = view.maybe("deps.update-config").value?.automerge === true;
    const required = view.maybe("branch-protection.required-checks");
    if (automerge && withList.status === "met") {
      if (required.value === null) return { status: "unknown", reason: `${withList.reason}; Renovate automerges, and whether checks are required could not be read: ${required.reason}` };
      if (required.value.length === 0) return { status: "partial", reason: `${withList.reason}; but Renovate automerges and no status check is required on the default branch` };
    }
    return withList;
  },
};

export const updatePrsFlow: CheckJudge = {
  claimId: "1.2.5",
  checkId: "update-prs-flow",
  needs: ["deps.update-prs"],
  judge(view, thresholds) {
    const prs = view.value("deps.update-prs");
    if (prs.opened === 0 && prs.merged === 0 && prs.openOlderThanThreshold === 0) {
      return { status: "not_applicable", reason: "no dependency-update pull request was active in the window" };
    }
    const problems: string[] = [];
    const medianDays = prs.medianHoursToMerge === null ? null : prs.medianHoursToMerge / 24;
    if (prs.merged === 0) problems.push(`none of ${prs.opened} update pull requests opened in the window was merged`);
    else if (medianDays !== null && medianDays > thresholds.updatePrMedianDaysToMerge) problems.push(`median time to merge ${medianDays.toFixed(1)} days, over the ${thresholds.updatePrMedianDaysToMerge} configured`);
    if (prs.openOlderThanThreshold > 0) problems.push(`${prs.openOlderThanThreshold} open longer than ${thresholds.updatePrMaxOpenDays} days`);
    const facts = `${prs.opened} opened, ${prs.merged} merged, ${prs.closedUnmerged} closed unmerged${medianDays === null ? "" : `, median ${medianDays.toFixed(1)} days to merge`}`;
    if (problems.length === 0) return { status: "met", reason: `update pull requests are acted on: ${facts}` };
    return { status: prs.merged > 0 ? "partial" : "gap", reason: `${listSome(problems)} (${facts})` };
  },
};

export const updateJudges = [updatePrsGreen, updatePrsFlow];
