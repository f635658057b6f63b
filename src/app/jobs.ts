import pLimit from "p-limit";
import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import { KeyedSerial } from "./keyed-serial.js";

/*
 * Webhook work runs after the delivery is acknowledged (GitHub gives a delivery ten seconds),
 * one job at a time per repository and a bounded number at once overall. The delivery's state
 * is kept in the store, so a redelivery of finished work is skipped and a failed one retried.
 *
 * Two lanes, each with its own pool of `concurrency` slots: "webhook" (a pull request waiting
 * for its check run) and "background" (an installation backfill, a scheduled sweep). A check run
 * never queues behind hundreds of background assessments; background work only ever waits for
 * background work. Callers of the background lane feed it in small batches (BACKGROUND_BATCH_FACTOR
 * times the concurrency) so that, per repository, a webhook waits for at most the background
 * job already queued for that same repository.
 */
export type Lane = "webhook" | "background";

/** Background batches are at most this many times the lane's concurrency. */
export const BACKGROUND_BATCH_FACTOR = 2;

export class Jobs {
  private readonly serial = new KeyedSerial();
  private readonly lanes: Record<Lane, ReturnType<typeof pLimit>>;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    readonly concurrency: number,
  ) {
    this.lanes = { webhook: pLimit(concurrency), background: pLimit(concurrency) };
  }

  /** The largest batch a background caller should queue at once. */
  get backgroundBatch(): number {
    return BACKGROUND_BATCH_FACTOR * this.concurrency;
  }

  /** Tasks waiting for a slot in `lane` (not counting those running). */
  waiting(lane: Lane): number {
    return this.lanes[lane].pendingCount;
  }

  /**
   * Starts the work of one delivery unless it was already done or is under way; resolves once the
   * delivery is claimed (true) or skipped (false), not when the work ends. Tracked from the call on,
   * so `idle` waits for a delivery whose claim the store has not answered yet.
   */
  accept(delivery: { id: string; event: string; installationId: number | null }, work: () => Promise<void>): Promise<boolean> {
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

  /** Runs `task` after earlier tasks for the same key (a repository), within its lane's concurrency bound. */
  forKey<T>(key: string, task: () => Promise<T>, lane: Lane = "webhook"): Promise<T> {
    const limit = this.lanes[lane];
    return this.serial.run(key, () => limit(task));
  }

  private track(job: Promise<unknown>): void {
    this.running.add(job);
    void job.finally(() => this.running.delete(job));
  }

  /** Resolves when every accepted delivery has finished (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
