/*
 * What the report adds to the catalogue for people: what would close a gap in each check, and
 * how each claim relates to other frameworks. The crosswalk is claimcheck's own reading of those
 * frameworks, not an official mapping, and the report labels it so.
 */

/** What would close a gap (or lift a partial) in each check, as a person would do it. */
export const TO_CLOSE: Record<string, string> = {
  "manifests-locked": "commit the lockfile of every dependency manifest",
  "sbom-available": "enable the dependency graph so GitHub can export an SBOM",
  "lockfile-integrity": "use lockfiles that record integrity hashes (npm, go.sum, Cargo.lock, pip --require-hashes)",
  "ci-installs-locked": "install dependencies in CI from the lockfile (`npm ci`, `--frozen-lockfile`, `--locked`, `--require-hashes`)",
  "actions-pinned": "pin every third-party `uses:` to a full commit SHA (Renovate or Dependabot keep the pins current)",
  "new-deps-tested": "require passing checks and an independent approval before a pull request that adds a dependency is merged",
  "dependency-review": "run a dependency review or vulnerability scan on pull requests",
  "update-prs-green": "merge update pull requests only with every check passing (require the checks before enabling automerge)",
  "update-tool": "configure Renovate or Dependabot version updates for every ecosystem found, `github-actions` included",
  "update-prs-flow": "merge or close update pull requests within the agreed time; none should rot open",
  "vulnerability-alerts": "enable Dependabot alerts and fix critical and high alerts within the agreed time",
  "tests-present": "add test workflows that run the test suite",
  "ci-on-prs": "run checks on every pull request (workflows on `pull_request` or `merge_group`, or external CI reporting statuses)",
  "checks-required": "require status checks to pass before merging into the default branch (branch protection or a ruleset)",
  "scheduled-regression": "run CI on a schedule or on every push to the default branch",
  "no-red-merges": "require the checks to pass before merge so a failing pull request cannot be merged",
  "main-recovers": "fix a failing default branch promptly; treat a red default branch as a stop-the-line event",
  "main-green-rate": "investigate the failing default-branch runs and fix flaky or broken checks",
  "base-permission": "set the organisation's base permission to read or none and grant write through teams",
  "owners-few": "reduce the number of organisation owners to the agreed maximum",
  "team-based-access": "grant write and admin access through teams rather than to individuals",
  "outside-collaborators": "remove write or admin access from outside collaborators, or record an accepted exception",
  "sso-enforced": "enforce SAML single sign-on for the organisation (GitHub Enterprise Cloud)",
  "token-read-only": "make the Actions token read-only by default and stop it approving pull requests",
  "workflow-permissions": "declare `permissions:` in every workflow; never check out a pull request's head in `pull_request_target`",
  "deploy-keys-read-only": "make deploy keys read-only, or record an accepted exception",
  "secret-scanning": "enable secret scanning and push protection, and resolve open alerts within the agreed time",
  "environment-secrets-guarded": "protect deployment environments with required reviewers or branch policies",
  "org-2fa-required": "require two-factor authentication for the organisation",
  "members-without-2fa": "ask the members listed to enable two-factor authentication (or require it organisation-wide)",
  "access-review-done": "complete the periodic access review and close its issue as completed",
  "stale-outside-access": "remove outside collaborators who were inactive in the window",
  "audit-trail-recording": "install claimcheck with the events that record changes and keep it running",
  "audit-coverage": "accept the webhook events for the kinds of change not recorded yet",
  retention: "keep the audit trail for the agreed period (`audit.retentionDays`)",
  exportable: "keep the audit trail exportable (`claimcheck audit export`)",
  "chain-verified": "investigate the broken link: the trail was changed outside claimcheck",
  "access-restricted": "serve the trail and reports only to callers who prove admin rights on the organisation",
  "pr-required": "require a pull request before merging into the default branch, for everyone (include administrators; no bypass actors)",
  "reviews-required": "require at least the agreed number of approving reviews and dismiss stale approvals on new commits",
  "reviews-happened": "have every pull request approved by someone other than its author before merge",
  "no-direct-pushes": "block direct pushes to the default branch: require pull requests for everyone",
  "no-force-push": "block force pushes to and deletion of the default branch",
  "workflows-owned": "add a CODEOWNERS entry for `.github/workflows/` and require code-owner review",
  "signed-commits": "require signed commits on the default branch",
};

export type Crosswalk = { ssdf: string[]; cis: string[]; scorecard: string[] };

const none: Crosswalk = { ssdf: [], cis: [], scorecard: [] };

/**
 * Related items in NIST SSDF (SP 800-218 v1.1), the CIS Software Supply Chain Security Guide
 * (v1.0) and OpenSSF Scorecard checks. An item appears only where the relation is direct.
 */
export const CROSSWALK: Record<string, Crosswalk> = {
  "1.2.1": { ssdf: ["PS.3.2", "PW.4.1"], cis: [], scorecard: [] },
  "1.2.2": { ssdf: ["PW.4.1", "PW.4.4"], cis: [], scorecard: ["Pinned-Dependencies"] },
  "1.2.3": { ssdf: ["PW.4.4"], cis: [], scorecard: ["Code-Review"] },
  "1.2.4": { ssdf: ["PW.4.4"], cis: ["1.1.9"], scorecard: ["CI-Tests"] },
  "1.2.5": { ssdf: ["PW.4.4", "RV.1.1"], cis: [], scorecard: ["Dependency-Update-Tool", "Vulnerabilities"] },
  "1.3.1": { ssdf: ["PW.8.2"], cis: [], scorecard: [] },
  "1.3.2": { ssdf: ["PW.8.2"], cis: ["1.1.9"], scorecard: ["CI-Tests"] },
  "1.3.3": { ssdf: ["PW.8.2", "RV.2.2"], cis: ["1.1.9"], scorecard: ["CI-Tests"] },
  "2.1.1": { ssdf: ["PO.2.1", "PS.1.1"], cis: ["1.3.8"], scorecard: [] },
  "2.1.2": { ssdf: ["PO.5.1"], cis: [], scorecard: [] },
  "2.1.3": { ssdf: ["PO.5.1", "PS.1.1"], cis: [], scorecard: ["Token-Permissions", "Dangerous-Workflow"] },
  "2.1.4": { ssdf: ["PO.5.1"], cis: [], scorecard: [] },
  "2.1.5": { ssdf: ["PO.5.1"], cis: ["1.3.5"], scorecard: [] },
  "2.1.6": { ssdf: ["PO.5.1"], cis: [], scorecard: [] },
  "2.2.1": { ssdf: ["PO.3.3", "PO.5.1"], cis: [], scorecard: [] },
  "2.2.2": { ssdf: ["PS.1.1", "PW.7.2"], cis: ["1.1.14", "1.1.15", "1.1.16", "1.1.17"], scorecard: ["Branch-Protection", "Code-Review"] },
  "2.2.3": { ssdf: ["PO.3.3"], cis: [], scorecard: [] },
  "2.2.4": { ssdf: ["PO.5.1"], cis: [], scorecard: [] },
};

export function crosswalkOf(claimId: string): Crosswalk {
  return CROSSWALK[claimId] ?? none;
}

export const CROSSWALK_NOTE = "claimcheck's own mapping, not an official one";
