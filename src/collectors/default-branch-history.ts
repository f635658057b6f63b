import { z } from "zod";
import { BRANCH_COMMIT_FIELDS, branchSchema, mergesSchema, type BranchCommit } from "./branch-commit.js";
import { historyRefusal, MAX_HISTORY_COMMITS, readWindowPages } from "./window-pages.js";
import { observed, unreadable, type Finding, type Where } from "../core/findings.js";
import { defaultBranchAnswer } from "./default-branch-check.js";
import type { CollectContext, Collector } from "./types.js";

export { MAX_HISTORY_COMMITS } from "./window-pages.js";
export type { BranchCommit } from "./branch-commit.js";

/*
 * Commits on the default branch in the window: whether each came through a pull request, whether
 * its signature verified, and how its checks ended — the branch's CI record over time.
 */

/*
 * GraphQL cost (https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api):
 * a connection nested under a page of `first: n` commits costs n requests, however few commits
 * the window holds, and the query costs the requests over 100, rounded. So each commit carries
 * one nested connection only, its checks (which claimcheck's own check run must be left out of),
 * and the first page, in the batched query, is sized for most windows (FIRST_HISTORY_PAGE). The
 * history's `totalCount` then says how many commits remain; later pages are read with the pull
 * requests' by window-pages.ts, each follow-up query sized by window-plan.ts to cost one point.
 *
 * Whether a commit came through a pull request is not asked per commit: the merge commits of the
 * 100 most recently updated merged pull requests are listed once (`hist_merges`, one request; a
 * pull request merged in the window was updated in it). A commit that is one of them came
 * through that pull request. Only the commits that are not — direct pushes, the branch commits
 * of a merge commit, the earlier commits of a rebase — are asked about (`associatedPullRequests`,
 * one request each), in the same follow-up queries as the pages where they fit.
 */
/** Commits a first page reads; see FIRST_MERGED_PAGE for how the pair is sized. */
export const FIRST_HISTORY_PAGE = 31;

export const historyFragment = {
  name: "claimcheckHistory",
  text: `
fragment claimcheckHistory on Repository {
  hist_isEmpty: isEmpty
  hist_default: defaultBranchRef { name }
  hist_branch: ref(qualifiedName: $qualifiedBranch) {
    target {
      ... on Commit {
        history(since: $since, first: ${FIRST_HISTORY_PAGE}) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { ...claimcheckBranchCommit }
        }
      }
    }
  }
  hist_merges: pullRequests(baseRefName: $branch, states: [MERGED], first: 100, orderBy: { field: UPDATED_AT, direction: DESC }) {
    nodes { mergeCommit { oid } }
  }
}
${BRANCH_COMMIT_FIELDS}`,
};

const fragmentSchema = z.looseObject({ hist_branch: branchSchema, hist_merges: mergesSchema, hist_isEmpty: defaultBranchAnswer.isEmpty, hist_default: defaultBranchAnswer.ref });

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
    "commits.direct-pushes": commits.filter((c) => c.mergeOfPullRequest !== true && (c.associatedPullRequests?.totalCount ?? 0) === 0).length,
    "commits.verified": { total: commits.length, verified: commits.filter((c) => c.signature?.isValid === true).length },
    "ci.default-branch-runs": finished.length,
    "ci.default-branch-success-rate": finished.length === 0 ? null : Math.round((green / finished.length) * 1000) / 1000,
    "ci.default-branch-hours-to-green": hours === null ? null : Math.round(hours * 10) / 10,
  };
}

type Summary = ReturnType<typeof summariseHistory>;
const PRODUCES = ["commits.direct-pushes", "commits.verified", "ci.default-branch-runs", "ci.default-branch-success-rate", "ci.default-branch-hours-to-green"] as const satisfies readonly (keyof Summary)[];

export const defaultBranchHistoryCollector: Collector = {
  id: "default-branch-history",
  produces: PRODUCES,
  repositoryFragment: historyFragment,
  async collect({ client, repo, config, now, since, repositoryData, repositoryErrors }: CollectContext): Promise<Finding[]> {
    const where: Where = { repo: repo.fullName, source: "GraphQL repository.ref.target.history", url: `${repo.htmlUrl}/commits/${encodeURIComponent(repo.defaultBranch)}`, observedAt: now.toISOString() };
    // The same test the reader makes before reading any later page of the history.
    const refused = historyRefusal(repositoryData, repositoryErrors, repo);
    if (refused) return PRODUCES.map((id) => unreadable(id, refused, where));
    const data = fragmentSchema.parse(repositoryData);
    if (data.hist_branch === null && data.hist_isEmpty === false) {
      return PRODUCES.map((id) => unreadable(id, `GitHub gave no branch "${repo.defaultBranch}" for a repository that is not empty`, where));
    }
    // An empty repository has no default-branch commits at all: nothing happened, nothing to judge.
    const history = data.hist_branch?.target?.history;
    const pages = history ? (await readWindowPages(client, repo, since, repositoryData, repositoryErrors)).commits : null;
    // A history the batched answer holds and the reader gave nothing for is unread, not empty: no direct push seen is no evidence.
    if (history && !pages) return PRODUCES.map((id) => unreadable(id, "the default-branch history's later pages could not be read", where));
    const { commits, error } = pages ?? { commits: [] };
    if (error) return PRODUCES.map((id) => unreadable(id, error, where));
    if (commits === null) {
      const reason = `more than ${MAX_HISTORY_COMMITS} default-branch commits in the ${config.windowDays}-day window; shorten windowDays to assess them`;
      return PRODUCES.map((id) => unreadable(id, reason, where));
    }
    let direct: string | null = null;
    if (pages?.associationError) direct = pages.associationError;
    else if (pages && pages.unanswered > 0) direct = `GitHub did not say whether ${pages.unanswered} default-branch commit${pages.unanswered === 1 ? "" : "s"} came through a pull request`;
    const summary = summariseHistory(commits, now);
    return PRODUCES.map((id) => (id === "commits.direct-pushes" && direct !== null ? unreadable(id, direct, where) : observed(id, summary[id] as never, where)));
  },
};
