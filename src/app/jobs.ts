import pLimit from "p-limit";
import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import { KeyedSerial } from "./keyed-serial.js";

/*
 * Webhook work runs after the delivery is acknowledged (GitHub gives a delivery ten seconds),
 * one job at a time per repository and a bounded number at once overall. The delivery's state
 * is kept in the store, so a redelivery of finished work is skipped and a failed one retried.
 */
export class Jobs {
  private readonly serial = new KeyedSerial();
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    concurrency: number,
  ) {
    this.limit = pLimit(concurrency);
  }

  /** Starts the work of one delivery unless it was already done or is under way. */
  accept(delivery: { id: string; event: string; installationId: number | null }, work: () => Promise<void>): boolean {
    if (!this.store.claimDelivery(delivery.id, delivery.event, delivery.installationId)) {
      this.log.info({ delivery: delivery.id, event: delivery.event }, "delivery already handled; skipped");
      return false;
    }
    const job = work().then(
      () => this.store.finishDelivery(delivery.id, { ok: true }),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.store.finishDelivery(delivery.id, { ok: false, error: message });
        this.log.error({ delivery: delivery.id, event: delivery.event, err: message }, "delivery failed");
      },
    );
    this.track(job);
    return true;
  }

  /**
   * Runs `task` after earlier tasks for the same key, within the global concurrency bound.
   * `lane`: "background" for scheduled work that webhook work must not wait behind.
   */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the lanes are implemented with the job-lane work; accepted now so callers can name theirs
  forKey<T>(key: string, task: () => Promise<T>, lane: "webhook" | "background" = "webhook"): Promise<T> {
    return this.serial.run(key, () => this.limit(task));
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
