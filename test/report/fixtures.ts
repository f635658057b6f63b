import type { Assessment } from "../../src/assessment/assess-repository.js";
import type { OrgAssessment } from "../../src/assessment/org-assessment.js";
import type { ClaimSpec } from "../../src/core/catalogue.js";
import { observed, unreadable, type Finding, type FindingId, type FindingValue } from "../../src/core/findings.js";
import { DEFAULT_CONFIG, type RepoConfig } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";
import type { CheckJudge } from "../../src/evaluation/types.js";

/*
 * A small catalogue and hand-made organisation runs for the report's pure tests: the report is
 * tested on its own rules, not on whichever collectors and judges exist today.
 */

export const ORG = "octo-org";
export const NOW = "2026-11-24T12:00:00.000Z";

export const TEST_CLAIMS: ClaimSpec[] = [
  {
    id: "2.2.91",
    principle: "2.2",
    text: "Only authorised personnel can make changes (test claim).",
    coverage: "full",
    scope: "repo",
    checks: [
      { id: "pr-required", judges: "the default branch requires a pull request" },
      { id: "reviews-happened", judges: "merged PRs were independently approved" },
    ],
  },
  {
    id: "2.2.92",
    principle: "2.2",
    text: "Credentials are multi factor (test claim).",
    coverage: "partial",
    scope: "org",
    checks: [{ id: "org-2fa-required", judges: "the organisation requires 2FA" }],
    beyondGitHub: "the identity provider's own MFA policy",
  },
  {
    id: "2.2.93",
    principle: "2.2",
    text: "A test plan exists (test claim).",
    coverage: "outside",
    scope: "org",
    checks: [{ id: "tests-present", judges: "test workflows exist", supporting: true }],
    beyondGitHub: "the test plan itself",
  },
];

export const TEST_JUDGES: CheckJudge[] = [
  {
    claimId: "2.2.91",
    checkId: "pr-required",
    needs: ["branch-protection.pr-required"],
    judge: (view) => (view.value("branch-protection.pr-required") ? { status: "met", reason: "a pull request is required" } : { status: "gap", reason: "no pull request is required" }),
  },
  {
    claimId: "2.2.91",
    checkId: "reviews-happened",
    needs: ["reviews.merged-prs", "reviews.independently-approved", "reviews.unreviewed"],
    judge: (view) => {
      const merged = view.value("reviews.merged-prs");
      const approved = view.value("reviews.independently-approved");
      if (merged === 0) return { status: "not_applicable", reason: "nothing merged" };
      return approved === merged ? { status: "met", reason: `${approved} of ${merged} approved` } : { status: "partial", reason: `${approved} of ${merged} approved` };
    },
  },
  {
    claimId: "2.2.92",
    checkId: "org-2fa-required",
    needs: ["org.2fa-required"],
    judge: (view) => (view.value("org.2fa-required") ? { status: "met", reason: "two-factor authentication is required" } : { status: "gap", reason: "two-factor authentication is not required" }),
  },
  {
    claimId: "2.2.93",
    checkId: "tests-present",
    needs: ["ci.test-workflows"],
    judge: (view) => (view.value("ci.test-workflows").length > 0 ? { status: "met", reason: "test workflows exist" } : { status: "gap", reason: "no test workflow" }),
  },
];

const where = (repo?: string) => ({ source: "test", url: repo ? `https://github.com/${ORG}/${repo}/settings/branches` : `https://github.com/orgs/${ORG}`, observedAt: NOW, ...(repo ? { repo: `${ORG}/${repo}` } : {}) });

export function fact<K extends FindingId>(id: K, value: FindingValue<K>, repo?: string): Finding {
  return observed(id, value, where(repo));
}

export function hidden(id: FindingId, error: string, repo?: string): Finding {
  return unreadable(id, error, where(repo));
}

export type RepoInput = { name: string; findings?: Finding[]; archived?: boolean };

export function orgRun(repos: RepoInput[], orgFindings: Finding[] = [fact("org.2fa-required", true)], config: RepoConfig = DEFAULT_CONFIG): OrgAssessment {
  const repositories: Assessment[] = repos.map((r) => {
    const own = [fact("repo.archived", r.archived === true, r.name), ...(r.findings ?? [])];
    const scope = r.archived ? ({ inScope: false, reason: "archived" } as const) : ({ inScope: true } as const);
    return {
      owner: ORG,
      name: r.name,
      repo: null,
      scope,
      findings: r.archived ? own : [...own, ...orgFindings],
      results: r.archived ? [] : evaluateClaims([...own, ...orgFindings], config, TEST_JUDGES, TEST_CLAIMS),
      requests: { rest: 3, graphql: 1, graphqlCost: 1 },
      startedAt: NOW,
      finishedAt: NOW,
    };
  });
  return {
    org: ORG,
    generatedAt: NOW,
    window: { days: 90, since: "2026-08-26T12:00:00.000Z", until: NOW },
    config,
    repositories,
    orgFindings,
    requests: { rest: 10, graphql: 3, graphqlCost: 3 },
  };
}

export const reviewed = (repo: string, merged: number, approved: number, unreviewed: string[] = []): Finding[] => [
  fact("reviews.merged-prs", merged, repo),
  fact("reviews.independently-approved", approved, repo),
  fact("reviews.unreviewed", unreviewed, repo),
];

export const TEST_OPTIONS = { claims: TEST_CLAIMS, judges: TEST_JUDGES };
