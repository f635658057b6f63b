import { pino } from "pino";
import { runOrganisation, type RunOctokit } from "../../src/assessment/run-organisation.js";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { buildReport } from "../../src/report/model.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { renderJson } from "../../src/report/json.js";
import { productionOctokit } from "./app-harness.js";
import { generateScenario } from "./generate.js";
import { parseScenario } from "./scenario.js";
import { startSimulator } from "./server.js";

/*
 * The report of an organisation of N repositories, built and rendered in a process of its own so
 * its time and memory are the renderer's. The repositories are real assessments of a small
 * simulated organisation, repeated under new names: rendering cost depends on how many there are,
 * not on whether they differ.
 */

const size = Number(process.argv[2]);
if (!Number.isInteger(size) || size < 1 || !process.send) {
  console.error("bench-render-child: needs a repository count and an IPC channel");
  process.exit(2);
}
const sim = await startSimulator(parseScenario(generateScenario({ repos: 20, seed: 7 })), { latencyMs: 0, primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 } });
const Octokit = productionOctokit(undefined, false);
const octokit = new Octokit({ auth: "bench-token", baseUrl: sim.url, log: pino({ level: "silent" }) } as never) as unknown as RunOctokit;
const { assessment: run } = await runOrganisation({ octokit, org: sim.model.org.login, concurrency: 4 });
await sim.stop();

const rename = (a: Assessment, i: number): Assessment => {
  const name = `${a.name}-${i}`;
  const fullName = `${a.owner}/${name}`;
  const text = JSON.stringify(a).split(`${a.owner}/${a.name}`).join(fullName);
  const copy = JSON.parse(text) as Assessment;
  return { ...copy, name, ...(copy.repo ? { repo: { ...copy.repo, name, fullName } } : {}) };
};
const repositories = Array.from({ length: size }, (_, i) => rename(run.repositories[i % run.repositories.length]!, i));
const big = { ...run, repositories };

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const before = process.memoryUsage().rss;
const started = performance.now();
const report = buildReport(big);
const built = performance.now();
const markdown = renderMarkdown(report);
const rendered = performance.now();
// The JSON report carries every finding's value; past V8's longest string it cannot be one string.
let json = "";
try {
  json = renderJson(report);
} catch (error) {
  json = `failed: ${error instanceof Error ? error.message : String(error)}`;
}
const jsonDone = performance.now();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
process.send({ type: "rendered", size, buildMs: built - started, markdownMs: rendered - built, jsonMs: jsonDone - rendered, markdownBytes: markdown.length, jsonBytes: json.length, jsonFailed: json.startsWith("failed: ") ? json : null, rssBefore: before, peakRss: peak });
process.exit(0);
