import { pino } from "pino";
import { runOrganisation, type RunOctokit } from "../../src/assessment/run-organisation.js";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { reportFinding, reportFromDigests } from "../../src/report/model.js";
import { digestAssessment, Interner, type RepositoryDigest } from "../../src/report/digest.js";
import { CLAIMS } from "../../src/core/catalogue.js";
import { markdownChunks } from "../../src/report/markdown.js";
import { jsonChunks } from "../../src/report/json.js";
import { productionOctokit } from "./app-harness.js";
import { generateScenario } from "./generate.js";
import { parseScenario } from "./scenario.js";
import { startSimulator } from "./server.js";

/*
 * The report of an organisation of N repositories, built and rendered in a process of its own so
 * its time and memory are the renderer's. The repositories are real assessments of a small
 * simulated organisation, repeated under new names: rendering cost depends on how many there are,
 * not on whether they differ. Build: digesting each assessment and rolling the digests up;
 * Markdown and JSON: written a piece at a time (counted, not kept).
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
const copyOf = (i: number) => rename(run.repositories[i % run.repositories.length]!, i);

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const before = process.memoryUsage().rss;
// As the CLI and the app build it: each repository's assessment is digested as it is read, then
// dropped. Only the digesting is timed, not the making of the copies (the store's part).
const intern = new Interner();
const digests: RepositoryDigest[] = [];
let digestMs = 0;
let cpuMs = 0;
const cpuOf = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
for (let i = 0; i < size; i += 1) {
  const copy = copyOf(i);
  const at = performance.now();
  const cpuAt = process.cpuUsage();
  digests.push(digestAssessment(copy, CLAIMS, intern));
  digestMs += performance.now() - at;
  cpuMs += cpuOf(cpuAt);
}
const digestCpuMs = cpuMs;
const started = performance.now();
const cpuStarted = process.cpuUsage();
// The JSON report's findings are read again as it is written, a repository at a time (from the store, in the app).
const nameOf = (i: number) => `${run.repositories[i % run.repositories.length]!.name}-${i}`;
const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
const report = reportFromDigests(run, digests, {
  repositoryFindings: function* () {
    for (const i of order) for (const f of copyOf(i).findings) if (f.scope === "repo") yield reportFinding(f);
  },
});
const built = performance.now();
const modelCpuMs = cpuOf(cpuStarted);
const cpuBuilt = process.cpuUsage();
let markdownBytes = 0;
for (const chunk of markdownChunks(report)) markdownBytes += chunk.length;
const rendered = performance.now();
// CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns.
const markdownCpuMs = cpuOf(cpuBuilt);
cpuMs += modelCpuMs + markdownCpuMs;
// Streamed: the JSON report of 10,000 repositories is longer than the longest string V8 holds.
let jsonBytes = 0;
let jsonFailed: string | null = null;
try {
  for await (const chunk of jsonChunks(report)) jsonBytes += chunk.length;
} catch (error) {
  jsonFailed = `failed: ${error instanceof Error ? error.message : String(error)}`;
}
const jsonDone = performance.now();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
process.send({ type: "rendered", size, buildMs: digestMs + (built - started), markdownMs: rendered - built, cpuMs, digestCpuMs, modelCpuMs, markdownCpuMs, jsonMs: jsonDone - rendered, markdownBytes, jsonBytes, jsonFailed, rssBefore: before, peakRss: peak });
process.exit(0);
