import { describe, expect, it } from "vitest";
import { ownership, parseCodeowners, patternMatcher } from "../../src/collectors/codeowners-match.js";

const matches = (pattern: string, path: string) => patternMatcher(pattern)!.test(path);

describe("patternMatcher", () => {
  it.each([
    // pattern, path, matches — the cases of GitHub's CODEOWNERS documentation and gitignore's rules
    ["*", "README.md", true],
    ["*", ".github/workflows/ci.yml", true],
    ["*.js", "src/app/index.js", true],
    ["*.js", "src/app/index.ts", false],
    ["*.yml", ".github/workflows/ci.yaml", false],
    ["/build/logs/", "build/logs/today/run.log", true],
    ["/build/logs/", "src/build/logs/run.log", false],
    ["docs/*", "docs/getting-started.md", true],
    ["docs/*", "docs/build-app/troubleshooting.md", false],
    ["docs/*", "src/docs/intro.md", false],
    ["apps/", "apps/web/index.ts", true],
    ["apps/", "services/apps/api/main.go", true],
    ["apps/", "apps", false],
    ["/docs/", "docs/a/b/c.md", true],
    ["**/logs", "deeply/nested/logs/x.log", true],
    ["**/logs", "logs/x.log", true],
    ["/apps/github", "apps/github/action.yml", true],
    ["/apps/github", "apps/github", true],
    ["/apps/github", "apps/githubber/x", false],
    [".github/", ".github/workflows/ci.yml", true],
    [".github/workflows", ".github/workflows/ci.yml", true],
    [".github/workflows/", ".github/workflows/ci.yml", true],
    ["/.github/workflows/*.yml", ".github/workflows/ci.yml", true],
    ["/.github/workflows/*.yml", ".github/workflows/sub/ci.yml", false],
    ["workflows", ".github/workflows/ci.yml", true],
    ["/workflows", ".github/workflows/ci.yml", false],
    ["a/**/b", "a/b/file", true],
    ["a/**/b", "a/x/y/b/file", true],
    ["a/**", "a/x/y", true],
    ["a/**", "a", false],
    ["/*", "README.md", true],
    ["/*", ".github/workflows/ci.yml", false],
    ["ci.?ml", ".github/workflows/ci.yml", true],
    ["ci.?ml", ".github/workflows/ci.yaml", false],
    ["my\\ dir/", "my dir/file", true],
    ["a.b", "axb", false],
  ])("%s against %s → %s", (pattern, path, expected) => {
    expect(matches(pattern, path)).toBe(expected);
  });

  it.each(["!/.github/workflows/", "*.[ch]", "\\#hash", "/"])("has no matcher for syntax GitHub documents as not working: %s", (pattern) => {
    expect(patternMatcher(pattern)).toBeNull();
  });
});

describe("parseCodeowners", () => {
  it("reads patterns and owners by line, skipping comments, blank lines and inline comments", () => {
    const rules = parseCodeowners("# owners\n\n*   @octo-org/leads  docs@example.com\r\n/apps/github\n  /src/ @a # the source\n");
    expect(rules.map(({ line, pattern, owners }) => ({ line, pattern, owners }))).toEqual([
      { line: 3, pattern: "*", owners: ["@octo-org/leads", "docs@example.com"] },
      { line: 4, pattern: "/apps/github", owners: [] },
      { line: 5, pattern: "/src/", owners: ["@a"] },
    ]);
  });
});

describe("ownership", () => {
  const WF = ".github/workflows/ci.yml";

  it("is decided by the last matching line", () => {
    const rules = parseCodeowners("* @everyone\n/.github/ @octo-org/platform\n*.md @docs\n");
    const o = ownership(WF, rules);
    expect(o.kind).toBe("owned");
    expect(o.kind === "owned" && o.rule.owners).toEqual(["@octo-org/platform"]);
  });

  it("is unowned when the last matching line has no owners", () => {
    const rules = parseCodeowners("* @everyone\n/.github/workflows/\n");
    expect(ownership(WF, rules)).toMatchObject({ kind: "unowned", rule: { line: 2 } });
  });

  it("is unowned when nothing matches", () => {
    expect(ownership(WF, parseCodeowners("/src/ @a\n"))).toEqual({ kind: "unowned", rule: null });
  });

  it("is uncertain when a doubtful line that could match comes after the last certain match", () => {
    const rules = parseCodeowners("* @everyone\n/.github/workflows/ @bad-owner\n");
    expect(ownership(WF, rules, new Set([2]))).toEqual({ kind: "uncertain", lines: [2] });
    // A doubtful line before the deciding line does not matter: the later line wins either way.
    expect(ownership(WF, parseCodeowners("/.github/ @bad\n* @everyone\n"), new Set([1]))).toMatchObject({ kind: "owned" });
    // A doubtful line that cannot match the path does not matter either.
    expect(ownership(WF, parseCodeowners("* @everyone\n/src/ @bad\n"), new Set([2]))).toMatchObject({ kind: "owned" });
  });

  it("treats a line with unsupported syntax as one that might match", () => {
    const rules = parseCodeowners("* @everyone\n!/.github/workflows/\n");
    expect(ownership(WF, rules)).toEqual({ kind: "uncertain", lines: [2] });
  });
});
