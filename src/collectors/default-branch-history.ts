import { z } from "zod";
import { ROLLUP_SELECTION, rollupSchema } from "./check-rollup.js";
import { observed, unreadable, type Finding, type Where } from "../core/findings.js";
import { fieldError, type GitHubClient } from "../github/client.js";
import type { CollectContext, Collector, RepoRef } from "./types.js";

/*
 * Commits on the default branch in the window: whether each came through a pull request, whether
 * its signature verified, and how its checks ended — the branch's CI record over time.
 */

/*
 * 50 commits a page: each commit carries two nested connections (its pull requests and its
 * checks), which GitHub charges per parent, so a page of 100 costs two points and a page of 50
 * one. Most windows hold fewer than 50 default-branch commits; longer ones take more pages at the
 * same points per commit.
 */
const HISTORY_PAGE = 50;

const COMMIT_FIELDS = `
fragment claimcheckBranchCommit on Commit {
  oid
  committedDate
  signature { isValid }
  associatedPullRequests(first: 1) { totalCount }
  ${ROLLUP_SELECTION}
}`;

export const historyFragment = {
  name: "claimcheckHistory",
  text: `
fragment claimcheckHistory on Repository {
  hist_branch: ref(qualifiedName: $qualifiedBranch) {
    target {
      ... on Commit {
        history(since: $since, first: ${HISTORY_PAGE}) {
          pageInfo { hasNextPage endCursor }
          nodes { ...claimcheckBranchCommit }
        }
      }
    }
  }
}
${COMMIT_FIELDS}`,
};

export const HISTORY_PAGE_QUERY = `
query claimcheckHistoryPage($owner: String!, $name: String!, $qualifiedBranch: String!, $since: GitTimestamp!, $cursor: String!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    hist_branch: ref(qualifiedName: $qualifiedBranch) {
      target {
        ... on Commit {
          history(since: $since, first: ${HISTORY_PAGE}, after: $cursor) {
            pageInfo { hasNextPage endCursor }
            nodes { ...claimcheckBranchCommit }
          }
        }
      }
    }
  }
}
${COMMIT_FIELDS}`;

/** 3,000 commits, as before the page was halved. */
export const MAX_HISTORY_PAGES = 60;

const commitSchema = z.looseObject({
  oid: z.string(),
  committedDate: z.string(),
  signature: z.looseObject({ isValid: z.boolean() }).nullable(),
  associatedPullRequests: z.looseObject({ totalCount: z.number().int() }).nullable(),
  statusCheckRollup: rollupSchema,
});
export type BranchCommit = z.infer<typeof commitSchema>;

const historySchema = z.looseObject({
  pageInfo: z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
  nodes: z.array(commitSchema.nullable()),
});
const branchSchema = z.looseObject({ target: z.looseObject({ history: historySchema.optional() }).nullable() }).nullable();
const fragmentSchema = z.looseObject({ hist_branch: branchSchema });
const pageSchema = z.looseObject({ repository: z.looseObject({ hist_branch: branchSchema }).nullable() });

const FINISHED = new Set(["SUCCESS", "FAILURE", "ERROR"]);

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Pure: the branch's record. Time to green runs from the first failing commit of a red spell to
 * the next green one; a spell still red now counts up to now, so a branch that never recovered
 * cannot look fast.
 */
export function summariseHistory(commits: BranchCommit[], now: Date) {
  const chronological = [...commits].sort((a, b) => Date.parse(a.committedDate) - Date.parse(b.committedDate));
  const finished = chronological.filter((c) => c.statusCheckRollup && FINISHED.has(c.statusCheckRollup.state));
  const spells: number[] = [];
  let redSince: number | null = null;
  for (const c of finished) {
    const at = Date.parse(c.committedDate);
    if (c.statusCheckRollup!.state === "SUCCESS") {
      if (redSince !== null) spells.push(at - redSince);
      redSince = null;
    } else if (redSince === null) {
      redSince = at;
    }
  }
  if (redSince !== null) spells.push(now.getTime() - redSince);
  const hours = median(spells.map((ms) => ms / 3_600_000));
  const green = finished.filter((c) => c.statusCheckRollup!.state === "SUCCESS").length;
  return {
    "commits.direct-pushes": commits.filter((c) => (c.associatedPullRequests?.totalCount ?? 0) === 0).length,
    "commits.verified": { total: commits.length, verified: commits.filter((c) => c.signature?.isValid === true).length },
    "ci.default-branch-runs": finished.length,
    "ci.default-branch-success-rate": finished.length === 0 ? null : Math.round((green / finished.length) * 1000) / 1000,
    "ci.default-branch-hours-to-green": hours === null ? null : Math.round(hours * 10) / 10,
  };
}

type Summary = ReturnType<typeof summariseHistory>;
const PRODUCES = ["commits.direct-pushes", "commits.verified", "ci.default-branch-runs", "ci.default-branch-success-rate", "ci.default-branch-hours-to-green"] as const satisfies readonly (keyof Summary)[];

async function readAllCommits(client: GitHubClient, repo: RepoRef, since: Date, first: z.infer<typeof historySchema>): Promise<BranchCommit[] | null> {
  const commits = first.nodes.filter((c): c is BranchCommit => c !== null);
  let page = first;
  for (let pages = 1; page.pageInfo.hasNextPage && page.pageInfo.endCursor; pages += 1) {
    if (pages >= MAX_HISTORY_PAGES) return null;
    const next = await client.graphql(
      "claimcheckHistoryPage",
      HISTORY_PAGE_QUERY,
      { owner: repo.owner, name: repo.name, qualifiedBranch: `refs/heads/${repo.defaultBranch}`, since: since.toISOString(), cursor: page.pageInfo.endCursor },
      pageSchema,
    );
    const history = next.repository?.hist_branch?.target?.history;
    if (!history) return null;
    page = history;
    commits.push(...page.nodes.filter((c): c is BranchCommit => c !== null));
  }
  return commits;
}

export const defaultBranchHistoryCollector: Collector = {
  id: "default-branch-history",
  produces: PRODUCES,
  repositoryFragment: historyFragment,
  async collect({ client, repo, config, now, since, repositoryData, repositoryErrors }: CollectContext): Promise<Finding[]> {
    const where: Where = { repo: repo.fullName, source: "GraphQL repository.ref.target.history", url: `${repo.htmlUrl}/commits/${encodeURIComponent(repo.defaultBranch)}`, observedAt: now.toISOString() };
    const refused = fieldError(repositoryErrors, "repository", "hist_branch");
    if (refused) return PRODUCES.map((id) => unreadable(id, refused, where));
    const branch = fragmentSchema.parse(repositoryData).hist_branch;
    // An empty repository has no default-branch commits at all: nothing happened, nothing to judge.
    const history = branch?.target?.history;
    const commits = history ? await readAllCommits(client, repo, since, history) : [];
    if (commits === null) {
      const reason = `more than ${MAX_HISTORY_PAGES * HISTORY_PAGE} default-branch commits in the ${config.windowDays}-day window; shorten windowDays to assess them`;
      return PRODUCES.map((id) => unreadable(id, reason, where));
    }
    const summary = summariseHistory(commits, now);
    return PRODUCES.map((id) => observed(id, summary[id] as never, where));
  },
};
