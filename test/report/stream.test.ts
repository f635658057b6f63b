import { describe, expect, it } from "vitest";
import { latestReport, latestReportYielding } from "../../src/app/latest-report.js";
import { CLAIMS } from "../../src/core/catalogue.js";
import { FINDINGS, type Finding, type FindingId } from "../../src/core/findings.js";
import { Interner, digestAssessment } from "../../src/report/digest.js";
import { FACTS, FACT_FINDINGS, LISTED } from "../../src/report/facts.js";
import { jsonChunks, renderJson, reportJson } from "../../src/report/json.js";
import { markdownChunks, renderMarkdown } from "../../src/report/markdown.js";
import { buildReport, reportFromDigests } from "../../src/report/model.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { dialects } from "../helpers/dialects.js";
import { fact, hidden, NOW, ORG, orgRun, reviewed, TEST_OPTIONS } from "./fixtures.js";
import { collect } from "../helpers/async-items.js";

/*
 * The JSON and Markdown reports are written a piece at a time (a large organisation's report is
 * longer than the longest string V8 holds). The pieces must add up to exactly what one string
 * made them before.
 */

const PERMISSION = "the app lacks 'Pull requests: read'";

function run() {
  return orgRun(
    [
      { name: "web", findings: [fact("branch-protection.pr-required", true, "web"), ...reviewed("web", 84, 71, ["https://github.com/octo-org/web/pull/7", "https://github.com/octo-org/web/pull/9"])] },
      { name: "api", findings: [fact("branch-protection.pr-required", true, "api"), ...reviewed("api", 12, 12)] },
      { name: "docs", findings: [fact("branch-protection.pr-required", false, "docs"), hidden("reviews.merged-prs", PERMISSION, "docs"), hidden("reviews.independently-approved", PERMISSION, "docs"), hidden("reviews.unreviewed", PERMISSION, "docs")] },
      { name: "legacy", archived: true },
    ],
    [fact("org.2fa-required", false)],
  );
}

/** What `renderJson` wrote before it streamed: one `JSON.stringify` of the whole report. */
const singleString = async (report: ReturnType<typeof buildReport>) => `${JSON.stringify(await reportJson(report), null, 2)}\n`;

describe("streamed JSON report", () => {
  it("is, piece by piece, the text and the content of the single-string form", async () => {
    const report = buildReport(run(), TEST_OPTIONS);
    const old = await singleString(report);
    for (const size of [1, 7, 1024, 64 * 1024]) {
      const chunks = (await collect(jsonChunks(report, size)));
      expect(chunks.join("")).toBe(old);
      expect(JSON.parse(chunks.join(""))).toEqual(JSON.parse(old));
    }
    expect((await collect(jsonChunks(report, 1024))).length).toBeGreaterThan(3);
    expect(await renderJson(report)).toBe(old);
  });

  it("writes values as JSON.stringify does: left-out undefined, null in arrays, escaped newlines, empty containers", async () => {
    const odd = { ...fact("ci.test-workflows", [], "api"), value: { a: undefined, b: [1, undefined, "x\ny"], c: {}, d: [], e: "é —\u2028" } } as unknown as Finding;
    const base = run();
    const report = buildReport({ ...base, repositories: base.repositories.map((a) => (a.name === "api" ? { ...a, findings: [...a.findings, odd] } : a)) }, TEST_OPTIONS);
    expect((await collect(jsonChunks(report, 5))).join("")).toBe(await singleString(report));
  });

  it("reads the repositories' findings only as it reaches them", async () => {
    const report = buildReport(run(), TEST_OPTIONS);
    let read = 0;
    const counted = {
      ...report,
      repositoryFindings: async function* () {
        for await (const f of report.repositoryFindings()) yield (read++, f);
      },
    };
    const chunks = jsonChunks(counted, 16);
    await chunks.next();
    expect(read).toBe(0);
    expect((await collect(chunks)).length).toBeGreaterThan(0);
    expect(read).toBeGreaterThan(0);
  });
});

describe("streamed Markdown report", () => {
  it("is, piece by piece, the single-string report", async () => {
    const report = buildReport(run(), TEST_OPTIONS);
    const whole = renderMarkdown(report);
    for (const size of [1, 50, 64 * 1024]) expect([...markdownChunks(report, {}, size)].join("")).toBe(whole);
    expect(whole).toContain("| `docs` | ❌ gap |");
  });
});

describe.each(dialects("report from stored assessments, a page at a time"))("report from stored assessments, a page at a time, on $name", ({ open }) => {
  it("is the report of the same assessments held in memory, whatever the page size", async () => {
    const store = await open();
    await store.upsertInstallation(1, ORG, "Organization");
    const org = run();
    for (const assessment of org.repositories) await store.recordAssessment({ installationId: 1, trigger: "test", assessment, configProblems: [] });
    const now = new Date(NOW);
    const paged = await latestReportYielding(store, 1, ORG, DEFAULT_CONFIG, now, 1);
    const whole = await latestReport(store, 1, ORG, DEFAULT_CONFIG, now);
    expect(paged && whole).toBeTruthy();
    expect(await renderJson(paged!)).toBe(await renderJson(whole!));
    expect(renderMarkdown(paged!)).toBe(renderMarkdown(whole!));
    // The same run built in memory from the catalogue's own claims, with the organisation's findings the stored ones carried.
    const inMemory = buildReport({ ...org, generatedAt: now.toISOString(), requests: whole!.requests });
    expect(JSON.parse(await renderJson(whole!))).toEqual(JSON.parse(await renderJson(inMemory)));
    await store.close();
  });

  it("keeps the same report when the digests share their strings", async () => {
    const org = run();
    const intern = new Interner();
    const shared = reportFromDigests(org, org.repositories.map((a) => digestAssessment(a, CLAIMS, intern)));
    expect(await renderJson(shared)).toBe(await renderJson({ ...buildReport(org), repositoryFindings: () => [] }));
  });
});

describe("the findings the report quotes", () => {
  it("are every finding a sentence or a list reads, so a digest keeps their values", async () => {
    for (const id of Object.keys(FACTS)) expect(FACT_FINDINGS.has(id as FindingId), id).toBe(true);
    // Every sentence runs on a repository that has every quoted finding unreadable: none reads an id outside the set.
    const quoted = new Map([...FACT_FINDINGS].map((id) => [id, hidden(id, "not read", "api")]));
    for (const [id, sentence] of Object.entries(FACTS)) expect(() => sentence!({ repositories: [{ name: "api", quoted }], windowDays: 90 }), id).not.toThrow();
    for (const id of Object.keys(LISTED)) expect(FINDINGS[id as FindingId], id).toBeDefined();
  });
});
