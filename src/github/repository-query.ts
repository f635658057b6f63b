/*
 * Repository-level data of every collector in one GraphQL request. A collector contributes a
 * fragment on `Repository`; the fragments are spread into one query, so an assessment pays one
 * request (and one rate-limit cost) for all of them. Fields must be aliased with the
 * collector's prefix so two fragments never ask for the same field with other arguments.
 *
 * Variables every fragment may use:
 *   $owner: String!, $name: String!    the repository
 *   $branch: String!                   its default branch (short name)
 *   $qualifiedBranch: String!          the same as refs/heads/<branch>
 *   $since: GitTimestamp!              start of the evidence window
 */

export type RepositoryFragment = { name: string; text: string };

export const REPOSITORY_QUERY_VARIABLES = "$owner: String!, $name: String!, $branch: String!, $qualifiedBranch: String!, $since: GitTimestamp!";

export function buildRepositoryQuery(fragments: readonly RepositoryFragment[]): string {
  const spreads = fragments.map((f) => `    ...${f.name}`).join("\n");
  return [
    `query claimcheckRepository(${REPOSITORY_QUERY_VARIABLES}) {`,
    "  rateLimit { cost remaining resetAt }",
    "  repository(owner: $owner, name: $name) {",
    spreads,
    "  }",
    "}",
    ...fragments.map((f) => f.text.trim()),
  ].join("\n");
}

export function repositoryQueryVariables(owner: string, name: string, branch: string, since: Date): Record<string, string> {
  return { owner, name, branch, qualifiedBranch: `refs/heads/${branch}`, since: since.toISOString() };
}
