import type { RepoConfig } from "../config/repo-config.js";
import { ISSUE_LABEL } from "../issues/marker.js";
import type { IssueLinks } from "../render/check-run.js";
import { openIssuesFor } from "../store/issue-records.js";
import type { Store } from "../store/store.js";

/*
 * The issues a check run points to: this repository's open gap issues (or the central ones), the
 * organisation's, and the summary issue, from what claimcheck recorded writing them. A gap found
 * for the first time has no issue yet (issues are written after the check run): it points to the
 * list of claimcheck's issues, where it appears moments later.
 */

const labelSearch = (repoUrl: string) => `${repoUrl}/issues?q=is%3Aissue+is%3Aopen+label%3A${ISSUE_LABEL}`;

export async function issueLinksOf(store: Store, installationId: number, fullName: string, repoUrl: string | undefined, config: RepoConfig): Promise<IssueLinks> {
  if (!config.issues.enabled || !repoUrl) return {};
  const [owner] = fullName.split("/");
  const central = `${owner}/${config.issues.repository ?? ".github"}`;
  const open = await openIssuesFor(store, installationId, [fullName, "org", "central"]);
  const gapIssues: Record<string, string> = {};
  for (const row of open.filter((r) => r.kind === "gap")) {
    const mine = row.scope === fullName || row.scope === "org" || (row.scope === "central" && row.repository === central);
    if (mine) gapIssues[row.claimId] = row.issueUrl;
  }
  const summary = open.find((r) => r.kind === "summary");
  const origin = new URL(repoUrl).origin;
  return {
    gapIssues,
    ...(summary ? { summaryIssue: summary.issueUrl } : {}),
    repositoryIssues: labelSearch(config.issues.central ? `${origin}/${central}` : repoUrl),
    centralIssues: labelSearch(`${origin}/${central}`),
  };
}
