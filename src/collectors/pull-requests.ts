import { z } from "zod";
import { effectiveRollup, rawRollupSchema, ROLLUP_FIELDS, type EffectiveRollup } from "./check-rollup.js";
import { actor, MERGED_PR_FIELDS, mergedConnection, mergedPrSchema, mergedPullRequests, numberOf, present, RECENT_LISTED, recentSchema, type MergedPr, type RecentPr } from "./merged-pull-request.js";
import { pullRequestsRefusal, readWindowPages } from "./window-pages.js";
import { isManifestOrLockfile } from "../core/ecosystems.js";
import { observed, unreadable, type Finding, type FindingId, type Where } from "../core/findings.js";
import { explainReadFailure, type GitHubClient } from "../github/client.js";
import { defaultBranchAnswer } from "./default-branch-check.js";
import { followUpError } from "./follow-up-error.js";
import type { CollectContext, Collector, RepoRef } from "./types.js";
import { repositoryLookupsQuery } from "../github/repository-query.js";

/*
 * Pull requests merged into the default branch in the window — who approved them, on which
 * commit, and whether their checks were green — plus the flow of dependency-update PRs.
 *
 * GraphQL cost (https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api):
 * GitHub adds up the requests each connection needs, assuming every page is full, so a connection
 * nested under a page of `first: n` pull requests costs n requests whatever its own page size;
 * the query costs that sum divided by 100 and rounded, at least one point. Three nested
 * connections are needed per pull request and no more: the check contexts (to leave claimcheck's
 * own check run out), each reviewer's latest opinionated review, and the changed files (for
 * new-dependency pull requests). The head commit's checks come from the pull request's own
 * `statusCheckRollup`, not a `commits` connection; the rollup names its commit, and any pull
 * request whose rollup is missing or is for another commit than `headRefOid` is asked about its
 * head commit directly (`headCommitsQuery`).
 *
 * So a page of 100 costs three points even when the window holds five pull requests. The batched
 * query therefore reads a first page of FIRST_MERGED_PAGE, and beside it a list of the 100 most
 * recently updated merged pull requests with no nested connection (`pr_recent`, one request),
 * which says how many more the window holds. Later pages are read with the history's by
 * window-pages.ts, sized by window-plan.ts so that each follow-up query costs one point.
 *
 * A pull request updated between two page queries moves ahead of the cursor and is on no later
 * page. The list, read in the same snapshot as the first page, names every pull request the
 * window held: one it names that no page returned is read again by number
 * (`missedPullRequestsQuery`), and if that fails the findings are unknown.
 */

export { REVIEWS_READ, type MergedPr } from "./merged-pull-request.js";
export { MAX_MERGED_PAGES } from "./window-pages.js";

/**
 * Pull requests a first page reads: most repositories merge fewer in a window. With the
 * history's first page (FIRST_HISTORY_PAGE) it is the largest equal pair whose batched query
 * still costs one point within a run and two for a lone repository (3 × 31 + 31 requests beside
 * the rest: test/collectors/window-plan.test.ts works it out from the query).
 */
export const FIRST_MERGED_PAGE = 31;

export const pullRequestsFragment = {
  name: "claimcheckPullRequests",
  text: `
fragment claimcheckPullRequests on Repository {
  pr_isEmpty: isEmpty
  pr_default: defaultBranchRef { name }
  pr_merged: ${mergedPullRequests(String(FIRST_MERGED_PAGE))}) {
    pageInfo { hasNextPage endCursor }
    nodes { ...claimcheckMergedPullRequest }
  }
  pr_recent: ${mergedPullRequests(String(RECENT_LISTED))}) {
    nodes { number updatedAt }
  }
  pr_openOldest: pullRequests(states: [OPEN], first: 100, orderBy: { field: CREATED_AT, direction: ASC }) {
    totalCount
    nodes { url createdAt author { __typename login } }
  }
  pr_openNewest: pullRequests(states: [OPEN], first: 100, orderBy: { field: CREATED_AT, direction: DESC }) {
    nodes { url createdAt author { __typename login } }
  }
  pr_closed: pullRequests(states: [CLOSED], first: 100, orderBy: { field: UPDATED_AT, direction: DESC }) {
    nodes { url createdAt closedAt author { __typename login } }
  }
}
${MERGED_PR_FIELDS}`,
};

const otherPr = z.looseObject({ url: z.string(), createdAt: z.string(), closedAt: z.string().nullable().optional(), author: actor });
export type OtherPr = z.infer<typeof otherPr>;

const fragmentSchema = z.looseObject({
  pr_merged: mergedConnection.nullable(),
  pr_recent: recentSchema,
  pr_openOldest: z.looseObject({ totalCount: z.number().int(), nodes: z.array(otherPr.nullable()) }).nullable(),
  pr_openNewest: z.looseObject({ nodes: z.array(otherPr.nullable()) }).nullable(),
  pr_closed: z.looseObject({ nodes: z.array(otherPr.nullable()) }).nullable(),
  pr_isEmpty: defaultBranchAnswer.isEmpty,
  pr_default: defaultBranchAnswer.ref,
});

/** Bot logins compare without GitHub's "[bot]" suffix and case. */
export function botName(login: string): string {
  return login.toLowerCase().replace(/\[bot\]$/, "");
}

export type ApprovalVerdict = {
  humanApproval: boolean;
  humanApprovalOnFinalCommit: boolean;
  botApprovalOnly: boolean;
};

/**
 * Pure: whether a merged PR was independently approved, counted as GitHub counts approvals. Only
 * each reviewer's latest opinionated review is read (`latestOpinionatedReviews`), so an approval
 * later superseded by "changes requested", or dismissed, is not an approval. It counts only when
 * submitted before the merge, by an account other than the author, with write access
 * (`writersOnly`, as for required reviews). A bot's or app's approval is reported, never counted
 * as a person's review. "On the final commit" means on `headRefOid`, the commit that merged.
 */
export function judgeApprovals(pr: MergedPr): ApprovalVerdict {
  const author = pr.author?.login.toLowerCase();
  const merged = Date.parse(pr.mergedAt);
  const approvals = present(pr.latestOpinionatedReviews?.nodes ?? []).filter(
    (r) => r.state === "APPROVED" && r.author !== null && r.author.login.toLowerCase() !== author && r.submittedAt !== null && Date.parse(r.submittedAt) <= merged,
  );
  const humans = approvals.filter((r) => r.author!.__typename === "User");
  return {
    humanApproval: humans.length > 0,
    humanApprovalOnFinalCommit: humans.some((r) => r.commit?.oid === pr.headRefOid),
    botApprovalOnly: humans.length === 0 && approvals.length > 0,
  };
}

/** Whether the pull request's own rollup is about the commit that merged. */
function rollupIsForHead(pr: MergedPr): boolean {
  return pr.statusCheckRollup !== null && pr.statusCheckRollup.commit?.oid === pr.headRefOid;
}

/** Pure: the head commit's checks without claimcheck's own; undefined when they were not read. */
export function headChecks(pr: MergedPr): EffectiveRollup | undefined {
  if (rollupIsForHead(pr)) return effectiveRollup(pr.statusCheckRollup);
  return pr.headChecks;
}

export function isGreen(pr: MergedPr): boolean {
  return headChecks(pr)?.state === "SUCCESS";
}

function hasChecks(pr: MergedPr): boolean {
  return headChecks(pr) != null;
}

/**
 * Whether a PR changed a manifest or lockfile. A PR with more files than one page reads might
 * have, unseen: it is counted as one, so its checks and approval are judged rather than skipped.
 */
function changesDependencies(pr: MergedPr): boolean {
  const read = present(pr.files?.nodes ?? []);
  return read.some((f) => isManifestOrLockfile(f.path)) || (pr.files !== null && pr.files.totalCount > read.length);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export type PullRequestEvidence = {
  merged: MergedPr[];
  open: OtherPr[];
  closed: OtherPr[];
};

/** Pure: the findings' values from the pull requests read. */
export function summarisePullRequests(evidence: PullRequestEvidence, options: { since: Date; now: Date; defaultBranch: string; updateBots: readonly string[]; maxOpenDays: number }) {
  const bots = new Set(options.updateBots.map(botName));
  const isUpdate = (pr: { author: { login: string } | null }) => pr.author !== null && bots.has(botName(pr.author.login));
  const inWindow = (iso: string | null | undefined) => iso != null && Date.parse(iso) >= options.since.getTime();

  // Merged into another branch, a PR is no evidence about the default branch (the query asks for
  // the default branch only; this holds whatever the answer contains).
  const merged = evidence.merged.filter((pr) => inWindow(pr.mergedAt) && pr.baseRefName === options.defaultBranch);
  const verdicts = merged.map((pr) => ({ pr, ...judgeApprovals(pr) }));
  const updates = merged.filter(isUpdate);
  const newDeps = merged.filter((pr) => !isUpdate(pr) && changesDependencies(pr));
  const newDepsOk = newDeps.filter((pr) => isGreen(pr) && judgeApprovals(pr).humanApprovalOnFinalCommit);

  const openUpdates = evidence.open.filter(isUpdate);
  const closedUpdates = evidence.closed.filter((pr) => isUpdate(pr) && inWindow(pr.closedAt));
  const staleBefore = options.now.getTime() - options.maxOpenDays * 86_400_000;
  const byBot: Record<string, number> = {};
  // Every update PR active in the window: merged or closed in it, or still open.
  for (const pr of [...updates, ...openUpdates, ...closedUpdates]) {
    const name = botName(pr.author!.login);
    byBot[name] = (byBot[name] ?? 0) + 1;
  }

  const hoursToMerge = median(updates.map((pr) => (Date.parse(pr.mergedAt) - Date.parse(pr.createdAt)) / 3_600_000));

  return {
    "reviews.merged-prs": merged.length,
    "reviews.independently-approved": verdicts.filter((v) => v.humanApproval).length,
    "reviews.approved-on-final-commit": verdicts.filter((v) => v.humanApprovalOnFinalCommit).length,
    "reviews.unreviewed": verdicts.filter((v) => !v.humanApproval).map((v) => v.pr.url),
    "reviews.bot-approved-only": verdicts.filter((v) => v.botApprovalOnly).map((v) => v.pr.url),
    "reviews.approval-outdated": verdicts.filter((v) => v.humanApproval && !v.humanApprovalOnFinalCommit).map((v) => v.pr.url),
    "ci.merged-with-checks": merged.filter(hasChecks).length,
    "ci.merged-green": merged.filter(isGreen).length,
    "ci.merged-red-or-unchecked": merged.filter((pr) => !isGreen(pr)).map((pr) => pr.url),
    "deps.new-dependency-prs": { merged: newDeps.length, greenAndApproved: newDepsOk.length, urls: newDeps.filter((pr) => !newDepsOk.includes(pr)).map((pr) => pr.url) },
    "deps.update-prs": {
      opened: [...updates, ...openUpdates, ...closedUpdates].filter((pr) => inWindow(pr.createdAt)).length,
      merged: updates.length,
      closedUnmerged: closedUpdates.length,
      openOlderThanThreshold: openUpdates.filter((pr) => Date.parse(pr.createdAt) < staleBefore).length,
      medianHoursToMerge: hoursToMerge === null ? null : round1(hoursToMerge),
    },
    "deps.update-prs-by-bot": byBot,
    "deps.update-prs-merge-health": { merged: updates.length, green: updates.filter(isGreen).length, notGreen: updates.filter((pr) => !isGreen(pr)).map((pr) => pr.url) },
  } satisfies Partial<Record<FindingId, unknown>>;
}

type Summary = ReturnType<typeof summarisePullRequests>;
const PRODUCES = [
  "reviews.merged-prs",
  "reviews.independently-approved",
  "reviews.approved-on-final-commit",
  "reviews.unreviewed",
  "reviews.bot-approved-only",
  "reviews.approval-outdated",
  "ci.merged-with-checks",
  "ci.merged-green",
  "ci.merged-red-or-unchecked",
  "deps.new-dependency-prs",
  "deps.update-prs",
  "deps.update-prs-by-bot",
  "deps.update-prs-merge-health",
] as const satisfies readonly (keyof Summary)[];

/**
 * Pure: the pull requests the list names in the window that no page returned — updated between
 * two page queries, they moved ahead of the cursor (see the note at the top).
 */
export function missedPullRequests(recent: readonly RecentPr[] | null, read: readonly MergedPr[], since: Date): number[] {
  if (!recent) return [];
  const seen = new Set(read.map(numberOf));
  const missed = recent.filter((pr) => pr.number !== undefined && Date.parse(pr.updatedAt) >= since.getTime() && !seen.has(pr.number));
  return [...new Set(missed.map((pr) => pr.number!))];
}

/** Pull requests one query reads again by number: each costs its nested connections' requests. */
export const MISSED_PER_QUERY = 25;

/** Reads the given merged pull requests by number, with the fields a page reads. */
export function missedPullRequestsQuery(count: number): string {
  return repositoryLookupsQuery({ name: "claimcheckMissedPullRequests", prefix: "pr", type: "Int!", count, field: (n) => `pullRequest(number: ${n}) { ...claimcheckMergedPullRequest }`, fragments: MERGED_PR_FIELDS });
}

const missedSchema = z.looseObject({ repository: z.record(z.string(), z.unknown()).nullable() });

/**
 * Reads again the pull requests no page returned. Gives them, or why they could not be read: a
 * pull request the window held and nobody judged must not leave "all reviewed" standing.
 */
async function readMissedPullRequests(client: GitHubClient, repo: RepoRef, numbers: readonly number[]): Promise<{ prs: MergedPr[]; problem: string | null }> {
  const prs: MergedPr[] = [];
  for (let start = 0; start < numbers.length; start += MISSED_PER_QUERY) {
    const batch = numbers.slice(start, start + MISSED_PER_QUERY);
    const variables: Record<string, string | number> = { owner: repo.owner, name: repo.name };
    batch.forEach((n, i) => (variables[`pr${i}`] = n));
    const { data: answer, errors } = await client.graphqlPartial("claimcheckMissedPullRequests", missedPullRequestsQuery(batch.length), variables, missedSchema);
    const error = followUpError("the merged pull requests read again", errors);
    if (error) return { prs, problem: error };
    for (const [i, n] of batch.entries()) {
      const parsed = mergedPrSchema.safeParse(answer.repository?.[`pr${i}`]);
      if (!parsed.success || numberOf(parsed.data) !== n) return { prs, problem: `GitHub did not answer for merged pull request #${n}, updated while the pull requests were read` };
      prs.push(parsed.data);
    }
  }
  return { prs, problem: null };
}

/** How many head commits one follow-up query asks for: each costs one request for its contexts. */
export const HEAD_COMMITS_PER_QUERY = 100;

const OID = /^[0-9a-f]{40}$/;

/** The head commits of pull requests whose own rollup was missing or about another commit. */
export function headCommitsQuery(count: number): string {
  return repositoryLookupsQuery({ name: "claimcheckHeadCommits", prefix: "h", type: "GitObjectID!", count, field: (oid) => `object(oid: ${oid}) { ... on Commit { oid statusCheckRollup { ${ROLLUP_FIELDS} } } }` });
}

const headCommitSchema = z.looseObject({ oid: z.string().optional(), statusCheckRollup: rawRollupSchema.nullable().optional() }).nullable();

/**
 * Reads the head commit's checks for every PR whose own rollup does not name `headRefOid` (GitHub
 * gives a PR's rollup for its head ref, which a deleted or reused branch can make absent or
 * another commit's). A commit GitHub does not return keeps its checks unread, never green.
 */
async function readHeadChecks(client: GitHubClient, repo: RepoRef, prs: MergedPr[]): Promise<void> {
  const missing = prs.filter((pr) => !rollupIsForHead(pr) && OID.test(pr.headRefOid));
  const oids = [...new Set(missing.map((pr) => pr.headRefOid))];
  const found = new Map<string, EffectiveRollup>();
  for (let start = 0; start < oids.length; start += HEAD_COMMITS_PER_QUERY) {
    const batch = oids.slice(start, start + HEAD_COMMITS_PER_QUERY);
    const variables: Record<string, string> = { owner: repo.owner, name: repo.name };
    batch.forEach((oid, i) => (variables[`h${i}`] = oid));
    const schema = z.looseObject({ repository: z.record(z.string(), headCommitSchema).nullable() });
    const answer = await client.graphql("claimcheckHeadCommits", headCommitsQuery(batch.length), variables, schema);
    batch.forEach((oid, i) => {
      const commit = answer.repository?.[`h${i}`];
      if (commit && commit.oid === oid && commit.statusCheckRollup !== undefined) found.set(oid, effectiveRollup(commit.statusCheckRollup));
    });
  }
  for (const pr of missing) if (found.has(pr.headRefOid)) pr.headChecks = found.get(pr.headRefOid)!;
}

export const pullRequestsCollector: Collector = {
  id: "pull-requests",
  produces: PRODUCES,
  repositoryFragment: pullRequestsFragment,
  async collect({ client, repo, config, now, since, repositoryData, repositoryErrors }: CollectContext): Promise<Finding[]> {
    const where: Where = { repo: repo.fullName, source: "GraphQL repository.pullRequests", url: `${repo.htmlUrl}/pulls?q=is%3Apr+is%3Amerged`, observedAt: now.toISOString() };
    // An error on one of its fields, or pull requests merged into a branch that is no longer the
    // default (not its evidence): the same test the reader makes before reading any later page.
    const refused = pullRequestsRefusal(repositoryData, repositoryErrors, repo);
    if (refused) return PRODUCES.map((id) => unreadable(id, refused, where));
    const data = fragmentSchema.parse(repositoryData);
    if (!data.pr_merged) return PRODUCES.map((id) => unreadable(id, "GitHub returned no pull requests for the repository", where));
    const recent = data.pr_recent ? present(data.pr_recent.nodes) : null;
    const pages = (await readWindowPages(client, repo, since, repositoryData, repositoryErrors)).pullRequests;
    if (!pages) return PRODUCES.map((id) => unreadable(id, "GitHub returned no pull requests for the repository", where));
    const { prs, complete, error } = pages;
    if (error) return PRODUCES.map((id) => unreadable(id, error, where));
    if (!complete) {
      const reason = `more than ${prs.length} pull requests were updated in the ${config.windowDays}-day window; shorten windowDays to assess them`;
      return PRODUCES.map((id) => unreadable(id, reason, where));
    }
    const missed = missedPullRequests(recent, prs, since);
    if (missed.length > 0) {
      let problem: string | null;
      try {
        const reread = await readMissedPullRequests(client, repo, missed);
        prs.push(...reread.prs);
        problem = reread.problem;
      } catch (error) {
        problem = `merged pull requests updated while they were read could not be read again: ${explainReadFailure(error)}`;
      }
      if (problem) return PRODUCES.map((id) => unreadable(id, problem, where));
    }
    await readHeadChecks(client, repo, prs.filter((pr) => pr.baseRefName === repo.defaultBranch && Date.parse(pr.mergedAt) >= since.getTime()));
    const byUrl = new Map<string, OtherPr>();
    for (const pr of present([...(data.pr_openOldest?.nodes ?? []), ...(data.pr_openNewest?.nodes ?? [])])) byUrl.set(pr.url, pr);
    const summary = summarisePullRequests(
      { merged: prs, open: [...byUrl.values()], closed: present(data.pr_closed?.nodes ?? []) },
      { since, now, defaultBranch: repo.defaultBranch, updateBots: config.updateBots, maxOpenDays: config.thresholds.updatePrMaxOpenDays },
    );
    const unseenOpen = unseenStaleOpenPrs(data.pr_openOldest, byUrl.size, now, config.thresholds.updatePrMaxOpenDays);
    return PRODUCES.map((id) =>
      id === "deps.update-prs" && unseenOpen && summary[id].openOlderThanThreshold === 0 ? unreadable(id, unseenOpen, where) : observed(id, summary[id] as never, where),
    );
  },
};

/**
 * The oldest and the newest 100 open PRs are read. When more are open and even the 100th oldest
 * is past the age threshold, a rotting update PR may sit among those not read: "none rots" cannot
 * be said then (a stale one that was read still stands as evidence).
 */
function unseenStaleOpenPrs(oldest: z.infer<typeof fragmentSchema>["pr_openOldest"], read: number, now: Date, maxOpenDays: number): string | null {
  if (!oldest || oldest.totalCount <= read) return null;
  const lastOfOldest = present(oldest.nodes).at(-1);
  if (lastOfOldest && Date.parse(lastOfOldest.createdAt) >= now.getTime() - maxOpenDays * 86_400_000) return null;
  return `${oldest.totalCount} pull requests are open and ${oldest.totalCount - read} of them were not read; an update PR open longer than ${maxOpenDays} days may be among them`;
}
