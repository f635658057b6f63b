import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPOSITORY_JOBS } from "../../src/app/repository-jobs.js";
import { queueSchemaFor } from "../../src/queue/postgres-schema.js";
import { withClient } from "../helpers/postgres.js";
import { mb, ms, type BenchStage, type Figure, type StageContext } from "./bench-figures.js";
import { generateScenario } from "./generate.js";
import { sha } from "./model.js";
import type { ReplicaStats } from "./replica-child.js";
import { startReplicas } from "./replicas.js";
import { parseScenario } from "./scenario.js";
import { startSimulator } from "./server.js";
import { deliver, installationCreated, pullRequestOpened } from "./webhooks.js";

/*
 * `--replicas N`: the app as N processes on one PostgreSQL database (store, job queue, shared
 * limits), webhooks spread round-robin over them, beside the single process on SQLite — the same
 * installation backfill and the same burst of pull requests for each. Throughput (repositories
 * and check runs a second) and each process's share of the jobs, peak RSS and longest event-loop
 * block. On a machine with fewer cores than processes the replicas share the cores, so the
 * throughput says what the database and the queue cost, not what more machines would give.
 */

const PULL_REQUESTS = 40;

type Run = { label: string; repositories: number; backfillS: number; checkRunsS: number; checkRunsSeen: number; replicas: ReplicaStats[] };

/** One deployment: `count` processes on `databaseUrl`, a backfill of `repositories` and a burst of pull requests. */
async function measure(label: string, count: number, databaseUrl: string, repositories: number, ctx: StageContext): Promise<Run> {
  // GitHub's hourly budgets lifted, as in the app stage: the figures are claimcheck's, not a wait for GitHub's reset.
  const sim = await startSimulator(parseScenario(generateScenario({ repos: repositories, seed: 7, orgConfig: "issues:\n  enabled: false\n" })), { latencyMs: ctx.latencyMs, primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 }, secondary: { contentPerHour: 1e9 } });
  try {
    const replicas = await startReplicas(count, { githubUrl: sim.url, databaseUrl, concurrency: ctx.concurrency, spaceWrites: !ctx.relaxed });
    try {
      const idle = () => Promise.all(replicas.map((r) => r.idle()));
      ctx.progress(`replicas: ${label}: installation backfill of ${repositories} repositories`);
      let started = Date.now();
      const first = replicas[0]!;
      await deliver(first.webhookUrl, first.secret, installationCreated(sim.model));
      await idle();
      const backfillS = (Date.now() - started) / 1000;

      ctx.progress(`replicas: ${label}: ${PULL_REQUESTS} pull requests at once, round-robin`);
      const heads = new Set<string>();
      started = Date.now();
      await Promise.all(
        Array.from({ length: PULL_REQUESTS }, (_, i) => {
          const replica = replicas[i % replicas.length]!;
          const head = sha("replicas-bench", i);
          heads.add(head);
          return deliver(replica.webhookUrl, replica.secret, pullRequestOpened(sim.model, sim.model.repoList[i % sim.model.repoList.length]!, head, 20_000 + i));
        }),
      );
      const seen = () => new Set(sim.model.checkRuns.filter((c) => heads.has(c.head_sha)).map((c) => c.head_sha)).size;
      for (let waited = 0; seen() < heads.size && waited < 300_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      const checkRunsS = (Date.now() - started) / 1000;
      await idle();
      return { label, repositories: sim.model.repoList.length, backfillS, checkRunsS, checkRunsSeen: seen(), replicas: await Promise.all(replicas.map((r) => r.stats())) };
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  } finally {
    await sim.stop();
  }
}

function figuresOf(run: Run): Figure[] {
  const repositories = run.repositories;
  const jobs = (s: ReplicaStats) => Object.values(s.jobs).reduce((a, b) => a + b, 0);
  return [
    {
      name: `${run.label}: backfill throughput`,
      measured: `${(repositories / run.backfillS).toFixed(1)} repositories/s`,
      target: "—",
      met: null,
      note: `${repositories} repositories (the organisation's .github among them) in ${run.backfillS.toFixed(0)} s`,
    },
    {
      name: `${run.label}: check runs`,
      measured: `${(run.checkRunsSeen / run.checkRunsS).toFixed(1)} check runs/s`,
      target: "—",
      met: run.checkRunsSeen === PULL_REQUESTS ? null : false,
      note: `${run.checkRunsSeen} of ${PULL_REQUESTS} pull requests sent at once had their check run after ${run.checkRunsS.toFixed(0)} s`,
    },
    ...run.replicas.map((s, i) => ({
      name: `${run.label}: process ${i + 1}`,
      measured: `${jobs(s)} jobs (${s.jobs[REPOSITORY_JOBS.backfillRepository] ?? 0} backfill repositories, ${s.jobs[REPOSITORY_JOBS.checkRun] ?? 0} check runs), peak RSS ${mb(s.peakRss)}, longest block ${ms(s.maxBlockMs)}`,
      target: "≤ 300 MB, ≤ 100 ms",
      met: s.peakRss <= 300 * 1024 * 1024 && s.maxBlockMs <= 100,
    })),
  ];
}

/** The stage: `replicas` processes on PostgreSQL at `databaseUrl`, then one on SQLite. */
export function replicasStage(replicas: number, databaseUrl: string | null, repositories: number): BenchStage {
  return {
    name: "replicas",
    async run(ctx) {
      if (!databaseUrl) throw new Error("--replicas needs PostgreSQL: set TEST_DATABASE_URL or pass --database-url postgres://…");
      const schema = `bench_replicas_${randomBytes(6).toString("hex")}`;
      // The queue the replicas derive from their store's schema (as main.ts does).
      const queueSchema = queueSchemaFor(schema);
      await withClient(databaseUrl, (c) => c.query(`CREATE SCHEMA "${schema}"`));
      const url = new URL(databaseUrl);
      url.searchParams.set("options", `-c search_path=${schema}`);
      const figures: Figure[] = [];
      try {
        figures.push(...figuresOf(await measure(`${replicas} replicas, PostgreSQL`, replicas, url.toString(), repositories, ctx)));
      } finally {
        await withClient(databaseUrl, async (c) => {
          await c.query(`DROP SCHEMA IF EXISTS "${queueSchema}" CASCADE`);
          await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        });
      }
      const dir = mkdtempSync(join(tmpdir(), "claimcheck-bench-replicas-"));
      try {
        figures.push(...figuresOf(await measure("1 process, SQLite", 1, join(dir, "bench.db"), repositories, ctx)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return figures;
    },
  };
}
