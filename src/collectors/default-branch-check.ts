import { z } from "zod";

/*
 * The batched query asks about the default branch by the name it was given. In a run that name
 * may come from the organisation's list, read minutes earlier; a branch renamed since (master to
 * main) makes `ref(qualifiedName:)` null and `pullRequests(baseRefName:)` empty, which would read
 * as an empty repository: no commit, no direct push, no unreviewed pull request. The same query
 * says, for nothing (no connection), whether the repository is empty and what its default branch
 * is now; when that is not the branch asked about, the findings are unknown.
 */

/** `isEmpty` and `defaultBranchRef { name }` as a fragment reads them; absent from answers that predate them. */
export const defaultBranchAnswer = {
  isEmpty: z.boolean().nullish(),
  ref: z.looseObject({ name: z.string() }).nullish(),
};

/** Pure: why the answer is not about the repository's default branch; null when it is (or cannot be told). */
export function staleDefaultBranch(isEmpty: boolean | null | undefined, current: { name: string } | null | undefined, asked: string): string | null {
  if (current === undefined) return null;
  if (current === null) return isEmpty === false ? `GitHub names no default branch for the repository, yet it is not empty; branch "${asked}" was not read` : null;
  if (current.name !== asked) return `the default branch is now "${current.name}", not "${asked}" as it was when the run listed the repository; assess it again`;
  return null;
}
