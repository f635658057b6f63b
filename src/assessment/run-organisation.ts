import pLimit from "p-limit";
import { z } from "zod";
import { runConfigOf, type RunConfigCache } from "../config/config-cache.js";
import { loadRepoConfig, ORG_CONFIG_REPO, type ConfigReader } from "../config/load-repo-config.js";
import type { ConfigOutcome, RepoConfig } from "../config/repo-config.js";
import type { Finding } from "../core/findings.js";
import { GitHubClient, type OctokitLike, type RequestCounts } from "../github/client.js";
import { listedRepository, type ListedRepository } from "../collectors/repository.js";
import { assessOrganisation } from "./assess-org.js";
import { assessRepository, type Assessment } from "./assess-repository.js";
import type { OrgAssessment } from "./org-assessment.js";

export type RunOctokit = OctokitLike & ConfigReader;

export type RunProgress = { done: number; total: number; requests: RequestCounts; rateLimitRemaining: number | null };

export type RunInput = {
  octokit: RunOctokit;
  org: string;
  /** Repository names to assess; all of the organisation's when empty. */
  repos?: readonly string[];
  /** Overrides the configured evidence window. */
  windowDays?: number;
  concurrency?: number;
  now?: Date;
  /** Organisation findings from outside GitHub (the audit trail), judged with the rest. */
  extraOrgFindings?: (config: RepoConfig, since: Date) => Finding[] | Promise<Finding[]>;
  onProgress?: (progress: RunProgress) => void;
  /**
   * Each repository's assessment as it finishes (to the store): with `keep: false` the run holds
   * none of them, so its memory does not grow with the organisation, and the caller builds the
   * report from where it put them.
   */
  onAssessed?: (assessment: Assessment, config: ConfigOutcome) => void | Promise<unknown>;
  keep?: boolean;
};

export type RunResult = { assessment: OrgAssessment; configs: Map<string, ConfigOutcome> };

const repoListSchema = z.array(z.looseObject({ name: z.string(), archived: z.boolean().optional(), fork: z.boolean().optional() }));

/**
 * Every repository of the organisation, a page of 100 at a time, and each entry usable in place
 * of GET /repos/{owner}/{repo} (it carries the same fields) while the list is fresh.
 */
async function listRepositories(client: GitHubClient, org: string): Promise<{ names: string[]; listed: Map<string, ListedRepository> }> {
  const names: string[] = [];
  const listed = new Map<string, ListedRepository>();
  for (let page = 1; ; page += 1) {
    const { data } = await client.rest("GET /orgs/{org}/repos", { org, type: "all", per_page: 100, page }, repoListSchema);
    const readAt = Date.now();
    for (const entry of data ?? []) {
      names.push(entry.name);
      const usable = listedRepository(entry, readAt);
      if (usable) listed.set(entry.name, usable);
    }
    if (!data || data.length < 100) return { names, listed };
  }
}

/** The organisation's own settings: claimcheck.yml in its `.github` repository, read and checked like a repository's, or the defaults. */
async function orgConfig(client: GitHubClient, org: string, shared: RunConfigCache | undefined): Promise<RepoConfig> {
  return (await loadRepoConfig(client, org, ORG_CONFIG_REPO, shared)).config;
}

function inOrder(assessments: Assessment[], names: readonly string[]): Assessment[] {
  const position = new Map(names.map((name, i) => [name, i]));
  return [...assessments].sort((a, b) => (position.get(a.name) ?? 0) - (position.get(b.name) ?? 0));
}

function add(total: RequestCounts, part: RequestCounts): void {
  total.rest += part.rest;
  total.graphql += part.graphql;
  total.graphqlCost += part.graphqlCost;
}

/**
 * One organisation-wide run: the organisation's evidence read once, then every repository with
 * bounded concurrency. The CLI and the app's installation runs both go through here.
 */
export async function runOrganisation(input: RunInput): Promise<RunResult> {
  const now = input.now ?? new Date();
  const orgClient = new GitHubClient(input.octokit);
  const baseConfig = await orgConfig(orgClient, input.org, runConfigOf(input.octokit));
  const config = input.windowDays ? { ...baseConfig, windowDays: input.windowDays } : baseConfig;
  const since = new Date(now.getTime() - config.windowDays * 86_400_000);
  const { names, listed } = input.repos && input.repos.length > 0 ? { names: [...input.repos], listed: new Map<string, ListedRepository>() } : await listRepositories(orgClient, input.org);
  // Their own configuration files are then read a hundred at a time, not one request each.
  runConfigOf(input.octokit)?.expect(input.org, names);
  const orgFindings = [...(await assessOrganisation({ client: orgClient, org: input.org, config, now })), ...((await input.extraOrgFindings?.(config, since)) ?? [])];

  const requests: RequestCounts = { ...orgClient.counts };
  const configs = new Map<string, ConfigOutcome>();
  const limit = pLimit(input.concurrency ?? 4);
  let done = 0;
  let rateLimitRemaining: number | null = null;
  const keep = input.keep ?? true;
  const kept: Assessment[] = [];
  await Promise.all(
    names.map((name) =>
      limit(async () => {
        const client = new GitHubClient(input.octokit);
        const loaded = await loadRepoConfig(client, input.org, name, runConfigOf(input.octokit));
        const repoConfig = input.windowDays ? { ...loaded.config, windowDays: input.windowDays } : loaded.config;
        if (keep) configs.set(name, loaded);
        const entry = listed.get(name);
        listed.delete(name);
        const assessment = await assessRepository({ client, owner: input.org, name, config: repoConfig, now, orgFindings, ...(entry ? { listed: entry } : {}) });
        await input.onAssessed?.(assessment, loaded);
        if (keep) kept.push(assessment);
        add(requests, assessment.requests);
        rateLimitRemaining = client.rateLimitRemaining ?? rateLimitRemaining;
        done += 1;
        input.onProgress?.({ done, total: names.length, requests: { ...requests }, rateLimitRemaining });
      }),
    ),
  );
  return {
    assessment: {
      org: input.org,
      generatedAt: now.toISOString(),
      window: { days: config.windowDays, since: since.toISOString(), until: now.toISOString() },
      config,
      // In the order asked for, as before: completion order depends on the network.
      repositories: keep ? inOrder(kept, names) : [],
      orgFindings,
      requests,
    },
    configs,
  };
}
