/*
 * Which evidence an event can have changed. A protection or ruleset change cannot alter the pull
 * request history, so it re-reads protection only and carries the rest over from the last
 * assessment (each finding keeps the time it was observed). docs/architecture.md lists them.
 */
const REFRESH_BY_EVENT: Record<string, readonly string[]> = {
  branch_protection_rule: ["branch-protection"],
  repository_ruleset: ["branch-protection"],
  // A deploy key, a collaborator or a team added to (or removed from) one repository.
  deploy_key: ["repo-access"],
  member: ["repo-access"],
  team_add: ["repo-access"],
};

/** Events recorded in the audit trail that also re-assess the repository they name. */
export const REASSESSED_AFTER_AUDIT: ReadonlySet<string> = new Set(["deploy_key", "member", "team_add"]);

/**
 * Events after which organisation evidence read earlier (owners, members, teams, settings) may be
 * stale. `repository` too: the team map is keyed by repository name, which a rename or transfer
 * changes. `installation_repositories` too: a repository leaving the installation sends no more
 * pushes, so what was kept from it (its configuration files) is not kept on.
 */
export const ORG_EVIDENCE_EVENTS: ReadonlySet<string> = new Set(["installation_repositories", "member", "membership", "organization", "repository", "team", "team_add"]);

/** Collector ids to re-read for an event; null means all of them. */
export function collectorsToRefresh(event: string): readonly string[] | null {
  return REFRESH_BY_EVENT[event] ?? null;
}
