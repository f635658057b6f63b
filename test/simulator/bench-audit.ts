import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { exportLines } from "../../src/audit/export.js";
import { AuditSummaries } from "../../src/audit/summary.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { Store } from "../../src/store/store.js";
import { fillTrail } from "./audit-trail-fill.js";
import { compareP95, type P95Comparison } from "./bench-compare.js";
import type { ChildMessage } from "./bench-audit-child.js";
import { sha } from "./model.js";
import { deliver, type Delivery } from "./webhooks.js";

/*
 * The audit trail's share of the webhook path: pull request → check run latency of an app whose
 * store holds an empty trail against one whose store holds `events` events (1,000,000 by
 * default). Both apps run at the same time, each in a process of its own, against one simulator
 * (a third process), and are sent each pull request at the same moment, one pair after another:
 * whatever else loads the machine loads both alike. Each check run is also charged the CPU its
 * app process used for it, which a busy machine does not inflate. Run alone with
 * `tsx test/simulator/bench-audit.ts --audit-events 1000000`, or from bench.ts with the same flag.
 * Prints figures; never a test.
 */

/* eslint-disable no-console -- a command-line program: its output is the point */

const REPOS = 20;
const PAIR_SPACING_MS = 1000;
const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

type Simulator = { url: string; installation: number; ask: <T>(command: object) => Promise<T>; stop: () => Promise<void> };

/** A child process running the simulator; `ask` sends one command and resolves with its one-line answer. */
async function simulatorProcess(repos: number, latencyMs: number): Promise<Simulator> {
  const script = fileURLToPath(new URL("./sim-process.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, "--repos", String(repos), "--latency", String(latencyMs)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on("line", (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const hello = JSON.parse(await next()) as { url: string; installation: number };
  return {
    ...hello,
    ask: async <T>(command: object) => {
      const answer = next();
      child.stdin.write(`${JSON.stringify(command)}\n`);
      return JSON.parse(await answer) as T;
    },
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.stdin.write(`${JSON.stringify({ stop: true })}\n`);
      await exited;
    },
  };
}

/** App processes not yet exited: stopped when a run fails half-way. */
const running = new Set<ChildProcess>();

type AppProcess = {
  label: string;
  webhookUrl: string;
  secret: string;
  /** Sends a command and resolves with the child's answer of the given type. */
  ask: <T extends ChildMessage["type"]>(command: object, answer: T) => Promise<Extract<ChildMessage, { type: T }>>;
  /** Resolves when the check run of `headSha` is stored, with the time and the process's CPU then. */
  checkRun: (headSha: string, timeoutMs: number) => Promise<{ at: number; micros: number }>;
};

/** An app (bench-audit-child.ts) on the store file at `dbPath`, in a process of its own. */
async function appProcess(label: string, githubUrl: string, dbPath: string, cpuProfDir: string | undefined): Promise<AppProcess> {
  const script = fileURLToPath(new URL("./bench-audit-child.ts", import.meta.url));
  // A directory per app: the loader's thread writes a profile of its own beside the app's.
  const profiling = cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${join(cpuProfDir, label)}`] : [];
  const child = fork(script, [githubUrl, dbPath], { execArgv: ["--import", "tsx", ...profiling], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<string, ((message: ChildMessage) => void)[]>();
  const stored = new Map<string, { at: number; micros: number }>();
  const storedWaiters = new Map<string, (value: { at: number; micros: number }) => void>();
  child.on("message", (message: ChildMessage) => {
    if (message.type === "check-run") {
      const value = { at: performance.now(), micros: message.micros };
      const waiter = storedWaiters.get(message.headSha);
      if (waiter) waiter(value);
      else stored.set(message.headSha, value);
      return;
    }
    waiting.get(message.type)?.shift()?.(message);
  });
  let exitCode: number | null | undefined;
  const failures = new Set<(error: Error) => void>();
  child.once("exit", (code) => {
    exitCode = code;
    for (const fail of failures) fail(new Error(`the ${label} app exited (code ${code}) while the benchmark waited for it`));
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  const next = <T extends ChildMessage["type"]>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      if (exitCode !== undefined && type !== "stopped") return reject(new Error(`the ${label} app has exited (code ${exitCode})`));
      failures.add(reject);
      const list = waiting.get(type) ?? [];
      list.push((message) => {
        failures.delete(reject);
        resolve(message as Extract<ChildMessage, { type: T }>);
      });
      waiting.set(type, list);
    });
  const ready = await next("ready");
  return {
    label,
    webhookUrl: ready.webhookUrl,
    secret: ready.secret,
    ask: async (command, answer) => {
      const reply = next(answer);
      child.send(command);
      return reply;
    },
    checkRun: (headSha, timeoutMs) =>
      new Promise((resolve, reject) => {
        const already = stored.get(headSha);
        if (already) return resolve(already);
        const fail = (error: Error) => {
          clearTimeout(timer);
          storedWaiters.delete(headSha);
          reject(error);
        };
        const timer = setTimeout(() => fail(new Error(`the ${label} app stored no check run for ${headSha} within ${timeoutMs / 1000} s (the simulator's rate limits, or the app failed it)`)), timeoutMs);
        failures.add(fail);
        storedWaiters.set(headSha, (value) => {
          failures.delete(fail);
          clearTimeout(timer);
          storedWaiters.delete(headSha);
          resolve(value);
        });
      }),
  };
}

export type TrailSetup = { events: number; fillMs: number; catchUpMs: number; catchUpCpuMs: number; summaryReadCpuMs: number; fullWalkCpuMs: number };

/** Writes the trail, brings its summary up to date as the app does, and checks that the chain verifies. */
async function prepareTrail(path: string, installationId: number, events: number, repositories: string[]): Promise<TrailSetup> {
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  let started = performance.now();
  await fillTrail(path, { installationId, events, now: new Date(), repositories });
  const fillMs = performance.now() - started;
  console.error(`  trail: ${events.toLocaleString("en-GB")} events written in ${s(fillMs)}`);
  const store = await Store.open(path);
  try {
    // The one-time catch-up (every link hashed once, in slices), as the app does after an upgrade.
    started = performance.now();
    let cpu = process.cpuUsage();
    await new AuditSummaries(store).catchUp(installationId);
    const catchUpMs = performance.now() - started;
    const catchUpCpuMs = cpuMs(cpu);
    console.error(`  trail: summary caught up in ${s(catchUpMs)}`);
    cpu = process.cpuUsage();
    await new AuditSummaries(store).refresh(installationId, new Date(Date.now() - 90 * 86_400_000));
    const summaryReadCpuMs = cpuMs(cpu);
    // What every assessment did before the summary: verify, summarise and export the whole trail.
    // The verification is also the benchmark's check that the trail it built is a sound chain.
    cpu = process.cpuUsage();
    const trail = new AuditTrail(store);
    const verified = await trail.verify(installationId);
    if (!verified.ok || verified.checked !== events) throw new Error(`the benchmark's trail does not verify: ${JSON.stringify(verified)}`);
    await trail.summary(installationId, new Date(Date.now() - 90 * 86_400_000));
    let exported = 0;
    for await (const line of exportLines(trail.events(installationId), "jsonl")) exported += line.length > 0 ? 1 : 0;
    const fullWalkCpuMs = cpuMs(cpu);
    if (exported !== events) throw new Error(`the whole-trail walk exported ${exported} of ${events} events`);
    console.error(`  trail: verified (${verified.checked.toLocaleString("en-GB")} links)`);
    return { events, fillMs, catchUpMs, catchUpCpuMs, summaryReadCpuMs, fullWalkCpuMs };
  } finally {
    await store.close();
  }
}

export type AppSide = { label: string; latencies: number[]; cpuMs: number[]; auditCpuMs: number; peakRss: number };
export type AuditBenchResult = { events: number; prs: number; latencyMs: number; setup: TrailSetup; empty: AppSide; trail: AppSide; comparison: P95Comparison };

export type AuditBenchOptions = { events: number; prs?: number; warmup?: number; latencyMs?: number; cpuProfDir?: string };

/** Runs both apps side by side and prints the comparison; the numbers are returned for a caller that prints its own. */
export async function runAuditBench(options: AuditBenchOptions): Promise<AuditBenchResult> {
  const prs = options.prs ?? 400;
  const warmup = options.warmup ?? 6;
  const latencyMs = options.latencyMs ?? 30;
  const dir = mkdtempSync(join(tmpdir(), "claimcheck-bench-audit-"));
  const sim = await simulatorProcess(REPOS, latencyMs);
  try {
    const repositories = Array.from({ length: REPOS }, (_, i) => `synthetic/repo-${String(i).padStart(5, "0")}`);
    const emptyPath = join(dir, "empty.db");
    const trailPath = join(dir, "trail.db");
    await (await Store.open(emptyPath)).close();
    const setup = await prepareTrail(trailPath, sim.installation, options.events, repositories);
    if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
    const apps = await Promise.all([appProcess("empty", sim.url, emptyPath, options.cpuProfDir), appProcess("trail", sim.url, trailPath, options.cpuProfDir)]);
    const [emptyApp, trailApp] = apps;
    const { delivery: install } = await sim.ask<{ delivery: Delivery }>({ delivery: "installation" });
    await Promise.all(apps.map((app) => deliver(app.webhookUrl, app.secret, install)));
    await Promise.all(apps.map((app) => app.ask({ cmd: "idle" }, "idle")));
    console.error(`  both apps installed; ${warmup} warm-up and ${prs} measured pull requests to both at once`);

    const sides = new Map(apps.map((app) => [app, { latencies: [] as number[], cpuMs: [] as number[] }]));
    /** One pull request to one app: its latency, and the CPU the app's process used meanwhile. */
    const one = async (app: AppProcess, delivery: Delivery, head: string) => {
      const before = (await app.ask({ cmd: "cpu" }, "cpu")).micros;
      const sent = performance.now();
      await deliver(app.webhookUrl, app.secret, delivery);
      const done = await app.checkRun(head, 120_000);
      return { latency: done.at - sent, cpuMs: (done.micros - before) / 1000 };
    };
    for (let i = 0; i < warmup + prs; i += 1) {
      if (i === warmup) await Promise.all(apps.map((app) => app.ask({ cmd: "reset" }, "reset")));
      // The same pull request to both apps at the same moment: a pair shares whatever else the
      // machine is doing. Which app is sent it first alternates.
      const order = i % 2 === 0 ? apps : [trailApp, emptyApp];
      const requests = [];
      for (const app of order) {
        const head = sha(`bench-audit-${app.label}`, i);
        const { delivery } = await sim.ask<{ delivery: Delivery }>({ delivery: "pull_request", repo: i % REPOS, head, number: 1000 + i });
        requests.push({ app, delivery, head });
      }
      const pairStarted = performance.now();
      const results = await Promise.all(requests.map((r) => one(r.app, r.delivery, r.head)));
      // At most one check run a second per app, under GitHub's 80 content creations a minute
      // (the simulator enforces it): a pull request held back by a secondary limit measures the wait.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, PAIR_SPACING_MS - (performance.now() - pairStarted))));
      if (i < warmup) continue;
      requests.forEach((r, k) => {
        sides.get(r.app)!.latencies.push(results[k]!.latency);
        sides.get(r.app)!.cpuMs.push(results[k]!.cpuMs);
      });
      if ((i + 1 - warmup) % 50 === 0) console.error(`  ${i + 1 - warmup} of ${prs} pairs`);
    }
    for (const app of apps) await app.ask({ cmd: "idle" }, "idle");

    const side = async (app: AppProcess): Promise<AppSide> => {
      const auditCpuMs = (await app.ask({ cmd: "audit-cpu", installationId: sim.installation, repository: repositories[0]!, rounds: 50 }, "audit-cpu")).ms;
      const peakRss = (await app.ask({ cmd: "stats" }, "stats")).peakRss;
      return { label: app.label, ...sides.get(app)!, auditCpuMs, peakRss };
    };
    const empty = await side(emptyApp);
    const trail = await side(trailApp);
    await Promise.all(apps.map((app) => app.ask({ cmd: "stop" }, "stopped")));
    const comparison = compareP95(empty, trail);
    const result: AuditBenchResult = { events: options.events, prs, latencyMs, setup, empty, trail, comparison };
    printResult(result);
    return result;
  } finally {
    for (const child of running) child.kill();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printResult(r: AuditBenchResult): void {
  const c = r.comparison;
  const events = `${r.events.toLocaleString("en-GB")} events`;
  console.log(`\nAudit trail and the webhook path: two apps side by side, each pull request to both at once (${r.prs} pairs, ${r.latencyMs} ms a request; simulator in its own process)`);
  for (const [name, side, stats] of [["empty trail", r.empty, c.empty], [events, r.trail, c.trail]] as const) {
    console.log(
      `${name.padEnd(18)} pull request → check run p50 ${Math.round(stats.p50)} ms, p95 ${Math.round(stats.p95)} ms; app CPU per check run mean ${stats.cpuMean.toFixed(1)} ms (median ${stats.cpuMedian.toFixed(1)}); the trail's CPU per assessment ${side.auditCpuMs.toFixed(2)} ms; app peak RSS ${mb(side.peakRss)}`,
    );
  }
  console.log(`p95 ${events} / empty: ${c.p95Ratio.toFixed(3)} (95 % interval ${c.p95Interval[0].toFixed(3)}–${c.p95Interval[1].toFixed(3)}); CPU per check run: ${c.cpuRatio.toFixed(3)} (${c.cpuInterval[0].toFixed(3)}–${c.cpuInterval[1].toFixed(3)})`);
  console.log(`verdict: ${c.verdict}`);
  const t = r.setup;
  console.log(`setup: ${events} written in ${s(t.fillMs)}; the summary's one-time catch-up ${s(t.catchUpMs)} wall (${s(t.catchUpCpuMs)} CPU); a summary read once caught up ${t.summaryReadCpuMs.toFixed(1)} ms CPU; the whole-trail walk each assessment did before ${s(t.fullWalkCpuMs)} CPU`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { "audit-events": { type: "string", default: "1000000" }, prs: { type: "string", default: "400" }, warmup: { type: "string", default: "6" }, latency: { type: "string", default: "30" }, "cpu-prof": { type: "string" } } });
  await runAuditBench({ events: Number(values["audit-events"]), prs: Number(values.prs), warmup: Number(values.warmup), latencyMs: Number(values.latency), ...(values["cpu-prof"] ? { cpuProfDir: resolve(values["cpu-prof"]) } : {}) });
}
