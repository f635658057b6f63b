import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { latestReport } from "../../src/app/latest-report.js";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import type { OrgAssessment } from "../../src/assessment/org-assessment.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { renderHtml } from "../../src/report/html.js";
import { jsonChunks } from "../../src/report/json.js";
import { markdownChunks } from "../../src/report/markdown.js";
import { buildReport, type Report } from "../../src/report/model.js";
import { dialects } from "../helpers/dialects.js";

/*
 * The JSON, Markdown and HTML reports of a generated organisation, byte for byte: 20 repositories
 * assessed through the simulator (store-golden/assessments.json.gz), each also stored under two
 * more names, a few of them out of scope and one with a finding naming another repository — 60 repositories in all. Rewriting how the report is
 * modelled or rendered must not change a byte of what users get, so the expected digests were
 * taken from the renderers before such a change and are only rewritten (UPDATE_EXAMPLES=1) with
 * a deliberate change of the output.
 */

const FIXTURE = new URL("./store-golden/assessments.json.gz", import.meta.url);
const EXPECTED = new URL("./store-golden/expected.json", import.meta.url);
const NOW = new Date("2026-11-28T12:00:00Z");

function organisation(): OrgAssessment {
  const run = JSON.parse(gunzipSync(readFileSync(FIXTURE)).toString("utf8")) as OrgAssessment;
  const copy = (a: Assessment, name: string): Assessment => {
    const fullName = `${a.owner}/${name}`;
    const copied = JSON.parse(JSON.stringify(a).split(`${a.owner}/${a.name}`).join(fullName)) as Assessment;
    return { ...copied, name, ...(copied.repo ? { repo: { ...copied.repo, name, fullName } } : {}) };
  };
  const repositories: Assessment[] = [];
  run.repositories.forEach((a, i) => {
    repositories.push(a, copy(a, `${a.name}-copy`), copy(a, `z-${String(i).padStart(2, "0")}`));
  });
  // Out of scope as an archived repository is: no findings, no results.
  for (const at of [4, 31, 58]) {
    const a = repositories[at]!;
    repositories[at] = { ...a, scope: { inScope: false, reason: "archived" }, findings: [], results: [] };
  }
  // One repository's first finding names another repository: the renderers then group that claim's evidence by name.
  const odd = repositories[10]!;
  repositories[10] = { ...odd, findings: odd.findings.map((f, i) => (i === 0 && f.scope === "repo" ? { ...f, repo: `${odd.owner}/elsewhere` } : f)) };
  return { ...run, generatedAt: NOW.toISOString(), repositories };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function rendered(report: Report): Promise<Record<string, { bytes: number; sha256: string }>> {
  let json = "";
  for await (const chunk of jsonChunks(report)) json += chunk;
  const markdown = [...markdownChunks(report)].join("");
  const html = renderHtml(report);
  const of = (text: string) => ({ bytes: Buffer.byteLength(text), sha256: sha256(text) });
  return { json: of(json), markdown: of(markdown), html: of(html) };
}

describe.each(dialects("the reports of a generated organisation of 60 repositories"))("the reports of a generated organisation of 60 repositories, on $name", ({ open }) => {
  it("are byte for byte what they were, from the store and from memory", async () => {
    const run = organisation();
    const store = await open();
    await store.upsertInstallation(1, run.org, "Organization");
    for (const assessment of run.repositories) await store.recordAssessment({ installationId: 1, trigger: "test", assessment, configProblems: [] });
    const fromStore = await latestReport(store, 1, run.org, DEFAULT_CONFIG, NOW);
    expect(fromStore).not.toBeNull();
    const actual = { store: await rendered(fromStore!), memory: await rendered(buildReport(run)) };
    await store.close();
    if (process.env.UPDATE_EXAMPLES === "1" || !existsSync(EXPECTED)) writeFileSync(EXPECTED, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(readFileSync(EXPECTED, "utf8")));
  });
});
