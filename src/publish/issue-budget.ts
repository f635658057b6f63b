/**
 * GitHub's content-creation limit for one installation (issues, comments, labels, check runs): about
 * 80 a minute and 500 an hour. A write waits for the minute to free up; once the hour is spent the
 * write is refused, and what is left is written by a later run (content hashes make that safe).
 */
export type BudgetLimits = { perMinute: number; perHour: number };
export const CONTENT_CREATION_LIMITS: BudgetLimits = { perMinute: 80, perHour: 500 };

/** One installation's content-creation budget, whichever process or replica spends it. */
export interface ContentBudget {
  /** Resolves true when a write may go ahead (after waiting for the minute window), false when the hour is spent. */
  take(): Promise<boolean>;
  /** Counts a content write made outside the issue publisher (a check run). */
  note(): Promise<void>;
}

/** Every installation's budget: in this process, or shared by the replicas through PostgreSQL. */
export type ContentBudgets = (installationId: number) => ContentBudget;

/** The budget of one process: enough where one process writes for every installation (SQLite). */
export class WriteBudget implements ContentBudget {
  private stamps: number[] = [];

  constructor(
    private readonly limits: BudgetLimits = CONTENT_CREATION_LIMITS,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async take(): Promise<boolean> {
    for (;;) {
      const now = this.clock();
      this.stamps = this.stamps.filter((t) => t > now - 3_600_000);
      if (this.stamps.length >= this.limits.perHour) return false;
      const lastMinute = this.stamps.filter((t) => t > now - 60_000);
      if (lastMinute.length < this.limits.perMinute) {
        this.stamps.push(now);
        return true;
      }
      await this.sleep(Math.max(1, (lastMinute[0] ?? now) + 60_000 - now));
    }
  }

  async note(): Promise<void> {
    this.stamps.push(this.clock());
  }

  get usedLastHour(): number {
    const now = this.clock();
    return this.stamps.filter((t) => t > now - 3_600_000).length;
  }
}
