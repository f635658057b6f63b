import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
import { boundHeapGrowth } from "../../src/app/heap-policy.js";
import { sql } from "drizzle-orm";
import { SqliteStore } from "../../src/store/store.js";
import { startApp } from "./app-harness.js";

/*
 * The app on its own, in a process of its own, for the benchmark: its RSS and event loop are then
 * the app's alone, not the simulator's. Started by bench-app.ts with the simulator's URL; answers
 * its questions over the IPC channel.
 */

type Command = { cmd: "reset" } | { cmd: "stats" } | { cmd: "idle" } | { cmd: "stop" };

const [githubUrl, concurrency, spaceWrites] = process.argv.slice(2);
if (!githubUrl || !process.send) {
  console.error("bench-app-child: started without the simulator's URL or an IPC channel");
  process.exit(2);
}
// As src/main.ts does for the deployed app.
boundHeapGrowth();
const dir = mkdtempSync(join(tmpdir(), "claimcheck-bench-"));
// As src/main.ts opens it: the log checkpointed on a worker thread.
const store = await SqliteStore.open(join(dir, "bench.db"), { checkpoints: { inBackground: true, onError: (message) => console.error(`bench-app-child: a background checkpoint failed: ${message}`) } });
const app = await startApp({ githubUrl, store, concurrency: Number(concurrency ?? 4), spaceWrites: spaceWrites !== "relaxed" });

/**
 * The calling thread's time on a core and its time ready to run but waiting for one, in ms
 * (the first two fields of Linux's schedstat, in ns); null where the file is not there.
 */
function mainThreadTimes(): { runMs: number; waitMs: number } | null {
  try {
    const [run, wait] = readFileSync("/proc/thread-self/schedstat", "utf8").split(" ").map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runMs: run! / 1e6, waitMs: wait! / 1e6 } : null;
  } catch {
    return null;
  }
}

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
// The monitor gives the longest block, not when it happened; a timer that notices its own lateness
// does, so a profile of the run can be read at the right place.
const TICK_MS = 20;
// With it, the CPU time the process used meanwhile: on a shared machine a late timer is as often
// the process waiting for a core as the app holding its thread, and only the CPU time tells which.
// The process's CPU counts every thread (the collector's helpers, the thread pool); the main
// thread's own CPU, and the time it was ready to run but waited for a core, are the scheduler's
// figures for this thread (Linux only: null elsewhere).
let blocks: { atS: number; ms: number; cpuMs: number; mainCpuMs: number | null; waitMs: number | null }[] = [];
let since = performance.now();
let lastTick = since;
let lastCpu = process.cpuUsage();
let lastMain = mainThreadTimes();
const blockWatch = setInterval(() => {
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  const main = mainThreadTimes();
  const late = now - lastTick - TICK_MS;
  if (late > 100) {
    const mainCpuMs = main && lastMain ? main.runMs - lastMain.runMs : null;
    const waitMs = main && lastMain ? main.waitMs - lastMain.waitMs : null;
    blocks.push({ atS: (now - since) / 1000, ms: late, cpuMs: (cpu.user + cpu.system) / 1000, mainCpuMs, waitMs });
  }
  lastTick = now;
  lastCpu = process.cpuUsage();
  lastMain = main;
}, TICK_MS);
let peakRss = process.memoryUsage().rss;
let peakHeapUsed = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  const now = process.memoryUsage();
  peakRss = Math.max(peakRss, now.rss);
  peakHeapUsed = Math.max(peakHeapUsed, now.heapUsed);
}, 100);

// Where the memory is as the backfill goes on: the whole of process.memoryUsage() (RSS against the
// JS heap, the memory outside it and the buffers) when the number of assessments stored since the
// reset first reaches each of these, with the peak RSS so far. A count of rows once a second is a
// search of the table's smallest index, well under a millisecond at 30,000 rows.
const MILESTONES = [100, 250, 500, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000];
type Milestone = { repositories: number; atS: number; peakRss: number; spaces: Record<string, number> } & NodeJS.MemoryUsage;
let milestones: Milestone[] = [];
const storedAssessments = () => (store.db.get<{ n: number }>(sql`select count(*) as n from assessments`)?.n ?? 0);
let storedAtReset = storedAssessments();
const milestoneWatch = setInterval(() => {
  const assessed = storedAssessments() - storedAtReset;
  const next = MILESTONES.find((m) => !milestones.some((x) => x.repositories === m));
  if (next === undefined || assessed < next) return;
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  milestones.push({ repositories: next, atS: (performance.now() - since) / 1000, ...process.memoryUsage(), peakRss, spaces });
}, 1_000);

// With BENCH_APP_ALLOCATIONS=FILE, a sampling profile of every allocation of the run (the collected
// ones too, not only what is still alive at the end) is written to FILE when the app stops: where
// the garbage that grows the heap between collections comes from.
const allocationsFile = process.env.BENCH_APP_ALLOCATIONS;
const inspector = allocationsFile ? new Session() : null;
if (inspector) {
  inspector.connect();
  await inspector.post("HeapProfiler.startSampling", { samplingInterval: 65_536, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}

const send = (message: unknown) => process.send!(message);
process.on("message", (message: Command) => {
  void (async () => {
    switch (message.cmd) {
      case "reset":
        loop.reset();
        blocks = [];
        since = performance.now();
        peakRss = process.memoryUsage().rss;
        peakHeapUsed = process.memoryUsage().heapUsed;
        milestones = [];
        storedAtReset = storedAssessments();
        send({ type: "reset" });
        return;
      case "stats":
        send({ type: "stats", maxBlockMs: loop.max / 1e6, p99BlockMs: loop.percentile(99) / 1e6, peakRss: Math.max(peakRss, process.memoryUsage().rss), rss: process.memoryUsage().rss, blocks, milestones, peakHeapUsed, memory: process.memoryUsage() });
        return;
      case "idle":
        await app.idle();
        send({ type: "idle" });
        return;
      case "stop":
        clearInterval(sampler);
        clearInterval(blockWatch);
        clearInterval(milestoneWatch);
        loop.disable();
        await app.stop();
        if (inspector && allocationsFile) writeFileSync(allocationsFile, JSON.stringify((await inspector.post("HeapProfiler.stopSampling")).profile));
        await store.close();
        rmSync(dir, { recursive: true, force: true });
        send({ type: "stopped" });
        process.exit(0);
    }
  })();
});
send({ type: "ready", webhookUrl: app.webhookUrl, secret: app.secret });
