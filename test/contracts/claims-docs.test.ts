import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { CLAIMS } from "../../src/core/catalogue.js";
import { thresholdsSchema } from "../../src/config/repo-config.js";

/*
 * docs/claims.md is the index an assessor reads: it must name every claim and check of the
 * catalogue, under the right claim, with the catalogue's coverage and "beyond GitHub" text, and
 * its links must lead somewhere. Otherwise the page drifts from what claimcheck actually judges.
 */

const INDEX = "docs/claims.md";
const PAGES = [INDEX, "docs/claims/branch-protection.md", "docs/claims/reviews-and-ci.md"];
const read = (path: string) => readFileSync(path, "utf8");
const index = read(INDEX);

/** The part of the index about one claim: from its heading to the next heading of that level or above. */
function sectionOf(claimId: string): string {
  const lines = index.split("\n");
  const start = lines.findIndex((l) => /^#{2,3} /.test(l) && l.includes(`**${claimId}**`));
  if (start < 0) return "";
  const end = lines.findIndex((l, i) => i > start && /^#{1,3} /.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z]+:/i.test(href));
}

describe("docs/claims.md", () => {
  it.each(CLAIMS.map((c) => [c.id, c] as const))("names claim %s in a heading of its own, with its coverage", (id, claim) => {
    const section = sectionOf(id);
    expect(section, `no heading with **${id}** in ${INDEX}`).not.toBe("");
    expect(section.split("\n")[0]).toContain(claim.text);
    expect(section).toContain(`Coverage: ${claim.coverage}`);
  });

  it.each(CLAIMS.flatMap((c) => c.checks.map((k) => [c.id, k.id, k.supporting === true] as const)))("names check %s `%s` under its claim", (claimId, checkId, supporting) => {
    const section = sectionOf(claimId);
    expect(section).toContain(`\`${checkId}\``);
    if (supporting) expect(section).toContain(`\`${checkId}\` (supporting)`);
  });

  it.each(CLAIMS.filter((c) => c.beyondGitHub).map((c) => [c.id, c.beyondGitHub!] as const))("says what an assessor will still ask for under %s", (id, beyond) => {
    expect(sectionOf(id)).toContain(`**Beyond GitHub:** ${beyond}`);
  });

  it("mentions every threshold, and no threshold that does not exist", () => {
    const keys = Object.keys(thresholdsSchema.shape);
    for (const key of keys) expect(index, `thresholds.${key} is not documented`).toContain(`thresholds.${key}`);
    const mentioned = [...index.matchAll(/thresholds\.([A-Za-z]+)/g)].map((m) => m[1]!);
    expect(mentioned.filter((k) => !keys.includes(k))).toEqual([]);
  });

  it.each(PAGES)("%s links only to files and headings that exist", (page) => {
    const broken: string[] = [];
    for (const href of relativeLinks(read(page))) {
      const [file, anchor] = href.split("#") as [string, string | undefined];
      const target = file === "" ? page : normalize(join(dirname(page), file));
      if (!existsSync(target)) {
        broken.push(`${href}: no file ${target}`);
        continue;
      }
      if (anchor !== undefined && target.endsWith(".md") && !anchorsOf(read(target)).has(anchor)) broken.push(`${href}: no heading #${anchor} in ${target}`);
    }
    expect(broken).toEqual([]);
  });
});

/*
 * Every check says how a real repository could make it look met when it is not: one entry per
 * check, under the page's "What could make this look met when it is not" section, each way
 * either handled (naming the test that shows it) or unknown by design (saying why).
 */
const FALSE_PASS_HEADING = "## What could make this look met when it is not";
const FALSE_PASS_PAGES = [...readdirSync("docs/claims").map((f) => `docs/claims/${f}`).filter((f) => f.endsWith(".md")), "docs/audit-trail.md", "docs/issues.md"];

type FalsePassEntry = { page: string; bullets: string[] };

/** The `### \`check-id\`` entries of the page's false-pass section, with their bullets. */
function falsePassEntries(page: string): Map<string, FalsePassEntry[]> {
  const found = new Map<string, FalsePassEntry[]>();
  const lines = read(page).split("\n");
  const start = lines.indexOf(FALSE_PASS_HEADING);
  if (start < 0) return found;
  let current: FalsePassEntry | null = null;
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,2} /.test(line)) break;
    const heading = /^### `([a-z0-9-]+)`\s*$/.exec(line);
    if (heading) {
      current = { page, bullets: [] };
      found.set(heading[1]!, [...(found.get(heading[1]!) ?? []), current]);
    } else if (line.startsWith("- ") && current) current.bullets.push(line);
    else if (/^\s+\S/.test(line) && current && current.bullets.length > 0) current.bullets[current.bullets.length - 1] += ` ${line.trim()}`;
  }
  return found;
}

describe("what could make a check look met when it is not", () => {
  const entries = new Map<string, FalsePassEntry[]>();
  for (const page of FALSE_PASS_PAGES) for (const [id, list] of falsePassEntries(page)) entries.set(id, [...(entries.get(id) ?? []), ...list]);
  const checks = CLAIMS.flatMap((c) => c.checks.map((k) => k.id));

  it.each(FALSE_PASS_PAGES)("%s has at most one such section", (page) => {
    expect(read(page).split("\n").filter((l) => l === FALSE_PASS_HEADING).length).toBeLessThanOrEqual(1);
  });

  it.each(checks)("`%s` has exactly one entry, with at least one way listed", (id) => {
    const found = entries.get(id) ?? [];
    expect(found.map((e) => e.page), `entries for ${id}`).toHaveLength(1);
    expect(found[0]!.bullets.length, `${id} lists no way`).toBeGreaterThan(0);
  });

  it.each(checks)("every way listed for `%s` is handled by an existing test or unknown by design", (id) => {
    for (const bullet of (entries.get(id) ?? []).flatMap((e) => e.bullets)) {
      const handled = /Handled: `([^`]+)`/.exec(bullet);
      if (handled) expect(existsSync(handled[1]!) && /^test\/.+\.test\.ts$/.test(handled[1]!), `${id}: ${handled[1]} is not a test file`).toBe(true);
      else expect(bullet, `${id}: neither handled nor unknown by design`).toContain("Unknown by design: ");
    }
  });

  it("lists no check the catalogue does not have", () => {
    expect([...entries.keys()].filter((id) => !checks.includes(id))).toEqual([]);
  });
});
