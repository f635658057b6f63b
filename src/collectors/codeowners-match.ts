/*
 * CODEOWNERS rules, matched as GitHub documents them: gitignore-style patterns, the last matching
 * line decides, and a line without owners leaves the paths it matches without an owner.
 *
 * Written here rather than taken from a gitignore library because CODEOWNERS is not gitignore:
 * `!` negation and `[ ]` ranges do not work, a pattern ending in `/*` owns only the files directly
 * in that directory (GitHub's `docs/*` example), and the question is which line owns a path, not
 * whether a set of patterns ignores it.
 */

export type Rule = {
  /** 1-based line number in the file, as GitHub's error report counts them. */
  line: number;
  pattern: string;
  owners: string[];
  /** null: syntax GitHub documents as not working in CODEOWNERS, so how GitHub treats the line is not known. */
  matcher: RegExp | null;
};

/** Splits on whitespace not escaped by a backslash, keeping the escapes for the pattern parser. */
function tokens(line: string): string[] {
  const out: string[] = [];
  let current = "";
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (ch === "\\" && i + 1 < line.length) {
      current += ch + line[i + 1]!;
      i += 1;
    } else if (/\s/.test(ch)) {
      if (current) out.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (current) out.push(current);
  return out;
}

const escapeRegex = (ch: string) => ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** One path segment of a pattern; null when it uses a character range. */
function segmentRegex(segment: string): string | null {
  let out = "";
  for (let i = 0; i < segment.length; i += 1) {
    const ch = segment[i]!;
    if (ch === "\\" && i + 1 < segment.length) {
      out += escapeRegex(segment[i + 1]!);
      i += 1;
    } else if (ch === "*") {
      // Consecutive asterisks inside a segment are plain asterisks (gitignore).
      while (segment[i + 1] === "*") i += 1;
      out += "[^/]*";
    } else if (ch === "?") out += "[^/]";
    else if (ch === "[") return null;
    else out += escapeRegex(ch);
  }
  return out;
}

/** Pure: the regular expression a CODEOWNERS pattern matches file paths with (no leading slash), or null. */
export function patternMatcher(pattern: string): RegExp | null {
  if (pattern.startsWith("!") || pattern.startsWith("\\#")) return null;
  const directoryOnly = pattern.endsWith("/");
  const body = pattern.replace(/^\/+/, "").replace(/\/+$/, "");
  if (body === "") return null;
  // A slash at the start or in the middle ties the pattern to the repository root.
  const anchored = pattern.startsWith("/") || body.includes("/");
  const segments = body.split("/");
  let re = anchored ? "^" : "^(?:.*/)?";
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment === "**") {
      re += last ? ".+" : "(?:[^/]+/)*";
      continue;
    }
    const part = segmentRegex(segment);
    if (part === null) return null;
    re += part + (last ? "" : "/");
  }
  const lastSegment = segments[segments.length - 1]!;
  if (lastSegment === "**") re += "$";
  else if (directoryOnly) re += "/.+$";
  // GitHub: `docs/*` owns docs/getting-started.md but not docs/build-app/troubleshooting.md.
  else if (lastSegment === "*" && anchored) re += "$";
  // Otherwise a pattern naming a directory owns everything below it.
  else re += "(?:/.*)?$";
  return new RegExp(re);
}

/** Pure: the rules of a CODEOWNERS file, in file order; blank lines and comments are not rules. */
export function parseCodeowners(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [pattern, ...rest] = tokens(line);
    if (pattern === undefined) continue;
    const comment = rest.findIndex((t) => t.startsWith("#"));
    const owners = comment === -1 ? rest : rest.slice(0, comment);
    rules.push({ line: index + 1, pattern, owners, matcher: patternMatcher(pattern) });
  }
  return rules;
}

export type Ownership =
  | { kind: "owned"; rule: Rule }
  /** No line matches (rule null), or the last matching line has no owners. */
  | { kind: "unowned"; rule: Rule | null }
  /** The answer depends on lines whose treatment by GitHub is not known. */
  | { kind: "uncertain"; lines: number[] };

/**
 * Pure: who owns `path` (repository-relative, no leading slash). A line is doubtful when GitHub
 * reported an error on it or its syntax is one GitHub documents as not working: GitHub may skip it
 * or apply it, so a doubtful line that could match after the last certain match makes the answer
 * uncertain rather than guessed.
 */
export function ownership(path: string, rules: readonly Rule[], doubtfulLines: ReadonlySet<number> = new Set()): Ownership {
  const pending: number[] = [];
  for (let i = rules.length - 1; i >= 0; i -= 1) {
    const rule = rules[i]!;
    const matches = rule.matcher === null ? true : rule.matcher.test(path);
    if (!matches) continue;
    if (rule.matcher === null || doubtfulLines.has(rule.line)) {
      pending.push(rule.line);
      continue;
    }
    if (pending.length > 0) return { kind: "uncertain", lines: pending.reverse() };
    return rule.owners.length > 0 ? { kind: "owned", rule } : { kind: "unowned", rule };
  }
  return pending.length > 0 ? { kind: "uncertain", lines: pending.reverse() } : { kind: "unowned", rule: null };
}
