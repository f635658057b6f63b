import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { pino } from "pino";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { runOrganisation, type RunOctokit } from "../../src/assessment/run-organisation.js";
import { latestReport } from "../../src/app/latest-report.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { jsonChunks } from "../../src/report/json.js";
import { markdownChunks } from "../../src/report/markdown.js";
import { Store } from "../../src/store/store.js";
import { productionOctokit } from "./app-harness.js";
import { generateScenario } from "./generate.js";
import { parseScenario } from "./scenario.js";
import { startSimulator } from "./server.js";

/*
 * The report made from the store, as `GET /reports/{org}` and `claimcheck assess` make it: the
 * newest stored assessment of each repository read a page at a time, digested and dropped, then
 * the Markdown and the JSON written a piece at a time (counted, not kept). The store is filled by
 * one process (real assessments of a small simulated organisation, repeated under new names) and
 * read by a fresh one, so the figures are the reading's alone. Run with
 * `npx tsx test/simulator/bench-store-report.ts --sizes 1000,10000`. Prints figures; never a test.
 */

/* eslint-disable no-console -- a command-line program: its output is the point */

const mb = (n: number) => Math.round(n / 1024 / 1024);
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function fill(file: string, size: number): Promise<void> {
  const sim = await startSimulator(parseScenario(generateScenario({ repos: 20, seed: 7 })), { latencyMs: 0, primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 } });
  const Octokit = productionOctokit(undefined, false);
  const octokit = new Octokit({ auth: "bench-token", baseUrl: sim.url, log: pino({ level: "silent" }) } as never) as unknown as RunOctokit;
  const { assessment: run } = await runOrganisation({ octokit, org: sim.model.org.login, concurrency: 4 });
  await sim.stop();
  const copy = (i: number): Assessment => {
    const a = run.repositories[i % run.repositories.length]!;
    const name = `${a.name}-${i}`;
    const copied = JSON.parse(JSON.stringify(a).split(`${a.owner}/${a.name}`).join(`${a.owner}/${name}`)) as Assessment;
    return { ...copied, name, ...(copied.repo ? { repo: { ...copied.repo, name, fullName: `${a.owner}/${name}` } } : {}) };
  };
  const store = await Store.open(`file:${file}`);
  await store.upsertInstallation(1, run.org, "Organization");
  // Filling the store is not what is measured.
  for (let i = 0; i < size; i += 1) await store.recordAssessment({ installationId: 1, trigger: "bench", assessment: copy(i), configProblems: [] });
  await store.close();
}

type Row = { size: number; buildMs: number; buildCpuMs: number; markdownMs: number; markdownCpuMs: number; jsonMs: number; markdownBytes: number; jsonBytes: number; rssBefore: number; peakRss: number; peakHeap: number };

async function measure(file: string, size: number): Promise<Row> {
  const store = await Store.open(`file:${file}`);
  let peak = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  const rssBefore = process.memoryUsage().rss;
  let started = performance.now();
  let cpu = process.cpuUsage();
  // The route's path without its turns of the event loop (`latestReportYielding`): the same pages and digests.
  const report = await latestReport(store, 1, "synthetic", DEFAULT_CONFIG, new Date());
  if (!report) throw new Error("nothing stored");
  const buildMs = performance.now() - started;
  const buildCpuMs = cpuMs(cpu);
  started = performance.now();
  cpu = process.cpuUsage();
  let markdownBytes = 0;
  for (const chunk of markdownChunks(report)) markdownBytes += chunk.length;
  const markdownMs = performance.now() - started;
  const markdownCpuMs = cpuMs(cpu);
  started = performance.now();
  let jsonBytes = 0;
  for await (const chunk of jsonChunks(report)) jsonBytes += chunk.length;
  const jsonMs = performance.now() - started;
  clearInterval(sampler);
  sample();
  await store.close();
  return { size, buildMs, buildCpuMs, markdownMs, markdownCpuMs, jsonMs, markdownBytes, jsonBytes, rssBefore, peakRss: peak, peakHeap };
}

/** Runs `script` in a fresh process with `args`; its last line of output. */
function child(script: string, args: string[], flags: readonly string[] = []): Promise<string> {
  const proc = spawn(process.execPath, [...flags, "--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  proc.stdout.on("data", (data: Buffer) => (output += data.toString()));
  return new Promise((resolve, reject) => proc.once("exit", (code) => (code === 0 ? resolve(output.trim().split("\n").at(-1) ?? "") : reject(new Error(`${script} ${args.join(" ")} exited with ${code}`)))));
}

export type StoreBenchArgs = { sizes: string; fill?: string | undefined; measure?: string | undefined; size?: string | undefined };
export const STORE_BENCH_OPTIONS = { sizes: { type: "string", default: "1000,10000" }, fill: { type: "string" }, measure: { type: "string" }, size: { type: "string" } } as const;

/**
 * A bench over a store filled by one process and read by a fresh one, both children of `script`:
 * with `--fill FILE --size N` this process fills the store, with `--measure FILE --size N` it
 * prints what `measure` gives as JSON, and otherwise it runs both for each of `--sizes` in a
 * temporary folder and prints what `line` makes of each measurement (an error when the measuring
 * process failed). `flags` go to the measuring process's node.
 */
export async function storeBench<R>(script: string, args: StoreBenchArgs, measure: (file: string, size: number) => Promise<R>, header: string, line: (size: number, measured: R | Error) => string, flags: readonly string[] = []): Promise<void> {
  if (args.fill !== undefined) {
    await fill(args.fill, Number(args.size));
    console.log("{}");
    process.exit(0);
  }
  if (args.measure !== undefined) {
    console.log(JSON.stringify(await measure(args.measure, Number(args.size))));
    process.exit(0);
  }
  console.log(header);
  console.log(`|${" --- |".repeat(header.split("|").length - 2)}`);
  for (const size of args.sizes.split(",").map(Number).filter((n) => n > 0)) {
    const dir = mkdtempSync(join(tmpdir(), "claimcheck-bench-store-"));
    const file = join(dir, "store.db");
    try {
      await child(script, ["--fill", file, "--size", String(size)]);
      const measured = await child(script, ["--measure", file, "--size", String(size)], flags).then(
        (out) => JSON.parse(out) as R,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      console.log(line(size, measured));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: STORE_BENCH_OPTIONS });
  await storeBench(fileURLToPath(import.meta.url), values, measure, "| repos | build (read, validate, digest, roll up) | Markdown | JSON | Markdown size | JSON size | peak RSS | peak heap |", (size, r) => {
    if (r instanceof Error) throw r;
    return `| ${size} | ${Math.round(r.buildMs)} ms (CPU ${Math.round(r.buildCpuMs)} ms) | ${Math.round(r.markdownMs)} ms (CPU ${Math.round(r.markdownCpuMs)} ms) | ${Math.round(r.jsonMs)} ms | ${mb(r.markdownBytes)} MB | ${mb(r.jsonBytes)} MB | ${mb(r.peakRss)} MB (${mb(r.rssBefore)} before) | ${mb(r.peakHeap)} MB |`;
  });
}
