import { z } from "zod";
import type { FindingValue } from "../core/findings.js";
import type { GitHubClient } from "../github/client.js";

/*
 * Which teams can reach which repositories, for a whole organisation at once. Asked per repository,
 * "the organisation's teams and, per team, the repositories matching this name" is a nested
 * connection GitHub charges once per team (101 connection requests: a point for every repository);
 * read once for a run, the same facts cost a point per hundred teams plus a point per further
 * hundred repositories of a team. Only runs over many repositories use it (assessment/run-shared.ts).
 */

const PAGE_FIELDS = `
fragment claimcheckTeamRepositoryPage on TeamRepositoryConnection {
  totalCount
  pageInfo { hasNextPage endCursor }
  edges { permission node { nameWithOwner } }
}`;

export const TEAM_REPOSITORIES_QUERY = `
query claimcheckTeamRepositories($org: String!, $cursor: String) {
  rateLimit { cost remaining resetAt }
  organization(login: $org) {
    teams(first: 100, after: $cursor) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        slug
        repositories(first: 100) { ...claimcheckTeamRepositoryPage }
      }
    }
  }
}
${PAGE_FIELDS}`;

export const TEAM_REPOSITORIES_PAGE_QUERY = `
query claimcheckTeamRepositoriesPage($org: String!, $slug: String!, $cursor: String!) {
  rateLimit { cost remaining resetAt }
  organization(login: $org) {
    team(slug: $slug) {
      repositories(first: 100, after: $cursor) { ...claimcheckTeamRepositoryPage }
    }
  }
}
${PAGE_FIELDS}`;

/** Pages read at most for one organisation (a point each); past it the map is not trusted. */
export const MAX_TEAM_PAGES = 1_000;

const permission = z.enum(["ADMIN", "MAINTAIN", "WRITE", "TRIAGE", "READ"]).transform((p) => p.toLowerCase() as "admin" | "maintain" | "write" | "triage" | "read");
const pageInfo = z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });
const repositoryPage = z.looseObject({ totalCount: z.number().int(), pageInfo, edges: z.array(z.looseObject({ permission, node: z.looseObject({ nameWithOwner: z.string() }) }).nullable()) });
const teamsSchema = z.looseObject({
  organization: z
    .looseObject({ teams: z.looseObject({ totalCount: z.number().int(), pageInfo, nodes: z.array(z.looseObject({ slug: z.string(), repositories: repositoryPage }).nullable()) }) })
    .nullable(),
});
const teamPageSchema = z.looseObject({ organization: z.looseObject({ team: z.looseObject({ repositories: repositoryPage }).nullable() }).nullable() });

export type TeamGrant = FindingValue<"access.team-grants">[number];
/**
 * Team grants by repository (`owner/name`, lower case), with when the read began (the time a team
 * grant taken from it was observed); or why the organisation's teams could not be read.
 */
export type TeamRepositories = { grants: ReadonlyMap<string, TeamGrant[]>; readAt: string } | { error: string };

/** Every team of `org` with every repository it can reach, paging both connections. */
export async function readTeamRepositories(client: GitHubClient, org: string, now: Date = new Date()): Promise<TeamRepositories> {
  const readAt = now.toISOString();
  const grants = new Map<string, TeamGrant[]>();
  const add = (team: string, edges: z.infer<typeof repositoryPage>["edges"]) => {
    for (const e of edges) {
      if (!e) continue;
      const key = e.node.nameWithOwner.toLowerCase();
      const list = grants.get(key);
      if (list) list.push({ team, permission: e.permission });
      else grants.set(key, [{ team, permission: e.permission }]);
    }
  };
  let pages = 0;
  let cursor: string | null = null;
  try {
    for (;;) {
      if ((pages += 1) > MAX_TEAM_PAGES) return { error: `the organisation's teams and their repositories take more than ${MAX_TEAM_PAGES} pages` };
      const data: z.infer<typeof teamsSchema> = await client.graphql("claimcheckTeamRepositories", TEAM_REPOSITORIES_QUERY, { org, cursor }, teamsSchema);
      if (!data.organization) return { error: `GitHub did not show organisation ${org}'s teams` };
      const { teams } = data.organization;
      for (const team of teams.nodes) {
        if (!team) continue;
        add(team.slug, team.repositories.edges);
        let page = team.repositories;
        while (page.pageInfo.hasNextPage && page.pageInfo.endCursor) {
          if ((pages += 1) > MAX_TEAM_PAGES) return { error: `the organisation's teams and their repositories take more than ${MAX_TEAM_PAGES} pages` };
          const next: z.infer<typeof teamPageSchema> = await client.graphql("claimcheckTeamRepositoriesPage", TEAM_REPOSITORIES_PAGE_QUERY, { org, slug: team.slug, cursor: page.pageInfo.endCursor }, teamPageSchema);
          const repositories = next.organization?.team?.repositories;
          if (!repositories) return { error: `GitHub did not show the repositories of team ${team.slug} beyond the first ${page.edges.length}` };
          add(team.slug, repositories.edges);
          page = repositories;
        }
      }
      if (!teams.pageInfo.hasNextPage || !teams.pageInfo.endCursor) return { grants, readAt };
      cursor = teams.pageInfo.endCursor;
    }
  } catch (error) {
    return { error: `the organisation's teams could not be read: ${error instanceof Error ? error.message : String(error)}` };
  }
}
