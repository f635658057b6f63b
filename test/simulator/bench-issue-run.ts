import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { OrgEvidence } from "../../src/app/org-evidence.js";
import { publishIssues, type InstallationOctokit } from "../../src/app/pipeline.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { IssuePublisher } from "../../src/publish/issues.js";
import { latestAssessmentHeads } from "../../src/store/issue-records.js";
import { Store } from "../../src/store/store.js";
import { STORE_BENCH_OPTIONS, storeBench } from "./bench-store-report.js";

/*
 * The issue run that follows an installation's first backfill, on its own: every stored
 * repository assessed, issues on with the default settings (one issue per claim and repository,
 * at most `issues.maxOpenPerRun` opened). The store is filled by one process (real assessments of
 * a small simulated organisation, repeated under new names) and the run made by a fresh one
 * through the app's path (`publishIssues`), against a GitHub that answers issue requests from
 * memory without keeping them, so the peak printed is the run's own. Run with
 * `npx tsx test/simulator/bench-issue-run.ts --sizes 1000,10000`; `--heap-cap 64` runs it with
 * V8's old space capped at 64 MB, to show what it needs live. Prints figures; never a test.
 */

const mb = (n: number) => Math.round(n / 1024 / 1024);

/** GitHub's issue routes as an issue run uses them: nothing listed, every label there, writes accepted and counted. */
function answeringGitHub(counts: Map<string, number>): InstallationOctokit {
  let number = 0;
  const request = async (route: string, params: Record<string, unknown> = {}) => {
    counts.set(route, (counts.get(route) ?? 0) + 1);
    if (route === "GET /repos/{owner}/{repo}/issues") return { status: 200, data: [], headers: {} };
    if (route === "GET /repos/{owner}/{repo}/labels/{name}") return { status: 200, data: { name: params.name }, headers: {} };
    if (route === "POST /repos/{owner}/{repo}/issues") {
      number += 1;
      return { status: 201, data: { number, html_url: `https://github.com/${String(params.owner)}/${String(params.repo)}/issues/${number}` }, headers: {} };
    }
    return { status: 200, data: {}, headers: {} };
  };
  return { request, graphql: async () => ({}) } as unknown as InstallationOctokit;
}

type Row = { size: number; ms: number; cpuMs: number; rssBefore: number; peakRss: number; peakHeap: number; heapBefore: number; writes: number; listings: number };

async function measure(file: string, size: number): Promise<Row> {
  const store = await Store.open(`file:${file}`);
  const log = pino({ level: "silent" });
  const counts = new Map<string, number>();
  const issues = new IssuePublisher({ store, log, sleep: async () => undefined });
  const assessed = (await latestAssessmentHeads(store, 1)).map((h) => ({ assessmentId: h.id, fullName: h.repositoryFullName, config: DEFAULT_CONFIG }));
  global.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 10);
  const started = performance.now();
  const cpu = process.cpuUsage();
  await publishIssues({ store, log, orgEvidence: new OrgEvidence(), issues }, answeringGitHub(counts), { installationId: 1, org: "synthetic" }, assessed);
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - started;
  clearInterval(sampler);
  sample();
  await store.close();
  const writes = [...counts].filter(([route]) => !route.startsWith("GET")).reduce((n, [, c]) => n + c, 0);
  return { size, ms, cpuMs: (used.user + used.system) / 1000, rssBefore: before.rss, peakRss, heapBefore: before.heapUsed, peakHeap, writes, listings: counts.get("GET /repos/{owner}/{repo}/issues") ?? 0 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { ...STORE_BENCH_OPTIONS, "heap-cap": { type: "string" } } });
  const cap = values["heap-cap"] ? [`--max-old-space-size=${Number(values["heap-cap"])}`] : [];
  await storeBench(fileURLToPath(import.meta.url), values, measure, "| repos | issue run | peak RSS | peak heap | requests that write | repositories listed |", (size, r) => {
    if (r instanceof Error) return `| ${size} | did not finish with the heap capped at ${values["heap-cap"] ?? "the default"} MB (${r.message}) | | | | |`;
    return `| ${size} | ${Math.round(r.ms)} ms (CPU ${Math.round(r.cpuMs)} ms) | ${mb(r.peakRss)} MB (${mb(r.rssBefore)} before) | ${mb(r.peakHeap)} MB (${mb(r.heapBefore)} before) | ${r.writes} | ${r.listings} |`;
  }, ["--expose-gc", ...cap]);
}
