import type { CheckJudge, FindingView } from "../types.js";
import { ciInstallsLocked } from "./installs.js";
import { listSome } from "./rates.js";

/*
 * Checks judged on the repository's GitHub Actions workflows and its workflow-token settings.
 * The workflow findings list only what was found; none of them counts the workflows, so "no
 * workflow at all" and "no workflow doing X" read the same here and the reasons say "no workflow".
 */

/** The owner a `path: owner/repo@ref` entry of actions.unpinned-uses names (null for container images). */
export function referenceOwner(entry: string): string | null {
  const ref = entry.slice(entry.indexOf(": ") + 2).trim();
  if (ref.startsWith("docker://")) return null;
  return ref.split("/")[0]?.toLowerCase() || null;
}

const repositoryOwner = (view: FindingView) => view.finding("actions.unpinned-uses")?.repo?.split("/")[0]?.toLowerCase() ?? null;

const NO_WORKFLOWS = { status: "not_applicable", reason: "no GitHub Actions workflow on the default branch" } as const;

export const actionsPinned: CheckJudge = {
  claimId: "1.2.2",
  checkId: "actions-pinned",
  needs: ["actions.unpinned-uses", "ci.workflow-files"],
  judge(view) {
    if (view.value("ci.workflow-files").length === 0) return NO_WORKFLOWS;
    const unpinned = view.value("actions.unpinned-uses");
    if (unpinned.length === 0) return { status: "met", reason: "no workflow references an action or reusable workflow by tag or branch (every `uses:` found is a full commit SHA, an image digest or a local path)" };
    // Actions of the organisation itself are not third-party components; they are named, not counted.
    const owner = repositoryOwner(view);
    const own = unpinned.filter((u) => owner !== null && referenceOwner(u) === owner);
    const thirdParty = unpinned.filter((u) => !own.includes(u));
    const ownNote = own.length > 0 ? `; the organisation's own actions are referenced by tag or branch too: ${listSome(own, 10)}` : "";
    if (thirdParty.length === 0) return { status: "met", reason: `every third-party action and reusable workflow is pinned to a full commit SHA${ownNote}` };
    return { status: "gap", reason: `${thirdParty.length} third-party reference${thirdParty.length === 1 ? " is" : "s are"} not pinned to a full commit SHA: ${listSome(thirdParty, 10)}${ownNote}` };
  },
};

export const dependencyReview: CheckJudge = {
  claimId: "1.2.3",
  checkId: "dependency-review",
  needs: ["ci.dependency-review-workflows"],
  judge(view) {
    const workflows = view.value("ci.dependency-review-workflows");
    if (workflows.length > 0) return { status: "met", reason: `dependency review or a vulnerability scan runs on pull requests: ${listSome(workflows)}` };
    return {
      status: "gap",
      reason: "no workflow on pull requests reviews dependency changes or scans dependencies for known vulnerabilities (workflows required by organisation rulesets and external CI are not seen)",
    };
  },
};

export const testsPresent: CheckJudge = {
  claimId: "1.3.1",
  checkId: "tests-present",
  needs: ["ci.test-workflows"],
  judge(view) {
    const workflows = view.value("ci.test-workflows");
    if (workflows.length > 0) return { status: "met", reason: `workflows that run tests: ${listSome(workflows)}` };
    return { status: "gap", reason: "no workflow runs a recognised test command (tests run by external CI, or by commands claimcheck does not recognise, are not seen)" };
  },
};

export const scheduledRegression: CheckJudge = {
  claimId: "1.3.2",
  checkId: "scheduled-regression",
  needs: ["ci.scheduled-workflows"],
  uses: ["ci.default-branch-runs"],
  judge(view) {
    const scheduled = view.value("ci.scheduled-workflows");
    const schedules = scheduled.length > 0 ? `scheduled workflows: ${listSome(scheduled)}` : "no scheduled workflow (`on: schedule`)";
    const runs = view.maybe("ci.default-branch-runs");
    // A schedule in a file is an intention; only results on the default branch show CI ran in the window.
    if (runs.value !== null && runs.value > 0) return { status: "met", reason: `${runs.value} default-branch commit${runs.value === 1 ? "" : "s"} in the window had CI results; ${schedules}` };
    if (runs.value === null) return { status: "unknown", reason: `${schedules}; whether CI ran on the default branch in the window could not be read${runs.reason ? `: ${runs.reason}` : ""}` };
    if (scheduled.length > 0) return { status: "partial", reason: `${schedules}, but no default-branch commit in the window had CI results (the schedule may be disabled, or ran only on an older commit)` };
    return { status: "gap", reason: `${schedules}, and no default-branch commit in the window had CI results` };
  },
};

export const tokenReadOnly: CheckJudge = {
  claimId: "2.1.3",
  checkId: "token-read-only",
  needs: ["actions.default-token-permission", "actions.can-approve-prs"],
  judge(view) {
    const write = view.value("actions.default-token-permission") === "write";
    const approves = view.value("actions.can-approve-prs");
    if (!write && !approves) return { status: "met", reason: "the workflow token is read-only by default and cannot approve pull requests" };
    const problems = [write ? "the workflow token has write access by default" : "", approves ? "GitHub Actions may approve pull requests" : ""].filter(Boolean);
    return { status: write && approves ? "gap" : "partial", reason: `${problems.join("; ")} (Settings → Actions → General → Workflow permissions)` };
  },
};

export const workflowPermissions: CheckJudge = {
  claimId: "2.1.3",
  checkId: "workflow-permissions",
  needs: ["actions.workflows-without-permissions", "actions.dangerous-workflows", "ci.workflow-files"],
  judge(view) {
    if (view.value("ci.workflow-files").length === 0) return NO_WORKFLOWS;
    const dangerous = view.value("actions.dangerous-workflows");
    const without = view.value("actions.workflows-without-permissions");
    const withoutNote = without.length > 0 ? `; without a restricting \`permissions:\` block: ${listSome(without)}` : "";
    if (dangerous.length > 0) {
      return { status: "gap", reason: `privileged workflows (\`pull_request_target\`, \`workflow_run\`, \`issue_comment\`) build or run the pull request's code with secrets or a write token: ${listSome(dangerous)}${withoutNote}` };
    }
    if (without.length > 0) return { status: "partial", reason: `workflows whose jobs run with the default token permissions (no \`permissions:\`, or \`write-all\`): ${listSome(without)}` };
    return { status: "met", reason: "no workflow job runs with the default token permissions, and no privileged workflow builds or runs the pull request's code" };
  },
};

export const workflowJudges = [actionsPinned, ciInstallsLocked, dependencyReview, testsPresent, scheduledRegression, tokenReadOnly, workflowPermissions];
