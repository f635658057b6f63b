import { CHECK_RUN_NAME } from "../../core/check-run-name.js";
import type { BypassActor } from "../../core/findings.js";
import type { CheckJudge } from "../types.js";

function describeActors(actors: BypassActor[]): string {
  return actors.map((a) => `${a.actorType}${a.actorId === null ? "" : ` #${a.actorId}`} (${a.bypassMode}, ruleset "${a.ruleset}")`).join(", ");
}

/**
 * A rule met on paper is only partly met when someone may skip it: classic protection without
 * "include administrators", or a ruleset with bypass actors. Which rule a bypass covers is not
 * told apart here, so any bypass qualifies every protection check (never a met it may not earn).
 */
function unlessBypassed(judge: CheckJudge): CheckJudge {
  return {
    ...judge,
    uses: [...(judge.uses ?? []), "branch-protection.admins-enforced", "branch-protection.bypass-actors"],
    judge(view, thresholds, config) {
      const verdict = judge.judge(view, thresholds, config);
      if (verdict.status !== "met") return verdict;
      const enforced = view.maybe("branch-protection.admins-enforced");
      if (enforced.value === null) return { status: "unknown", reason: `${verdict.reason}, but whether anyone can bypass it could not be read: ${enforced.reason}` };
      if (enforced.value) return { ...verdict, reason: `${verdict.reason}, for everyone, administrators included` };
      const actors = view.maybe("branch-protection.bypass-actors");
      const who = actors.value && actors.value.length > 0 ? `these can bypass it: ${describeActors(actors.value)}` : "administrators are exempt (classic protection does not include administrators)";
      return { status: "partial", reason: `${verdict.reason}, but ${who}` };
    },
  };
}

export const prRequired: CheckJudge = unlessBypassed({
  claimId: "2.2.2",
  checkId: "pr-required",
  needs: ["branch-protection.pr-required"],
  judge(view) {
    if (!view.value("branch-protection.pr-required")) return { status: "gap", reason: "the default branch accepts changes without a pull request" };
    return { status: "met", reason: "a pull request is required" };
  },
});

export const reviewsRequired: CheckJudge = unlessBypassed({
  claimId: "2.2.2",
  checkId: "reviews-required",
  needs: ["branch-protection.required-approvals", "branch-protection.dismiss-stale-reviews"],
  uses: ["actions.can-approve-prs"],
  judge(view, thresholds) {
    const approvals = view.value("branch-protection.required-approvals");
    const dismissStale = view.value("branch-protection.dismiss-stale-reviews");
    const wanted = thresholds.requiredApprovals;
    if (approvals === 0) return { status: "gap", reason: "no approving review is required before merge" };
    const count = `${approvals} approving review${approvals === 1 ? "" : "s"} required`;
    if (approvals < wanted) return { status: "partial", reason: `${count}, fewer than the ${wanted} configured` };
    if (!dismissStale) return { status: "partial", reason: `${count}, but approvals survive new commits (stale approvals are not dismissed)` };
    // A workflow whose token may approve pull requests can supply the required approval itself.
    // Judged only where the Actions settings were collected (every full assessment collects them).
    const actionsApprove = view.finding("actions.can-approve-prs") ? view.maybe("actions.can-approve-prs") : { value: false as const, reason: "" };
    if (actionsApprove.value === true) return { status: "partial", reason: `${count}; stale approvals are dismissed, but GitHub Actions may approve pull requests, so a workflow can give the approval` };
    if (actionsApprove.value === null) return { status: "unknown", reason: `${count}; stale approvals are dismissed, but whether GitHub Actions may approve pull requests could not be read: ${actionsApprove.reason}` };
    return { status: "met", reason: `${count}; stale approvals are dismissed on new commits` };
  },
});

export const noForcePush: CheckJudge = unlessBypassed({
  claimId: "2.2.2",
  checkId: "no-force-push",
  needs: ["branch-protection.force-push-blocked", "branch-protection.deletion-blocked"],
  judge(view) {
    const forceBlocked = view.value("branch-protection.force-push-blocked");
    const deletionBlocked = view.value("branch-protection.deletion-blocked");
    if (forceBlocked && deletionBlocked) return { status: "met", reason: "force pushes and deletion of the default branch are blocked" };
    if (!forceBlocked && !deletionBlocked) return { status: "gap", reason: "the default branch can be force-pushed and deleted" };
    return { status: "partial", reason: forceBlocked ? "force pushes are blocked, but the default branch can be deleted" : "deletion is blocked, but the default branch can be force-pushed" };
  },
});

export const checksRequired: CheckJudge = unlessBypassed({
  claimId: "1.3.2",
  checkId: "checks-required",
  needs: ["branch-protection.required-checks"],
  judge(view) {
    const all = view.value("branch-protection.required-checks");
    // claimcheck's own check run passes as neutral whatever the tests do: requiring it requires no CI.
    const checks = all.filter((c) => c !== CHECK_RUN_NAME);
    if (checks.length === 0) return { status: "gap", reason: all.length > 0 ? `the only required check is claimcheck's own \`${CHECK_RUN_NAME}\`, which is not CI` : "no status check is required to pass before merging into the default branch" };
    return { status: "met", reason: `required to pass before merge: ${checks.map((c) => `\`${c}\``).join(", ")}` };
  },
});

export const branchProtectionJudges = [prRequired, reviewsRequired, noForcePush, checksRequired];
