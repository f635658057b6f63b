/* eslint-disable no-console -- a command-line program: its output is the point */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import type { OrgAssessment } from "../../src/assessment/org-assessment.js";
import { runOrganisation, type RunOctokit } from "../../src/assessment/run-organisation.js";
import { storedHistory } from "../../src/app/stored-history.js";
import { HistoryCache } from "../../src/app/history-cache.js";
import { renderHtml } from "../../src/report/html.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { buildReport } from "../../src/report/model.js";
import { Store } from "../../src/store/store.js";
import { productionOctokit } from "./app-harness.js";
import { generateScenario } from "./generate.js";
import { parseScenario } from "./scenario.js";
import { startSimulator } from "./server.js";

/*
 * `npm run bench:html`: the HTML report's size and render time at 10, 1,000 and 10,000
 * repositories. Ten repositories of a generated organisation are assessed through the simulator
 * once; larger organisations repeat those assessments under new names, so the page holds real
 * findings, reasons and links. The history is built from a store holding two assessments per
 * repository. Figures are printed, never asserted.
 */

const { values } = parseArgs({ options: { sizes: { type: "string", default: "10,1000,10000" }, help: { type: "boolean" } } });
if (values.help) {
  console.log("npm run bench:html -- [--sizes 10,1000,10000]");
  process.exit(0);
}
const sizes = values.sizes.split(",").map(Number).filter((n) => n > 0);
/** The Markdown renderer's size is shown for comparison only, where it renders quickly. */
const MARKDOWN_UP_TO = 1000;

const sim = await startSimulator(parseScenario(generateScenario({ repos: 10, seed: 7 })), { primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 } });
const Octokit = productionOctokit(undefined, false);
const octokit = new Octokit({ auth: "bench-token", baseUrl: sim.url, log: pino({ level: "silent" }) } as never) as unknown as RunOctokit;
const { assessment: template } = await runOrganisation({ octokit, org: sim.model.org.login, concurrency: 4 });
await sim.stop();

/** The template's repositories repeated under new names until there are `size`. */
function scaled(size: number): OrgAssessment {
  const repositories: Assessment[] = Array.from({ length: size }, (_, i) => {
    const source = template.repositories[i % template.repositories.length]!;
    const name = `repo-${String(i).padStart(5, "0")}`;
    const rename = (text: string) => text.split(`/${source.name}`).join(`/${name}`);
    return {
      ...source,
      name,
      repo: source.repo ? { ...source.repo, name, fullName: `${source.owner}/${name}`, htmlUrl: rename(source.repo.htmlUrl) } : null,
      findings: source.findings.map((f) => (f.scope === "repo" ? { ...f, repo: `${source.owner}/${name}`, url: rename(f.url) } : f)),
    };
  });
  return { ...template, repositories };
}

const ms = (started: number) => performance.now() - started;
const size = (bytes: number) => (bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${Math.round(bytes / 1024)} KB`);
const header = ["repos", "build report", "history (store)", "history, next view", "render HTML", "HTML size", "gzip", "Markdown size", "peak RSS"];
const widths = [6, 12, 15, 18, 11, 9, 8, 13, 8];
const line = (cells: string[]) => console.log(`| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`);
line(header);
line(widths.map((w) => "-".repeat(w)));
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
const { gzipSync } = await import("node:zlib");

for (const n of sizes) {
  const run = scaled(n);
  let started = performance.now();
  const report = buildReport(run);
  const built = ms(started);

  // On disk: ten thousand repositories' assessments, twice, do not fit comfortably in memory next to the page.
  const dbDir = mkdtempSync(join(tmpdir(), "claimcheck-bench-html-"));
  const store = await Store.open(`file:${join(dbDir, "bench.db")}`);
  peak = process.memoryUsage().rss;
  await store.upsertInstallation(1, run.org, "Organization");
  await store.addRepositories(1, run.repositories.map((a, i) => ({ id: i + 1, fullName: `${a.owner}/${a.name}` })));
  const day = 86_400_000;
  const now = new Date(run.generatedAt);
  // One by one, as the app records them (filling the store is not what is measured).
  for (const back of [60, 5]) {
    for (const a of run.repositories) await store.recordAssessment({ installationId: 1, trigger: "bench", assessment: { ...a, finishedAt: new Date(now.getTime() - back * day).toISOString() }, configProblems: [] });
  }
  started = performance.now();
  const history = await storedHistory(store, 1, now);
  const historyMs = ms(started);
  // The app's page keeps the history between views: the next view after ten new assessments.
  const cache = new HistoryCache(store);
  await cache.history(1, now, 90);
  for (const a of run.repositories.slice(0, 10)) await store.recordAssessment({ installationId: 1, trigger: "bench", assessment: { ...a, finishedAt: now.toISOString() }, configProblems: [] });
  started = performance.now();
  await cache.history(1, new Date(now.getTime() + 60_000), 90);
  const nextViewMs = ms(started);
  await store.close();
  rmSync(dbDir, { recursive: true, force: true });

  started = performance.now();
  const html = renderHtml({ ...report, history });
  const rendered = ms(started);
  const bytes = Buffer.byteLength(html);
  if (process.env.BENCH_HTML_PARTS) {
    const parts: Record<string, number> = {};
    for (const m of html.matchAll(/<section id="([^"]+)"[\s\S]*?<\/section>|<details class="claim" id="([^"]+)"[\s\S]*?<\/details>/g)) parts[m[1] ?? m[2]!] = m[0].length;
    console.error(parts);
  }
  line([String(n), `${built.toFixed(0)} ms`, `${historyMs.toFixed(0)} ms`, `${nextViewMs.toFixed(0)} ms`, `${rendered.toFixed(0)} ms`, size(bytes), size(gzipSync(html).length), n <= MARKDOWN_UP_TO ? size(Buffer.byteLength(renderMarkdown(report))) : "—", size(peak)]);
}
clearInterval(sampler);
