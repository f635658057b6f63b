import { unreadable, type Finding } from "../core/findings.js";
import { collectAll } from "./collect.js";
import { runReadsFor } from "./run-shared.js";
import type { RepoConfig } from "../config/repo-config.js";
import { COLLECTORS } from "../collectors/index.js";
import { readRepository, REPOSITORY_ROUTE, type ListedRepository } from "../collectors/repository.js";
import type { CollectContext, Collector, RepoRef, RunReads } from "../collectors/types.js";
import { evaluateClaims } from "../evaluation/evaluate.js";
import type { ClaimResult } from "../evaluation/types.js";
import { explainReadFailure, GitHubReadError, RateLimitedError, type GitHubClient, type GraphqlFieldError, type RequestCounts } from "../github/client.js";
import { buildRepositoryQuery, repositoryQueryVariables, type RepositoryFragment } from "../github/repository-query.js";
import { z } from "zod";

export type OutOfScope = { inScope: false; reason: string };
export type RepoScope = { inScope: true } | OutOfScope;

export type Assessment = {
  owner: string;
  name: string;
  repo: RepoRef | null;
  scope: RepoScope;
  findings: Finding[];
  results: ClaimResult[];
  requests: RequestCounts;
  startedAt: string;
  finishedAt: string;
};

export function scopeOf(repo: RepoRef, config: RepoConfig): RepoScope {
  if (repo.archived) return { inScope: false, reason: "archived" };
  if (repo.fork) return { inScope: false, reason: "a fork" };
  if (config.exclude.includes(repo.name) || config.exclude.includes(repo.fullName)) return { inScope: false, reason: "excluded in configuration" };
  return { inScope: true };
}

function runCollector(collector: Collector, ctx: CollectContext): Promise<Finding[]> {
  const where = { repo: ctx.repo.fullName, source: collector.id, url: ctx.repo.htmlUrl, observedAt: ctx.now.toISOString() };
  return collectAll(collector.id, collector.produces, where, () => collector.collect(ctx));
}

/** `split`: whether asking for the parts one by one could succeed where the whole failed. */
type BatchResult = { ok: true; data: unknown; errors: GraphqlFieldError[] } | { ok: false; error: string; status: number | null; split: boolean };

async function queryFragments(client: GitHubClient, repo: RepoRef, fragments: readonly RepositoryFragment[], since: Date): Promise<BatchResult> {
  try {
    const { data, errors } = await client.graphqlPartial(
      "claimcheckRepository",
      buildRepositoryQuery(fragments),
      repositoryQueryVariables(fragments, repo.owner, repo.name, repo.defaultBranch, since),
      repositoryResponseSchema,
    );
    // A repository GraphQL cannot see is not seen by any part of the query either.
    if (data.repository === null || data.repository === undefined) return { ok: false, error: `GraphQL could not see the repository${errors[0] ? `: ${errors[0].message}` : ""}`, status: null, split: false };
    return { ok: true, data: data.repository, errors };
  } catch (error) {
    const status = error instanceof GitHubReadError ? error.status : null;
    // A spent rate limit fails every part the same way: splitting would only spend more of it.
    return { ok: false, error: explainReadFailure(error), status, split: !(error instanceof RateLimitedError) && (status === null || status >= 500) };
  }
}

/** A whole-query failure that one heavy field can cause (GitHub's time limit, a server error), not a refusal or a spent budget. */
const mayBeOneHeavyPart = (result: BatchResult) => !result.ok && result.split;

/**
 * One GraphQL request for the repository fields of every collector that declared a fragment. When
 * GitHub fails that request as a whole — a timeout or server error that one heavy part (a large
 * lockfile, a long history) can cause — each collector's part is asked for on its own, so only the
 * evidence that still cannot be read becomes unknown. Gives each collector its part's answer.
 */
async function readRepositoryData(client: GitHubClient, repo: RepoRef, collectors: readonly Collector[], since: Date, inRun: boolean): Promise<(collector: Collector) => BatchResult> {
  const fragmentOf = (c: Collector) => (inRun && c.runFragment ? c.runFragment : c.repositoryFragment);
  const fragments = collectors.flatMap((c) => {
    const f = fragmentOf(c);
    return f ? [f] : [];
  });
  if (fragments.length === 0) return () => ({ ok: true, data: null, errors: [] });
  const all = await queryFragments(client, repo, fragments, since);
  if (!mayBeOneHeavyPart(all) || fragments.length === 1) return () => all;
  const parts = await Promise.all(fragments.map((f) => queryFragments(client, repo, [f], since)));
  const byName = new Map(fragments.map((f, i) => [f.name, parts[i]!]));
  return (collector) => byName.get(fragmentOf(collector)!.name) ?? all;
}

const repositoryResponseSchema = z.looseObject({ repository: z.unknown() });

export type AssessInput = {
  client: GitHubClient;
  owner: string;
  name: string;
  config: RepoConfig;
  now?: Date;
  collectors?: readonly Collector[];
  /** Organisation findings of this run (read once by assessOrganisation), judged with the repository's. */
  orgFindings?: readonly Finding[];
  /** Repository findings of an earlier assessment, kept for every id the given collectors do not re-read. */
  carriedOver?: readonly Finding[];
  /** The repository as the run's list of the organisation's repositories gave it: read from there while fresh. */
  listed?: ListedRepository;
  /**
   * Organisation-wide reads kept beyond this assessment (the app's, per installation): used instead
   * of a run's (run-shared.ts), and the batched query leaves out what they read.
   */
  shared?: RunReads;
};

/** Reads one repository's evidence and judges every claim on it. Never throws for GitHub failures. */
export async function assessRepository({ client, owner, name, config, now = new Date(), collectors = COLLECTORS, orgFindings = [], carriedOver = [], listed, shared }: AssessInput): Promise<Assessment> {
  const startedAt = new Date().toISOString();
  const finish = (repo: RepoRef | null, scope: RepoScope, findings: Finding[], results: ClaimResult[]): Assessment => ({
    owner,
    name,
    repo,
    scope,
    findings,
    results,
    requests: { ...client.counts },
    startedAt,
    finishedAt: new Date().toISOString(),
  });

  let repo: RepoRef;
  let findings: Finding[];
  try {
    ({ repo, findings } = await readRepository(client, owner, name, now, listed));
  } catch (error) {
    // Without the repository nothing else can be read: every finding says why.
    const reason = explainReadFailure(error, "the 'Metadata: read' permission or access to this repository");
    const where = { repo: `${owner}/${name}`, source: REPOSITORY_ROUTE, url: `https://github.com/${owner}/${name}`, observedAt: now.toISOString() };
    const missing = [...(["repo.default-branch", "repo.archived", "repo.fork", "repo.visibility"] as const), ...collectors.flatMap((c) => c.produces)].map((id) => unreadable(id, reason, where));
    const all = [...missing, ...orgFindings];
    return finish(null, { inScope: true }, all, evaluateClaims(all, config));
  }

  const scope = scopeOf(repo, config);
  if (!scope.inScope) return finish(repo, scope, findings, []);

  const since = new Date(now.getTime() - config.windowDays * 86_400_000);
  // The batched query and the collectors' own REST reads go out together: an assessment costs
  // about one round trip per collector, not one after another. Results keep the collectors' order.
  const run = shared ?? runReadsFor(client);
  const batched = readRepositoryData(client, repo, collectors, since, run !== null);
  const collected = await Promise.all(
    collectors.map(async (collector) => {
      const data = collector.repositoryFragment ? (await batched)(collector) : null;
      if (data && !data.ok) {
        const where = { repo: repo.fullName, source: "GraphQL claimcheckRepository", url: repo.htmlUrl, observedAt: now.toISOString() };
        return collector.produces.map((id) => unreadable(id, data.error, where));
      }
      return runCollector(collector, { client, repo, config, now, since, repositoryData: data?.ok ? data.data : null, repositoryErrors: data?.ok ? data.errors : [], ...(run ? { run } : {}) });
    }),
  );
  findings = findings.concat(...collected);
  const fresh = new Set(findings.map((f) => f.id));
  const kept = carriedOver.filter((f) => f.scope === "repo" && !fresh.has(f.id));
  const all = [...findings, ...kept, ...orgFindings];
  return finish(repo, scope, all, evaluateClaims(all, config));
}
