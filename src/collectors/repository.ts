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

/** Reads the repository itself: everything else is judged on its default branch. */
export async function readRepository(client: GitHubClient, owner: string, name: string, now: Date): Promise<{ repo: RepoRef; findings: Finding[] }> {
  const { data } = await client.rest(REPOSITORY_ROUTE, { owner, repo: name }, repositorySchema);
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
  };
  const where = { repo: repo.fullName, source: REPOSITORY_ROUTE, url: repo.htmlUrl, observedAt: now.toISOString() };
  const findings: Finding[] = [
    observed("repo.default-branch", repo.defaultBranch, { ...where, url: `${repo.htmlUrl}/settings` }),
    observed("repo.archived", repo.archived, where),
    observed("repo.fork", repo.fork, where),
    observed("repo.visibility", repo.visibility, where),
  ];
  return { repo, findings };
}
