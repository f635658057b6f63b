import type { Logger } from "pino";
import { backfillOf, enqueueBackfillInSlices, pendingCount, pendingRepositories, recentAssessmentCost, settleRepository, unfinishedBackfill, updateBackfill, type BackfillRow } from "../store/backfill-records.js";
import type { Store } from "../store/store.js";
import { DEFAULT_RESERVE_FRACTION, MEASURED_COST, WINDOW_MS, describeProgress, planBackfill, type CostPerRepository } from "./backfill-plan.js";
import type { RateBudgets } from "./rate-budget.js";

/*
 * Assessing every repository of an installation, in batches the installation's hourly budgets
 * pay for. When the budget left (less the reserve for webhooks and check runs) is spent, the
 * backfill waits until GitHub resets it instead of sending requests that would fail and leave
 * `unknown` findings. Progress lives in the store, so a restart resumes where it stopped.
 *
 * `step` plans one step and `settle` records one repository: the app takes each step as a job
 * of its queue and each repository as another (app/repository-jobs.ts), so no job sleeps and any
 * process can take the next one. `run`/`resume` take every step in this process, sleeping
 * through the pauses: the same planning, driven without a queue.
 */

export type Clock = { now: () => Date; sleep: (ms: number) => Promise<void> };
export const systemClock: Clock = { now: () => new Date(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

export type BackfillOptions = {
  /** A fixed cost per repository; by default the measured cost of the installation's recent assessments. */
  cost?: CostPerRepository;
  reserveFraction?: number;
  /**
   * Repositories handed to the queue at once. Small (a couple of times the background lane's
   * concurrency), so the plan is redone on fresh budget readings and work queued behind the
   * backfill for the same repository never waits long.
   */
  maxBatch?: number;
};

/** Batches when the caller does not say: twice the default concurrency of 4. */
export const DEFAULT_MAX_BATCH = 8;

export type BackfillWork<T> = {
  assess: (fullName: string) => Promise<T>;
  /** Reads the budgets without spending them, when they are not known yet. */
  probe?: () => Promise<unknown>;
};

/** `interrupted`: the process is shutting down; what is left stays in the store for the next start. */
export type BackfillOutcome<T> = { assessed: T[]; failed: number; interrupted?: boolean };

/**
 * What a backfill does next: assess a batch now, wait `waitMs` for the budgets to reset, or
 * nothing more (`justFinished`: this step recorded the end; false: it had ended already, or
 * there is none).
 */
export type BackfillStep = { kind: "batch"; repos: string[] } | { kind: "paused"; waitMs: number } | { kind: "finished"; justFinished: boolean };

/** What a process taking every step of one backfill itself remembers between them. */
export type StepMemory = { probed?: boolean; announced?: boolean; secondsPerRepository?: number; pending?: string[] };

/** Slack after GitHub's reset second before the first request of the new window. */
const RESET_MARGIN_MS = 1000;

export class Backfiller<T> {
  private readonly active = new Map<number, Promise<BackfillOutcome<T>>>();
  private readonly clock: Clock;
  private stopping = false;
  private wakeSleepers: (() => void)[] = [];

  constructor(
    private readonly deps: { store: Store; log: Logger; budgets: RateBudgets; clock?: Clock; options?: BackfillOptions },
  ) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Queues `repos` for the installation and resolves once every queued repository is settled. */
  async run(installationId: number, repos: readonly string[], trigger: { name: string; deliveryId: string }, work: BackfillWork<T>): Promise<BackfillOutcome<T>> {
    await enqueueBackfillInSlices(this.deps.store, installationId, repos, trigger, this.clock.now());
    return this.start(installationId, work);
  }

  /** Picks up an unfinished backfill (after a restart); null, doing nothing, if there is none or one is running here. */
  async resume(installationId: number, work: (row: BackfillRow) => BackfillWork<T>): Promise<BackfillOutcome<T> | null> {
    if (this.active.has(installationId) || !(await unfinishedBackfill(this.deps.store, installationId))) return null;
    const row = (await backfillOf(this.deps.store, installationId))!;
    const pending = (await pendingRepositories(this.deps.store, installationId)).length;
    // Another call may have started it while the store answered.
    if (this.active.has(installationId)) return null;
    this.deps.log.info({ installation: installationId, pending }, "resuming an unfinished backfill");
    return this.start(installationId, work(row));
  }

  /**
   * Shutting down: a backfill waiting for a rate-limit reset stops waiting and returns, and none
   * starts another batch. Its pending repositories stay stored; maintenance resumes them after
   * the next start, so a shutdown never has to wait out an hour.
   */
  stop(): void {
    this.stopping = true;
    for (const wake of this.wakeSleepers.splice(0)) wake();
  }

  private async sleepUnlessStopped(ms: number): Promise<void> {
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      this.wakeSleepers.push(resolve);
      void this.clock.sleep(ms).then(resolve);
    });
  }

  private start(installationId: number, work: BackfillWork<T>): Promise<BackfillOutcome<T>> {
    // One loop per installation: a later call waits, then settles whatever the first left.
    const previous = this.active.get(installationId);
    const mine = (async () => {
      if (previous) await previous.catch(() => undefined);
      return this.loop(installationId, work);
    })();
    this.active.set(installationId, mine);
    void mine.finally(() => {
      if (this.active.get(installationId) === mine) this.active.delete(installationId);
    }).catch(() => undefined);
    return mine;
  }

  /** The steps of one backfill taken in this process, one after the other, sleeping through pauses. */
  private async loop(installationId: number, work: BackfillWork<T>): Promise<BackfillOutcome<T>> {
    const outcome: BackfillOutcome<T> = { assessed: [], failed: 0 };
    const memory: StepMemory = {};
    for (;;) {
      if (this.stopping) {
        this.deps.log.info({ installation: installationId, pending: memory.pending?.length ?? 0 }, "backfill left for the next start: the process is shutting down");
        return { ...outcome, interrupted: true };
      }
      const next = await this.step(installationId, work, memory);
      if (next.kind === "finished") return outcome;
      if (next.kind === "paused") {
        await this.sleepUnlessStopped(next.waitMs);
        continue;
      }
      const started = this.clock.now().getTime();
      const settled = await Promise.allSettled(next.repos.map((fullName) => this.settle(installationId, fullName, () => work.assess(fullName))));
      const elapsed = (this.clock.now().getTime() - started) / 1000;
      if (elapsed > 0) memory.secondsPerRepository = elapsed / next.repos.length;
      const done = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
      outcome.assessed.push(...done);
      outcome.failed += settled.length - done.length;
    }
  }

  /**
   * What the installation's backfill does next, planned on the budgets as they stand: a batch of
   * repositories to assess now, a pause until the budgets reset (recorded for the report), or
   * the end (recorded, once). The repositories of a batch stay pending until each is settled, so
   * a step taken again before they are (another replica, a restart) names them again rather than
   * skipping them. Without `memory` (a step taken off the job queue, by whichever process) the
   * store is asked for a count and the batch only; the loop above keeps the list between steps.
   */
  async step(installationId: number, work: Pick<BackfillWork<T>, "probe">, memory?: StepMemory): Promise<BackfillStep> {
    const { store, log, budgets } = this.deps;
    const options = this.deps.options ?? {};
    const reserveFraction = options.reserveFraction ?? DEFAULT_RESERVE_FRACTION;
    const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
    const budget = budgets.of(installationId);
    const before = await backfillOf(store, installationId);
    if (!before || before.state === "finished") return { kind: "finished", justFinished: false };

    // Read once and consumed batch by batch: reading the whole list again for every small batch
    // would make a large backfill quadratic in the store. Re-read when used up, for late additions.
    let pending: number;
    if (memory) {
      if (!memory.pending?.length) memory.pending = await pendingRepositories(store, installationId);
      pending = memory.pending.length;
    } else {
      pending = await pendingCount(store, installationId);
    }
    if (pending === 0) {
      const at = this.clock.now();
      await updateBackfill(store, installationId, { state: "finished", nextBatchAt: null, expectedFinishAt: at.toISOString(), finishedAt: at.toISOString() }, at);
      const row = (await backfillOf(store, installationId)) ?? before;
      log.info({ installation: installationId, assessed: row.assessed, failed: row.failed, total: row.total }, `backfill finished: ${row.assessed} of ${row.total} assessed${row.failed > 0 ? `, ${row.failed} failed` : ""}`);
      return { kind: "finished", justFinished: true };
    }
    const cost = options.cost ?? costOf(await recentAssessmentCost(store, installationId));
    const planFor = () => planBackfill({ pending, cost, budget: budget.current(), now: this.clock.now(), reserveFraction, secondsPerRepository: memory?.secondsPerRepository ?? 0 });
    let plan: ReturnType<typeof planFor>;
    for (let attempt = 1; ; attempt++) {
      // What other replicas spent of the installation's budgets counts here too.
      await budget.refresh();
      plan = planFor();
      // GitHub's own figures, not a default: asking costs nothing.
      if (!memory?.probed && plan.assumed.length > 0 && work.probe) {
        if (memory) memory.probed = true;
        await work.probe();
        plan = planFor();
      }
      if (plan.runNow === 0) break;
      const size = Math.min(plan.runNow, maxBatch, pending);
      // Another replica may have planned from the same readings: the batch's cost comes off the
      // shared budget first, above the reserve, or the plan is made again from what is left.
      if (await budget.claim({ rest: Math.ceil(size * cost.rest), graphql: Math.ceil(size * cost.graphql) }, reserveFraction, this.clock.now())) break;
      if (attempt >= MAX_CLAIM_ATTEMPTS) return { kind: "paused", waitMs: CLAIM_RETRY_MS };
    }
    const row = (await backfillOf(store, installationId))!;
    // A step off the queue knows the backfill was announced from what it has done or a pause it logged.
    const announced = memory ? (memory.announced ?? false) : row.assessed + row.failed > 0 || row.state === "paused";
    if (memory) memory.announced = true;
    const progress = { assessed: row.assessed, total: row.total, nextBatchAt: plan.runNow > 0 ? plan.nextBatchAt : (plan.batches[0]?.at ?? null), finishAt: plan.finishAt };
    const fields = { installation: installationId, cost, assessed: row.assessed, failed: row.failed, total: row.total, pending, nextBatchAt: progress.nextBatchAt?.toISOString() ?? null, expectedFinishAt: plan.finishAt.toISOString(), boundBy: plan.boundBy, perWindow: plan.perWindow, assumed: plan.assumed };

    if (plan.runNow === 0) {
      const wake = progress.nextBatchAt ?? new Date(this.clock.now().getTime() + WINDOW_MS);
      await updateBackfill(store, installationId, { state: "paused", nextBatchAt: wake.toISOString(), expectedFinishAt: plan.finishAt.toISOString() }, this.clock.now());
      log.info(fields, `backfill paused until the rate limit resets: ${describeProgress(progress)}`);
      return { kind: "paused", waitMs: Math.max(0, wake.getTime() - this.clock.now().getTime()) + RESET_MARGIN_MS };
    }

    await updateBackfill(store, installationId, { state: "running", nextBatchAt: progress.nextBatchAt?.toISOString() ?? null, expectedFinishAt: plan.finishAt.toISOString() }, this.clock.now());
    if (!announced) log.info(fields, `backfill started: ${describeProgress(progress)}`);
    const size = Math.min(plan.runNow, maxBatch);
    const repos = memory?.pending ? memory.pending.splice(0, size) : await pendingRepositories(store, installationId, size);
    return { kind: "batch", repos };
  }

  /** One repository of the backfill assessed (or not) and settled in the store; rethrows the failure, counted. */
  async settle<R>(installationId: number, fullName: string, assess: () => Promise<R>): Promise<R> {
    try {
      const value = await assess();
      await settleRepository(this.deps.store, installationId, fullName, true, this.clock.now());
      return value;
    } catch (error) {
      await settleRepository(this.deps.store, installationId, fullName, false, this.clock.now());
      this.deps.log.warn({ installation: installationId, repo: fullName, err: error instanceof Error ? error.message : String(error) }, "repository could not be assessed in the backfill");
      throw error;
    }
  }
}

/** Plans made again after another replica claimed the budget first, before the step waits a moment instead. */
const MAX_CLAIM_ATTEMPTS = 3;
const CLAIM_RETRY_MS = 5_000;

/**
 * The cost to plan with: the measured mean of recent full assessments, never below one of each
 * (a repository read entirely from 304s this time may not be next time); the figure measured by
 * the benchmark until the installation has assessments of its own.
 */
export function costOf(measured: { rest: number; graphql: number } | null): CostPerRepository {
  if (!measured) return MEASURED_COST;
  return { rest: Math.max(1, Math.ceil(measured.rest * 10) / 10), graphql: Math.max(1, Math.ceil(measured.graphql * 10) / 10) };
}

/** The backfill's standing in words, for the summary and the report; null when none ran. */
export function describeBackfill(row: BackfillRow | undefined): string | null {
  if (!row) return null;
  if (row.state === "finished") return `${row.assessed} of ${row.total} repositories assessed by ${row.finishedAt ?? row.updatedAt}${row.failed > 0 ? ` (${row.failed} could not be)` : ""}`;
  return describeProgress({ assessed: row.assessed, total: row.total, nextBatchAt: row.nextBatchAt ? new Date(row.nextBatchAt) : null, finishAt: row.expectedFinishAt ? new Date(row.expectedFinishAt) : null });
}
