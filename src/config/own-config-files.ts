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
 *
 * `object(expression: "HEAD:<path>")` names whatever git stores at the path: a symbolic link is a
 * blob whose text is the link's target path, which REST would follow to the file it names. So
 * the directory's tree entries are read beside the file, and the text is taken only when the
 * entry is a plain file (mode 100644 or 100755; GitHub's `TreeEntry.mode` is an Int, so 33188 or
 * 33261); a link (120000), a submodule (160000) or a directory that is itself no tree goes to
 * REST.
 */

export const OWN_FILES_PER_QUERY = 100;

/** What GraphQL said about one repository's own file; `ask` means read it through REST. */
export type OwnFileAnswer = { kind: "absent" } | { kind: "text"; text: string; byteSize: number } | { kind: "ask" };

/** Git's modes for a plain file, as GraphQL gives them (decimal): 0o100644 and 0o100755. */
export const PLAIN_FILE_MODES: ReadonlySet<number> = new Set([0o100644, 0o100755]);

/** Pure: the directory holding `path` ("" for the root) and the file's name in it. */
export function splitPath(path: string): { dir: string; name: string } {
  const at = path.lastIndexOf("/");
  return at < 0 ? { dir: "", name: path } : { dir: path.slice(0, at), name: path.slice(at + 1) };
}

/** Pure: the query for the file at `path` in `count` repositories of one owner, each named by a variable `$r<i>`. */
export function ownConfigFilesQuery(count: number, path: string): string {
  const vars = Array.from({ length: count }, (_, i) => `$r${i}: String!`).join(", ");
  const { dir } = splitPath(path);
  const fields = Array.from(
    { length: count },
    (_, i) =>
      `  r${i}: repository(owner: $owner, name: $r${i}) { cfg: object(expression: "HEAD:${path}") { __typename ... on Blob { text byteSize isBinary isTruncated } } dir: object(expression: "HEAD:${dir}") { __typename ... on Tree { entries { name mode type } } } }`,
  ).join("\n");
  return `
query claimcheckOwnConfigFiles($owner: String!, ${vars}) {
  rateLimit { cost remaining resetAt }
${fields}
}`;
}

const blobSchema = z.looseObject({ __typename: z.string(), text: z.string().nullish(), byteSize: z.number().int().nonnegative().optional(), isBinary: z.boolean().nullish(), isTruncated: z.boolean().optional() });
const answerSchema = z.record(z.string(), z.unknown());

const treeSchema = z.looseObject({ __typename: z.literal("Tree"), entries: z.array(z.looseObject({ name: z.string(), mode: z.number().int(), type: z.string() })) });

/** Pure: one repository's answer for the file at `path` as an `OwnFileAnswer`. */
export function ownFileAnswer(repository: unknown, refused: boolean, path: string): OwnFileAnswer {
  if (refused || typeof repository !== "object" || repository === null || !("cfg" in repository) || !("dir" in repository)) return { kind: "ask" };
  const { cfg: file, dir } = repository as { cfg: unknown; dir: unknown };
  const { dir: dirPath, name } = splitPath(path);
  // No directory at all: absent, when the directory is at the root (whose entries cannot be a
  // link); deeper, a parent directory might be a link REST would follow.
  if (dir === null) return file === null && !dirPath.includes("/") && dirPath !== "" ? { kind: "absent" } : { kind: "ask" };
  const tree = treeSchema.safeParse(dir);
  if (!tree.success) return { kind: "ask" };
  const entry = tree.data.entries.find((e) => e.name === name);
  if (!entry) return file === null ? { kind: "absent" } : { kind: "ask" };
  if (entry.type !== "blob" || !PLAIN_FILE_MODES.has(entry.mode) || file === null) return { kind: "ask" };
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
      batch.forEach((name, i) => answers.set(name.toLowerCase(), ownFileAnswer(data[`r${i}`], refused.has(`r${i}`), path)));
    } catch {
      // Left to REST, which says why (or succeeds).
    }
  }
  return answers;
}
