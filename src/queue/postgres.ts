import { createHash, randomUUID } from "node:crypto";
import pg from "pg";
import PgBoss from "pg-boss";
import { LONGEST_REQUEST_WAIT_SECONDS } from "../github/throttle.js";
import { keepSessionsAlive, postgresConfig, withSessionLock } from "../store/postgres.js";
import type { Logger } from "pino";
import { z } from "zod";
import {
  checkedData,
  DEFAULT_RETRY,
  InvalidJobDataError,
  laneInstallationCap,
  LANES,
  UnknownJobKindError,
  type DeliveryRef,
  type EnqueueOptions,
  type JobDefinition,
  type JobInfo,
  type JobQueue,
  type RepositoryTarget,
  type ScheduleOptions,
  type StopOptions,
} from "./job-queue.js";
import { ensureSupervisionIndex, failLostJobs, jobLockKey } from "./postgres-supervision.js";

/*
 * The PostgreSQL queue, on pg-boss 10 (docs/queue.md says why pg-boss, and why 10). Every
 * replica runs the same loops; the database decides who runs what:
 *
 * - a webhook job's id is derived from its delivery id, and pg-boss inserts a job whose id exists
 *   as nothing, so a delivery queued by two replicas (or redelivered by GitHub within the
 *   retention below) runs once;
 * - repository jobs go to one queue per lane with pg-boss's "short" policy: one job per
 *   singleton key waits at a time, so a job with the coalescing key of one already waiting is
 *   dropped;
 * - every job runs while its replica holds a PostgreSQL advisory lock on the job, on a connection
 *   kept for the job; a repository job also holds locks on the repository and on one of the
 *   installation's slots (per lane). A repository job that cannot take them is put back with a
 *   short delay. The locks go with the connection, so a replica that dies releases them (a lost
 *   machine's, once the server's TCP keepalives give up on it: about a minute);
 * - every replica looks, every `superviseEveryMs`, for active jobs whose lock is free: their
 *   replica is gone, and they are failed, so retried per their kind's policy
 *   (postgres-supervision.ts). pg-boss's own expiry (`expireInSeconds`) stays as the backstop;
 * - a schedule is a job sent with a singleton slot of its period: every replica sends it, the
 *   database keeps one per period;
 * - stopping hands back, in one transaction, the jobs that did not finish within the grace
 *   period: they are at once available to another replica.
 */

export type PostgresQueueOptions = {
  connectionString: string;
  /** pg-boss's schema (created on start): for the app's store, `queueSchemaOf` its URL (postgres-schema.ts). */
  schema: string;
  log: Logger;
  /** Jobs run at once by this replica, per lane (and for webhook deliveries, and schedules). */
  concurrency: number;
  /** Jobs of one installation run at once across every replica, per lane. */
  installationCap?: number;
  /** How often an idle loop asks the database for work; work queued by this replica wakes it at once. */
  pollMs?: number;
  /** A job taken longer ago than this is failed (and retried) even if its lock says it runs: the backstop. */
  expireInSeconds?: number;
  /** How often this replica looks for jobs whose replica was lost (their lock free). */
  superviseEveryMs?: number;
  /** A running job is looked at only once it started this long ago: by then its replica holds its lock. */
  lostAfterSeconds?: number;
  /** How often a replica checks for expired jobs and archives finished ones (one replica at a time does). */
  maintenanceIntervalSeconds?: number;
  /** How long a repository job that could not take its locks first waits before it is tried again (doubling each time, up to 8 times this). */
  deferMs?: number;
};

/**
 * Finished jobs are kept (and their ids refused) this long: longer than the three days GitHub
 * keeps a delivery it can be asked to redeliver, so a redelivery of handled work is not run again.
 */
export const KEEP_FINISHED_SECONDS = 4 * 24 * 60 * 60;
/** How often each replica looks for lost jobs: one indexed query over the active jobs. */
export const DEFAULT_SUPERVISE_EVERY_MS = 20_000;
/**
 * Jobs younger than this are not looked at: a replica takes a job's lock a moment after taking
 * the job, so a younger job with a free lock may simply be starting. A lost job is thus failed
 * between this and this plus `DEFAULT_SUPERVISE_EVERY_MS` after it started, or, if it had run
 * longer, within one pass of its lock being dropped.
 */
export const DEFAULT_LOST_AFTER_SECONDS = 60;
/**
 * A job taken longer ago than this is failed by pg-boss even if it is still locked: the backstop
 * behind the locks, should a lock outlive its replica (a connection the server has not yet
 * dropped). It must exceed the longest
 * run, one repository's assessment: a request held by rate-limit waits (the throttling's
 * longest, src/github/throttle.ts) twice over, which leaves the assessment's own reads
 * (seconds) and a second held request room. A backfill is many short jobs, never one long one.
 */
export const DEFAULT_EXPIRE_SECONDS = 2 * LONGEST_REQUEST_WAIT_SECONDS;

const QUEUES = { delivery: "claimcheck-delivery", schedule: "claimcheck-schedule", webhook: "claimcheck-repository-webhook", background: "claimcheck-repository-background", issues: "claimcheck-repository-issues" } as const;
type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const deliveryRef = z.object({ id: z.string().min(1), event: z.string(), installationId: z.number().int().nullable() });
const target = z.object({ installationId: z.number().int(), repository: z.string().min(1), lane: z.enum(LANES).optional(), coalesce: z.string().optional() });
/**
 * What every job carries, checked when it is taken; the kind's own schema then checks `data`.
 * `priorAttempts`: the attempts a deferred job made before its deferrals sent it again as a new
 * pg-boss job, whose `retry_count` starts at 0 (added to it, they give the job's attempt number).
 */
const envelope = z.object({ kind: z.string().min(1), data: z.unknown(), delivery: deliveryRef.optional(), target: target.optional(), deferrals: z.number().int().min(0).optional(), priorAttempts: z.number().int().min(0).optional() });
type Envelope = z.infer<typeof envelope>;

/**
 * A job this replica took: its locks' connection while it runs, and its outcome (recorded) once
 * started. `lost`: that connection ended under it, and with it the job's lock: another replica may
 * be retrying the job, so this one's outcome is not recorded, nor is the job handed back.
 */
type Taken = { queue: QueueName; job: PgBoss.JobWithMetadata<unknown>; handedBack: boolean; locks: pg.PoolClient | null; outcome?: Promise<void>; lost?: boolean; onLost?: (error: Error) => void; given: AbortController };

/** A delivery id as the uuid pg-boss keys jobs by: the same id always gives the same uuid. */
export function deliveryJobId(deliveryId: string): string {
  const hex = createHash("sha256").update(`claimcheck-delivery:${deliveryId}`).digest("hex");
  // Version 8 (custom) and the RFC 4122 variant, so it is a well-formed uuid.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class PostgresQueue implements JobQueue {
  private readonly boss: PgBoss;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly log: Logger;
  private readonly definitions = new Map<string, JobDefinition<z.ZodType>>();
  private readonly schedules = new Map<string, number>();
  private readonly taken = new Map<string, Taken>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly loops: Promise<void>[] = [];
  private readonly wakers = new Set<() => void>();
  private readonly installationCap: number;
  private readonly pollMs: number;
  private readonly deferMs: number;
  private running = false;
  /** Stopped or abandoned: its connections are closed. */
  private closed = false;
  /** The supervision pass under way, if any: passes never overlap, and stopping waits for one. */
  private supervising: Promise<void> | null = null;

  constructor(private readonly options: PostgresQueueOptions) {
    this.schema = options.schema;
    if (!/^[a-z_][a-z0-9_]*$/.test(this.schema)) throw new Error(`queue schema "${this.schema}": lower-case letters, digits and underscores only`);
    this.log = options.log;
    this.installationCap = Math.max(1, options.installationCap ?? options.concurrency);
    this.pollMs = options.pollMs ?? 2000;
    this.deferMs = options.deferMs ?? 250;
    this.boss = new PgBoss({
      connectionString: postgresConfig(options.connectionString).connectionString,
      schema: this.schema,
      application_name: "claimcheck-queue",
      // Schedules are ours (a singleton slot per period), not pg-boss's cron.
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 120,
      expireInSeconds: options.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS,
      archiveCompletedAfterSeconds: KEEP_FINISHED_SECONDS,
      archiveFailedAfterSeconds: KEEP_FINISHED_SECONDS,
    });
    this.boss.on("error", (error) => this.log.error({ err: error.message }, "job queue maintenance failed"));
    // One connection per running job (its advisory locks live on it), a few for hand-backs, one for supervision.
    this.pool = new pg.Pool({ ...postgresConfig(options.connectionString), max: (LANES.length + 2) * options.concurrency + 3, application_name: "claimcheck-queue-locks" });
    this.pool.on("error", (error) => this.log.error({ err: error.message }, "job queue connection failed"));
    keepSessionsAlive(this.pool, (message) => this.log.warn({ err: message }, "the server's TCP keepalives could not be set: a lost machine's locks outlive it until its own keepalives end them"));
  }

  define<S extends z.ZodType>(kind: string, definition: JobDefinition<S>): void {
    this.definitions.set(kind, definition as unknown as JobDefinition<z.ZodType>);
  }

  async start(): Promise<void> {
    if (this.running) return;
    // Replicas starting together on a new schema: two pg-boss starts creating the schema and its
    // queues at once end in "deadlock detected" and one replica never becomes ready. One at a
    // time, under a lock of this schema's, the later ones find everything made.
    await withSessionLock(this.pool, `${this.schema}:start`, async (client) => {
      await this.boss.start();
      await this.boss.createQueue(QUEUES.delivery, { name: QUEUES.delivery, policy: "standard" });
      await this.boss.createQueue(QUEUES.schedule, { name: QUEUES.schedule, policy: "standard" });
      for (const lane of LANES) await this.boss.createQueue(QUEUES[lane], { name: QUEUES[lane], policy: "short" });
      await ensureSupervisionIndex(client, this.schema);
    });
    this.running = true;
    for (const queue of Object.values(QUEUES)) this.loops.push(this.loop(queue));
    for (const [kind, everyMs] of this.schedules) this.startSchedule(kind, everyMs);
    const supervision = setInterval(() => this.supervise(), this.options.superviseEveryMs ?? DEFAULT_SUPERVISE_EVERY_MS);
    supervision.unref();
    this.timers.push(supervision);
  }

  async enqueueDelivery(kind: string, delivery: DeliveryRef, data: unknown): Promise<boolean> {
    const definition = this.definition(kind);
    const id = await this.boss.send(QUEUES.delivery, this.envelope({ kind, data, delivery }), { id: deliveryJobId(delivery.id), ...this.retryOptions(definition) });
    if (id === null) this.log.info({ delivery: delivery.id, event: delivery.event }, "delivery already queued or handled; skipped");
    this.wake();
    return id !== null;
  }

  async enqueueRepository(kind: string, repository: RepositoryTarget, data: unknown, options: EnqueueOptions = {}): Promise<boolean> {
    const definition = this.definition(kind);
    const lane = repository.lane ?? "webhook";
    const later = options.delayMs !== undefined && options.delayMs > 0 ? { startAfter: new Date(Date.now() + options.delayMs) } : {};
    const id = await this.boss.send(QUEUES[lane], this.envelope({ kind, data, target: repository }), { singletonKey: this.singletonKey(kind, repository), ...later, ...this.retryOptions(definition) });
    this.wake();
    return id !== null;
  }

  /** `atStart` changes nothing here: the first tick in each period's slot, at start included, queues that period's job. */
  schedule(kind: string, everyMs: number, _options?: ScheduleOptions): void {
    this.definition(kind);
    if (everyMs < 1000 || everyMs > KEEP_FINISHED_SECONDS * 1000) throw new Error(`schedule "${kind}": a period between a second and ${KEEP_FINISHED_SECONDS} seconds`);
    this.schedules.set(kind, everyMs);
    if (this.running) this.startSchedule(kind, everyMs);
  }

  async stop(options: StopOptions = {}): Promise<void> {
    if (!this.running) return;
    await this.stopTaking();
    const graceMs = options.graceMs ?? 20_000;
    let timeout: NodeJS.Timeout | undefined;
    const finished = Promise.allSettled([...this.taken.values()].map((t) => t.outcome));
    await Promise.race([finished, new Promise<void>((resolve) => (timeout = setTimeout(resolve, graceMs)))]);
    clearTimeout(timeout);
    await this.handBack([...this.taken.values()]);
    await this.close();
  }

  /**
   * Polls until no delivery or repository job is waiting, delayed, due for a retry or running,
   * in this schema (every replica's), and this replica runs none. Schedules are left out: they
   * recur for as long as a replica runs. A stopped queue is idle at once: it runs nothing, and
   * can no longer ask the database about the others.
   */
  async idle(): Promise<void> {
    const names = [QUEUES.delivery, ...LANES.map((lane) => QUEUES[lane])];
    for (;;) {
      if (this.closed) return;
      if (this.taken.size === 0) {
        const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.schema}.job WHERE name = ANY($1) AND state IN ('created', 'retry', 'active')`, [names]);
        if (rows[0]?.n === 0 && this.taken.size === 0) return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.pollMs, 100)));
    }
  }

  /**
   * Stops as a killed process would: nothing completed, nothing handed back, connections (and
   * so advisory locks) dropped. For tests of what the other replicas do then.
   */
  async abandon(): Promise<void> {
    await this.stopTaking();
    for (const t of this.taken.values()) {
      t.handedBack = true;
      t.given.abort(new Error("abandoned"));
      t.locks?.release(new Error("abandoned"));
      t.locks = null;
    }
    this.taken.clear();
    await this.close();
  }

  /** No more jobs taken, schedules sent or supervision passes; the jobs this replica runs go on. */
  private async stopTaking(): Promise<void> {
    this.running = false;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.wake();
    await Promise.all(this.loops.splice(0));
    await this.supervising;
  }

  /** pg-boss and this queue's connections closed: nothing can be asked of the database after it. */
  private async close(): Promise<void> {
    await this.boss.stop({ graceful: false, close: true, wait: true });
    this.closed = true;
    await this.pool.end();
  }

  /** One supervision pass (postgres-supervision.ts), unless one is under way; its failure is logged, and the next pass tries again. */
  private supervise(): void {
    if (this.supervising || !this.running) return;
    this.supervising = (async () => {
      const client = await this.pool.connect();
      client.on("error", this.lockConnectionLost);
      let broken: Error | undefined;
      try {
        await failLostJobs(client, { boss: this.boss, schema: this.schema, queues: Object.values(QUEUES), mine: [...this.taken.keys()], lostAfterSeconds: this.options.lostAfterSeconds ?? DEFAULT_LOST_AFTER_SECONDS, log: this.log });
      } catch (error) {
        // Not given back to the pool: it may still hold a probe's lock.
        broken = error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
        client.removeListener("error", this.lockConnectionLost);
        client.release(broken);
      }
    })()
      .catch((error: unknown) => this.log.error({ err: error instanceof Error ? error.message : String(error) }, "lost jobs could not be looked for"))
      .finally(() => (this.supervising = null));
  }

  private definition(kind: string): JobDefinition<z.ZodType> {
    const definition = this.definitions.get(kind);
    if (!definition) throw new UnknownJobKindError(kind);
    return definition;
  }

  private envelope(value: Envelope): object {
    return envelope.parse(value);
  }

  private retryOptions(definition: JobDefinition<z.ZodType>): PgBoss.SendOptions {
    const retry = definition.retry ?? DEFAULT_RETRY;
    return { retryLimit: retry.limit, retryDelay: retry.delaySeconds, retryBackoff: true };
  }

  private singletonKey(kind: string, repository: RepositoryTarget): string {
    // The "short" policy keeps one waiting job per key: a job that coalesces nothing gets a key of its own.
    return repository.coalesce === undefined ? `unique:${randomUUID()}` : JSON.stringify([kind, repository.repository, repository.coalesce]);
  }

  private startSchedule(kind: string, everyMs: number): void {
    const send = () =>
      void this.boss
        .send(QUEUES.schedule, this.envelope({ kind, data: {} }), { singletonKey: kind, singletonSeconds: Math.round(everyMs / 1000), retryLimit: 0 })
        .then((id) => id !== null && this.wake())
        .catch((error: unknown) => this.log.error({ kind, err: error instanceof Error ? error.message : String(error) }, "scheduled job could not be queued"));
    send();
    // Every replica asks a few times a period; the first ask of each period's slot creates the job.
    const timer = setInterval(send, Math.max(1000, Math.min(everyMs / 4, 60_000)));
    timer.unref();
    this.timers.push(timer);
  }

  private wake(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  /** Takes jobs off one queue while this replica has a free slot for it. */
  private async loop(queue: QueueName): Promise<void> {
    while (this.running) {
      const busy = [...this.taken.values()].filter((t) => t.queue === queue).length;
      if (busy >= this.options.concurrency) {
        await this.pause(this.pollMs);
        continue;
      }
      let jobs: PgBoss.JobWithMetadata<unknown>[] = [];
      try {
        jobs = await this.boss.fetch<unknown>(queue, { includeMetadata: true, batchSize: 1 });
      } catch (error) {
        // The database is unreachable or refusing: asked again after a poll, not in a tight loop.
        this.log.error({ queue, err: error instanceof Error ? error.message : String(error) }, "jobs could not be fetched");
        await this.pause(this.pollMs);
        continue;
      }
      const job = jobs[0];
      if (!job) {
        await this.pause(this.pollMs);
        continue;
      }
      if (!this.running) {
        // Taken as the queue stopped: given back at once.
        await this.handBack([{ queue, job, handedBack: false, locks: null, given: new AbortController() }]);
        return;
      }
      const taken: Taken = { queue, job, handedBack: false, locks: null, given: new AbortController() };
      this.taken.set(job.id, taken);
      void this.run(taken).finally(() => {
        // A lost job's retry may have been taken here again, under the same id, before its first run ended.
        if (this.taken.get(job.id) === taken) this.taken.delete(job.id);
        this.wake();
      });
    }
  }

  private run(taken: Taken): Promise<void> {
    taken.outcome = this.execute(taken).catch((error: unknown) => this.log.error({ job: taken.job.id, err: error instanceof Error ? error.message : String(error) }, "job outcome could not be recorded"));
    return taken.outcome;
  }

  private async execute(taken: Taken): Promise<void> {
    const { job, queue } = taken;
    let parsed: Envelope;
    let definition: JobDefinition<z.ZodType>;
    let data: unknown;
    try {
      parsed = envelope.parse(job.data);
      definition = this.definition(parsed.kind);
      data = checkedData(parsed.kind, definition, parsed.data);
    } catch (error) {
      // Not something a retry can mend: the job is cancelled, with the reason logged.
      const reason = error instanceof UnknownJobKindError || error instanceof InvalidJobDataError ? error.message : `malformed job: ${error instanceof Error ? error.message : String(error)}`;
      this.log.error({ job: job.id, queue, reason }, "job refused when taken off the queue");
      await this.boss.cancel(queue, job.id);
      return;
    }
    const locked = await this.lock(job.id, parsed.target);
    if (taken.handedBack) {
      // Handed back (the queue is stopping) while the locks were asked for: not run here.
      if (locked) await this.release(locked);
      return;
    }
    if (!locked) {
      await this.defer(taken, parsed);
      return;
    }
    taken.locks = locked;
    taken.onLost = (error) => {
      taken.lost = true;
      taken.given.abort(new Error("the job's lock was lost with its connection"));
      this.log.warn({ job: job.id, kind: parsed.kind, queue, err: error.message }, "a running job's lock connection ended: its outcome here is not recorded, and another replica may retry it");
    };
    locked.on("error", taken.onLost);
    locked.removeListener("error", this.lockConnectionLost);
    const info: JobInfo = { kind: parsed.kind, attempt: (parsed.priorAttempts ?? 0) + job.retryCount + 1, ...(parsed.delivery ? { delivery: parsed.delivery } : {}), ...(parsed.target ? { target: parsed.target } : {}), signal: taken.given.signal };
    try {
      await definition.run(data, info);
      if (!taken.handedBack && !taken.lost) await this.boss.complete(queue, job.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!taken.handedBack && !taken.lost) {
        this.log.warn({ job: job.id, kind: parsed.kind, attempt: info.attempt, err: message }, "job failed; retried with backoff while attempts remain");
        await this.boss.fail(queue, job.id, { message });
      }
    } finally {
      this.unlock(taken);
    }
  }

  /**
   * On a connection of their own, kept while the job runs: the job's lock (which tells other
   * replicas' supervision it is not lost) and, for a repository job, the repository's lock and one
   * of the installation's slots in its lane; null if either of those is held elsewhere. The job's
   * own lock is waited for: only a supervision pass holds it, for a moment, and it then finds the
   * job taken again and leaves it.
   */
  private async lock(jobId: string, repository: RepositoryTarget | undefined): Promise<pg.PoolClient | null> {
    const client = await this.pool.connect();
    client.on("error", this.lockConnectionLost);
    try {
      await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [jobLockKey(this.schema, jobId)]);
      if (!repository) return client;
      const lane = repository.lane ?? "webhook";
      const repo = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [`${this.schema}:repository:${repository.repository}`]);
      if (repo.rows[0]?.ok) {
        for (let slot = 0; slot < laneInstallationCap(lane, this.installationCap); slot++) {
          const got = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [`${this.schema}:installation:${lane}:${repository.installationId}:${slot}`]);
          if (got.rows[0]?.ok) return client;
        }
      }
      await client.query("SELECT pg_advisory_unlock_all()");
      client.removeListener("error", this.lockConnectionLost);
      client.release();
      return null;
    } catch (error) {
      client.removeListener("error", this.lockConnectionLost);
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  /**
   * A lock connection that ends while it is checked out (the server restarted, the network
   * failed): logged, not thrown (a pooled connection in use has no other listener, and the process
   * would exit); a query under way fails too. While a job runs, its own listener stands in.
   */
  private readonly lockConnectionLost = (error: Error) => this.log.warn({ err: error.message }, "a job queue lock connection ended");

  private unlock(taken: Taken): void {
    const client = taken.locks;
    if (!client) return;
    taken.locks = null;
    if (taken.onLost) {
      // The job's outcome is settled: an error from here on is only logged.
      client.on("error", this.lockConnectionLost);
      client.removeListener("error", taken.onLost);
    }
    void this.release(client);
  }

  private release(client: pg.PoolClient): Promise<void> {
    const done = (error?: Error) => {
      // Back in the pool, its errors are the pool's.
      client.removeListener("error", this.lockConnectionLost);
      client.release(error);
    };
    return client.query("SELECT pg_advisory_unlock_all()").then(
      () => done(),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /**
   * A repository job whose repository or installation is busy: replaced, in one transaction, by
   * the same job starting after a wait that doubles with each deferral (up to 8 times `deferMs`),
   * so jobs held back behind a long one are not asked about every second. Deleted rather than
   * completed: a deferral is not work done, and would otherwise be kept for days.
   *
   * The new job's `retry_count` starts at 0, so it carries the attempts already made (the taken
   * job's `retry_count`: the attempt it was taken for did not run) and gets only the retries left.
   * Otherwise a retry that met a busy repository came back as a first attempt with every retry
   * again: with busy repositories (a backfill) retries never ran out, and the last never came.
   */
  private async defer(taken: Taken, parsed: Envelope): Promise<void> {
    const { job, queue } = taken;
    const deferrals = (parsed.deferrals ?? 0) + 1;
    const made = job.retryCount;
    await this.transaction(async (db) => {
      await this.boss.deleteJob(queue, job.id, { db });
      await this.boss.send(queue, this.envelope({ ...parsed, deferrals, priorAttempts: (parsed.priorAttempts ?? 0) + made }), {
        singletonKey: job.singletonKey ?? undefined,
        startAfter: new Date(Date.now() + this.deferMs * 2 ** Math.min(3, deferrals - 1)),
        // A job handed back on its last attempt comes back with its count past the limit: no retry left.
        retryLimit: Math.max(0, job.retryLimit - made),
        // pg-boss doubles the delay with the row's retry_count: the new row's starts from the job's.
        retryDelay: job.retryBackoff ? job.retryDelay * 2 ** Math.min(16, made) : job.retryDelay,
        retryBackoff: job.retryBackoff,
        db,
      });
    });
  }

  /** Jobs still running are made available again (cancelled and resumed in one transaction); their outcome here is then ignored. */
  private async handBack(jobs: Taken[]): Promise<void> {
    if (jobs.length === 0) return;
    for (const t of jobs) {
      t.handedBack = true;
      t.given.abort(new Error("the job was handed back to the queue"));
    }
    // A lost job may be another replica's by now: handing it back would undo that replica's run.
    const ours = jobs.filter((t) => !t.lost);
    for (const queue of new Set(ours.map((t) => t.queue))) {
      const ids = ours.filter((t) => t.queue === queue).map((t) => t.job.id);
      await this.transaction(async (db) => {
        await this.boss.cancel(queue, ids, { db });
        await this.boss.resume(queue, ids, { db });
      });
      this.log.info({ queue, jobs: ids.length }, "unfinished jobs handed back to the queue");
    }
    for (const t of jobs) this.unlock(t);
  }

  private async transaction(work: (db: PgBoss.Db) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    const db: PgBoss.Db = { executeSql: (text, values) => client.query(text, values) };
    try {
      await client.query("BEGIN");
      await work(db);
      await client.query("COMMIT");
      client.release();
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      client.release();
      throw error;
    }
  }
}
