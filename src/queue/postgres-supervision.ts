import type pg from "pg";
import type PgBoss from "pg-boss";
import type { Logger } from "pino";

/*
 * Finding the jobs of a replica that is gone, in a minute or two rather than at their expiry.
 *
 * Every job, while it runs, is held under a session advisory lock keyed by its id, on the
 * connection its replica keeps for it (the one holding its repository locks). The lock goes with
 * the connection: a process that is killed drops it at once; a machine that is lost drops it when
 * the server's TCP keepalives give up on the peer (`serverKeepalives`). So an `active` job whose
 * lock anyone can take has nobody running it. Each replica looks every few seconds: one query
 * lists the active jobs started long enough ago that their replica has surely taken their lock,
 * and tries each one's lock; a lock it gets is a lost job, failed through pg-boss (so its retry
 * policy applies: a kind without retries ends failed, another comes back after its backoff), and
 * then released. A job whose lock is held is running, however long it takes, and is left alone.
 */

/** The advisory lock a job is held under while it runs. */
export function jobLockKey(schema: string, jobId: string): string {
  return `${schema}:job:${jobId}`;
}

/**
 * pg-boss has no index on active jobs (only on those waiting), and finished jobs stay in the table
 * for days: without this the pass would read all of them, on every replica, every few seconds.
 * Created on the partitioned table, so every queue's partition gets it.
 */
export async function ensureSupervisionIndex(client: pg.PoolClient, schema: string): Promise<void> {
  await client.query(`CREATE INDEX IF NOT EXISTS claimcheck_active_jobs ON ${schema}.job (name, started_on) WHERE state = 'active'`);
}

export type SupervisionDeps = {
  boss: PgBoss;
  schema: string;
  /** pg-boss queue names looked at: the app's own. */
  queues: readonly string[];
  /** Jobs this replica runs: never looked at (their locks are held by it anyway). */
  mine: readonly string[];
  /** An active job is looked at once it started this long ago (on the database's clock). */
  lostAfterSeconds: number;
  log: Logger;
};

type Candidate = { id: string; name: string; kind: string | null; started_on: string };

/** One pass on `client` (a connection of the caller's, holding no locks): fails the lost jobs, and says how many. */
export async function failLostJobs(client: pg.PoolClient, deps: SupervisionDeps): Promise<number> {
  const { schema } = deps;
  // Materialised first, so a lock is tried only on the jobs the conditions select: a try that
  // succeeded on a row filtered out afterwards would leave a lock nobody releases.
  const { rows } = await client.query<Candidate>(
    `WITH candidates AS MATERIALIZED (
       SELECT id, name, data->>'kind' AS kind, started_on
       FROM ${schema}.job
       WHERE name = ANY($1) AND state = 'active' AND started_on < now() - make_interval(secs => $2) AND NOT (id = ANY($3::uuid[]))
     )
     SELECT id, name, kind, started_on::text AS started_on FROM candidates
     WHERE pg_try_advisory_lock(hashtextextended($4 || id::text, 0))`,
    [deps.queues, deps.lostAfterSeconds, deps.mine, jobLockKey(schema, "")],
  );
  let failed = 0;
  for (const job of rows) {
    try {
      if (await failIfStillLost(client, deps, job)) failed += 1;
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [jobLockKey(schema, job.id)]);
    }
  }
  return failed;
}

/**
 * Fails the job if it is still the run the pass saw. Another replica's pass may have failed it
 * between the list and the lock (and it may even have been taken again since): pg-boss fails any
 * job not finished, so it is looked at again, under its row's lock, before it is failed.
 */
async function failIfStillLost(client: pg.PoolClient, deps: SupervisionDeps, job: Candidate): Promise<boolean> {
  await client.query("BEGIN");
  try {
    const still = await client.query(`SELECT 1 FROM ${deps.schema}.job WHERE name = $1 AND id = $2 AND state = 'active' AND started_on = $3::timestamptz FOR UPDATE`, [job.name, job.id, job.started_on]);
    if (still.rowCount) {
      const db: PgBoss.Db = { executeSql: (text, values) => client.query(text, values) };
      await deps.boss.fail(job.name, job.id, { message: "the replica running this job was lost (its connection to the database ended)" }, { db });
    }
    await client.query("COMMIT");
    if (!still.rowCount) return false;
    deps.log.warn({ job: job.id, kind: job.kind, queue: job.name, startedOn: job.started_on }, "job failed: the replica running it was lost; retried if its kind is");
    return true;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
