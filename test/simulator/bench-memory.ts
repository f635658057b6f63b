import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runAssess } from "../../src/cli-assess.js";

/*
 * The memory of an organisation-wide run on its own: `claimcheck assess` (the CLI's real path:
 * repositories streamed to a temporary store as they finish, the report made from it a page at
 * a time and written as a stream) against a simulator in a child process, so the peak RSS
 * printed is claimcheck's alone; each size runs in a fresh process of its own. Run
 * with `tsx test/simulator/bench-memory.ts --sizes 1000,2000` (or from bench.ts with
 * `--memory-sizes`). Prints figures; never a test.
 *
 * `--cli built` (the default) runs what users run, the built command (`node dist/bin.js`, after
 * `npm run build`), and reads its RSS from outside (/proc); `--cli tsx` runs `runAssess` inside a
 * benchmark process started through tsx, whose TypeScript loader and compiled sources add about
 * 60 MB to every figure (the figures of this benchmark before the built command was measured).
 */

/* eslint-disable no-console -- a command-line program: its output is the point */

const mb = (n: number) => Math.round(n / 1024 / 1024);

async function simulator(repos: number, latencyMs: number): Promise<{ url: string; requests: () => Promise<number>; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL("./sim-process.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, "--repos", String(repos), "--latency", String(latencyMs), "--seed", "7"], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve) => lines.once("line", resolve));
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    // How many requests the simulator has answered so far (its stats line).
    requests: () => {
      const answered = new Promise<number>((resolve) => lines.once("line", (line) => resolve((JSON.parse(line) as { stats: { requests: number } }).stats.requests)));
      child.stdin.write(`${JSON.stringify({ stats: true })}\n`);
      return answered;
    },
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.stdin.write(`${JSON.stringify({ stop: true })}\n`);
      await exited;
    },
  };
}

export type MemoryRow = { repos: number; seconds: number; peakRssMb: number; baselineRssMb: number; runPeakRssMb: number; reportPeakRssMb: number; reportBytes: number };

/** One organisation size, in this process: `claimcheck assess` as the CLI runs it. */
async function measureOne(size: number, latencyMs: number): Promise<MemoryRow> {
  const sim = await simulator(size, latencyMs);
  const dir = mkdtempSync(join(tmpdir(), "claimcheck-bench-memory-"));
  const out = join(dir, "report.json");
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  // The peak while repositories are assessed, and while the report is made and written (after the last progress line).
  let runPeak = baseline;
  let reportPeak = 0;
  let reporting = false;
  const sample = () => {
    const rss = process.memoryUsage().rss;
    if (reporting) reportPeak = Math.max(reportPeak, rss);
    else runPeak = Math.max(runPeak, rss);
  };
  const sampler = setInterval(sample, 50);
  const started = performance.now();
  let last = 0;
  const code = await runAssess(["--org", "synthetic", "--format", "json", "--out", out, "--api-url", sim.url], {
    out: () => undefined,
    err: (line) => console.error(`  ${size}: ${line}`),
    progress: (line) => {
      // The run clears its progress line once every repository is assessed: the report follows.
      if (!line) {
        sample();
        reporting = true;
      }
      if (line && performance.now() - last > 15_000) {
        last = performance.now();
        console.error(`  ${line}`);
      }
    },
  }, { env: { GITHUB_TOKEN: "bench-token" } });
  clearInterval(sampler);
  sample();
  if (code !== 0) console.error(`  ${size}: claimcheck assess exited ${code}`);
  const row = { repos: size, seconds: (performance.now() - started) / 1000, peakRssMb: mb(Math.max(runPeak, reportPeak)), baselineRssMb: mb(baseline), runPeakRssMb: mb(runPeak), reportPeakRssMb: mb(reportPeak), reportBytes: statSync(out).size };
  rmSync(dir, { recursive: true, force: true });
  await sim.stop();
  return row;
}

const BUILT = fileURLToPath(new URL("../../dist/bin.js", import.meta.url));

/** A process's resident set now, from /proc (0 once it has ended). */
function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

/**
 * One organisation size through the built command, `node dist/bin.js assess`, as users run it: its
 * RSS sampled from outside every 50 ms. The assessing ends when the simulator last answered a
 * request (asked once a second); "before" is the command's RSS when the first request arrived
 * (Node and the command's modules loaded, nothing assessed yet).
 */
async function measureBuilt(size: number, latencyMs: number): Promise<MemoryRow> {
  if (!existsSync(BUILT)) throw new Error("the built command is missing: run `npm run build` first");
  const sim = await simulator(size, latencyMs);
  const dir = mkdtempSync(join(tmpdir(), "claimcheck-bench-memory-"));
  const out = join(dir, "report.json");
  const started = performance.now();
  const child = spawn(process.execPath, [BUILT, "assess", "--org", "synthetic", "--format", "json", "--out", out, "--api-url", sim.url], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, GITHUB_TOKEN: "bench-token" } });
  const pid = child.pid!;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => process.stderr.write(text.replace(/^(?=.)/gm, `  ${size}: `)));
  const samples: { at: number; rss: number }[] = [];
  const sampler = setInterval(() => samples.push({ at: performance.now(), rss: rssOf(pid) }), 50);
  let baseline = 0;
  let lastRequests = 0;
  let assessedAt = started;
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const requests = await sim.requests();
    if (requests > lastRequests) {
      if (lastRequests === 0) baseline = rssOf(pid);
      lastRequests = requests;
      assessedAt = performance.now();
    }
    if (performance.now() - started > 15_000 && Math.round((performance.now() - started) / 1000) % 60 === 0) console.error(`  ${size}: ${lastRequests} requests answered, RSS ${mb(rssOf(pid))} MB`);
  }
  clearInterval(sampler);
  const code = await exited;
  if (code !== 0) console.error(`  ${size}: claimcheck assess exited ${code}`);
  const peakOf = (kept: { rss: number }[]) => kept.reduce((peak, s) => Math.max(peak, s.rss), 0);
  const runPeak = peakOf(samples.filter((s) => s.at <= assessedAt));
  const reportPeak = peakOf(samples.filter((s) => s.at > assessedAt));
  const row = { repos: size, seconds: (performance.now() - started) / 1000, peakRssMb: mb(Math.max(runPeak, reportPeak)), baselineRssMb: mb(baseline), runPeakRssMb: mb(runPeak), reportPeakRssMb: mb(reportPeak), reportBytes: statSync(out).size };
  rmSync(dir, { recursive: true, force: true });
  await sim.stop();
  return row;
}

export type MemoryCli = "built" | "tsx";

/** Each size in a fresh process of its own, so one size's heap is not the next one's starting point. */
function measureInChild(size: number, latencyMs: number, cli: MemoryCli): Promise<MemoryRow> {
  if (cli === "built") return measureBuilt(size, latencyMs);
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", script, "--one", String(size), "--latency", String(latencyMs)], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (data: Buffer) => (output += data.toString()));
    child.once("exit", (code) => {
      const line = output.trim().split("\n").at(-1) ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line) as MemoryRow);
      else reject(new Error(`the memory bench of ${size} repositories exited with ${code}`));
    });
  });
}

/** Per 1,000 repositories, between the first and the last size measured. */
export function growthPer1000(rows: readonly MemoryRow[]): number | null {
  if (rows.length < 2) return null;
  const [a, b] = [rows[0]!, rows.at(-1)!];
  return ((b.peakRssMb - a.peakRssMb) / (b.repos - a.repos)) * 1000;
}

export async function runMemoryBench(options: { sizes: number[]; latencyMs?: number; cli?: MemoryCli }): Promise<MemoryRow[]> {
  const cli = options.cli ?? "built";
  const rows: MemoryRow[] = [];
  for (const size of options.sizes) rows.push(await measureInChild(size, options.latencyMs ?? 0, cli));
  const how = cli === "built" ? "`node dist/bin.js assess --format json`" : "`claimcheck assess --format json` in a process started through tsx";
  console.log(`\nOrganisation-wide run, the app's process only (simulator in a child process; ${how}; each size in a fresh process)`);
  console.log("repos   wall       peak RSS   RSS before   run peak   report peak   report");
  for (const r of rows) {
    console.log(`${String(r.repos).padEnd(7)} ${`${r.seconds.toFixed(1)} s`.padEnd(10)} ${`${r.peakRssMb} MB`.padEnd(10)} ${`${r.baselineRssMb} MB`.padEnd(12)} ${`${r.runPeakRssMb} MB`.padEnd(10)} ${`${r.reportPeakRssMb} MB`.padEnd(13)} ${(r.reportBytes / 1024 / 1024).toFixed(1)} MB`);
  }
  for (let i = 1; i < rows.length; i += 1) {
    const a = rows[i - 1]!;
    const b = rows[i]!;
    console.log(`growth ${a.repos} → ${b.repos}: ${(((b.peakRssMb - a.peakRssMb) / (b.repos - a.repos)) * 1000).toFixed(0)} MB per 1,000 repositories`);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { sizes: { type: "string", default: "1000,2000" }, latency: { type: "string", default: "0" }, one: { type: "string" }, cli: { type: "string", default: "built" } } });
  if (values.cli !== "built" && values.cli !== "tsx") {
    console.error("bench-memory: --cli is built (node dist/bin.js, the default) or tsx");
    process.exit(2);
  }
  if (values.one !== undefined) {
    // A child of runMemoryBench: one size, its row as the last line of standard output.
    const row = await measureOne(Number(values.one), Number(values.latency));
    console.log(JSON.stringify(row));
    process.exit(0);
  }
  await runMemoryBench({ sizes: values.sizes.split(",").map(Number).filter((n) => n > 0), latencyMs: Number(values.latency), cli: values.cli });
}
