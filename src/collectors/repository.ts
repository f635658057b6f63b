import { z } from "zod";
import { observed, type Finding } from "../core/findings.js";
import type { GitHubClient } from "../github/client.js";
import type { RepoRef } from "./types.js";

export const REPOSITORY_ROUTE = "GET /repos/{owner}/{repo}";

export const repositorySchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  full_name: z.string(),
  owner: z.looseObject({ login: z.string() }),
  html_url: z.string(),
  default_branch: z.string(),
  archived: z.boolean(),
  fork: z.boolean(),
  private: z.boolean(),
  visibility: z.enum(["public", "private", "internal"]).optional(),
  security_and_analysis: z.record(z.string(), z.looseObject({ status: z.string() })).nullish(),
});

/** Where a run lists the organisation's repositories, each with the fields read here. */
export const ORG_REPOSITORIES_ROUTE = "GET /orgs/{org}/repos";

/** How long a run's list stands in for GET /repos/{owner}/{repo}; past it a repository is read itself. */
export const LISTING_MAX_AGE_MS = 15 * 60 * 1000;

type RepositoryData = z.infer<typeof repositorySchema>;

/** A repository as the organisation's list gave it, with when the list was read. */
export type ListedRepository = { data: RepositoryData; readAt: number };

/**
 * Pure: the fields of a listed repository (GitHub's `minimal-repository`, the same fields as
 * GET /repos/{owner}/{repo} gives), or null when the entry cannot stand in for that read: it
 * lacks a field, or `security_and_analysis`, which GitHub discloses only to some callers (then
 * the repository's own read says whether it is disclosed at all).
 */
export function listedRepository(raw: unknown, readAt: number): ListedRepository | null {
  const parsed = repositorySchema.safeParse(raw);
  const features = parsed.success ? parsed.data.security_and_analysis : null;
  if (!parsed.success || !features) return null;
  const d = parsed.data;
  // Only the fields read, so a run over 10,000 repositories does not keep whole list entries.
  const data: RepositoryData = {
    id: d.id,
    name: d.name,
    full_name: d.full_name,
    owner: { login: d.owner.login },
    html_url: d.html_url,
    default_branch: d.default_branch,
    archived: d.archived,
    fork: d.fork,
    private: d.private,
    ...(d.visibility ? { visibility: d.visibility } : {}),
    security_and_analysis: Object.fromEntries(Object.entries(features).map(([k, v]) => [k, { status: v.status }])),
  };
  return { data, readAt };
}

/**
 * Reads the repository itself: everything else is judged on its default branch. Within a run
 * that listed the organisation's repositories in the last LISTING_MAX_AGE_MS, the list's entry
 * is the answer and nothing is requested.
 */
export async function readRepository(client: GitHubClient, owner: string, name: string, now: Date, listed?: ListedRepository, clock: () => number = Date.now): Promise<{ repo: RepoRef; findings: Finding[] }> {
  const fresh = listed && clock() - listed.readAt < LISTING_MAX_AGE_MS && listed.data.name.toLowerCase() === name.toLowerCase() ? listed.data : null;
  const source = fresh ? ORG_REPOSITORIES_ROUTE : REPOSITORY_ROUTE;
  const data = fresh ?? (await client.rest(REPOSITORY_ROUTE, { owner, repo: name }, repositorySchema)).data;
  if (!data) throw new Error(`${REPOSITORY_ROUTE} returned no repository`);
  const repo: RepoRef = {
    id: data.id,
    owner: data.owner.login,
    name: data.name,
    fullName: data.full_name,
    defaultBranch: data.default_branch,
    htmlUrl: data.html_url,
    archived: data.archived,
    fork: data.fork,
    visibility: data.visibility ?? (data.private ? "private" : "public"),
    securityAndAnalysis: data.security_and_analysis ?? null,
    source,
  };
  const where = { repo: repo.fullName, source, url: repo.htmlUrl, observedAt: now.toISOString() };
  const findings: Finding[] = [
    observed("repo.default-branch", repo.defaultBranch, { ...where, url: `${repo.htmlUrl}/settings` }),
    observed("repo.archived", repo.archived, where),
    observed("repo.fork", repo.fork, where),
    observed("repo.visibility", repo.visibility, where),
  ];
  return { repo, findings };
}
