import { findingSchema, unreadable, type Finding } from "../core/findings.js";
import type { RepoConfig } from "../config/repo-config.js";
import { COLLECTORS } from "../collectors/index.js";
import { readRepository, REPOSITORY_ROUTE } from "../collectors/repository.js";
import type { Collector, RepoRef } from "../collectors/types.js";
import { evaluateClaims } from "../evaluation/evaluate.js";
import type { ClaimResult } from "../evaluation/types.js";
import { explainReadFailure, type GitHubClient, type RequestCounts } from "../github/client.js";

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

async function runCollector(collector: Collector, ctx: Parameters<Collector["collect"]>[0]): Promise<Finding[]> {
  const where = { repo: ctx.repo.fullName, source: collector.id, url: ctx.repo.htmlUrl, observedAt: ctx.now.toISOString() };
  let found: Finding[];
  try {
    found = await collector.collect(ctx);
  } catch (error) {
    const reason = explainReadFailure(error);
    return collector.produces.map((id) => unreadable(id, reason, where));
  }
  // A collector that forgets a finding it promised must not make a check look "not collected".
  const seen = new Set(found.map((f) => f.id));
  const forgotten = collector.produces.filter((id) => !seen.has(id)).map((id) => unreadable(id, `the ${collector.id} collector reported nothing for it`, where));
  return [...found, ...forgotten].map((f) => {
    const checked = findingSchema.safeParse(f);
    return checked.success ? f : unreadable(f.id, `invalid finding: ${checked.error.issues.map((i) => i.message).join("; ")}`, where);
  });
}

export type AssessInput = {
  client: GitHubClient;
  owner: string;
  name: string;
  config: RepoConfig;
  now?: Date;
  collectors?: readonly Collector[];
};

/** Reads one repository's evidence and judges every claim on it. Never throws for GitHub failures. */
export async function assessRepository({ client, owner, name, config, now = new Date(), collectors = COLLECTORS }: AssessInput): Promise<Assessment> {
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
    ({ repo, findings } = await readRepository(client, owner, name, now));
  } catch (error) {
    // Without the repository nothing else can be read: every finding says why.
    const reason = explainReadFailure(error, "the 'Metadata: read' permission or access to this repository");
    const where = { repo: `${owner}/${name}`, source: REPOSITORY_ROUTE, url: `https://github.com/${owner}/${name}`, observedAt: now.toISOString() };
    const missing = [...(["repo.default-branch", "repo.archived", "repo.fork", "repo.visibility"] as const), ...collectors.flatMap((c) => c.produces)].map((id) => unreadable(id, reason, where));
    return finish(null, { inScope: true }, missing, evaluateClaims(missing, config));
  }

  const scope = scopeOf(repo, config);
  if (!scope.inScope) return finish(repo, scope, findings, []);

  for (const collector of collectors) {
    findings = findings.concat(await runCollector(collector, { client, repo, config, now }));
  }
  return finish(repo, scope, findings, evaluateClaims(findings, config));
}
