import { z } from "zod";
import { ROLLUP_SELECTION, rollupSchema } from "./check-rollup.js";
import { observed, unreadable, type Finding, type Where } from "../core/findings.js";
import { explainReadFailure, fieldError, type GitHubClient } from "../github/client.js";
import { defaultBranchAnswer, staleDefaultBranch } from "./default-branch-check.js";
import { followUpError } from "./follow-up-error.js";
import type { CollectContext, Collector, RepoRef } from "./types.js";
import { repositoryLookupsQuery } from "../github/repository-query.js";

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
 * history's `totalCount` then says how many commits remain, and the next page asks for those.
 *
 * Whether a commit came through a pull request is not asked per commit: the merge commits of the
 * 100 most recently updated merged pull requests are listed once (`hist_merges`, one request; a
 * pull request merged in the window was updated in it). A commit that is one of them came
 * through that pull request. Only the commits that are not — direct pushes, the branch commits
 * of a merge commit, the earlier commits of a rebase — are asked about in a follow-up query
 * (`associatedPullRequests`, one request each), as every commit was before.
 */
export const FIRST_HISTORY_PAGE = 25;

const COMMIT_FIELDS = `
fragment claimcheckBranchCommit on Commit {
  oid
  committedDate
  signature { isValid }
  ${ROLLUP_SELECTION}
}`;

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
${COMMIT_FIELDS}`,
};

export const HISTORY_PAGE_QUERY = `
query claimcheckHistoryPage($owner: String!, $name: String!, $qualifiedBranch: String!, $since: GitTimestamp!, $first: Int!, $cursor: String!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    hist_branch: ref(qualifiedName: $qualifiedBranch) {
      target {
        ... on Commit {
          history(since: $since, first: $first, after: $cursor) {
            totalCount
            pageInfo { hasNextPage endCursor }
            nodes { ...claimcheckBranchCommit }
          }
        }
      }
    }
  }
}
${COMMIT_FIELDS}`;

/** Commits one follow-up query asks about: each costs one request for its pull requests. */
export const COMMITS_PER_ASSOCIATION_QUERY = 100;

/** Asks which pull request brought each of these commits in, for those no listed merge commit accounts for. */
export function commitPullRequestsQuery(count: number): string {
  return repositoryLookupsQuery({ name: "claimcheckCommitPullRequests", prefix: "c", type: "GitObjectID!", count, field: (oid) => `object(oid: ${oid}) { ... on Commit { oid associatedPullRequests(first: 1) { totalCount } } }` });
}

/** 3,000 commits at most; past that the findings say the window was too big. */
export const MAX_HISTORY_COMMITS = 3000;

const commitSchema = z.looseObject({
  oid: z.string(),
  committedDate: z.string(),
  signature: z.looseObject({ isValid: z.boolean() }).nullable(),
  statusCheckRollup: rollupSchema,
});
/**
 * A default-branch commit as read. `mergeOfPullRequest`: it is the merge commit of a merged pull
 * request. `associatedPullRequests`: GitHub's answer for a commit that is not.
 */
export type BranchCommit = z.infer<typeof commitSchema> & { mergeOfPullRequest?: boolean; associatedPullRequests?: { totalCount: number } | null };

const historySchema = z.looseObject({
  totalCount: z.number().int().nonnegative().optional(),
  pageInfo: z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
  nodes: z.array(commitSchema.nullable()),
});
const branchSchema = z.looseObject({ target: z.looseObject({ history: historySchema.optional() }).nullable() }).nullable();
const mergesSchema = z.looseObject({ nodes: z.array(z.looseObject({ mergeCommit: z.looseObject({ oid: z.string() }).nullable() }).nullable()) }).nullish();
const fragmentSchema = z.looseObject({ hist_branch: branchSchema, hist_merges: mergesSchema, hist_isEmpty: defaultBranchAnswer.isEmpty, hist_default: defaultBranchAnswer.ref });
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
    "commits.direct-pushes": commits.filter((c) => c.mergeOfPullRequest !== true && (c.associatedPullRequests?.totalCount ?? 0) === 0).length,
    "commits.verified": { total: commits.length, verified: commits.filter((c) => c.signature?.isValid === true).length },
    "ci.default-branch-runs": finished.length,
    "ci.default-branch-success-rate": finished.length === 0 ? null : Math.round((green / finished.length) * 1000) / 1000,
    "ci.default-branch-hours-to-green": hours === null ? null : Math.round(hours * 10) / 10,
  };
}

type Summary = ReturnType<typeof summariseHistory>;
const PRODUCES = ["commits.direct-pushes", "commits.verified", "ci.default-branch-runs", "ci.default-branch-success-rate", "ci.default-branch-hours-to-green"] as const satisfies readonly (keyof Summary)[];

/** Pure: commits the next page asks for, from the history's count (a full page when GitHub gave none). */
export function nextHistoryPageSize(totalCount: number | undefined, read: number): number {
  const remaining = totalCount === undefined ? 100 : totalCount - read;
  return remaining > 0 ? Math.min(100, remaining) : 100;
}

async function readAllCommits(client: GitHubClient, repo: RepoRef, since: Date, first: z.infer<typeof historySchema>): Promise<{ commits: BranchCommit[] | null; error?: string }> {
  const commits: BranchCommit[] = first.nodes.filter((c) => c !== null);
  const total = first.totalCount;
  let page = first;
  while (page.pageInfo.hasNextPage && page.pageInfo.endCursor) {
    if (commits.length >= MAX_HISTORY_COMMITS) return { commits: null };
    const { data: next, errors } = await client.graphqlPartial(
      "claimcheckHistoryPage",
      HISTORY_PAGE_QUERY,
      {
        owner: repo.owner,
        name: repo.name,
        qualifiedBranch: `refs/heads/${repo.defaultBranch}`,
        since: since.toISOString(),
        first: nextHistoryPageSize(total, commits.length),
        cursor: page.pageInfo.endCursor,
      },
      pageSchema,
    );
    // A commit GitHub nulled beside an error would otherwise be dropped: a direct push unseen.
    const error = followUpError("a later page of default-branch history", errors);
    if (error) return { commits, error };
    const history = next.repository?.hist_branch?.target?.history;
    if (!history) return { commits: null };
    page = history;
    commits.push(...page.nodes.filter((c) => c !== null));
  }
  return { commits };
}

const associationSchema = z.looseObject({
  repository: z.record(z.string(), z.looseObject({ oid: z.string().optional(), associatedPullRequests: z.looseObject({ totalCount: z.number().int() }).nullable().optional() }).nullable()).nullable(),
});

/**
 * Marks the commits that are a listed pull request's merge commit, and asks GitHub about the
 * rest. Gives the number of commits whose pull requests GitHub did not answer for.
 */
async function markPullRequestCommits(client: GitHubClient, repo: RepoRef, commits: BranchCommit[], merges: z.infer<typeof mergesSchema>): Promise<{ unanswered: number; error?: string }> {
  const mergeCommits = new Set((merges?.nodes ?? []).flatMap((pr) => (pr?.mergeCommit ? [pr.mergeCommit.oid] : [])));
  for (const c of commits) if (mergeCommits.has(c.oid)) c.mergeOfPullRequest = true;
  // An answer that already carries the commit's pull requests needs no question.
  const unknown = commits.filter((c) => c.mergeOfPullRequest !== true && c.associatedPullRequests === undefined);
  const oids = [...new Set(unknown.map((c) => c.oid))];
  const answers = new Map<string, { totalCount: number } | null>();
  for (let start = 0; start < oids.length; start += COMMITS_PER_ASSOCIATION_QUERY) {
    const batch = oids.slice(start, start + COMMITS_PER_ASSOCIATION_QUERY);
    const variables: Record<string, string> = { owner: repo.owner, name: repo.name };
    batch.forEach((oid, i) => (variables[`c${i}`] = oid));
    const { data: answer, errors } = await client.graphqlPartial("claimcheckCommitPullRequests", commitPullRequestsQuery(batch.length), variables, associationSchema);
    // A pull request list GitHub refused is not "no pull request": the commit is no direct push yet.
    const error = followUpError("which pull request brought each default-branch commit in", errors);
    if (error) return { unanswered: unknown.length, error };
    batch.forEach((oid, i) => {
      const commit = answer.repository?.[`c${i}`];
      // The connection is never null in GitHub's schema; null is an answer withheld.
      if (commit && commit.oid === oid && commit.associatedPullRequests) answers.set(oid, commit.associatedPullRequests);
    });
  }
  let unanswered = 0;
  for (const c of unknown) {
    if (answers.has(c.oid)) c.associatedPullRequests = answers.get(c.oid)!;
    else unanswered += 1;
  }
  return { unanswered };
}

export const defaultBranchHistoryCollector: Collector = {
  id: "default-branch-history",
  produces: PRODUCES,
  repositoryFragment: historyFragment,
  async collect({ client, repo, config, now, since, repositoryData, repositoryErrors }: CollectContext): Promise<Finding[]> {
    const where: Where = { repo: repo.fullName, source: "GraphQL repository.ref.target.history", url: `${repo.htmlUrl}/commits/${encodeURIComponent(repo.defaultBranch)}`, observedAt: now.toISOString() };
    const refused = fieldError(repositoryErrors, "repository", "hist_branch");
    if (refused) return PRODUCES.map((id) => unreadable(id, refused, where));
    const data = fragmentSchema.parse(repositoryData);
    const stale = staleDefaultBranch(data.hist_isEmpty, data.hist_default, repo.defaultBranch);
    if (stale) return PRODUCES.map((id) => unreadable(id, stale, where));
    if (data.hist_branch === null && data.hist_isEmpty === false) {
      return PRODUCES.map((id) => unreadable(id, `GitHub gave no branch "${repo.defaultBranch}" for a repository that is not empty`, where));
    }
    // An empty repository has no default-branch commits at all: nothing happened, nothing to judge.
    const history = data.hist_branch?.target?.history;
    const { commits, error } = history ? await readAllCommits(client, repo, since, history) : { commits: [] };
    if (error) return PRODUCES.map((id) => unreadable(id, error, where));
    if (commits === null) {
      const reason = `more than ${MAX_HISTORY_COMMITS} default-branch commits in the ${config.windowDays}-day window; shorten windowDays to assess them`;
      return PRODUCES.map((id) => unreadable(id, reason, where));
    }
    let direct: string | null = null;
    try {
      const { unanswered, error: refusedAssociation } = await markPullRequestCommits(client, repo, commits, data.hist_merges);
      if (refusedAssociation) direct = refusedAssociation;
      else if (unanswered > 0) direct = `GitHub did not say whether ${unanswered} default-branch commit${unanswered === 1 ? "" : "s"} came through a pull request`;
    } catch (error) {
      direct = `which pull request brought each default-branch commit in could not be read: ${explainReadFailure(error)}`;
    }
    const summary = summariseHistory(commits, now);
    return PRODUCES.map((id) => (id === "commits.direct-pushes" && direct !== null ? unreadable(id, direct, where) : observed(id, summary[id] as never, where)));
  },
};
