import { isUnreadable, type Finding, type FindingId } from "../core/findings.js";
import { agree, names, percent, quantity } from "./words.js";

/*
 * Sentences stating what the findings of the repositories in scope show, one per finding kind.
 * Each sentence counts only repositories whose finding was read, and names those where it
 * could not be: a fact is never stated for a repository it was not seen in.
 */

type Reading<T> = { repo: string; value: T };
type Readings<T> = { read: Reading<T>[]; unreadable: { repo: string; error: string }[] };

/** A repository as the sentences read it: the first repository finding of each id they quote. */
export type FactSource = { name: string; quoted: { get(id: FindingId): QuotedFinding | undefined } };
/** What a sentence or a list reads of a finding: its value, and why it could not be read. */
export type QuotedFinding = Pick<Finding, "value" | "error">;
export type FactContext = { repositories: readonly FactSource[]; windowDays: number };

/**
 * Every finding a sentence reads. The report keeps only these findings' values of each
 * repository (src/report/digest.ts), so a sentence reading another id would see nothing: it
 * fails loudly instead.
 */
export const FACT_FINDINGS: ReadonlySet<FindingId> = new Set<FindingId>([
  "branch-protection.pr-required",
  "branch-protection.required-approvals",
  "branch-protection.dismiss-stale-reviews",
  "branch-protection.admins-enforced",
  "branch-protection.force-push-blocked",
  "branch-protection.deletion-blocked",
  "branch-protection.code-owner-review",
  "branch-protection.signed-commits",
  "branch-protection.required-checks",
  "reviews.merged-prs",
  "reviews.independently-approved",
  "reviews.unreviewed",
  "commits.direct-pushes",
  "ci.merged-with-checks",
  "ci.merged-green",
  "ci.scheduled-workflows",
  "actions.unpinned-uses",
  "actions.default-token-permission",
  "actions.can-approve-prs",
  "actions.workflows-without-permissions",
  "actions.dangerous-workflows",
  "ci.dependency-review-workflows",
  "ci.test-workflows",
  "deps.update-tool",
  "deps.ci-installs-locked",
  "secrets.scanning",
  "secrets.push-protection",
  "codeowners.covers-workflows",
  "environments.unguarded",
  "deploy-keys.write",
]);

/** Readings by id, per list of repositories: several sentences (and claims) read the same finding over the same repositories. */
const readingsCache = new WeakMap<readonly FactSource[], Map<FindingId, Readings<unknown> | null>>();

function readingsOf<T>(ctx: FactContext, id: FindingId): Readings<T> | null {
  if (!FACT_FINDINGS.has(id)) throw new Error(`the report's sentences read ${id}, which is not in FACT_FINDINGS`);
  let cache = readingsCache.get(ctx.repositories);
  if (!cache) readingsCache.set(ctx.repositories, (cache = readAll(ctx.repositories)));
  return (cache.get(id) ?? null) as Readings<T> | null;
}

/**
 * Every finding the sentences read, over the repositories, in one pass: a repository's findings
 * are read together rather than every repository's once per finding (at 10,000 repositories,
 * thirty passes over memory that far apart cost more than the reading). Null for an id no
 * repository has.
 */
function readAll(repositories: readonly FactSource[]): Map<FindingId, Readings<unknown> | null> {
  const ids = [...FACT_FINDINGS];
  const all = ids.map((): Readings<unknown> => ({ read: [], unreadable: [] }));
  for (const a of repositories) {
    for (let k = 0; k < ids.length; k += 1) {
      const f = a.quoted.get(ids[k]!);
      if (!f) continue;
      if (isUnreadable(f)) all[k]!.unreadable.push({ repo: a.name, error: f.error ?? "no reason given" });
      else all[k]!.read.push({ repo: a.name, value: f.value });
    }
  }
  return new Map(ids.map((id, k) => [id, all[k]!.read.length + all[k]!.unreadable.length === 0 ? null : all[k]!]));
}

function notRead(r: Readings<unknown>, what: string): string {
  if (r.unreadable.length === 0) return "";
  const byError = new Map<string, string[]>();
  for (const u of r.unreadable) {
    const repos = byError.get(u.error);
    if (repos) repos.push(u.repo);
    else byError.set(u.error, [u.repo]);
  }
  const parts = [...byError].map(([error, repos]) => `${names(repos)} (${error})`);
  return ` ${what} could not be read for ${parts.join("; ")}.`;
}

/** "2 of 3 repositories require X; `a` does not." from a per-repository yes/no. */
function yesNo<T>(id: FindingId, phrase: string, test: (value: T) => boolean) {
  return (ctx: FactContext): string | null => {
    const r = readingsOf<T>(ctx, id);
    if (!r) return null;
    // A null value means there was nothing to judge (no install step, say): neither yes nor no.
    // One pass over the readings, each value tested once.
    const yes: string[] = [];
    const no: string[] = [];
    for (const x of r.read) if (x.value !== null) (test(x.value) ? yes : no).push(x.repo);
    const total = yes.length + no.length;
    let sentence = "";
    if (total > 0) {
      if (no.length === 0) sentence = total === 1 ? `${names(yes)}, the one repository read, ${agree(phrase, 1)}.` : `${total === 2 ? "Both" : `All ${total}`} repositories read ${phrase}.`;
      else if (yes.length === 0) sentence = total === 1 ? `${names(no)}, the one repository read, does not ${phrase}.` : `None of the ${total} repositories read ${phrase}.`;
      else sentence = `${yes.length} of ${total} repositories ${agree(phrase, yes.length)}; ${names(no)} ${no.length === 1 ? "does not" : "do not"}.`;
    }
    return (sentence + notRead(r, `\`${id}\``)).trim();
  };
}

/** Sums counts over repositories: "Of N …, X (p%) …". */
function sumOf<T = number>(ctx: FactContext, id: FindingId, count: (value: T) => number = (v) => v as number): { total: number; repos: string[]; readings: Readings<T> } | null {
  const r = readingsOf<T>(ctx, id);
  if (!r) return null;
  return { total: r.read.reduce((s, x) => s + count(x.value), 0), repos: r.read.map((x) => x.repo), readings: r };
}

function reviewsFact(ctx: FactContext): string | null {
  const merged = sumOf(ctx, "reviews.merged-prs");
  const approved = sumOf(ctx, "reviews.independently-approved");
  if (!merged) return null;
  const window = `in the last ${ctx.windowDays} days`;
  const missing = notRead(merged.readings, "Merged pull requests");
  if (merged.repos.length === 0) return missing.trim();
  if (merged.total === 0) return `No pull request was merged into a default branch ${window} in the ${quantity(merged.repos.length, "repository", "repositories")} read.${missing}`;
  if (!approved || approved.repos.length !== merged.repos.length) return `${quantity(merged.total, "pull request was", "pull requests were")} merged ${window}; who approved them could not be read for every repository.${missing}`;
  const rest = merged.total - approved.total;
  const listed = sumOf(ctx, "reviews.unreviewed", (urls: string[]) => urls.length)?.total ?? 0;
  const those = rest === 1 ? "the one that was not" : `the ${rest.toLocaleString("en-GB")} that were not`;
  const tail = rest === 0 ? "" : listed === rest ? `; ${those} ${rest === 1 ? "is" : "are"} listed below` : listed > 0 ? `; of ${those}, ${listed} ${listed === 1 ? "is" : "are"} listed below` : `; ${rest.toLocaleString("en-GB")} ${rest === 1 ? "was" : "were"} not`;
  return `Of ${quantity(merged.total, "pull request", "pull requests")} merged ${window}, ${approved.total.toLocaleString("en-GB")} (${percent(approved.total, merged.total)}) ${approved.total === 1 ? "was" : "were"} approved by someone other than their author before merge${tail}.${missing}`;
}

function directPushFact(ctx: FactContext): string | null {
  const direct = sumOf(ctx, "commits.direct-pushes");
  if (!direct) return null;
  const missing = notRead(direct.readings, "Default-branch commits");
  if (direct.repos.length === 0) return missing.trim();
  if (direct.total === 0) return `No default-branch commit in the last ${ctx.windowDays} days was pushed without a pull request in the ${quantity(direct.repos.length, "repository", "repositories")} read.${missing}`;
  const where = direct.readings.read.filter((x) => x.value > 0).map((x) => `${names([x.repo])} (${x.value})`);
  return `${quantity(direct.total, "default-branch commit was", "default-branch commits were")} pushed without a pull request in the last ${ctx.windowDays} days: ${where.join(", ")}.${missing}`;
}

function mergedShareFact(id: FindingId, phrase: string) {
  return (ctx: FactContext): string | null => {
    const merged = sumOf(ctx, "reviews.merged-prs");
    const part = sumOf(ctx, id);
    if (!merged || !part || merged.total === 0 || part.repos.length !== merged.repos.length) return null;
    return `${part.total.toLocaleString("en-GB")} of ${quantity(merged.total, "merged pull request", "merged pull requests")} (${percent(part.total, merged.total)}) ${phrase}.`;
  };
}

const isTrue = (v: boolean) => v === true;
const isEmpty = (v: readonly unknown[]) => v.length === 0;

/** Fact sentences by the finding they are read from; a claim shows those of the findings its checks use. */
export const FACTS: Partial<Record<FindingId, (ctx: FactContext) => string | null>> = {
  "branch-protection.pr-required": yesNo<boolean>("branch-protection.pr-required", "require a pull request before changes reach their default branch", isTrue),
  "branch-protection.required-approvals": yesNo<number>("branch-protection.required-approvals", "require at least one approving review", (v) => v >= 1),
  "branch-protection.dismiss-stale-reviews": yesNo<boolean>("branch-protection.dismiss-stale-reviews", "dismiss stale approvals when new commits are pushed", isTrue),
  "branch-protection.admins-enforced": yesNo<boolean>("branch-protection.admins-enforced", "apply branch rules to administrators, with no one able to bypass them", isTrue),
  "branch-protection.force-push-blocked": yesNo<boolean>("branch-protection.force-push-blocked", "block force pushes to the default branch", isTrue),
  "branch-protection.deletion-blocked": yesNo<boolean>("branch-protection.deletion-blocked", "block deletion of the default branch", isTrue),
  "branch-protection.code-owner-review": yesNo<boolean>("branch-protection.code-owner-review", "require review from code owners", isTrue),
  "branch-protection.signed-commits": yesNo<boolean>("branch-protection.signed-commits", "require signed commits", isTrue),
  "branch-protection.required-checks": yesNo<string[]>("branch-protection.required-checks", "require status checks to pass before merge", (v) => v.length > 0),
  "reviews.merged-prs": reviewsFact,
  "commits.direct-pushes": directPushFact,
  "ci.merged-with-checks": mergedShareFact("ci.merged-with-checks", "had checks run on them"),
  "ci.merged-green": mergedShareFact("ci.merged-green", "had every check passing at merge"),
  "ci.scheduled-workflows": yesNo<string[]>("ci.scheduled-workflows", "have a scheduled workflow", (v) => v.length > 0),
  "actions.unpinned-uses": yesNo<string[]>("actions.unpinned-uses", "pin every action they use to a full commit SHA", isEmpty),
  "actions.default-token-permission": yesNo<string>("actions.default-token-permission", "give workflows a read-only token by default", (v) => v === "read"),
  "actions.can-approve-prs": yesNo<boolean>("actions.can-approve-prs", "stop the Actions token approving pull requests", (v) => v === false),
  "actions.workflows-without-permissions": yesNo<string[]>("actions.workflows-without-permissions", "declare `permissions:` in every workflow", isEmpty),
  "actions.dangerous-workflows": yesNo<string[]>("actions.dangerous-workflows", "have no privileged workflow (`pull_request_target`, `workflow_run`, `issue_comment`) that builds or runs the pull request's code with a secret or a write token", isEmpty),
  "ci.dependency-review-workflows": yesNo<string[]>("ci.dependency-review-workflows", "run a dependency review on pull requests", (v) => v.length > 0),
  "ci.test-workflows": yesNo<string[]>("ci.test-workflows", "have a test workflow", (v) => v.length > 0),
  "deps.update-tool": yesNo<string>("deps.update-tool", "have Renovate or Dependabot version updates configured", (v) => v !== "none"),
  "deps.ci-installs-locked": yesNo<boolean | null>("deps.ci-installs-locked", "install dependencies in CI from the lockfile", (v) => v === true),
  "secrets.scanning": yesNo<boolean>("secrets.scanning", "have secret scanning enabled", isTrue),
  "secrets.push-protection": yesNo<boolean>("secrets.push-protection", "have push protection enabled", isTrue),
  "codeowners.covers-workflows": yesNo<boolean>("codeowners.covers-workflows", "have a CODEOWNERS entry covering their workflows", isTrue),
  "environments.unguarded": yesNo<string[]>("environments.unguarded", "guard every deployment environment with reviewers or branch policies", isEmpty),
  "deploy-keys.write": yesNo<string[]>("deploy-keys.write", "have no deploy key with write access", isEmpty),
};

/** URL lists worth listing in full under a claim, by the finding that holds them. */
export const LISTED: Partial<Record<FindingId, { label: string; urls: (value: unknown) => string[] }>> = {
  "reviews.unreviewed": { label: "Merged without approval by someone other than the author", urls: (v) => v as string[] },
  "reviews.approval-outdated": { label: "Approved, but not on the final commit", urls: (v) => v as string[] },
  "reviews.bot-approved-only": { label: "Approved only by a bot", urls: (v) => v as string[] },
  "ci.merged-red-or-unchecked": { label: "Merged with failing or missing checks", urls: (v) => v as string[] },
  "deps.new-dependency-prs": { label: "Added a dependency without passing checks and an independent approval", urls: (v) => (v as { urls: string[] }).urls },
  "deps.update-prs-merge-health": { label: "Update pull requests merged without every check passing", urls: (v) => (v as { notGreen: string[] }).notGreen },
};

export function factsFor(findingIds: readonly FindingId[], ctx: FactContext): string[] {
  return findingIds.flatMap((id) => {
    const fact = FACTS[id]?.(ctx);
    return fact ? [fact] : [];
  });
}
