import { createHash } from "node:crypto";
import type { PullRequestSpec, RepositorySpec, Scenario } from "./scenario.js";

/*
 * The organisation as GitHub would hold it: concrete commits, SHAs, timestamps and pull requests
 * derived from the scenario at a fixed "now". REST routes and GraphQL resolvers both read this;
 * writes (check runs, issues) are recorded on it.
 */

export type ChecksState = "success" | "failure" | "pending" | "none";

export type Commit = { oid: string; committedDate: Date; message: string; signed: boolean; prNumber: number | null; checks: ChecksState };

export type PullRequest = {
  number: number;
  title: string;
  author: string;
  state: "merged" | "open" | "closed";
  createdAt: Date;
  updatedAt: Date;
  mergedAt: Date | null;
  closedAt: Date | null;
  headOid: string;
  firstOid: string;
  baseRef: string;
  approvals: string[];
  staleApprovals: string[];
  reviews: PullRequestSpec["reviews"];
  checks: ChecksState;
  files: string[];
  mergeCommitOid: string | null;
};

export type CheckRunRecord = { id: number; repo: string; name: string; head_sha: string; status: string; conclusion: string | null; output: unknown; createdAt: Date; raw: Record<string, unknown> };
export type IssueRecord = { number: number; repo: string; title: string; body: string; labels: string[]; state: "open" | "closed"; createdAt: Date; comments: string[]; raw: Record<string, unknown> };

export type Repo = {
  id: number;
  spec: RepositorySpec;
  fullName: string;
  pullRequests: PullRequest[];
  /** Default-branch history, newest first. */
  history: Commit[];
  rulesetIds: Map<number, RepositorySpec["rulesets"][number]>;
  issues: IssueRecord[];
  labels: Set<string>;
  /** Check runs apps created in this repository: GitHub counts them in each commit's rollup. */
  checkRuns: CheckRunRecord[];
};

export type Model = {
  scenario: Scenario;
  now: Date;
  org: Scenario["org"];
  repos: Map<string, Repo>;
  repoList: Repo[];
  orgRulesets: Map<number, Scenario["org"]["rulesets"][number]>;
  checkRuns: CheckRunRecord[];
  issues: IssueRecord[];
  nextId: () => number;
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function sha(...parts: (string | number)[]): string {
  return createHash("sha1").update(parts.join("/")).digest("hex");
}

function expand(specs: readonly PullRequestSpec[]): PullRequestSpec[] {
  return specs.flatMap((s) => Array.from({ length: s.count }, (_, i) => ({ ...s, daysAgo: s.daysAgo + i, count: 1 })));
}

function buildRepo(org: string, spec: RepositorySpec, id: number, now: Date, nextRulesetId: () => number): Repo {
  const fullName = `${org}/${spec.name}`;
  const pullRequests: PullRequest[] = expand(spec.pullRequests).map((p, i) => {
    const number = i + 1;
    const createdAt = new Date(now.getTime() - p.daysAgo * DAY);
    const endedAt = new Date(Math.min(now.getTime(), createdAt.getTime() + p.hoursOpen * HOUR));
    const merged = p.state === "merged";
    return {
      number,
      title: p.title ?? `Change ${number}`,
      author: p.author,
      state: p.state,
      createdAt,
      updatedAt: p.state === "open" ? createdAt : endedAt,
      mergedAt: merged ? endedAt : null,
      closedAt: p.state === "open" ? null : endedAt,
      headOid: sha(fullName, "pr", number, "head"),
      firstOid: sha(fullName, "pr", number, "first"),
      baseRef: p.base ?? spec.defaultBranch,
      approvals: p.approvals,
      staleApprovals: p.staleApprovals,
      reviews: p.reviews,
      checks: p.checks,
      files: p.files,
      mergeCommitOid: merged ? sha(fullName, "pr", number, "merge") : null,
    };
  });
  const root: Commit = { oid: sha(fullName, "root"), committedDate: new Date(now.getTime() - 400 * DAY), message: "Initial commit", signed: false, prNumber: null, checks: "success" };
  const history: Commit[] = [
    root,
    ...pullRequests
      .filter((p) => p.mergedAt)
      .map((p): Commit => ({ oid: p.mergeCommitOid!, committedDate: p.mergedAt!, message: `Merge pull request #${p.number}`, signed: true, prNumber: p.number, checks: spec.mainChecks ?? p.checks })),
    ...spec.directPushes.map((d, i): Commit => ({ oid: sha(fullName, "push", i), committedDate: new Date(now.getTime() - d.daysAgo * DAY), message: `Direct push ${i + 1}`, signed: d.signed, prNumber: null, checks: d.checks })),
  ].sort((a, b) => b.committedDate.getTime() - a.committedDate.getTime());
  const rulesetIds = new Map(spec.rulesets.map((r) => [r.id ?? nextRulesetId(), r] as const));
  return { id, spec, fullName, pullRequests, history, rulesetIds, issues: [], labels: new Set(), checkRuns: [] };
}

export function buildModel(scenario: Scenario, now = new Date()): Model {
  let id = 10_000;
  const nextId = () => ++id;
  let rulesetId = 100;
  const nextRulesetId = () => ++rulesetId;
  const orgRulesets = new Map(scenario.org.rulesets.map((r) => [r.id ?? nextRulesetId(), r] as const));
  const repoList = scenario.repositories.map((spec, i) => buildRepo(scenario.org.login, spec, 500_000 + i, now, nextRulesetId));
  return {
    scenario,
    now,
    org: scenario.org,
    repos: new Map(repoList.map((r) => [r.spec.name.toLowerCase(), r])),
    repoList,
    orgRulesets,
    checkRuns: [],
    issues: [],
    nextId,
  };
}

/** The commit a ref or expression names: the default branch's head, or a known SHA. */
export function headOf(repo: Repo): Commit {
  return repo.history[0]!;
}

export function isBot(login: string): boolean {
  return login.endsWith("[bot]");
}

/** The pull requests an account could see for a commit on the default branch. */
export function pullRequestOfCommit(repo: Repo, oid: string): PullRequest | undefined {
  return repo.pullRequests.find((p) => p.mergeCommitOid === oid || p.headOid === oid);
}
