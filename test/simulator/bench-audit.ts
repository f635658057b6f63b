import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { canonicalJson, GENESIS_HASH } from "../../src/audit/canonical.js";
import { AuditSummaries } from "../../src/audit/summary.js";
import { linkHash } from "../../src/audit/trail.js";
import { auditEvents } from "../../src/store/schema.js";
import { Store } from "../../src/store/store.js";
import { startApp } from "./app-harness.js";
import { deliver, type Delivery } from "./webhooks.js";
import { sha } from "./model.js";
import { auditFindings } from "../../src/audit/evidence.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { exportLines } from "../../src/audit/export.js";

/*
 * The audit trail's share of the webhook path: pull request → check run latency with an empty
 * trail and with one of `events` events (1,000,000 by default), and the app process's own peak
 * RSS — the simulator runs in a child process (sim-process.ts). Run alone with
 * `tsx test/simulator/bench-audit.ts --audit-events 1000000`, or from bench.ts with the same flag.
 * Prints figures; never a test.
 */

/* eslint-disable no-console -- a command-line program: its output is the point */

const KINDS = ["branch_protection_rule.edited", "repository_ruleset.edited", "member.added", "team_add", "push.force", "repository.privatized", "deploy_key.created", "organization.member_added"];
const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

/** A child process running the simulator; `ask` sends one command and resolves with its one-line answer. */
async function simulatorProcess(repos: number, latencyMs: number): Promise<{ url: string; installation: number; ask: <T>(command: object) => Promise<T>; stop: () => Promise<void> }> {
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

/** Appends `count` chained events straight into the store, in large transactions (the bench's setup, not the app's path). */
export function fillTrail(store: Store, installationId: number, count: number, now: Date): void {
  let prevHash = GENESIS_HASH;
  const span = 400 * 86_400_000;
  const CHUNK = 500;
  for (let start = 0; start < count; start += CHUNK * 20) {
    store.db.transaction((tx) => {
      for (let chunk = start; chunk < Math.min(count, start + CHUNK * 20); chunk += CHUNK) {
        const rows = [];
        for (let i = chunk; i < Math.min(count, chunk + CHUNK); i += 1) {
          const at = new Date(now.getTime() - span + Math.floor((i / count) * span)).toISOString();
          const row = {
            installationId,
            seq: i + 1,
            source: "webhook" as const,
            sourceId: `bench-${i}`,
            kind: KINDS[i % KINDS.length]!,
            actor: `user-${i % 97}`,
            target: `target ${i % 1000}`,
            repository: `synthetic/repo-${i % 20}`,
            before: null,
            after: canonicalJson({ i }),
            occurredAt: at,
            recordedAt: at,
            prevHash,
          };
          const hash = linkHash(row);
          rows.push({ ...row, hash });
          prevHash = hash;
        }
        tx.insert(auditEvents).values(rows).run();
      }
    });
  }
}

type Phase = { label: string; latencies: number[]; peakRss: number; firstSummaryMs: number | null; catchUpMs: number | null; auditCpuMs: number; fullWalkMs: number | null };

async function measure(label: string, events: number, prs: number, latencyMs: number): Promise<Phase> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "claimcheck-bench-audit-"));
  const sim = await simulatorProcess(20, latencyMs);
  const store = Store.open(join(dir, "claimcheck.db"));
  let firstSummaryMs: number | null = null;
  if (events > 0) {
    const started = performance.now();
    fillTrail(store, sim.installation, events, new Date());
    console.error(`  ${label}: ${events} events written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const done = new Map<string, number>();
  const record = store.recordAssessment.bind(store);
  store.recordAssessment = (r) => {
    if (r.headSha && r.checkRunId !== undefined) done.set(r.headSha, performance.now());
    return record(r);
  };
  const app = await startApp({ githubUrl: sim.url, store, spaceWrites: false });
  const { delivery: install } = await sim.ask<{ delivery: Delivery }>({ delivery: "installation" });
  await deliver(app.webhookUrl, app.secret, install);
  await app.idle();
  console.error(`  ${label}: installed and assessed after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  let catchUpMs: number | null = null;
  let fullWalkMs: number | null = null;
  if (events > 0) {
    // The one-time catch-up (every link hashed once, in slices off the webhook path), then a read as an assessment does it.
    const started = performance.now();
    await new AuditSummaries(store).catchUp(sim.installation);
    catchUpMs = performance.now() - started;
    const cpuBefore = process.cpuUsage();
    new AuditSummaries(store).refresh(sim.installation, new Date(Date.now() - 90 * 86_400_000));
    const cpuSummary = process.cpuUsage(cpuBefore);
    firstSummaryMs = (cpuSummary.user + cpuSummary.system) / 1000;
    // What every assessment used to do: walk, hash and export the whole trail.
    const walkBefore = process.cpuUsage();
    const trail = new AuditTrail(store);
    trail.verify(sim.installation);
    trail.summary(sim.installation, new Date(Date.now() - 90 * 86_400_000));
    let exported = 0;
    for (const line of exportLines(trail.events(sim.installation), "jsonl")) exported += line.length > 0 ? 1 : 0;
    const walk = process.cpuUsage(walkBefore);
    if (exported !== events) console.error(`  ${label}: the walk exported ${exported} of ${events} events`);
    fullWalkMs = (walk.user + walk.system) / 1000;
  }
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const sent = new Map<string, number>();
  for (let i = 0; i < prs; i += 1) {
    const head = sha(`bench-audit-${label}`, i);
    const { delivery } = await sim.ask<{ delivery: Delivery }>({ delivery: "pull_request", repo: i % 20, head, number: 1000 + i });
    sent.set(head, performance.now());
    await deliver(app.webhookUrl, app.secret, delivery);
    await new Promise((r) => setTimeout(r, 250));
  }
  await app.idle();
  clearInterval(sampler);
  console.error(`  ${label}: pull requests done after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // The audit trail's share of one assessment, in CPU time (robust to a busy machine): its
  // evidence and the check run's recent changes, as the pipeline reads them.
  const cpuStart = process.cpuUsage();
  const ROUNDS = 50;
  for (let i = 0; i < ROUNDS; i += 1) {
    auditFindings(store, sim.installation, { now: new Date(), since: new Date(Date.now() - 90 * 86_400_000), org: "synthetic" });
    // The simulated repositories have no event in the filled trail: the worst case for this lookup.
    new AuditTrail(store).latest(sim.installation, 10, `synthetic/repo-${String(i % 20).padStart(5, "0")}`);
  }
  const cpu = process.cpuUsage(cpuStart);
  const auditCpuMs = (cpu.user + cpu.system) / 1000 / ROUNDS;
  const latencies = [...sent].flatMap(([head, at]) => (done.has(head) ? [done.get(head)! - at] : [])).sort((a, b) => a - b);
  await app.stop();
  store.close();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
  return { label, latencies, peakRss: peak, firstSummaryMs, catchUpMs, auditCpuMs, fullWalkMs };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Runs both phases and prints the comparison; the numbers are returned for a caller that prints its own. */
export async function runAuditBench(options: { events: number; prs?: number; latencyMs?: number }): Promise<Phase[]> {
  const prs = options.prs ?? 40;
  const latencyMs = options.latencyMs ?? 30;
  const phases = [await measure("empty", 0, prs, latencyMs), await measure("trail", options.events, prs, latencyMs)];
  console.log(`\nAudit trail and the webhook path (${latencyMs} ms a request; simulator in its own process; the app's RSS only)`);
  for (const p of phases) {
    const name = p.label === "empty" ? "empty trail" : `${options.events.toLocaleString("en-GB")} events`;
    console.log(`${name.padEnd(18)} pull request → check run (${p.latencies.length} of ${prs}): p50 ${Math.round(pct(p.latencies, 50))} ms, p95 ${Math.round(pct(p.latencies, 95))} ms; audit trail's CPU time per assessment ${p.auditCpuMs.toFixed(2)} ms; app peak RSS during the pull requests ${mb(p.peakRss)}${p.firstSummaryMs !== null ? `; one-time catch-up ${((p.catchUpMs ?? 0) / 1000).toFixed(1)} s wall; a summary read ${p.firstSummaryMs.toFixed(1)} ms CPU; the whole-trail walk each assessment did before ${((p.fullWalkMs ?? 0) / 1000).toFixed(1)} s CPU` : ""}`);
  }
  return phases;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { "audit-events": { type: "string", default: "1000000" }, prs: { type: "string", default: "40" }, latency: { type: "string", default: "30" } } });
  await runAuditBench({ events: Number(values["audit-events"]), prs: Number(values.prs), latencyMs: Number(values.latency) });
}
