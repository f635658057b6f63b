import { fork, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import type { BenchStage, Figure, StageContext } from "./bench-figures.js";
import { mb, ms, percentile } from "./bench-figures.js";
import { generateScenario } from "./generate.js";
import { sha, type Model } from "./model.js";
import { parseScenario } from "./scenario.js";
import { startSimulator, type Simulator } from "./server.js";
import { deliver, installationCreated, pullRequestOpened } from "./webhooks.js";

/*
 * The app as deployed, in its own process, against the simulator in this one: pull request →
 * check run latency idle and during an installation backfill, the app's longest event-loop block
 * and peak RSS during the backfill, and a second pass over the unchanged organisation (its REST
 * reads answered 304, not charged).
 */

/**
 * A stretch of the app's event loop over 100 ms: when it ended (seconds after the reset), how long
 * it was, the CPU the whole process used meanwhile and, on Linux, the main thread's own CPU and its
 * time waiting for a core (null elsewhere).
 */
type Block = { atS: number; ms: number; cpuMs: number; mainCpuMs: number | null; waitMs: number | null };
/** The app's memory when the backfill had stored this many assessments (process.memoryUsage(), and the peak RSS so far). */
type Milestone = { repositories: number; atS: number; peakRss: number; rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; spaces?: Record<string, number> };
type ChildMessage = { type: string; webhookUrl?: string; secret?: string; maxBlockMs?: number; p99BlockMs?: number; peakRss?: number; peakHeapUsed?: number; rss?: number; blocks?: Block[]; milestones?: Milestone[] };

/**
 * How much lower than the app's the simulator's scheduling priority is (a nice value): GitHub never
 * shares the app's cores in production, but here the simulator and the app share two. When both
 * want a core the app gets it about nine times in ten (Linux's weights for nice 0 against 10), so a
 * late timer in the app is the app's own work or the rest of the machine, hardly the simulator.
 */
const SIMULATOR_NICENESS = 10;

/**
 * Sets every thread of a process (this one by default) to `nice`: on Linux a priority is a
 * thread's, so the collector's and the thread pool's threads are set one by one; threads started
 * later inherit the priority of the thread that starts them. Returns what it could not do, for
 * the progress line, or null.
 */
function setThreadsPriority(nice: number, pid: number | "self" = "self"): string | null {
  let threads: number[];
  try {
    threads = readdirSync(`/proc/${pid}/task`).map(Number).filter(Number.isInteger);
  } catch {
    threads = [pid === "self" ? 0 : pid];
  }
  try {
    for (const tid of threads) setPriority(tid, nice);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Sets every thread of this process (the simulator's, the pull requests' sender's); called after the app's process is started, which keeps its own priority. */
const setOwnPriority = (nice: number) => setThreadsPriority(nice);

class AppProcess {
  private waiting = new Map<string, (m: ChildMessage) => void>();
  private constructor(readonly child: ChildProcess) {
    child.on("message", (m: ChildMessage) => {
      const resolve = this.waiting.get(m.type);
      this.waiting.delete(m.type);
      resolve?.(m);
    });
  }

  static async start(githubUrl: string, ctx: StageContext): Promise<{ app: AppProcess; webhookUrl: string; secret: string; raisedBy: number; priorityFailure: string | null }> {
    // A profile sampled every 2 ms: blocks worth finding are 100 ms and more, and a backfill of
    // thousands of repositories sampled every 1 ms (the default) makes a file too large to open.
    const profile = ctx.profileApp ? ["--cpu-prof", "--cpu-prof-dir", ctx.profileApp, "--cpu-prof-interval", "2000"] : [];
    const child = fork(fileURLToPath(new URL("./bench-app-child.ts", import.meta.url)), [githubUrl, String(ctx.concurrency), ctx.relaxed ? "relaxed" : "production"], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [...process.execArgv, ...profile] });
    const app = new AppProcess(child);
    // Raised at once, so the threads the app starts from its main thread inherit it, then every
    // thread again once it is ready (those Node started before this line ran).
    const raised = ctx.appPriority === null || child.pid === undefined ? null : () => setThreadsPriority(getPriority() - ctx.appPriority!, child.pid!);
    const early = raised?.() ?? null;
    const ready = await app.next("ready");
    const failed = early ?? raised?.() ?? null;
    return { app, webhookUrl: ready.webhookUrl!, secret: ready.secret!, raisedBy: ctx.appPriority !== null && failed === null ? ctx.appPriority : 0, priorityFailure: failed };
  }

  private next(type: string): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      this.waiting.set(type, resolve);
      this.child.once("exit", (code) => reject(new Error(`the app process exited (${code}) while the benchmark waited for "${type}"`)));
    });
  }

  async ask(cmd: "reset" | "stats" | "idle" | "stop", answer = cmd === "stop" ? "stopped" : cmd): Promise<ChildMessage> {
    const reply = this.next(answer);
    this.child.send({ cmd });
    return reply;
  }
}

/** Pull requests opened one every `gapMs`, while `until` is not done (or `count` are sent); each one's check-run latency. */
async function pullRequests(sim: Simulator, webhookUrl: string, secret: string, opts: { count: number; gapMs: number; tag: string; until?: Promise<unknown>; onLost?: (reason: string) => void }): Promise<number[]> {
  let done = false;
  void opts.until?.then(() => (done = true));
  const sent = new Map<string, number>();
  const model: Model = sim.model;
  for (let i = 0; i < opts.count && !(opts.until && done); i += 1) {
    const repo = model.repoList[(i * 7) % model.repoList.length]!;
    const head = sha(opts.tag, i);
    sent.set(head, Date.now());
    // A delivery the connection dropped is a pull request whose check run never comes (counted so,
    // as GitHub would not redeliver it either), not the end of a run of half an hour.
    await deliver(webhookUrl, secret, pullRequestOpened(model, repo, head, 10_000 + i)).catch((error: unknown) => opts.onLost?.(error instanceof Error ? error.message : String(error)));
    await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  // Every check run is waited for (up to two minutes): one not yet published is not left out of the percentiles.
  const published = () => new Map(model.checkRuns.filter((c) => sent.has(c.head_sha)).map((c) => [c.head_sha, c.createdAt.getTime()]));
  for (let waited = 0; published().size < sent.size && waited < 120_000; waited += 250) await new Promise((r) => setTimeout(r, 250));
  const runs = published();
  return [...sent].map(([head, at]) => (runs.has(head) ? runs.get(head)! - at : Number.POSITIVE_INFINITY));
}

function latencies(values: number[]): { p50: number; p95: number; seen: number; sent: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), seen: values.filter(Number.isFinite).length, sent: values.length };
}

type Counts = { rest: number; auth: number; graphql: number; points: number; notModified: number };

/** What GitHub was asked since `from` (app authentication apart: it is not an assessment's cost). */
function countsSince(sim: Simulator, from: Counts | null = null): Counts {
  const auth = Object.entries(sim.stats.byRoute).filter(([k]) => k.startsWith("POST /app/")).reduce((n, [, v]) => n + v, 0);
  const now = { rest: sim.stats.rest, auth, graphql: sim.stats.graphql, points: sim.stats.graphqlCost, notModified: sim.stats.notModified };
  if (!from) return now;
  return { rest: now.rest - from.rest, auth: now.auth - from.auth, graphql: now.graphql - from.graphql, points: now.points - from.points, notModified: now.notModified - from.notModified };
}

/**
 * The longest blocks over 100 ms, with when they ended (which part of the backfill to look at in
 * a profile) and the CPU time the process used during each (all its threads, the collector's too):
 * far less CPU than wall time is the process waiting for a core, not the app holding its thread.
 */
/** RSS at points of the backfill and what grew per 1,000 repositories between the first and the last. */
function describeMemory(milestones: readonly Milestone[], peakHeapUsed: number): string {
  if (milestones.length === 0) return "no memory samples";
  const points = milestones.map((m) => `${m.repositories.toLocaleString("en-GB")}: RSS ${mb(m.rss)} (peak so far ${mb(m.peakRss)}), heap ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)}, array buffers ${mb(m.arrayBuffers)}${m.spaces ? ` [${Object.entries(m.spaces).filter(([, v]) => v >= 1024 * 1024).map(([k, v]) => `${k.replace(/_space$/, "")} ${mb(v)}`).join(", ")}]` : ""}`);
  const first = milestones[0]!;
  const last = milestones.at(-1)!;
  const per1000 = last.repositories > first.repositories ? ((last.peakRss - first.peakRss) / (last.repositories - first.repositories)) * 1000 : Number.NaN;
  return `${points.join("; ")}; peak RSS growth ${Number.isFinite(per1000) ? mb(per1000) : "—"} per 1,000 repositories from ${first.repositories.toLocaleString("en-GB")} to ${last.repositories.toLocaleString("en-GB")}; peak JS heap used ${mb(peakHeapUsed)}`;
}

/**
 * The CPU of a block: the main thread's own, its wait for a core and the rest of the stretch,
 * when it neither ran nor waited for a core (asleep: on the disk, a lock, the collector's helper
 * threads), where known; the whole process's CPU always.
 */
function blockCpu(b: Block): string {
  if (b.mainCpuMs === null) return `${ms(b.cpuMs)} CPU`;
  const asleep = Math.max(0, b.ms - b.mainCpuMs - (b.waitMs ?? 0));
  return `main thread ${ms(b.mainCpuMs)} CPU, ${ms(b.waitMs ?? Number.NaN)} waiting for a core, ${ms(asleep)} asleep; process ${ms(b.cpuMs)} CPU`;
}

/** The main thread's CPU where known, else the process's (which includes the main thread's). */
const ownCpu = (b: Block) => b.mainCpuMs ?? b.cpuMs;

function describeBlocks(blocks: readonly Block[]): string {
  if (blocks.length === 0) return "no block over 100 ms";
  const longest = [...blocks].sort((a, b) => b.ms - a.ms).slice(0, 5);
  const busiest = [...blocks].sort((a, b) => ownCpu(b) - ownCpu(a))[0]!;
  return `${blocks.length} blocks over 100 ms, the longest ${longest.map((b) => `${ms(b.ms)} at +${b.atS.toFixed(0)} s (${blockCpu(b)})`).join(", ")}; the most CPU in one: ${blockCpu(busiest)} in ${ms(busiest.ms)}`;
}

/**
 * The longest block beside the CPU its stretch used: the monitor's maximum is wall time, which on
 * a shared machine includes the app waiting for a core; the timer's longest stretch says how much
 * of it was the app's own work.
 */
function longestBlock(maxMs: number, blocks: readonly Block[]): string {
  const longest = [...blocks].sort((a, b) => b.ms - a.ms)[0];
  return longest ? `${ms(maxMs)} (its stretch: ${blockCpu(longest)})` : ms(maxMs);
}

/**
 * `passes`: 3 (the default) is the first backfill alone, a second pass alone, then a third with
 * pull requests; 2 sends the pull requests during the first backfill and leaves out the third pass
 * (at 10,000 repositories each pass is 20 minutes or more). The first backfill's cost per
 * repository then includes the pull requests' own reads.
 */
export function appStage(repositories: number, passes: 2 | 3 = 3): BenchStage {
  return {
    name: `app (${repositories.toLocaleString("en-GB")}-repository installation)`,
    async run(ctx) {
      const figures: Figure[] = [];
      ctx.progress(`app: starting the simulator (${repositories} repositories) and the app in its own process`);
      // Issues off: their writes wait on GitHub's content-creation limit (80 a minute), which would
      // time GitHub, not claimcheck. What issues cost claimcheck is shown by test/app/issue-run-reads.test.ts.
      // GitHub's 500 creations an hour raised too: a pull request every 2 s through a backfill of
      // 10,000 (20 minutes here) makes more check runs than that, and the refused ones would time
      // GitHub's limit (their check runs never come) instead of claimcheck.
      const sim = await startSimulator(parseScenario(generateScenario({ repos: repositories, seed: 7, orgConfig: "issues:\n  enabled: false\n" })), { latencyMs: ctx.latencyMs, primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 }, secondary: { contentPerHour: 1e9 } });
      const { app, webhookUrl, secret, raisedBy, priorityFailure } = await AppProcess.start(sim.url, ctx);
      const ownPriority = getPriority();
      const appNice = ownPriority - raisedBy;
      const priority = raisedBy > 0 ? `the app at nice ${appNice}, raised by ${raisedBy} (--app-priority)` : priorityFailure === null ? `the app at the benchmark's nice ${ownPriority}` : `the app's priority not raised (${priorityFailure}): taken without it`;
      const lowered = setOwnPriority(ownPriority + SIMULATOR_NICENESS);
      ctx.progress(lowered === null ? `app: the simulator runs at nice ${ownPriority + SIMULATOR_NICENESS}, the app at ${appNice}` : `app: the simulator's priority could not be lowered (${lowered}); it competes with the app for the cores`);
      if (priorityFailure !== null) ctx.progress(`app: the app's priority could not be raised (${priorityFailure}): the figures are taken without it, the app sharing the cores with the rest of the machine`);
      try {
        const per = (n: number) => (n / repositories).toFixed(2);
        const backfill = async (label: string, during?: (done: Promise<unknown>) => Promise<number[]>) => {
          const before = countsSince(sim);
          const started = Date.now();
          await deliver(webhookUrl, secret, installationCreated(sim.model));
          const done = app.ask("idle");
          const ticker = setInterval(() => ctx.progress(`app: ${label}: ${Math.round((Date.now() - started) / 1000)} s, ${sim.stats.graphql - before.graphql} GraphQL queries so far`), 15_000);
          const prs = during ? await during(done) : [];
          await done;
          clearInterval(ticker);
          return { counts: countsSince(sim, before), wall: (Date.now() - started) / 1000, prs };
        };

        ctx.progress("app: pull request → check run, idle (20 pull requests, 2 s apart)");
        const idle = latencies(await pullRequests(sim, webhookUrl, secret, { count: 20, gapMs: 2_000, tag: "idle" }));
        await app.ask("idle");

        // With 2 passes the pull requests come during the first backfill (the one an installation
        // starts with), and the second pass is alone: the figures of the backfill are then those of
        // an app that serves pull requests meanwhile, as in production.
        const prsDuring = (done: Promise<unknown>) => pullRequests(sim, webhookUrl, secret, { count: 2_000, gapMs: 2_000, tag: "during", until: done, onLost: (reason) => ctx.progress(`app: a pull request's delivery failed (${reason}); its check run is counted as never published`) });
        ctx.progress(`app: installation backfill of ${repositories} repositories, ${passes === 2 ? "with a pull request every 2 s meanwhile" : "alone"}`);
        await app.ask("reset");
        const first = await backfill("first backfill", passes === 2 ? prsDuring : undefined);
        const stats = await app.ask("stats");
        ctx.progress(`app: first backfill: ${first.wall.toFixed(0)} s, peak RSS ${mb(stats.peakRss ?? 0)}, longest block ${longestBlock(stats.maxBlockMs ?? Number.NaN, stats.blocks ?? [])} (p99 ${ms(stats.p99BlockMs ?? Number.NaN)}); ${describeMemory(stats.milestones ?? [], stats.peakHeapUsed ?? 0)}; ${describeBlocks(stats.blocks ?? [])}`);
        if (passes === 2) {
          const early = latencies(first.prs);
          ctx.progress(`app: webhook → check run idle p50 / p95 ${ms(idle.p50)} / ${ms(idle.p95)}; during the first backfill ${ms(early.p50)} / ${ms(early.p95)} (${early.seen} of ${early.sent} PRs)`);
        }

        ctx.progress(`app: second pass over the unchanged organisation (${repositories} repositories), alone`);
        const second = await backfill("second pass");

        // As often as the idle ones came: the webhook lane's own load stays what it was idle, so the
        // difference is what the backfill costs a pull request.
        let third = first;
        let thirdStats = stats;
        if (passes === 3) {
          ctx.progress(`app: a third pass, with a pull request every 2 s meanwhile`);
          await app.ask("reset");
          third = await backfill("backfill with pull requests", prsDuring);
          thirdStats = await app.ask("stats");
        }
        const during = latencies(third.prs);
        const unchanged = second;

        const charged = (c: Counts) => c.rest - c.auth;
        figures.push(
          { name: "webhook → check run p50 / p95, idle", measured: `${ms(idle.p50)} / ${ms(idle.p95)} (${idle.seen} of ${idle.sent} PRs)`, target: "—", met: null },
          { name: "webhook → check run p50 / p95, during a backfill", measured: `${ms(during.p50)} / ${ms(during.p95)} (${during.seen} of ${during.sent} PRs)`, target: `p95 ≤ 2 × idle (${ms(2 * idle.p95)})`, met: during.sent > 0 ? during.p95 <= 2 * idle.p95 : null },
          { name: "app event loop, longest block during the backfill", measured: longestBlock(stats.maxBlockMs ?? Number.NaN, stats.blocks ?? []), target: "≤ 100 ms", met: (stats.maxBlockMs ?? Infinity) <= 100, note: `${priority}; p99 ${ms(stats.p99BlockMs ?? Number.NaN)}; the backfill of ${repositories} took ${first.wall.toFixed(0)} s; ${describeBlocks(stats.blocks ?? [])}` },
          { name: "app process peak RSS during the backfill", measured: mb(stats.peakRss ?? 0), target: "≤ 300 MB", met: (stats.peakRss ?? Infinity) <= 300 * 1024 * 1024, note: describeMemory(stats.milestones ?? [], stats.peakHeapUsed ?? 0) },
          ...(passes === 3 ? [{ name: "app process peak RSS, pass with pull requests", measured: mb(thirdStats.peakRss ?? 0), target: "≤ 300 MB", met: (thirdStats.peakRss ?? Infinity) <= 300 * 1024 * 1024, note: `longest block ${ms(thirdStats.maxBlockMs ?? Number.NaN)}, p99 ${ms(thirdStats.p99BlockMs ?? Number.NaN)}; ${describeMemory(thirdStats.milestones ?? [], thirdStats.peakHeapUsed ?? 0)}` }] : []),
          { name: "backfill: REST / GraphQL / points per repository", measured: `${per(charged(first.counts))} / ${per(first.counts.graphql)} / ${per(first.counts.points)}`, target: "≤ 6 REST, ≤ 3 points", met: charged(first.counts) / repositories <= 6 && first.counts.points / repositories <= 3, note: `${first.counts.notModified} REST reads answered 304 (ETags of the idle pull requests' reads)${passes === 2 ? `; the ${first.prs.length} pull requests' own reads included` : ""}` },
          {
            name: "second pass: REST reads answered 304",
            measured: `${unchanged.counts.notModified} of ${unchanged.counts.notModified + charged(unchanged.counts)} (${((100 * unchanged.counts.notModified) / Math.max(1, unchanged.counts.notModified + charged(unchanged.counts))).toFixed(0)} %)`,
            target: "unchanged reads answered 304",
            met: null,
            note: `charged per repository: ${per(charged(unchanged.counts))} REST + ${per(unchanged.counts.points)} GraphQL points (${per(unchanged.counts.graphql)} queries); ${unchanged.wall.toFixed(0)} s`,
          },
        );
      } finally {
        await app.ask("stop").catch(() => undefined);
        await sim.stop();
        // Raising a priority back needs the privilege to; without it the later stages run lowered.
        const restored = setOwnPriority(ownPriority);
        if (restored !== null) ctx.progress(`app: the benchmark's priority could not be restored (${restored}); the stages after this one run at a lower priority`);
      }
      return figures;
    },
  };
}
