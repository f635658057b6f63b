/*
 * The claim catalogue for principles 1.2, 1.3, 2.1 and 2.2 of the Software Security Code of Practice.
 * Claim sentences are quoted from the NCSC's Assurance Principles and Claims (v1.0, 7 May 2025).
 * Check ids are claimcheck's own and stable: users script against them.
 */

export type Coverage = "full" | "partial" | "outside";
export type Scope = "repo" | "org";

export type CheckSpec = {
  id: string;
  /** What is judged, in one line, for people reading a check run. */
  judges: string;
  /** `supporting` checks are shown with an `outside` claim but never decide it. */
  supporting?: boolean;
};

export type ClaimSpec = {
  id: string;
  principle: string;
  text: string;
  coverage: Coverage;
  /** Where the claim is judged: per repository, or once for the organisation. */
  scope: Scope;
  checks: CheckSpec[];
  /** What an assessor will still ask for that GitHub cannot show. */
  beyondGitHub?: string;
};

export type PrincipleSpec = { id: string; title: string };

export const PRINCIPLES: PrincipleSpec[] = [
  {
    id: "1.2",
    title:
      "Understand the composition of the software and assess risks linked to the ingestion and maintenance of third-party components throughout the development lifecycle",
  },
  { id: "1.3", title: "Have a clear process for testing software and software updates before distribution" },
  { id: "2.1", title: "Protect the build environment against unauthorised access" },
  { id: "2.2", title: "Control and log changes to the build environment" },
];

export const CLAIMS: ClaimSpec[] = [
  {
    id: "1.2.1",
    principle: "1.2",
    text: "All third-party components are identified and documented.",
    coverage: "partial",
    scope: "repo",
    checks: [
      { id: "manifests-locked", judges: "every dependency manifest has its lockfile" },
      { id: "sbom-available", judges: "the dependency graph SBOM can be exported" },
    ],
    beyondGitHub: "components not declared in a manifest (vendored code, binaries, container base images)",
  },
  {
    id: "1.2.2",
    principle: "1.2",
    text: "Integrity of third-party components and updates is verified.",
    coverage: "partial",
    scope: "repo",
    checks: [
      { id: "lockfile-integrity", judges: "lockfiles carry integrity hashes" },
      { id: "ci-installs-locked", judges: "CI installs from the lockfile" },
      { id: "actions-pinned", judges: "workflow actions are pinned to a full commit SHA" },
    ],
    beyondGitHub: "how components fetched outside CI (developer machines, build images) are verified",
  },
  {
    id: "1.2.3",
    principle: "1.2",
    text: "Each third-party component is tested before being first deployed.",
    coverage: "partial",
    scope: "repo",
    checks: [
      { id: "new-deps-tested", judges: "PRs adding dependencies passed checks and were independently approved" },
      { id: "dependency-review", judges: "a dependency review or vulnerability scan runs on pull requests" },
    ],
    beyondGitHub: "the criteria used to accept a new component (licence, maintenance, security review)",
  },
  {
    id: "1.2.4",
    principle: "1.2",
    text: "Third-party component updates are tested.",
    coverage: "full",
    scope: "repo",
    checks: [{ id: "update-prs-green", judges: "merged update PRs had all checks passing at merge" }],
  },
  {
    id: "1.2.5",
    principle: "1.2",
    text: "Processes are in place to manage and deploy updates to third-party components.",
    coverage: "full",
    scope: "repo",
    checks: [
      { id: "update-tool", judges: "Renovate or Dependabot version updates are configured" },
      { id: "update-prs-flow", judges: "update PRs are merged promptly and none rots open" },
      { id: "vulnerability-alerts", judges: "Dependabot alerts are on and none critical/high is overdue" },
    ],
  },
  {
    id: "1.3.1",
    principle: "1.3",
    text: "A test plan exists that covers all requirements and third-party components.",
    coverage: "outside",
    scope: "org",
    checks: [{ id: "tests-present", judges: "test workflows and test suites exist", supporting: true }],
    beyondGitHub: "the test plan itself, a document: link it under `evidence` in the configuration",
  },
  {
    id: "1.3.2",
    principle: "1.3",
    text: "Execution of the test plan is automated and repeatable wherever possible.",
    coverage: "full",
    scope: "repo",
    checks: [
      { id: "ci-on-prs", judges: "checks ran on merged pull requests" },
      { id: "checks-required", judges: "status checks are required on the default branch" },
      { id: "scheduled-regression", judges: "scheduled or default-branch CI runs in the window" },
    ],
  },
  {
    id: "1.3.3",
    principle: "1.3",
    text: "Defects identified during testing are addressed.",
    coverage: "partial",
    scope: "repo",
    checks: [
      { id: "no-red-merges", judges: "few PRs merged with failing or missing checks" },
      { id: "main-recovers", judges: "the default branch returns to green quickly" },
      { id: "main-green-rate", judges: "default-branch check success rate" },
    ],
    beyondGitHub: "how defects found outside CI (manual testing, customer reports) are tracked to closure",
  },
  {
    id: "2.1.1",
    principle: "2.1",
    text: "Roles are defined that specify the data and functionality that each role is allowed to access.",
    coverage: "partial",
    scope: "org",
    checks: [
      { id: "base-permission", judges: "organisation base permission is read or none" },
      { id: "owners-few", judges: "few organisation owners" },
      { id: "team-based-access", judges: "write/admin access is granted through teams" },
      { id: "outside-collaborators", judges: "no outside collaborator holds write/admin unless excepted" },
    ],
    beyondGitHub: "role definitions for build systems outside GitHub (CI runners, registries, cloud accounts)",
  },
  {
    id: "2.1.2",
    principle: "2.1",
    text: "Users of the build environment are required to authenticate on a regular basis.",
    coverage: "outside",
    scope: "org",
    checks: [{ id: "sso-enforced", judges: "SAML single sign-on is enforced", supporting: true }],
    beyondGitHub: "the identity provider's session and re-authentication policy",
  },
  {
    id: "2.1.3",
    principle: "2.1",
    text: "Users of the build environment are issued with credentials bound to their role.",
    coverage: "partial",
    scope: "repo",
    checks: [
      { id: "token-read-only", judges: "the Actions token is read-only and cannot approve PRs" },
      { id: "workflow-permissions", judges: "workflows declare permissions; no unsafe pull_request_target" },
      { id: "deploy-keys-read-only", judges: "no deploy key with write access unless excepted" },
    ],
    beyondGitHub: "credentials issued outside GitHub (cloud roles, registry tokens) and how they map to roles",
  },
  {
    id: "2.1.4",
    principle: "2.1",
    text: "Credentials are securely managed and stored.",
    coverage: "partial",
    scope: "repo",
    checks: [
      { id: "secret-scanning", judges: "secret scanning and push protection on; no stale open alert" },
      { id: "environment-secrets-guarded", judges: "deployment environments require reviewers or branch policies" },
    ],
    beyondGitHub: "where credentials outside GitHub are stored and how they are rotated",
  },
  {
    id: "2.1.5",
    principle: "2.1",
    text: "Credentials are multi factor.",
    coverage: "full",
    scope: "org",
    checks: [
      { id: "org-2fa-required", judges: "the organisation requires two-factor authentication" },
      { id: "members-without-2fa", judges: "no member lacks two-factor authentication" },
    ],
  },
  {
    id: "2.1.6",
    principle: "2.1",
    text: "Users with access to the build environment are regularly reviewed to ensure they still have a legitimate need.",
    coverage: "partial",
    scope: "org",
    checks: [
      { id: "access-review-done", judges: "an access review was completed by a person within the period" },
      { id: "stale-outside-access", judges: "no outside collaborator is inactive in the window" },
    ],
    beyondGitHub: "reviews of access to build systems outside GitHub",
  },
  {
    id: "2.2.1",
    principle: "2.2",
    text: "Access and changes to the build environment are logged.",
    coverage: "partial",
    scope: "org",
    checks: [
      { id: "audit-trail-recording", judges: "claimcheck's audit trail receives events for the organisation" },
      { id: "audit-coverage", judges: "the kinds of change recorded" },
    ],
    beyondGitHub: "logs of build systems outside GitHub",
  },
  {
    id: "2.2.2",
    principle: "2.2",
    text: "Only authorised personnel can make changes to the build environment.",
    coverage: "full",
    scope: "repo",
    checks: [
      { id: "pr-required", judges: "the default branch requires a pull request, for everyone" },
      { id: "reviews-required", judges: "approving reviews are required and stale approvals dismissed" },
      { id: "reviews-happened", judges: "merged PRs were approved by someone other than the author" },
      { id: "no-direct-pushes", judges: "no default-branch commit without a PR" },
      { id: "no-force-push", judges: "force pushes and deletions of the default branch are blocked" },
      { id: "workflows-owned", judges: "CODEOWNERS covers workflows and code-owner review is required" },
      { id: "signed-commits", judges: "commit signatures are required or nearly all commits verified" },
    ],
  },
  {
    id: "2.2.3",
    principle: "2.2",
    text: "Logs are auditable and retained for an agreed period.",
    coverage: "full",
    scope: "org",
    checks: [
      { id: "retention", judges: "the audit trail reaches back the agreed period" },
      { id: "exportable", judges: "the audit trail can be exported" },
    ],
  },
  {
    id: "2.2.4",
    principle: "2.2",
    text: "The confidentiality and integrity of logs is protected.",
    coverage: "partial",
    scope: "org",
    checks: [
      { id: "chain-verified", judges: "the audit trail's hash chain verifies end to end" },
      { id: "access-restricted", judges: "the trail and reports are served only to proven org admins" },
    ],
    beyondGitHub: "protection of logs kept outside claimcheck",
  },
];

export function claimById(id: string): ClaimSpec | undefined {
  return CLAIMS.find((c) => c.id === id);
}

export const CLAIM_IDS = CLAIMS.map((c) => c.id);
