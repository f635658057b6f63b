import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Store } from "../../src/store/store.js";
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
const dir = mkdtempSync(join(tmpdir(), "claimcheck-bench-"));
const store = await Store.open(join(dir, "bench.db"));
const app = await startApp({ githubUrl, store, concurrency: Number(concurrency ?? 4), spaceWrites: spaceWrites !== "relaxed" });

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
// The monitor gives the longest block, not when it happened; a timer that notices its own lateness
// does, so a profile of the run can be read at the right place.
const TICK_MS = 20;
// With it, the CPU time the process used meanwhile: on a shared machine a late timer is as often
// the process waiting for a core as the app holding its thread, and only the CPU time tells which.
let blocks: { atS: number; ms: number; cpuMs: number }[] = [];
let since = performance.now();
let lastTick = since;
let lastCpu = process.cpuUsage();
const blockWatch = setInterval(() => {
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  const late = now - lastTick - TICK_MS;
  if (late > 100) blocks.push({ atS: (now - since) / 1000, ms: late, cpuMs: (cpu.user + cpu.system) / 1000 });
  lastTick = now;
  lastCpu = process.cpuUsage();
}, TICK_MS);
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const send = (message: unknown) => process.send!(message);
process.on("message", (message: Command) => {
  void (async () => {
    switch (message.cmd) {
      case "reset":
        loop.reset();
        blocks = [];
        since = performance.now();
        peakRss = process.memoryUsage().rss;
        send({ type: "reset" });
        return;
      case "stats":
        send({ type: "stats", maxBlockMs: loop.max / 1e6, p99BlockMs: loop.percentile(99) / 1e6, peakRss: Math.max(peakRss, process.memoryUsage().rss), rss: process.memoryUsage().rss, blocks });
        return;
      case "idle":
        await app.idle();
        send({ type: "idle" });
        return;
      case "stop":
        clearInterval(sampler);
        clearInterval(blockWatch);
        loop.disable();
        await app.stop();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
        send({ type: "stopped" });
        process.exit(0);
    }
  })();
});
send({ type: "ready", webhookUrl: app.webhookUrl, secret: app.secret });
