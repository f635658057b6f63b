import { z } from "zod";
import type { GitHubClient } from "../github/client.js";

/*
 * A run reads every repository's own `.github/claimcheck.yml` before assessing it. One REST
 * contents read each (a 404 for most: GitHub charges those too) was the largest REST read a
 * repository paid for that GraphQL can answer. Within a run the files of the next repositories
 * are asked for together instead: a repository field per repository, none of them a connection,
 * so a query of 100 repositories costs GitHub's minimum of one point
 * (https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api).
 *
 * GraphQL answers only what it can say as REST would: no file (absent), or the text of a file
 * no larger than GitHub gives in full. Anything else — a repository it cannot see, a field
 * error, a binary or truncated blob, a directory at that path, a failed query — is left to the
 * REST read, so every outcome and every error message stays the one REST gives.
 */

export const OWN_FILES_PER_QUERY = 100;

/** What GraphQL said about one repository's own file; `ask` means read it through REST. */
export type OwnFileAnswer = { kind: "absent" } | { kind: "text"; text: string; byteSize: number } | { kind: "ask" };

/** Pure: the query for the file at `path` in `count` repositories of one owner, each named by a variable `$r<i>`. */
export function ownConfigFilesQuery(count: number, path: string): string {
  const vars = Array.from({ length: count }, (_, i) => `$r${i}: String!`).join(", ");
  const fields = Array.from(
    { length: count },
    (_, i) => `  r${i}: repository(owner: $owner, name: $r${i}) { cfg: object(expression: "HEAD:${path}") { __typename ... on Blob { text byteSize isBinary isTruncated } } }`,
  ).join("\n");
  return `
query claimcheckOwnConfigFiles($owner: String!, ${vars}) {
  rateLimit { cost remaining resetAt }
${fields}
}`;
}

const blobSchema = z.looseObject({ __typename: z.string(), text: z.string().nullish(), byteSize: z.number().int().nonnegative().optional(), isBinary: z.boolean().nullish(), isTruncated: z.boolean().optional() });
const answerSchema = z.record(z.string(), z.unknown());

/** Pure: one repository's answer as an `OwnFileAnswer`. */
export function ownFileAnswer(repository: unknown, refused: boolean): OwnFileAnswer {
  if (refused || typeof repository !== "object" || repository === null || !("cfg" in repository)) return { kind: "ask" };
  const file = (repository as { cfg: unknown }).cfg;
  if (file === null) return { kind: "absent" };
  const blob = blobSchema.safeParse(file);
  if (!blob.success || blob.data.__typename !== "Blob" || blob.data.isBinary !== false || blob.data.isTruncated !== false || typeof blob.data.text !== "string" || blob.data.byteSize === undefined) return { kind: "ask" };
  return { kind: "text", text: blob.data.text, byteSize: blob.data.byteSize };
}

/** The own files of `repos` (one owner), by lower-cased name; a failed query answers `ask` for all. */
export async function readOwnConfigFiles(client: GitHubClient, owner: string, repos: readonly string[], path: string): Promise<Map<string, OwnFileAnswer>> {
  const answers = new Map<string, OwnFileAnswer>(repos.map((r) => [r.toLowerCase(), { kind: "ask" }]));
  for (let start = 0; start < repos.length; start += OWN_FILES_PER_QUERY) {
    const batch = repos.slice(start, start + OWN_FILES_PER_QUERY);
    const variables: Record<string, string> = { owner };
    batch.forEach((name, i) => (variables[`r${i}`] = name));
    try {
      const { data, errors } = await client.graphqlPartial("claimcheckOwnConfigFiles", ownConfigFilesQuery(batch.length, path), variables, answerSchema);
      const refused = new Set(errors.map((e) => String(e.path[0] ?? "")));
      batch.forEach((name, i) => answers.set(name.toLowerCase(), ownFileAnswer(data[`r${i}`], refused.has(`r${i}`))));
    } catch {
      // Left to REST, which says why (or succeeds).
    }
  }
  return answers;
}
