/*
 * What would close each check, named as the GitHub setting or file a person changes. `{repo}` is
 * the repository's URL and `{org}` the organisation's settings URL when rendered.
 */
const WHAT_CLOSES: Record<string, string> = {
  "manifests-locked": "Commit the lockfile beside every dependency manifest (package-lock.json, go.sum, Cargo.lock, poetry.lock, Gemfile.lock…).",
  "sbom-available": "Turn on the dependency graph: {repo}/settings/security_analysis → Dependency graph.",
  "lockfile-integrity": "Regenerate lockfiles with integrity hashes (npm `integrity`, go.sum, Cargo checksums, pip `--hash`).",
  "ci-installs-locked": "Install from the lockfile in CI: `npm ci`, `yarn install --frozen-lockfile`, `cargo build --locked`, `pip install --require-hashes`.",
  "actions-pinned": "Pin every third-party `uses:` in `.github/workflows/` to a full 40-character commit SHA (Renovate or Dependabot keep the pins current).",
  "new-deps-tested": "Require passing status checks and an approving review before merging pull requests that add dependencies: {repo}/settings/branches.",
  "dependency-review": "Add a dependency review or vulnerability scan on `pull_request` (for example `actions/dependency-review-action`) under `.github/workflows/`.",
  "update-prs-green": "Require status checks to pass before merge on the default branch ({repo}/settings/branches) so update PRs, automerged or not, merge only green.",
  "update-tool": "Add `.github/dependabot.yml` (version updates, `github-actions` included) or a Renovate configuration (`renovate.json`).",
  "update-prs-flow": "Merge or close open dependency update pull requests; group or schedule updates so none stays open past the threshold.",
  "vulnerability-alerts": "Turn on Dependabot alerts ({repo}/settings/security_analysis) and fix or dismiss critical/high alerts within the threshold ({repo}/security/dependabot).",
  "tests-present": "Run the test suite in a workflow under `.github/workflows/` (or link the external CI and the test plan under `evidence.\"1.3.1\"` in .github/claimcheck.yml).",
  "ci-on-prs": "Run CI on `pull_request` (a workflow under `.github/workflows/` or an external CI reporting check runs).",
  "checks-required": "Require status checks before merging on the default branch: {repo}/settings/branches or a ruleset ({repo}/settings/rules).",
  "scheduled-regression": "Run CI on the default branch (`on: push` to it) or on a schedule (`on: schedule`).",
  "no-red-merges": "Require status checks to pass before merging: {repo}/settings/branches.",
  "main-recovers": "Fix or revert failing default-branch builds promptly; require checks before merge so failures do not land.",
  "main-green-rate": "Keep the default branch green: require status checks before merge and fix flaky checks.",
  "base-permission": "Set the organisation's base repository permission to Read or No permission: {org}/settings/member_privileges.",
  "owners-few": "Reduce organisation owners to the configured maximum: {org}/people?query=role%3Aowner.",
  "team-based-access": "Grant write/admin through teams instead of to individuals: {repo}/settings/access.",
  "outside-collaborators": "Remove write/admin from outside collaborators, or list them under `exceptions.outsideCollaborators` in .github/claimcheck.yml with the reason.",
  "sso-enforced": "Enforce SAML single sign-on for the organisation: {org}/settings/security.",
  "token-read-only": "Set the workflow token to read-only and stop Actions from approving pull requests: {repo}/settings/actions → Workflow permissions.",
  "workflow-permissions": "Declare `permissions:` in every workflow, and do not check out the pull request head in `pull_request_target` workflows.",
  "deploy-keys-read-only": "Make deploy keys read-only ({repo}/settings/keys), or list them under `exceptions.deployKeys` in .github/claimcheck.yml.",
  "secret-scanning": "Turn on secret scanning and push protection ({repo}/settings/security_analysis) and close open alerts ({repo}/security/secret-scanning).",
  "environment-secrets-guarded": "Add required reviewers or deployment branch policies to each environment: {repo}/settings/environments.",
  "org-2fa-required": "Require two-factor authentication for the organisation: {org}/settings/security.",
  "members-without-2fa": "Ask the members listed to enable two-factor authentication, or require it: {org}/settings/security.",
  "access-review-done": "Review the access listed in the latest access review issue, untick or remove what is no longer needed, and close it as completed.",
  "stale-outside-access": "Remove outside collaborators with no activity in the window: {org}/outside-collaborators.",
  "audit-trail-recording": "Keep claimcheck installed on the organisation with its requested permissions accepted, so its audit trail receives events.",
  "audit-coverage": "Accept the app's requested permissions so every kind of change reaches the audit trail: {org}/settings/installations.",
  "pr-required": "Require a pull request before merging on the default branch, for administrators too (no bypass): {repo}/settings/branches or {repo}/settings/rules.",
  "reviews-required": "Require at least the configured number of approvals and dismiss stale approvals: {repo}/settings/branches.",
  "reviews-happened": "Merge only pull requests approved by someone other than the author; require reviews so it cannot be skipped.",
  "no-direct-pushes": "Require a pull request before merging on the default branch so no commit lands without one: {repo}/settings/branches.",
  "no-force-push": "Block force pushes and deletion of the default branch: {repo}/settings/branches.",
  "workflows-owned": "Add `.github/CODEOWNERS` covering `.github/workflows/`, fix its errors, and require code-owner review: {repo}/settings/branches.",
  "signed-commits": "Require signed commits on the default branch ({repo}/settings/branches), or sign nearly all commits.",
  "retention": "Keep claimcheck installed: the audit trail reaches the agreed period (`audit.retentionDays`) on the date given.",
  "exportable": "Export the trail with `claimcheck audit export`; an export that fails names the events it could not write.",
  "chain-verified": "Investigate the broken link named (`claimcheck audit verify`): the trail's database was changed outside claimcheck.",
  "access-restricted": "Serve the trail and reports only to callers proven to be organisation admins (deployment configuration).",
};

/**
 * The remediation of a check with its links filled in. GitHub serves organisation settings under
 * /organizations/{org}/settings and people pages under /orgs/{org}, so `{org}` becomes whichever
 * the path after it needs.
 */
export function whatWouldClose(checkId: string, where: { repoUrl?: string; org: string }): string {
  const text = WHAT_CLOSES[checkId] ?? "See the check's reason.";
  // Without one repository to name (an organisation-wide report) a settings page is named, not linked:
  // a URL with a placeholder in it would be a link that leads nowhere.
  const repo = where.repoUrl;
  return text
    .replace(/\{repo\}(\/[A-Za-z0-9_/-]*)?/g, (_match, path: string | undefined) => (repo ? `${repo}${path ?? ""}` : path ? `each repository's \`${path}\` page` : "each repository"))
    .replace(/\{org\}\/settings\//g, `https://github.com/organizations/${where.org}/settings/`)
    .replace(/\{org\}/g, `https://github.com/orgs/${where.org}`);
}

export function hasRemediation(checkId: string): boolean {
  return Object.hasOwn(WHAT_CLOSES, checkId);
}

/** The first repository page a check's remediation names (such as `/settings/branches`), to link per repository. */
export function remediationPage(checkId: string): string | undefined {
  return /\{repo\}(\/[A-Za-z0-9_/-]+)/.exec(WHAT_CLOSES[checkId] ?? "")?.[1];
}
