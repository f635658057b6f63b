/*
 * The `branches`, `branches-ignore`, `paths`, `paths-ignore` and `types` filters of a workflow's
 * pull request triggers, decided for a pull request to the default branch as GitHub decides them
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax, "Filter
 * pattern cheat sheet"):
 *
 * - `*` matches any characters but `/`; `**` matches any characters; `?` makes the preceding
 *   character optional and `+` repeats it; `[…]` is a class of characters or ranges; `\` escapes.
 * - A pattern starting with `!` excludes what earlier patterns included; the last pattern that
 *   matches decides. A list made only of `!` patterns matches nothing.
 * - `pull_request` and `pull_request_target` without `types` run on `opened`, `synchronize` and
 *   `reopened`.
 */

/** Pure: a GitHub filter pattern as a regular expression over the whole name. */
export function filterPatternRegex(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) {
      out += escape(pattern[i + 1]!);
      i += 1;
    } else if (c === "*") {
      if (pattern[i + 1] === "*") {
        out += ".*";
        i += 1;
      } else out += "[^/]*";
    } else if (c === "?") out += "?";
    else if (c === "+") out += "+";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close === -1) out += "\\[";
      else {
        out += `[${pattern.slice(i + 1, close).replace(/[\\^]/g, "\\$&")}]`;
        i = close;
      }
    } else out += escape(c);
  }
  // A `?` or `+` at the start has nothing to apply to; it then matches itself.
  out = out.replace(/^([?+])/, "\\$1");
  return new RegExp(`^${out}$`);
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Pure: whether a name passes a list of patterns, the last matching pattern deciding (`!` excludes). */
export function matchesFilters(name: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = negated ? raw.slice(1) : raw;
    if (filterPatternRegex(pattern).test(name)) matched = !negated;
  }
  return matched;
}

/** The filters of one trigger, as read from the workflow. `null`: the key is absent. */
export type TriggerFilters = {
  branches: string[] | null;
  branchesIgnore: string[] | null;
  paths: string[] | null;
  pathsIgnore: string[] | null;
  types: string[] | null;
};

export type TriggerVerdict = { runs: "yes" } | { runs: "no"; reason: string } | { runs: "sometimes"; reason: string };

const DEFAULT_PR_TYPES = ["opened", "synchronize", "reopened"];
/** Activity types that carry new code of a pull request. */
const CODE_TYPES = ["opened", "synchronize", "reopened"];

const quoteList = (items: readonly string[]) => items.map((i) => `\`${i}\``).join(", ");

/**
 * Pure: whether a pull request trigger (`pull_request`, `pull_request_target`, `merge_group`) runs
 * for the pull requests to the default branch and on every change of their code.
 */
export function prTriggerVerdict(event: string, filters: TriggerFilters, defaultBranch: string): TriggerVerdict {
  try {
    return decide(event, filters, defaultBranch);
  } catch {
    // A pattern that is no regular expression here (a reversed range, a quantifier on nothing) is not guessed at.
    return { runs: "sometimes", reason: `\`${event}\` has a branch filter that could not be read` };
  }
}

function decide(event: string, filters: TriggerFilters, defaultBranch: string): TriggerVerdict {
  const { branches, branchesIgnore, paths, pathsIgnore } = filters;
  // merge_group compares its filters with the queue's target branch too.
  if (branches !== null && !matchesFilters(defaultBranch, branches)) return { runs: "no", reason: `\`${event}\` runs only for pull requests to ${quoteList(branches)}, not to \`${defaultBranch}\`` };
  if (branchesIgnore !== null && branchesIgnore.length > 0 && matchesFilters(defaultBranch, branchesIgnore)) {
    return { runs: "no", reason: `\`${event}\` ignores pull requests to \`${defaultBranch}\` (\`branches-ignore\`: ${quoteList(branchesIgnore)})` };
  }
  if (event !== "merge_group") {
    const types = filters.types ?? DEFAULT_PR_TYPES;
    const carried = CODE_TYPES.filter((t) => types.includes(t));
    if (carried.length === 0) return { runs: "no", reason: `\`${event}\` runs only on ${quoteList(types)}, never when a pull request's code is opened or updated` };
    if (!types.includes("opened") || !types.includes("synchronize")) {
      return { runs: "sometimes", reason: `\`${event}\` runs only on ${quoteList(types)}, not on every change of a pull request's code` };
    }
  }
  // A catch-all path pattern filters nothing; any other `paths` list skips pull requests that change none of them.
  if (paths !== null && !paths.some((p) => p === "**" || p === "**/*")) return { runs: "sometimes", reason: `\`${event}\` runs only on pull requests that change ${quoteList(paths)}` };
  if (pathsIgnore !== null && pathsIgnore.some((p) => p === "**" || p === "**/*")) return { runs: "no", reason: `\`${event}\` ignores every path (\`paths-ignore\`: ${quoteList(pathsIgnore)})` };
  return { runs: "yes" };
}
