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

const VARIABLE_TYPES = {
  owner: "String!",
  name: "String!",
  branch: "String!",
  qualifiedBranch: "String!",
  since: "GitTimestamp!",
} as const;
type VariableName = keyof typeof VARIABLE_TYPES;

/** GraphQL rejects a declared variable no fragment uses, so only those used are declared. */
function usedVariables(fragments: readonly RepositoryFragment[]): VariableName[] {
  const text = fragments.map((f) => f.text).join("\n");
  return (Object.keys(VARIABLE_TYPES) as VariableName[]).filter((v) => v === "owner" || v === "name" || new RegExp(`\\$${v}\\b`).test(text));
}

export function buildRepositoryQuery(fragments: readonly RepositoryFragment[]): string {
  const declared = usedVariables(fragments).map((v) => `$${v}: ${VARIABLE_TYPES[v]}`).join(", ");
  const spreads = fragments.map((f) => `    ...${f.name}`).join("\n");
  return [
    `query claimcheckRepository(${declared}) {`,
    "  rateLimit { cost remaining resetAt }",
    "  repository(owner: $owner, name: $name) {",
    spreads,
    "  }",
    "}",
    ...fragments.map((f) => f.text.trim()),
  ].join("\n");
}

export function repositoryQueryVariables(fragments: readonly RepositoryFragment[], owner: string, name: string, branch: string, since: Date): Record<string, string> {
  const values: Record<VariableName, string> = { owner, name, branch, qualifiedBranch: `refs/heads/${branch}`, since: since.toISOString() };
  return Object.fromEntries(usedVariables(fragments).map((v) => [v, values[v]]));
}

/**
 * A follow-up query of one repository asking the same thing of `count` items at once, each under
 * an alias `<prefix><i>` with its own variable `$<prefix><i>` (a commit by oid, a pull request by
 * number): one request however many items, where a query per item would pay a point each.
 */
export function repositoryLookupsQuery(spec: { name: string; prefix: string; type: string; count: number; field: (variable: string) => string; fragments?: string }): string {
  const { name, prefix, type, count, field } = spec;
  const vars = Array.from({ length: count }, (_, i) => `$${prefix}${i}: ${type}`).join(", ");
  const fields = Array.from({ length: count }, (_, i) => `    ${prefix}${i}: ${field(`$${prefix}${i}`)}`).join("\n");
  return `
query ${name}($owner: String!, $name: String!, ${vars}) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
${fields}
  }
}${spec.fragments ? `\n${spec.fragments}` : ""}`;
}
