import { parseArgs } from "node:util";
import { runOrganisation } from "../../src/assessment/run-organisation.js";
import type { RunOctokit } from "../../src/assessment/run-organisation.js";
import { startApp } from "./app-harness.js";
import { runAuditBench } from "./bench-audit.js";
import { runMemoryBench } from "./bench-memory.js";
import { productionOctokit } from "./app-harness.js";
import { generateScenario } from "./generate.js";
import { sha } from "./model.js";
import { parseScenario } from "./scenario.js";
import { startSimulator } from "./server.js";
import { deliver, deliverAll, installationCreated, pullRequestOpened, repositoryEdited } from "./webhooks.js";
import { pino } from "pino";
import { DEFAULT_RESERVE_FRACTION, MEASURED_COST, planBackfill, type CostPerRepository } from "../../src/app/backfill-plan.js";

/*
 * `npm run bench [-- --sizes 100,1000 --relaxed]`: full assessments of synthetic organisations
 * against the simulator at 30 ms a request, then the webhook path. Prints a table; never a test.
 * The simulator runs in this process, so peak RSS includes its model of the organisation.
 */

/* eslint-disable no-console -- a command-line program: its output is the point */
const { values } = parseArgs({ options: { sizes: { type: "string", default: "100,1000,10000" }, relaxed: { type: "boolean", default: false }, latency: { type: "string", default: "30" }, concurrency: { type: "string", default: "4" }, "plan-only": { type: "boolean", default: false }, "audit-events": { type: "string" }, "memory-sizes": { type: "string" } } });

/*
 * The backfill scheduler's verdict for 10,000 repositories under GitHub's published hourly
 * budgets for one installation, from a fresh window: a dry plan, no simulation.
 */
function printBackfillVerdict(cost: CostPerRepository, secondsPerRepository: number): void {
  const now = new Date();
  const fresh = (limit: number) => ({ limit, remaining: limit, resetAt: new Date(now.getTime() + 3_600_000) });
  console.log(`\nBackfill plan for 10,000 repositories (${cost.rest} REST + ${cost.graphql} GraphQL points each, ${DEFAULT_RESERVE_FRACTION * 100} % of each limit reserved, ${secondsPerRepository.toFixed(2)} s a repository)`);
  for (const [rest, graphql] of [[5_000, 5_000], [12_500, 5_000]] as const) {
    const plan = planBackfill({ pending: 10_000, cost, budget: { rest: fresh(rest), graphql: fresh(graphql) }, now, secondsPerRepository });
    const hours = (plan.finishAt.getTime() - now.getTime()) / 3_600_000;
    console.log(`REST ${rest}/h, GraphQL ${graphql} points/h: ${plan.perWindow} a window (${plan.boundBy}-bound), ${plan.batches.length} windows, finishes ${hours.toFixed(1)} h after the start (started ${now.toISOString()}: ${plan.finishAt.toISOString()})`);
  }
}

if (values["plan-only"]) {
  printBackfillVerdict(MEASURED_COST, 0);
  process.exit(0);
}
const sizes = values.sizes.split(",").map(Number).filter((n) => n > 0);
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
const rows: string[][] = [["repos", "wall", "REST/repo", "GraphQL/repo", "points/repo", "peak RSS", "throttle"]];

let measuredCost: CostPerRepository | undefined;
let secondsPerRepository = 0;
for (const size of sizes) {
  const sim = await startSimulator(parseScenario(generateScenario({ repos: size, seed: 7 })), { latencyMs, primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 } });
  const Octokit = productionOctokit(undefined, !values.relaxed);
  const octokit = new Octokit({ auth: "bench-token", baseUrl: sim.url, log: pino({ level: "silent" }) } as never) as unknown as RunOctokit;
  peak = process.memoryUsage().rss;
  const started = Date.now();
  let last = 0;
  await runOrganisation({
    octokit,
    org: sim.model.org.login,
    concurrency,
    onProgress: ({ done, total }) => {
      if (Date.now() - last > 10_000) {
        last = Date.now();
        console.error(`  ${size}: ${done}/${total} after ${Math.round((Date.now() - started) / 1000)} s`);
      }
    },
  });
  const wall = (Date.now() - started) / 1000;
  measuredCost = { rest: Math.ceil((sim.stats.rest / size) * 10) / 10, graphql: Math.ceil((sim.stats.graphqlCost / size) * 10) / 10 };
  secondsPerRepository = wall / size;
  rows.push([String(size), `${wall.toFixed(1)} s`, (sim.stats.rest / size).toFixed(2), (sim.stats.graphql / size).toFixed(2), (sim.stats.graphqlCost / size).toFixed(2), mb(peak), values.relaxed ? "relaxed" : "production"]);
  console.error(`  ${size}: done in ${wall.toFixed(1)} s; unknown routes ${JSON.stringify(sim.stats.unknownRoutes)}; unmodelled ${JSON.stringify(sim.stats.unmodelledFields)}`);
  await sim.stop();
}

// The webhook path: acknowledgements per second, then pull request → check run latency.
const sim = await startSimulator(parseScenario(generateScenario({ repos: 20, seed: 9 })), { latencyMs });
const app = await startApp({ githubUrl: sim.url, spaceWrites: !values.relaxed, concurrency });
await deliver(app.webhookUrl, app.secret, installationCreated(sim.model));
await app.idle();
const burst = Array.from({ length: 1_000 }, (_, i) => repositoryEdited(sim.model, sim.model.repoList[i % 20]!));
const burstStart = performance.now();
await deliverAll(app.webhookUrl, app.secret, burst, 32);
const perSecond = burst.length / ((performance.now() - burstStart) / 1000);
const sent = new Map<string, number>();
for (let i = 0; i < 40; i += 1) {
  const repo = sim.model.repoList[i % 20]!;
  const head = sha("bench", i);
  sent.set(head, Date.now());
  await deliver(app.webhookUrl, app.secret, pullRequestOpened(sim.model, repo, head, 1000 + i));
  await new Promise((r) => setTimeout(r, 250));
}
await app.idle();
const latencies = sim.model.checkRuns.filter((r) => sent.has(r.head_sha)).map((r) => r.createdAt.getTime() - sent.get(r.head_sha)!).sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
await app.stop();
await sim.stop();
clearInterval(sampler);

printBackfillVerdict(measuredCost ?? MEASURED_COST, secondsPerRepository);

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(`\nFull assessment (${latencyMs} ms a request, concurrency ${concurrency})`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
console.log(`\nWebhook path (${latencyMs} ms a request, ${values.relaxed ? "relaxed" : "production"} throttle)`);
console.log(`deliveries acknowledged: ${perSecond.toFixed(0)}/s`);
console.log(`pull request → check run (${latencies.length} of 40): p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms`);
if (values["audit-events"]) await runAuditBench({ events: Number(values["audit-events"]), latencyMs });
if (values["memory-sizes"]) await runMemoryBench({ sizes: values["memory-sizes"].split(",").map(Number).filter((n) => n > 0) });
