import { existsSync, readFileSync, writeFileSync } from "node:fs";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli.js";
import { API, mockRepository } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { mockOrganisationRun, mockRepositoryEvidence } from "../helpers/scenario.js";
import { schemaProblems } from "./schema-validator.js";

/*
 * docs/examples/report.md and report.json are produced by this test from a small synthetic
 * organisation, never written by hand. Run with UPDATE_EXAMPLES=1 to regenerate them after a
 * deliberate change (a new collector changes the findings).
 */

const ORG = "octo-org";
const NOW = new Date("2026-11-24T12:00:00Z");

/** `api` well protected, `website` unprotected, `legacy` archived. */
function mockSyntheticOrg(): void {
  nock(API).get(`/orgs/${ORG}`).reply(200, { ...example("organization-full"), login: ORG });
  mockOrganisationRun(ORG, { repositories: ["api", "website", "legacy"], owners: ["octocat", "hubot"] });
  const protection = example("branch-protection");
  protection.enforce_admins.enabled = true;
  protection.allow_force_pushes.enabled = false;
  protection.allow_deletions.enabled = false;
  // Their own configuration files are read together (mockOrganisationRun).
  mockRepositoryEvidence(ORG, "api", { protection, config: "skip" });
  mockRepositoryEvidence(ORG, "website", { config: "skip" });
  mockRepository(ORG, "legacy", { archived: true });
}

/** The report as printed; `streamed`: written a piece at a time, as the command does to standard output. */
async function generate(format: "md" | "json", streamed = false): Promise<string> {
  mockSyntheticOrg();
  const out: string[] = [];
  const err: string[] = [];
  const pieces: string[] = [];
  const write = streamed ? async (chunk: string) => void pieces.push(chunk) : undefined;
  const code = await runCli(["assess", "--org", ORG, "--format", format], { out: (l) => out.push(l), write, err: (l) => err.push(l) }, { env: { GITHUB_TOKEN: "ghp_example" }, now: () => NOW, concurrency: 1 });
  expect(err).toEqual([]);
  expect(code).toBe(0);
  if (streamed) {
    expect(out).toEqual([]);
    return pieces.join("");
  }
  return `${out.join("\n")}\n`;
}

/** Keeps a documented excerpt (between `<!-- example:NAME -->` markers) equal to the generated report. */
function excerpt(file: string, name: string, text: string): void {
  const block = new RegExp(`(<!-- example:${name} -->\\n)([\\s\\S]*?)(<!-- /example -->)`);
  const current = readFileSync(file, "utf8");
  expect(current, `${file} has the ${name} markers`).toMatch(block);
  if (process.env.UPDATE_EXAMPLES === "1") writeFileSync(file, current.replace(block, (_m, open: string, _old: string, close: string) => `${open}\n${text.trim()}\n\n${close}`));
  expect(readFileSync(file, "utf8").match(block)?.[2]?.trim()).toBe(text.trim());
}

function between(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end, from + start.length);
  expect(from, `the report has ${start}`).toBeGreaterThanOrEqual(0);
  return text.slice(from, to < 0 ? undefined : to);
}

function golden(path: string, text: string): void {
  if (process.env.UPDATE_EXAMPLES === "1" || !existsSync(path)) writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, "utf8"));
}

describe("documented report examples", () => {
  it("docs/examples/report.md is the Markdown report of the synthetic organisation", async () => {
    const md = await generate("md");
    expect(md).toContain("| [octo-org/legacy](https://github.com/octo-org/legacy) | archived |");
    golden("docs/examples/report.md", md);
    // The README has no claim sections to link to.
    excerpt("README.md", "report-summary", between(md, "| Principle | Claim |", "\n\n").replace(/\[(\*\*[\d.]+\*\*)\]\(#claim-\d+\)/g, "$1"));
    excerpt("docs/report.md", "report-claim-222", between(md, "### 2.2.2 ", '<a id="claim-223">'));
  });

  it("is the same report when written to standard output a piece at a time", async () => {
    expect(await generate("md", true)).toBe(readFileSync("docs/examples/report.md", "utf8"));
    const json = await generate("json", true);
    expect(json).toBe(readFileSync("docs/examples/report.json", "utf8"));
    expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync("docs/examples/report.json", "utf8")));
  });

  it("docs/examples/report.json is its JSON report, valid against the schema", async () => {
    const json = await generate("json");
    expect(schemaProblems(JSON.parse(json))).toEqual([]);
    golden("docs/examples/report.json", json);
  });
});
