import { z } from "zod";
import { explainReadFailure, fieldError, GitHubReadError, RateLimitedError, type GitHubClient, type GraphqlFieldError } from "../github/client.js";
import { BRANCH_COMMIT_FIELDS, branchSchema, mergesSchema, type BranchCommit, type HistoryPage } from "./branch-commit.js";
import { defaultBranchAnswer, staleDefaultBranch } from "./default-branch-check.js";
import { followUpError } from "./follow-up-error.js";
import { MERGED_PR_FIELDS, mergedConnection, mergedPullRequests, numberOf, present, RECENT_LISTED, recentSchema, type MergedConnection, type MergedPr, type RecentPr } from "./merged-pull-request.js";
import type { RepoRef } from "./types.js";
import { planWindowQuery, type WindowNeeds, type WindowQuery } from "./window-plan.js";

/*
 * The rest of an assessment's window after the batched query: later pages of merged pull
 * requests, later pages of default-branch commits, and for each commit that is no listed pull
 * request's merge commit, which pull request brought it in. The pull-request and history
 * collectors both read through here, so one follow-up query carries all three, each sized by
 * window-plan.ts to cost one point. Read once per batched answer: the collector that asks second
 * gets the same promise.
 *
 * Pages are ordered by last update and a cursor holds that date, so a pull request updated
 * between two queries moves ahead of the cursor and is on no later page. The batched query's
 * list of recent merged pull requests (`pr_recent`, same snapshot as the first page) names every
 * pull request the window held when it lists past the window's start: the pull-request collector
 * reads any it names that no page returned again, by number. When the list names each with its
 * number, reading stops once every one it names in the window was returned; otherwise pages go
 * on until one reaches past the window's start (one more pull request is asked for to see it).
 */

/**
 * 2,925 merged pull requests at most (the first page and 29 of 100, as the bound always was);
 * past that the findings say the window was too big. Bounded by count, not pages: a page beside
 * a page of commits holds as few as 15 pull requests, so the same number of pages reads fewer.
 */
export const MAX_MERGED_PULL_REQUESTS = 2925;
/**
 * A guard on the loop only, should pages return fewer than they were asked for: 196 pages of the
 * fewest a planned query carries (15) reach MAX_MERGED_PULL_REQUESTS from the first page.
 */
export const MAX_MERGED_PAGES = 200;
/** 3,000 commits at most; past that the findings say the window was too big. */
export const MAX_HISTORY_COMMITS = 3000;
/**
 * A guard on the loop only, should pages return fewer commits than asked for: 3,000 commits take
 * the first page and 30 of 100, or one more when the history's count was already out of date.
 */
export const MAX_HISTORY_PAGES = 100;

export type PullRequestPages = { prs: MergedPr[]; complete: boolean; error?: string };
/** `commits` null: the history was more than MAX_HISTORY_COMMITS or GitHub gave no next page. */
export type CommitPages = { commits: BranchCommit[] | null; error?: string; unanswered: number; associationError?: string };
/** Null for a part the batched answer does not hold (its collector was not run) or its collector refused (`pullRequestsRefusal`, `historyRefusal`). */
export type WindowPages = { pullRequests: PullRequestPages | null; commits: CommitPages | null };

/** The follow-up query for one plan: only the parts it asks for, each under the batched query's alias. */
export function windowPagesQuery(plan: WindowQuery): string {
  const variables = ["$owner: String!", "$name: String!"];
  const fields: string[] = [];
  const fragments: string[] = [];
  if (plan.pullRequests > 0) {
    variables.push("$branch: String!", "$prFirst: Int!", "$prCursor: String!");
    fields.push(`    pr_merged: ${mergedPullRequests("$prFirst")}, after: $prCursor) {
      pageInfo { hasNextPage endCursor }
      nodes { ...claimcheckMergedPullRequest }
    }`);
    fragments.push(MERGED_PR_FIELDS);
  }
  if (plan.commits > 0) {
    variables.push("$qualifiedBranch: String!", "$since: GitTimestamp!", "$histFirst: Int!", "$histCursor: String!");
    fields.push(`    hist_branch: ref(qualifiedName: $qualifiedBranch) {
      target {
        ... on Commit {
          history(since: $since, first: $histFirst, after: $histCursor) {
            totalCount
            pageInfo { hasNextPage endCursor }
            nodes { ...claimcheckBranchCommit }
          }
        }
      }
    }`);
    fragments.push(BRANCH_COMMIT_FIELDS);
  }
  for (let i = 0; i < plan.lookups; i += 1) {
    variables.push(`$c${i}: GitObjectID!`);
    fields.push(`    c${i}: object(oid: $c${i}) { ... on Commit { oid associatedPullRequests(first: 1) { totalCount } } }`);
  }
  return `
query claimcheckWindowPages(${variables.join(", ")}) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
${fields.join("\n")}
  }
}${fragments.join("")}`;
}

const answerSchema = z.looseObject({ repository: z.record(z.string(), z.unknown()).nullable() });
const lookupSchema = z.looseObject({ oid: z.string().optional(), associatedPullRequests: z.looseObject({ totalCount: z.number().int() }).nullable().optional() }).nullable();

type PullRequestState = { prs: MergedPr[]; seen: Set<string>; page: MergedConnection; recent: RecentPr[] | null; pages: number; done: boolean; complete: boolean; error?: string };
type CommitState = { commits: BranchCommit[]; total: number | undefined; page: HistoryPage; pages: number; done: boolean; overflow: boolean; error?: string };
type LookupState = { merges: Set<string>; pending: string[]; asked: Set<string>; answers: Map<string, { totalCount: number }>; error?: string };

/** The same pull request on two pages (its number, else its URL) is one pull request. */
const keyOf = (pr: MergedPr) => String(numberOf(pr) ?? pr.url);

const inWindow = (iso: string, since: Date) => Date.parse(iso) >= since.getTime();

/** The list saw past the window's start: every pull request updated in the window is on it. */
const listSeesWindowEnd = (recent: readonly RecentPr[], since: Date) => recent.length < RECENT_LISTED || !inWindow(recent.at(-1)!.updatedAt, since);

/**
 * Pure: the list's pull requests of the window, when it names them all: it lists past the
 * window's start, gives every number, and names every pull request of the window a page returned
 * (a page only returns pull requests not updated since the list was made). Otherwise null.
 */
export function listedWindow(recent: readonly RecentPr[] | null, read: readonly MergedPr[], since: Date): number[] | null {
  if (!recent || !listSeesWindowEnd(recent, since)) return null;
  const listed = recent.filter((pr) => inWindow(pr.updatedAt, since));
  if (!listed.every((pr) => pr.number !== undefined)) return null;
  const numbers = new Set(listed.map((pr) => pr.number!));
  if (!read.every((pr) => !inWindow(pr.updatedAt, since) || numbers.has(numberOf(pr) ?? -1))) return null;
  return [...numbers];
}

/**
 * Pure: the pull requests the next page asks for. When the list names every pull request of the
 * window: those not returned yet. When it only counts them (or cannot see the window's end): the
 * count not read yet and one past it, whose date shows the window has ended. Past what the list
 * knows, as many as fit.
 */
export function pullRequestsWanted(recent: readonly RecentPr[] | null, read: readonly MergedPr[], since: Date): number | "fill" {
  if (!recent) return "fill";
  const named = listedWindow(recent, read, since);
  if (named) {
    const seen = new Set(read.map(numberOf));
    const missing = named.filter((n) => !seen.has(n)).length;
    if (missing > 0) return missing;
  }
  const remaining = recent.filter((pr) => inWindow(pr.updatedAt, since)).length - read.length;
  return remaining > 0 ? remaining + 1 : "fill";
}

/** Whether the pages have read the whole window. */
function pullRequestsDone(state: PullRequestState, since: Date): boolean {
  const { page } = state;
  if (!page.pageInfo.hasNextPage) return true;
  const oldest = present(page.nodes).at(-1);
  // Ordered by last update: once a page reaches PRs untouched since the window began, none older was merged in it.
  if (oldest && !inWindow(oldest.updatedAt, since)) return true;
  const named = listedWindow(state.recent, state.prs, since);
  if (!named) return false;
  const seen = new Set(state.prs.map(numberOf));
  return named.every((n) => seen.has(n));
}

function addPullRequests(state: PullRequestState, nodes: (MergedPr | null)[]): void {
  for (const pr of present(nodes)) {
    if (state.seen.has(keyOf(pr))) continue;
    state.seen.add(keyOf(pr));
    state.prs.push(pr);
  }
}

function addCommits(commits: CommitState, lookups: LookupState | null, nodes: (BranchCommit | null)[]): void {
  for (const c of present(nodes)) {
    commits.commits.push(c);
    if (!lookups) continue;
    if (lookups.merges.has(c.oid)) c.mergeOfPullRequest = true;
    // An answer that already carries the commit's pull requests needs no question.
    else if (c.associatedPullRequests === undefined && !lookups.asked.has(c.oid)) {
      lookups.asked.add(c.oid);
      lookups.pending.push(c.oid);
    }
  }
}

/** Which part of a follow-up query an error GitHub reported is about. */
function partOf(error: GraphqlFieldError): "pullRequests" | "commits" | "lookups" | "all" {
  const alias = String(error.path[1] ?? "");
  if (alias === "pr_merged") return "pullRequests";
  if (alias === "hist_branch") return "commits";
  if (/^c\d+$/.test(alias)) return "lookups";
  return "all";
}

/** Each part's own `isEmpty` and `defaultBranchRef`: whether its answer is about the default branch asked for. */
const prBranch = z.looseObject({ pr_isEmpty: defaultBranchAnswer.isEmpty, pr_default: defaultBranchAnswer.ref });
const histBranch = z.looseObject({ hist_isEmpty: defaultBranchAnswer.isEmpty, hist_default: defaultBranchAnswer.ref });

/**
 * Pure: why the pull-request collector gives up on the batched answer before any later page
 * (an error on one of its fields, or a default branch that is no longer the one asked about);
 * null when it goes on. The collector and the reader both ask this, so no page is read, at a
 * point's cost and with the risk of failing the history's query, for a part nobody judges.
 */
export function pullRequestsRefusal(data: unknown, errors: readonly GraphqlFieldError[], repo: RepoRef): string | null {
  const refused = ["pr_merged", "pr_recent", "pr_openOldest", "pr_openNewest", "pr_closed"].map((alias) => fieldError(errors, "repository", alias)).find(Boolean);
  if (refused) return refused;
  const branch = prBranch.safeParse(data);
  return branch.success ? staleDefaultBranch(branch.data.pr_isEmpty, branch.data.pr_default, repo.defaultBranch) : null;
}

/** Pure: why the history collector gives up on the batched answer before any later page; null when it goes on. */
export function historyRefusal(data: unknown, errors: readonly GraphqlFieldError[], repo: RepoRef): string | null {
  const refused = fieldError(errors, "repository", "hist_branch");
  if (refused) return refused;
  const branch = histBranch.safeParse(data);
  return branch.success ? staleDefaultBranch(branch.data.hist_isEmpty, branch.data.hist_default, repo.defaultBranch) : null;
}

/**
 * Whether a query that failed whole may have failed for one of its parts (GitHub's time limit or
 * a server error that one heavy page can cause), as the batched query judges it: not a refusal,
 * and not a spent rate limit, which asking part by part would only spend faster.
 */
function maySplit(error: unknown): boolean {
  if (error instanceof RateLimitedError) return false;
  const status = error instanceof GitHubReadError ? error.status : null;
  return status === null || status >= 500;
}

/** Pure: the needs narrowed to one part (the first of commits, pull requests, questions), for a query that carries it alone. */
function onePart(needs: WindowNeeds): WindowNeeds {
  if (needs.commits) return { commits: needs.commits, pullRequests: null, lookups: 0 };
  if (needs.pullRequests) return { commits: null, pullRequests: needs.pullRequests, lookups: 0 };
  return needs;
}

const NO_CURSOR = (what: string) => `GitHub said more ${what} of the window follow but gave no cursor to read them`;

const cache = new WeakMap<object, Promise<WindowPages>>();

/**
 * The window's pages for the batched answer `repositoryData` (read once, whichever collector asks
 * first). Never rejects for GitHub's failures: each part says what it could not read.
 */
export function readWindowPages(client: GitHubClient, repo: RepoRef, since: Date, repositoryData: unknown, repositoryErrors: readonly GraphqlFieldError[]): Promise<WindowPages> {
  if (typeof repositoryData !== "object" || repositoryData === null) return readWindow(client, repo, since, repositoryData, repositoryErrors);
  const known = cache.get(repositoryData);
  if (known) return known;
  const reading = readWindow(client, repo, since, repositoryData, repositoryErrors);
  cache.set(repositoryData, reading);
  return reading;
}

async function readWindow(client: GitHubClient, repo: RepoRef, since: Date, data: unknown, repositoryErrors: readonly GraphqlFieldError[]): Promise<WindowPages> {
  const prAnswer = z.looseObject({ pr_merged: mergedConnection, pr_recent: recentSchema }).safeParse(data);
  const histAnswer = z.looseObject({ hist_branch: branchSchema, hist_merges: mergesSchema }).safeParse(data);
  const firstHistory = histAnswer.success ? histAnswer.data.hist_branch?.target?.history : undefined;

  // A part its collector refused is not read: it would cost points and could fail the other's queries.
  let prs: PullRequestState | null = null;
  if (prAnswer.success && !pullRequestsRefusal(data, repositoryErrors, repo)) {
    const recent = prAnswer.data.pr_recent ? present(prAnswer.data.pr_recent.nodes) : null;
    prs = { prs: [], seen: new Set(), page: prAnswer.data.pr_merged, recent, pages: 1, done: false, complete: true };
    addPullRequests(prs, prAnswer.data.pr_merged.nodes);
  }
  let commits: CommitState | null = null;
  let lookups: LookupState | null = null;
  if (histAnswer.success && firstHistory && !historyRefusal(data, repositoryErrors, repo)) {
    const merges = new Set(present(histAnswer.data.hist_merges?.nodes ?? []).flatMap((pr) => (pr.mergeCommit ? [pr.mergeCommit.oid] : [])));
    lookups = { merges, pending: [], asked: new Set(), answers: new Map() };
    commits = { commits: [], total: firstHistory.totalCount, page: firstHistory, pages: 1, done: false, overflow: false };
    addCommits(commits, lookups, firstHistory.nodes);
  }

  // Set when a query of several parts failed whole: from then on each part is asked for alone, so
  // a part fails only for its own failure, never for another's.
  let alone = false;
  for (;;) {
    if (prs && !prs.done) {
      if (pullRequestsDone(prs, since)) prs.done = true;
      // More follow and no way to them: not the end of the window.
      else if (!prs.page.pageInfo.endCursor) Object.assign(prs, { done: true, complete: false, error: NO_CURSOR("merged pull requests") });
      else if (prs.prs.length >= MAX_MERGED_PULL_REQUESTS || prs.pages >= MAX_MERGED_PAGES) Object.assign(prs, { done: true, complete: false });
    }
    if (commits && !commits.done) {
      if (!commits.page.pageInfo.hasNextPage) commits.done = true;
      else if (!commits.page.pageInfo.endCursor) Object.assign(commits, { done: true, error: NO_CURSOR("default-branch commits") });
      else if (commits.commits.length >= MAX_HISTORY_COMMITS || commits.pages >= MAX_HISTORY_PAGES) Object.assign(commits, { done: true, overflow: true });
    }
    const needs: WindowNeeds = {
      pullRequests: prs && !prs.done ? { items: pullRequestsWanted(prs.recent, prs.prs, since) } : null,
      commits: commits && !commits.done ? { items: commits.total === undefined || commits.total <= commits.commits.length ? "fill" : commits.total - commits.commits.length } : null,
      // Questions are asked only about a history that is being read whole.
      lookups: lookups && !lookups.error && commits && !commits.overflow && !commits.error ? lookups.pending.length : 0,
    };
    const plan = planWindowQuery(alone ? onePart(needs) : needs);
    if (!plan) break;
    const asked = lookups ? lookups.pending.splice(0, plan.lookups) : [];
    const variables: Record<string, string | number> = { owner: repo.owner, name: repo.name };
    if (prs && plan.pullRequests > 0) Object.assign(variables, { branch: repo.defaultBranch, prFirst: plan.pullRequests, prCursor: prs.page.pageInfo.endCursor! });
    if (commits && plan.commits > 0) Object.assign(variables, { qualifiedBranch: `refs/heads/${repo.defaultBranch}`, since: since.toISOString(), histFirst: plan.commits, histCursor: commits.page.pageInfo.endCursor! });
    asked.forEach((oid, i) => (variables[`c${i}`] = oid));

    let repository: Record<string, unknown> | null;
    let errors: readonly GraphqlFieldError[];
    try {
      ({
        data: { repository },
        errors,
      } = await client.graphqlPartial("claimcheckWindowPages", windowPagesQuery(plan), variables, answerSchema));
    } catch (error) {
      const parts = [plan.pullRequests, plan.commits, plan.lookups].filter((n) => n > 0).length;
      if (parts > 1 && maySplit(error)) {
        // Which part failed it is not known: ask again, each part alone.
        alone = true;
        lookups?.pending.unshift(...asked);
        continue;
      }
      // A query that failed whole failed every part it carried; the others go on.
      const reason = explainReadFailure(error);
      if (prs && plan.pullRequests > 0) Object.assign(prs, { done: true, complete: false, error: `a later page of merged pull requests could not be read: ${reason}` });
      if (commits && plan.commits > 0) Object.assign(commits, { done: true, error: `a later page of default-branch history could not be read: ${reason}` });
      if (lookups && asked.length > 0) lookups.error = `which pull request brought each default-branch commit in could not be read: ${reason}`;
      continue;
    }
    const errorsOf = (part: ReturnType<typeof partOf>) => errors.filter((e) => partOf(e) === part || partOf(e) === "all");

    if (prs && plan.pullRequests > 0) {
      prs.pages += 1;
      // A pull request GitHub nulled beside an error would otherwise be dropped as if never merged.
      const error = followUpError("a later page of merged pull requests", errorsOf("pullRequests"));
      const page = mergedConnection.safeParse(repository?.pr_merged);
      if (error) Object.assign(prs, { done: true, complete: false, error });
      else if (!page.success) Object.assign(prs, { done: true, complete: false });
      else {
        prs.page = page.data;
        addPullRequests(prs, page.data.nodes);
      }
    }
    if (commits && plan.commits > 0) {
      // A commit GitHub nulled beside an error would otherwise be dropped: a direct push unseen.
      const error = followUpError("a later page of default-branch history", errorsOf("commits"));
      const history = branchSchema.safeParse(repository?.hist_branch);
      const page = history.success ? history.data?.target?.history : undefined;
      if (error) Object.assign(commits, { done: true, error });
      else if (!page) Object.assign(commits, { done: true, overflow: true });
      else {
        commits.page = page;
        commits.pages += 1;
        addCommits(commits, lookups, page.nodes);
      }
    }
    if (lookups && asked.length > 0) {
      // A pull request list GitHub refused is not "no pull request": the commit is no direct push yet.
      const error = followUpError("which pull request brought each default-branch commit in", errorsOf("lookups"));
      if (error) lookups.error = error;
      else
        asked.forEach((oid, i) => {
          const commit = lookupSchema.safeParse(repository?.[`c${i}`]);
          // The connection is never null in GitHub's schema; null is an answer withheld.
          if (commit.success && commit.data?.oid === oid && commit.data.associatedPullRequests) lookups.answers.set(oid, commit.data.associatedPullRequests);
        });
    }
  }

  let commitPages: CommitPages | null = null;
  if (commits) {
    const unknown = commits.commits.filter((c) => lookups!.asked.has(c.oid));
    for (const c of unknown) if (lookups!.answers.has(c.oid)) c.associatedPullRequests = lookups!.answers.get(c.oid)!;
    const unanswered = unknown.filter((c) => !lookups!.answers.has(c.oid)).length;
    commitPages = {
      commits: commits.overflow ? null : commits.commits,
      ...(commits.error ? { error: commits.error } : {}),
      unanswered,
      ...(lookups!.error ? { associationError: lookups!.error } : {}),
    };
  }
  return { pullRequests: prs ? { prs: prs.prs, complete: prs.complete, ...(prs.error ? { error: prs.error } : {}) } : null, commits: commitPages };
}
