import pLimit, { type LimitFunction } from "p-limit";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Store } from "../store/store.js";
import { KeyedSerial } from "./keyed-serial.js";
import {
  backoffSeconds,
  checkedData,
  DEFAULT_RETRY,
  laneInstallationCap,
  UnknownJobKindError,
  type DeliveryRef,
  type EnqueueOptions,
  type JobDefinition,
  type JobInfo,
  type JobQueue,
  type Lane,
  type RepositoryTarget,
  type ScheduleOptions,
  type StopOptions,
} from "./job-queue.js";

export type { Lane } from "./job-queue.js";

/*
 * The in-process queue (SQLite mode: one process). Webhook work runs after the delivery is
 * acknowledged (GitHub gives a delivery ten seconds), one job at a time per repository and a
 * bounded number at once overall. The delivery's state is kept in the store, so a redelivery of
 * finished work is skipped and a failed one retried.
 *
 * Three lanes, each with its own pool of `concurrency` slots: "webhook" (a pull request waiting
 * for its check run), "background" (an installation backfill, a scheduled sweep) and "issues" (a
 * repository's issue writes, one at a time per installation). A check run never queues behind
 * hundreds of background assessments; background work only ever waits for background work, never
 * for issue writes waiting on the installation's issue run or GitHub's content budget. Callers of the background lane feed it in small batches (BACKGROUND_BATCH_FACTOR
 * times the concurrency) so that, per repository, a webhook waits for at most the background
 * job already queued for that same repository.
 *
 * Nothing here outlives the process: a job not finished at shutdown is not handed to anyone
 * (there is no one), so a delivery claimed in the store but never finished stays so; backfills
 * keep their own progress in the store and are resumed by maintenance.
 */

/** Background batches are at most this many times the lane's concurrency. */
export const BACKGROUND_BATCH_FACTOR = 2;

export type InProcessOptions = {
  /** Jobs of one installation running at once, per lane (at most `concurrency`, the default; one in the "issues" lane). */
  installationCap?: number;
  /** Waits between retries; tests make them short. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

type Defined = JobDefinition<z.ZodType>;

/** Where a job's attempts run (a repository job's: its key, lane slot and installation cap). */
type Slot = <T>(attempt: () => Promise<T>) => Promise<T>;
/** A job's attempts run in `slot`; `wait` waits out a retry's backoff, false if the job is to end instead. */
type Between = { slot: Slot; wait: (ms: number) => Promise<boolean> };

/**
 * Job data as a database queue would give it back: JSON. In one process nothing needs copying,
 * but a job whose data holds a function, a Date or a class would then work here and not across
 * replicas; copied, it fails its schema here too.
 */
function asStored(data: unknown): unknown {
  return data === undefined ? undefined : (JSON.parse(JSON.stringify(data)) as unknown);
}

export class InProcessQueue implements JobQueue {
  private readonly serial = new KeyedSerial();
  private readonly lanes: Record<Lane, LimitFunction>;
  /** Per lane and installation, while it has work; removed when it has none. */
  private readonly installations = new Map<string, { limit: LimitFunction; users: number }>();
  private readonly definitions = new Map<string, Defined>();
  /** Coalescing keys of repository jobs queued and not yet started. */
  private readonly waitingKeys = new Set<string>();
  private readonly running = new Set<Promise<unknown>>();
  /** Ends the delays of jobs enqueued with one, when the queue stops: they are dropped. */
  private readonly delays = new Set<() => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly schedules: { kind: string; everyMs: number; atStart: boolean }[] = [];
  private readonly installationCap: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    readonly concurrency: number,
    options: InProcessOptions = {},
  ) {
    this.lanes = { webhook: pLimit(concurrency), background: pLimit(concurrency), issues: pLimit(concurrency) };
    this.installationCap = Math.max(1, Math.min(concurrency, options.installationCap ?? concurrency));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** The largest batch a background caller should queue at once. */
  get backgroundBatch(): number {
    return BACKGROUND_BATCH_FACTOR * this.concurrency;
  }

  /** Tasks waiting for a slot in `lane` (not counting those running). */
  waiting(lane: Lane): number {
    return this.lanes[lane].pendingCount;
  }

  define<S extends z.ZodType>(kind: string, definition: JobDefinition<S>): void {
    this.definitions.set(kind, definition as unknown as Defined);
  }

  async start(): Promise<void> {
    if (this.timers.length > 0) return;
    this.stopping = false;
    for (const schedule of this.schedules) this.startSchedule(schedule.kind, schedule.everyMs, schedule.atStart);
  }

  /**
   * Starts the work of one delivery unless it was already done or is under way; resolves once the
   * delivery is claimed (true) or skipped (false), not when the work ends. Tracked from the call on,
   * so `idle` waits for a delivery whose claim the store has not answered yet.
   */
  accept(delivery: DeliveryRef, work: () => Promise<void>): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    const accepted = (async () => {
      if (!(await this.store.claimDelivery(delivery.id, delivery.event, delivery.installationId))) {
        this.log.info({ delivery: delivery.id, event: delivery.event }, "delivery already handled; skipped");
        return false;
      }
      const job = work().then(
        () => this.store.finishDelivery(delivery.id, { ok: true }),
        async (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          await this.store.finishDelivery(delivery.id, { ok: false, error: message });
          this.log.error({ delivery: delivery.id, event: delivery.event, err: message }, "delivery failed");
        },
      );
      this.track(job);
      return true;
    })();
    // The caller sees a failed claim; `idle` only needs to know it ended.
    this.track(accepted.catch(() => false));
    return accepted;
  }

  async enqueueDelivery(kind: string, delivery: DeliveryRef, data: unknown): Promise<boolean> {
    const definition = this.definition(kind);
    const stored = asStored(data);
    return this.accept(delivery, () => this.attempts(kind, definition, stored, { kind, attempt: 1, delivery }));
  }

  /** Runs `task` after earlier tasks for the same key (a repository), within its lane's concurrency bound and, when the installation is named, the installation's cap. */
  forKey<T>(key: string, task: () => Promise<T>, lane: Lane = "webhook", installationId?: number): Promise<T> {
    const limit = this.lanes[lane];
    return this.serial.run(key, () => (installationId === undefined ? limit(task) : this.capped(lane, installationId, () => limit(task))));
  }

  async enqueueRepository(kind: string, target: RepositoryTarget, data: unknown, options: EnqueueOptions = {}): Promise<boolean> {
    if (this.stopping) return false;
    const definition = this.definition(kind);
    const stored = asStored(data);
    const coalesce = target.coalesce === undefined ? null : JSON.stringify([kind, target.repository, target.coalesce]);
    if (coalesce !== null) {
      if (this.waitingKeys.has(coalesce)) return false;
      this.waitingKeys.add(coalesce);
    }
    const queued = async () => {
      if (options.delayMs !== undefined && options.delayMs > 0 && !(await this.delay(options.delayMs))) {
        // Stopped during the delay: nothing outlives the process (a backfill's progress is in the store).
        if (coalesce !== null) this.waitingKeys.delete(coalesce);
        return;
      }
      let waiting = coalesce;
      // Each attempt takes the repository's key, a lane slot and the installation's cap anew; the
      // wait before a retry holds none of them.
      const slot: Slot = (attempt) =>
        this.forKey(
          target.repository,
          () => {
            // Started: no longer the key's waiting job, and its retries are not one either.
            if (waiting !== null) this.waitingKeys.delete(waiting);
            waiting = null;
            return attempt();
          },
          target.lane ?? "webhook",
          target.installationId,
        );
      await this.attempts(kind, definition, stored, { kind, attempt: 1, target }, { slot, wait: (ms) => this.delay(ms) });
    };
    const job = queued().catch((error: unknown) => {
      this.log.error({ kind, repo: target.repository, err: error instanceof Error ? error.message : String(error) }, "repository job failed");
    });
    this.track(job);
    return true;
  }

  /** Waits `ms` (the queue's sleep); false if the queue stopped meanwhile. */
  private async delay(ms: number): Promise<boolean> {
    let cancel!: () => void;
    const cancelled = new Promise<void>((resolve) => (cancel = resolve));
    this.delays.add(cancel);
    try {
      await Promise.race([this.sleep(ms), cancelled]);
    } finally {
      this.delays.delete(cancel);
    }
    return !this.stopping;
  }

  /** Every `everyMs` in this process from `start` (and at `start` with `atStart`), never two at once. */
  schedule(kind: string, everyMs: number, options: ScheduleOptions = {}): void {
    this.definition(kind);
    this.schedules.push({ kind, everyMs, atStart: options.atStart ?? false });
  }

  private startSchedule(kind: string, everyMs: number, atStart: boolean): void {
    const definition = this.definition(kind);
    let running = false;
    const run = () => {
      if (running || this.stopping) return;
      running = true;
      const job = this.attempts(kind, definition, {}, { kind, attempt: 1 })
        .catch((error: unknown) => this.log.error({ kind, err: error instanceof Error ? error.message : String(error) }, "scheduled job failed"))
        .finally(() => (running = false));
      this.track(job);
    };
    if (atStart) {
      const first = setTimeout(run, 0);
      first.unref();
      this.timers.push(first);
    }
    const timer = setInterval(run, everyMs);
    timer.unref();
    this.timers.push(timer);
  }

  /** Takes no new work and waits up to `graceMs` (default: however long it takes) for what is running or queued. */
  async stop(options: StopOptions = {}): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    for (const cancel of [...this.delays]) cancel();
    if (options.graceMs === undefined) return this.idle();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timeout = setTimeout(resolve, options.graceMs)))]);
    clearTimeout(timeout);
  }

  /** Resolves when every accepted delivery and queued job has finished (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private definition(kind: string): Defined {
    const definition = this.definitions.get(kind);
    if (!definition) throw new UnknownJobKindError(kind);
    return definition;
  }

  /**
   * The job's data checked (when its first attempt starts), then its handler, retried with backoff
   * while its policy allows and the queue is not stopping. Each attempt runs inside `slot`, the
   * wait between attempts outside it; a `wait` that says false (the queue stopped) ends the job with
   * its last failure. Deliveries and schedules run in no slot and wait out every backoff.
   */
  private async attempts(kind: string, definition: Defined, data: unknown, info: JobInfo, between: Between = this.unslotted): Promise<void> {
    const policy = definition.retry ?? DEFAULT_RETRY;
    let checked: { data: unknown } | undefined;
    for (let attempt = 1; ; attempt++) {
      const failure = await between.slot(async () => {
        // Refused data throws out of here: never run, never retried.
        checked ??= { data: checkedData(kind, definition, data) };
        try {
          await definition.run(checked.data, { ...info, attempt });
          return null;
        } catch (error) {
          return { error };
        }
      });
      if (failure === null) return;
      if (attempt > policy.limit || this.stopping) throw failure.error;
      const waitMs = backoffSeconds(policy, attempt) * 1000 * (1 + this.random());
      this.log.warn({ kind, attempt, retryInMs: Math.round(waitMs), err: failure.error instanceof Error ? failure.error.message : String(failure.error) }, "job failed; retried after a wait");
      if (!(await between.wait(waitMs))) throw failure.error;
    }
  }

  /** A delivery's or a schedule's: no slot to leave, and the whole backoff waited out, stopping or not. */
  private readonly unslotted: Between = {
    slot: (attempt) => attempt(),
    wait: async (ms) => {
      await this.sleep(ms);
      return true;
    },
  };

  private capped<T>(lane: Lane, installationId: number, task: () => Promise<T>): Promise<T> {
    const key = `${lane}:${installationId}`;
    let entry = this.installations.get(key);
    if (!entry) {
      entry = { limit: pLimit(laneInstallationCap(lane, this.installationCap)), users: 0 };
      this.installations.set(key, entry);
    }
    entry.users += 1;
    const held = entry;
    return held.limit(task).finally(() => {
      held.users -= 1;
      if (held.users === 0 && this.installations.get(key) === held) this.installations.delete(key);
    });
  }

  private track(job: Promise<unknown>): void {
    this.running.add(job);
    void job.finally(() => this.running.delete(job));
  }
}
