/*
 * Which evidence an event can have changed. A protection or ruleset change cannot alter the pull
 * request history, so it re-reads protection only and carries the rest over from the last
 * assessment (each finding keeps the time it was observed).
 */
const REFRESH_BY_EVENT: Record<string, readonly string[]> = {
  branch_protection_rule: ["branch-protection"],
  repository_ruleset: ["branch-protection"],
};

/** Collector ids to re-read for an event; null means all of them. */
export function collectorsToRefresh(event: string): readonly string[] | null {
  return REFRESH_BY_EVENT[event] ?? null;
}
