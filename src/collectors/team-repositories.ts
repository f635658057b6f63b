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
  edges { permission node { nameWithOwner databaseId } }
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
const repositoryPage = z.looseObject({ totalCount: z.number().int(), pageInfo, edges: z.array(z.looseObject({ permission, node: z.looseObject({ nameWithOwner: z.string(), databaseId: z.number().int().nullable() }) }).nullable()) });
const teamsSchema = z.looseObject({
  organization: z
    .looseObject({ teams: z.looseObject({ totalCount: z.number().int(), pageInfo, nodes: z.array(z.looseObject({ slug: z.string(), repositories: repositoryPage }).nullable()) }) })
    .nullable(),
});
const teamPageSchema = z.looseObject({ organization: z.looseObject({ team: z.looseObject({ repositories: repositoryPage }).nullable() }).nullable() });

export type TeamGrant = FindingValue<"access.team-grants">[number];
/**
 * Team grants by repository (`owner/name`, lower case), with the id of the repository that had the
 * name when the map was read (`ids`: a name can pass to another repository while the map is kept,
 * and its grants must not go with it) and when the read began (the time a team grant taken from it
 * was observed); or why the organisation's teams could not be read.
 */
export type TeamRepositories = { grants: ReadonlyMap<string, TeamGrant[]>; ids: ReadonlyMap<string, number | null>; readAt: string } | { error: string };

/** Why a page is not whole: GitHub answered some of its teams or repositories with null. */
function missing(what: string, items: readonly unknown[]): string | null {
  const count = items.filter((i) => i === null).length;
  return count > 0 ? `GitHub left out ${count} of ${what}` : null;
}

/** Why a connection is not whole: fewer read than GitHub counts. */
function short(what: string, totalCount: number, read: number): string | null {
  return read < totalCount ? `GitHub counted ${totalCount} of ${what}, of which only ${read} were read` : null;
}

/**
 * Every team of `org` with every repository it can reach, paging both connections. The map is kept
 * (an hour, in the app) and a team missing from it would be a grant nobody sees, so anything short of
 * the whole answer is an error: a GraphQL error beside partial data, a missing team or repository, a
 * count GitHub gives that the pages read do not reach.
 */
export async function readTeamRepositories(client: GitHubClient, org: string, now: Date = new Date()): Promise<TeamRepositories> {
  const readAt = now.toISOString();
  const grants = new Map<string, TeamGrant[]>();
  const ids = new Map<string, number | null>();
  const add = (team: string, edges: z.infer<typeof repositoryPage>["edges"]) => {
    for (const e of edges) {
      if (!e) continue;
      const key = e.node.nameWithOwner.toLowerCase();
      ids.set(key, e.node.databaseId);
      const list = grants.get(key);
      if (list) list.push({ team, permission: e.permission });
      else grants.set(key, [{ team, permission: e.permission }]);
    }
  };
  const tooMany = { error: `the organisation's teams and their repositories take more than ${MAX_TEAM_PAGES} pages` };
  const ask = async <S extends z.ZodType>(name: string, query: string, variables: Record<string, unknown>, schema: S): Promise<z.infer<S>> => {
    const { data, errors } = await client.graphqlPartial(name, query, variables, schema);
    if (errors.length > 0) throw new Error(`GitHub answered in part: ${errors.map((e) => e.message).join("; ")}`);
    return data;
  };
  let pages = 0;
  let teamsRead = 0;
  let cursor: string | null = null;
  try {
    for (;;) {
      if ((pages += 1) > MAX_TEAM_PAGES) return tooMany;
      const data: z.infer<typeof teamsSchema> = await ask("claimcheckTeamRepositories", TEAM_REPOSITORIES_QUERY, { org, cursor }, teamsSchema);
      if (!data.organization) return { error: `GitHub did not show organisation ${org}'s teams` };
      const { teams } = data.organization;
      const missingTeam = missing("the organisation's teams", teams.nodes);
      if (missingTeam) return { error: missingTeam };
      for (const team of teams.nodes) {
        if (!team) continue;
        const what = `the repositories of team ${team.slug}`;
        let read = team.repositories.edges.length;
        let page = team.repositories;
        const missingFirst = missing(what, page.edges);
        if (missingFirst) return { error: missingFirst };
        add(team.slug, page.edges);
        while (page.pageInfo.hasNextPage && page.pageInfo.endCursor) {
          if ((pages += 1) > MAX_TEAM_PAGES) return tooMany;
          const next: z.infer<typeof teamPageSchema> = await ask("claimcheckTeamRepositoriesPage", TEAM_REPOSITORIES_PAGE_QUERY, { org, slug: team.slug, cursor: page.pageInfo.endCursor }, teamPageSchema);
          const repositories = next.organization?.team?.repositories;
          if (!repositories) return { error: `GitHub did not show ${what} beyond the first ${read}` };
          const missingNext = missing(what, repositories.edges);
          if (missingNext) return { error: missingNext };
          add(team.slug, repositories.edges);
          read += repositories.edges.length;
          page = repositories;
        }
        const shortOfTeam = short(what, team.repositories.totalCount, read);
        if (shortOfTeam) return { error: shortOfTeam };
      }
      teamsRead += teams.nodes.length;
      if (!teams.pageInfo.hasNextPage || !teams.pageInfo.endCursor) {
        const shortOfTeams = short("the organisation's teams", teams.totalCount, teamsRead);
        return shortOfTeams ? { error: shortOfTeams } : { grants, ids, readAt };
      }
      cursor = teams.pageInfo.endCursor;
    }
  } catch (error) {
    return { error: `the organisation's teams could not be read: ${error instanceof Error ? error.message : String(error)}` };
  }
}
