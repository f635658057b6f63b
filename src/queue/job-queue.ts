import { z } from "zod";

/*
 * The one interface the app's work goes through, whatever carries it: the in-process queue
 * (SQLite mode, one process) or the PostgreSQL queue (any number of replicas sharing one
 * database). Jobs are data, not closures: a replica that did not receive the webhook may be the
 * one that runs its work, so each kind of job is defined once (`define`) with a zod schema its
 * data is checked against when the job is taken off the queue, and a handler that rebuilds what
 * it needs (an installation's Octokit, the store) from that data.
 */

/**
 * "webhook": a pull request waiting for its check run; "background": a backfill, a scheduled
 * sweep; "issues": a repository's issue writes. Webhook work never waits behind background work,
 * and neither waits behind issue writes, which spend most of their time waiting (for the
 * installation's issue run, for GitHub's content-creation budget) and would otherwise hold the
 * slots a backfill needs.
 */
export type Lane = "webhook" | "background" | "issues";
export const LANES = ["webhook", "background", "issues"] as const satisfies readonly Lane[];

/**
 * Jobs of one installation running at once in `lane` (across replicas on PostgreSQL): the
 * queue's cap, but one for issue writes, since an installation's issue runs go one at a time
 * anyway (app/issue-run-lock.ts) and a second job would only hold a slot while it waits.
 */
export function laneInstallationCap(lane: Lane, installationCap: number): number {
  return lane === "issues" ? 1 : installationCap;
}

/** The delivery a webhook job comes from: its `X-GitHub-Delivery` id keys the job. */
export type DeliveryRef = { id: string; event: string; installationId: number | null };

/**
 * Work on one repository. Jobs for the same repository run one at a time (a retry queues again, behind
 * the repository's jobs queued during its wait, which holds no slot); at most the queue's
 * installation cap run at once for one installation (per lane; one in the "issues" lane). Jobs with the same `coalesce`
 * key (and kind) that have not started are one: a later one is dropped while one waits, since
 * the waiting job reads the repository afresh when it starts. Without `coalesce`, nothing is
 * merged.
 */
export type RepositoryTarget = { installationId: number; repository: string; lane?: Lane; coalesce?: string };

export type RetryPolicy = {
  /** Attempts after the first. */
  limit: number;
  /** The first retry waits between this and twice this; each later one twice as long as the one before. */
  delaySeconds: number;
};

export type JobInfo = {
  kind: string;
  /** 1 for the first attempt; counted over the job's life, whatever put it back on the queue meanwhile. */
  attempt: number;
  delivery?: DeliveryRef;
  target?: RepositoryTarget;
  /**
   * Aborted when this process gives the job up while it still runs (the PostgreSQL queue handing it
   * back as it stops, or losing the job's lock): another replica will run it, so a handler about to
   * write to GitHub stops instead (its retry looks for what was written).
   */
  signal?: AbortSignal;
};

export type JobDefinition<S extends z.ZodType> = {
  schema: S;
  run: (data: z.output<S>, info: JobInfo) => Promise<void>;
  retry?: RetryPolicy;
};

export type ScheduleOptions = { atStart?: boolean };

export type EnqueueOptions = {
  /**
   * Not before this many milliseconds from now (a backfill waiting for its budgets to reset). A
   * job waiting out its delay is waiting, so it absorbs later jobs of its coalescing key.
   */
  delayMs?: number;
};

export type StopOptions = {
  /** How long running jobs are given to finish; the PostgreSQL queue hands back those still running, for another replica. */
  graceMs?: number;
};

export interface JobQueue {
  /** What a kind of job does; every kind is defined before `start`. */
  define<S extends z.ZodType>(kind: string, definition: JobDefinition<S>): void;
  /** A webhook delivery's work, at most once per delivery id (false: already queued or handled). */
  enqueueDelivery(kind: string, delivery: DeliveryRef, data: unknown): Promise<boolean>;
  /** Work on one repository (false: coalesced into a job of the same key that has not started, or the queue is stopping). */
  enqueueRepository(kind: string, target: RepositoryTarget, data: unknown, options?: EnqueueOptions): Promise<boolean>;
  /**
   * Runs `kind` (data `{}`) once every `everyMs`, once across replicas, never two at once in a
   * process. `atStart`: also as soon as the queue starts (the PostgreSQL queue always runs a
   * period's job at its first tick in that period, which after a restart can be at once).
   */
  schedule(kind: string, everyMs: number, options?: ScheduleOptions): void;
  start(): Promise<void>;
  /** Takes no new jobs, gives running ones `graceMs`, then returns. */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Resolves once nothing is queued, waiting out a delay, or running — including the jobs those
   * jobs queue (tests; a process that wants to let its work drain).
   */
  idle(): Promise<void>;
}

/** What a scheduled job carries: nothing. */
export const scheduledData = z.object({}).strict();

export const DEFAULT_RETRY: RetryPolicy = { limit: 3, delaySeconds: 30 };
/** For work whose next run is its retry (a schedule's next period). */
export const NO_RETRY: RetryPolicy = { limit: 0, delaySeconds: 0 };

/** The wait before retry `n` (1-based), before jitter: the first waits `delay`, each later one twice the one before. */
export function backoffSeconds(policy: RetryPolicy, retry: number): number {
  return policy.delaySeconds * 2 ** Math.min(16, retry - 1);
}

export class UnknownJobKindError extends Error {
  constructor(kind: string) {
    super(`no job kind "${kind}" is defined`);
  }
}

/** Job data taken off the queue that its kind's schema refuses: never run, never retried. */
export class InvalidJobDataError extends Error {
  constructor(kind: string, problems: string) {
    super(`job of kind "${kind}" carries data its schema refuses: ${problems}`);
  }
}

export function checkedData<S extends z.ZodType>(kind: string, definition: JobDefinition<S>, data: unknown): z.output<S> {
  const parsed = definition.schema.safeParse(data);
  if (!parsed.success) throw new InvalidJobDataError(kind, parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  return parsed.data;
}
