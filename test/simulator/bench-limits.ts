/* eslint-disable no-console -- a command-line program: its output is the point */
import { cpuUsage, memoryUsage } from "node:process";
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/node-postgres";
import { PostgresOrgEvidence } from "../../src/app/org-evidence-postgres.js";
import type { OrgEvidenceRead } from "../../src/app/org-evidence.js";
import { RateBudgets, type SharedReadings } from "../../src/app/rate-budget.js";
import { PostgresReadings } from "../../src/app/rate-readings-postgres.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import type { Finding } from "../../src/core/findings.js";
import type { GitHubClient } from "../../src/github/client.js";
import { PostgresContentBudget } from "../../src/publish/content-budget-postgres.js";
import { migratePostgres, postgresPool } from "../../src/store/postgres.js";
import * as schema from "../../src/store/schema-pg.js";
import { freshSchema, postgres } from "../helpers/postgres.js";

/*
 * `npm run bench:limits`: what the limits replicas share through PostgreSQL cost per use. Two pools
 * in this one process stand for two replicas, on a fresh schema of TEST_DATABASE_URL. Printed: wall
 * time, this process's CPU time (the database server's is not counted) and RSS per scenario, and for
 * the rate readings how many database writes the answers became. Figures are printed, never asserted.
 */

const { values } = parseArgs({ options: { help: { type: "boolean" } } });
if (values.help) {
  console.log("TEST_DATABASE_URL=postgres://… npm run bench:limits");
  process.exit(0);
}
if (!("url" in postgres)) {
  console.error(`bench:limits: ${postgres.skipped}`);
  process.exit(1);
}

const target = await freshSchema();
await migratePostgres(target.pool);
const replicas = [0, 1].map(() => postgresPool(target.url, { options: `-c search_path=${target.schema}`, max: 4 }));
const dbs = replicas.map((pool) => drizzle(pool, { schema }));

async function measure(name: string, work: () => Promise<string>): Promise<void> {
  const cpu = cpuUsage();
  const started = performance.now();
  const note = await work();
  const wall = performance.now() - started;
  const used = cpuUsage(cpu);
  console.log(`${name}: ${note}; wall ${(wall / 1000).toFixed(2)} s, CPU ${((used.user + used.system) / 1000).toFixed(0)} ms, RSS ${(memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
}

try {
  const WRITES = 1_000;
  const roomy = { perMinute: 1_000_000, perHour: 1_000_000 };
  await measure(`content budget, ${WRITES} writes of one installation from 2 replicas at once (target: GitHub's 80 a minute)`, async () => {
    const budgets = dbs.map((db) => new PostgresContentBudget(db, 1, { limits: roomy }));
    const started = performance.now();
    await Promise.all(Array.from({ length: WRITES }, (_, i) => budgets[i % 2]!.take()));
    return `${((WRITES / (performance.now() - started)) * 60_000).toFixed(0)} a minute, ${((performance.now() - started) / WRITES).toFixed(2)} ms a write`;
  });
  await measure(`content budget, ${WRITES} writes spread over 50 installations from 2 replicas`, async () => {
    const started = performance.now();
    await Promise.all(Array.from({ length: WRITES }, (_, i) => new PostgresContentBudget(dbs[i % 2]!, 100 + (i % 50), { limits: roomy }).take()));
    return `${((performance.now() - started) / WRITES).toFixed(2)} ms a write`;
  });

  const ANSWERS = 10_000;
  await measure(`rate readings, ${ANSWERS} answers observed by 2 replicas for one installation`, async () => {
    let writes = 0;
    const counting = (inner: SharedReadings): SharedReadings => ({
      record: (...args) => ((writes += 1), inner.record(...args)),
      read: (id) => inner.read(id),
      claim: (...args) => inner.claim(...args),
    });
    const budgets = dbs.map((db) => new RateBudgets({ readings: counting(new PostgresReadings(db)) }).of(1));
    const resetAt = new Date(Date.now() + 3_600_000);
    for (let i = 0; i < ANSWERS; i += 1) {
      budgets[i % 2]!.observe(i % 3 === 0 ? "graphql" : "rest", { limit: 15_000, remaining: 15_000 - i, resetAt });
      // Answers arrive over time, not in one turn: let the event loop run now and then.
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(budgets.map((b) => b.flushed()));
    return `${writes} database writes (${((writes / ANSWERS) * 100).toFixed(1)} % of answers)`;
  });
  const CLAIMS = 1_000;
  await measure(`rate readings, ${CLAIMS} backfill claims from 2 replicas`, async () => {
    const budgets = dbs.map((db) => new RateBudgets({ readings: new PostgresReadings(db) }).of(2));
    const resetAt = new Date(Date.now() + 3_600_000);
    budgets[0]!.observe("rest", { limit: 1_000_000, remaining: 1_000_000, resetAt });
    budgets[0]!.observe("graphql", { limit: 1_000_000, remaining: 1_000_000, resetAt });
    await budgets[0]!.flushed();
    const started = performance.now();
    const claims = await Promise.all(Array.from({ length: CLAIMS }, (_, i) => budgets[i % 2]!.claim({ rest: 7, graphql: 5 }, 0.2, new Date())));
    return `${claims.filter(Boolean).length} granted, ${((performance.now() - started) / CLAIMS).toFixed(2)} ms a claim`;
  });

  const ASKS = 1_000;
  await measure(`organisation evidence, ${ASKS} asks from 2 replicas served from the database`, async () => {
    const findings: Finding[] = Array.from({ length: 8 }, (_, i) => ({ id: "org.owners", scope: "org", value: Array.from({ length: 20 }, (_, j) => `owner-${i}-${j}`), source: "GET /orgs/acme/members", url: "https://github.com/orgs/acme/people", observedAt: new Date().toISOString() }));
    let reads = 0;
    const caches = dbs.map((db) => new PostgresOrgEvidence(db, { read: async () => ((reads += 1), findings) }));
    const ask = (): OrgEvidenceRead => ({ client: {} as GitHubClient, org: "acme", config: DEFAULT_CONFIG, now: new Date() });
    await caches[0]!.get(3, ask());
    const started = performance.now();
    for (let i = 0; i < ASKS; i += 1) await caches[i % 2]!.get(3, ask());
    return `${reads} read from GitHub, ${((performance.now() - started) / ASKS).toFixed(2)} ms an ask`;
  });
} finally {
  await Promise.all(replicas.map((pool) => pool.end()));
  await target.drop();
}
