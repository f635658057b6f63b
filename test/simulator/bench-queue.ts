/* eslint-disable no-console -- a command-line program: its output is the point */
import { parseArgs } from "node:util";
import { pino } from "pino";
import { z } from "zod";
import { PostgresQueue } from "../../src/queue/postgres.js";
import { dropSchema, freshSchemaName, testDatabase } from "../helpers/queue-postgres.js";

/*
 * `npm run bench:queue`: the PostgreSQL queue's cost per job and how close an installation held to
 * its cap comes to the ideal. Two queue instances (two replicas) in this one process share a
 * fresh schema of TEST_DATABASE_URL; each scenario queues repository jobs whose work is a wait of
 * a given length, and prints the wall time against the ideal (jobs × wait ÷ the slots they can
 * use), the process's CPU time (both replicas; the database server's is not counted) and its RSS.
 * Figures are printed, never asserted.
 */

const { values } = parseArgs({ options: { help: { type: "boolean" } } });
if (values.help) {
  console.log("TEST_DATABASE_URL=postgres://… npm run bench:queue");
  process.exit(0);
}
const database = await testDatabase();
if ("skip" in database) {
  console.error(`bench:queue: ${database.skip}`);
  process.exit(1);
}

const CONCURRENCY = 4;
const CAP = 2;
const scenarios = [
  { name: "400 jobs, 20 installations, no work", jobs: 400, installations: 20, waitMs: 0 },
  { name: "8 jobs, 1 installation, 500 ms each (a backfill batch)", jobs: 8, installations: 1, waitMs: 500 },
  { name: "8 jobs, 1 installation, 2 s each (a backfill batch)", jobs: 8, installations: 1, waitMs: 2000 },
  { name: "100 jobs, 1 installation, 500 ms each (far over the cap)", jobs: 100, installations: 1, waitMs: 500 },
];

for (const scenario of scenarios) {
  const schema = freshSchemaName();
  const log = pino({ level: "silent" });
  const replicas = [0, 1].map(() => new PostgresQueue({ connectionString: database.url, schema, log, concurrency: CONCURRENCY, installationCap: CAP, pollMs: 200 }));
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  for (const queue of replicas)
    queue.define("wait", {
      schema: z.object({ i: z.number() }),
      run: async () => {
        if (scenario.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, scenario.waitMs));
        if (++done === scenario.jobs) finished();
      },
    });
  for (const queue of replicas) await queue.start();
  const cpu = process.cpuUsage();
  const started = Date.now();
  for (let i = 0; i < scenario.jobs; i++) {
    const installation = i % scenario.installations;
    await replicas[i % 2]!.enqueueRepository("wait", { installationId: installation, repository: `org-${installation}/repo-${i}`, lane: "background" }, { i });
  }
  await all;
  const wallMs = Date.now() - started;
  const used = process.cpuUsage(cpu);
  const slots = Math.min(scenario.installations * CAP, 2 * CONCURRENCY);
  const idealMs = Math.ceil(scenario.jobs / slots) * scenario.waitMs;
  console.log(
    `${scenario.name}: ${wallMs} ms (ideal ${idealMs} ms); CPU ${Math.round((used.user + used.system) / 1000)} ms (${((used.user + used.system) / 1000 / scenario.jobs).toFixed(1)} ms a job); RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
  );
  for (const queue of replicas) await queue.stop({ graceMs: 0 });
  await dropSchema(database.url, schema);
}
