import { z } from "zod";
import { RESOURCES, type BudgetReading, type BudgetReadings, type Resource } from "./backfill-plan.js";

/*
 * What GitHub last said about each installation's hourly budgets, from the `x-ratelimit-*`
 * headers of every answer the app's Octokit for that installation receives. One tracker per
 * installation: budgets are per installation, and one organisation's traffic must never slow
 * or speed another's backfill.
 */

type Headers = Record<string, unknown>;

function header(headers: Headers, name: string): number | null {
  const value = headers[name];
  const n = typeof value === "string" || typeof value === "number" ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

/** The budget a response's headers describe; null when GitHub sent none (e.g. rate limiting off). */
export function readingFromHeaders(headers: Headers, url: string): { resource: Resource; reading: BudgetReading } | null {
  const limit = header(headers, "x-ratelimit-limit");
  const remaining = header(headers, "x-ratelimit-remaining");
  const reset = header(headers, "x-ratelimit-reset");
  if (limit === null || remaining === null || reset === null) return null;
  const named = headers["x-ratelimit-resource"];
  const resource = typeof named === "string" ? (named === "core" ? "rest" : named === "graphql" ? "graphql" : null) : /\/graphql$/.test(url.split("?")[0] ?? "") ? "graphql" : "rest";
  // Search and other resources have budgets of their own that a backfill does not spend.
  if (!resource) return null;
  return { resource, reading: { limit, remaining, resetAt: new Date(reset * 1000) } };
}

/** The merge rule: a later window replaces an earlier one; within a window the lowest remaining count is the true one. */
export function mergeReading(known: BudgetReading | null, reading: BudgetReading): BudgetReading {
  if (!known || reading.resetAt.getTime() > known.resetAt.getTime()) return reading;
  if (reading.resetAt.getTime() === known.resetAt.getTime()) return { ...reading, remaining: Math.min(known.remaining, reading.remaining) };
  return known;
}

/**
 * Readings every replica records and reads, by installation, merged by `mergeReading`: every
 * replica then plans from the lowest count any of them was told of in the current window.
 */
export interface SharedReadings {
  record(installationId: number, resource: Resource, reading: BudgetReading): Promise<void>;
  read(installationId: number): Promise<BudgetReadings>;
  /**
   * Takes `spend` off the installation's current windows at once, as one replica's claim on them,
   * when every window keeps its reserve (`reserveFraction` of its limit) after it; otherwise takes
   * nothing and answers false. A resource with no reading for a window that has not reset yet is
   * not held back: nothing is known to claim against.
   */
  claim(installationId: number, spend: Spend, reserveFraction: number, now: Date): Promise<boolean>;
}

export type Spend = Record<Resource, number>;

export type SharedBudget = { readings: SharedReadings; installationId: number; onError?: (error: unknown) => void };

const noReadings = (): Record<Resource, BudgetReading | null> => ({ rest: null, graphql: null });

export class RateBudget {
  private readonly readings = noReadings();
  /** Observed here and not yet recorded in the shared readings: at most one write per resource is in flight. */
  private readonly unsent = noReadings();
  private sending: Promise<void> | null = null;

  /** Without `shared`, what this process was told is all it knows (one process: SQLite). */
  constructor(private readonly shared?: SharedBudget) {}

  /** Answers arrive out of order: within a window the lowest remaining count is the true one. */
  observe(resource: Resource, reading: BudgetReading): void {
    this.readings[resource] = mergeReading(this.readings[resource], reading);
    if (!this.shared) return;
    this.unsent[resource] = mergeReading(this.unsent[resource], reading);
    this.sending ??= this.send(this.shared);
  }

  current(): BudgetReadings {
    return { ...this.readings };
  }

  /** What the other replicas were told, merged into this one's readings; a failed read leaves them as they were. */
  async refresh(): Promise<BudgetReadings> {
    if (this.shared) {
      try {
        const theirs = await this.shared.readings.read(this.shared.installationId);
        for (const resource of RESOURCES) {
          const reading = theirs[resource];
          if (reading) this.readings[resource] = mergeReading(this.readings[resource], reading);
        }
      } catch (error) {
        this.shared.onError?.(error);
      }
    }
    return this.current();
  }

  /**
   * Before a backfill batch goes out: its cost is taken off the budget every replica plans from,
   * so two replicas planning from the same readings cannot both spend the reserve. True when the
   * batch may go (always, in one process: its backfill is the installation's only planner).
   */
  async claim(spend: Spend, reserveFraction: number, now: Date): Promise<boolean> {
    if (!this.shared) return true;
    // This replica's own answers go first: a window only it has seen so far is claimed against too.
    await this.flushed();
    let claimed: boolean;
    try {
      claimed = await this.shared.readings.claim(this.shared.installationId, spend, reserveFraction, now);
    } catch (error) {
      this.shared.onError?.(error);
      // Unshared, the claim is this replica's own readings' to allow, as in one process.
      return true;
    }
    if (claimed) {
      // What was claimed is spent as far as this replica's plans go, too.
      for (const resource of RESOURCES) {
        const known = this.readings[resource];
        if (known && spend[resource] > 0 && known.resetAt.getTime() > now.getTime()) this.readings[resource] = { ...known, remaining: Math.max(0, known.remaining - spend[resource]) };
      }
    }
    return claimed;
  }

  /** Resolves once every reading observed so far has been offered to the shared readings. */
  async flushed(): Promise<void> {
    while (this.sending) await this.sending;
  }

  /**
   * Many answers arrive for each write the database can take: they are merged while one write per
   * resource is in flight, and the merged reading goes next. A failed write loses nothing this
   * replica plans with (its own readings are kept); the others see the next one.
   */
  private async send(shared: SharedBudget): Promise<void> {
    try {
      for (;;) {
        const due = RESOURCES.flatMap((resource) => {
          const reading = this.unsent[resource];
          this.unsent[resource] = null;
          return reading ? [{ resource, reading }] : [];
        });
        if (due.length === 0) return;
        await Promise.all(due.map(({ resource, reading }) => shared.readings.record(shared.installationId, resource, reading).catch((error: unknown) => shared.onError?.(error))));
      }
    } finally {
      this.sending = null;
    }
  }
}

export class RateBudgets {
  private readonly byInstallation = new Map<number, RateBudget>();

  /** `shared`: the readings every replica sees (PostgreSQL); without it, each process's own. */
  constructor(private readonly shared?: Omit<SharedBudget, "installationId">) {}

  of(installationId: number): RateBudget {
    let budget = this.byInstallation.get(installationId);
    if (!budget) {
      budget = new RateBudget(this.shared ? { ...this.shared, installationId } : undefined);
      this.byInstallation.set(installationId, budget);
    }
    return budget;
  }

  forget(installationId: number): void {
    this.byInstallation.delete(installationId);
  }
}

type HookOptions = { url?: unknown; baseUrl?: unknown };
type Hookable = {
  hook: {
    after: (name: "request", fn: (response: { headers?: Headers }, options: HookOptions) => void) => void;
    error: (name: "request", fn: (error: unknown, options: HookOptions) => never) => void;
  };
};

function hookable(octokit: unknown): octokit is Hookable {
  const hook = (octokit as { hook?: { after?: unknown; error?: unknown } } | null)?.hook;
  return typeof hook?.after === "function" && typeof hook.error === "function";
}

const observed = new WeakSet<object>();

/**
 * Feeds `budget` from every answer `octokit` receives, errors included (a 403 for a spent
 * budget carries the reset time). Adding it twice to one Octokit is harmless.
 */
export function observeRateLimits(octokit: unknown, budget: RateBudget): void {
  if (!hookable(octokit) || observed.has(octokit)) return;
  observed.add(octokit);
  const note = (headers: Headers | undefined, options: HookOptions) => {
    const found = headers ? readingFromHeaders(headers, typeof options.url === "string" ? options.url : "") : null;
    if (found) budget.observe(found.resource, found.reading);
  };
  octokit.hook.after("request", (response, options) => note(response.headers, options));
  octokit.hook.error("request", (error, options) => {
    note((error as { response?: { headers?: Headers } } | null)?.response?.headers, options);
    throw error;
  });
}

const windowSchema = z.object({ limit: z.number(), remaining: z.number(), reset: z.number() });
const rateLimitSchema = z.object({ resources: z.object({ core: windowSchema, graphql: windowSchema.optional() }) });

type Requester = { request: (route: string, params?: Record<string, unknown>) => Promise<{ data: unknown }> };

/**
 * Asks GitHub for both budgets at once; `GET /rate_limit` itself costs nothing. False when it
 * did not answer usably (rate limiting disabled on a server, a malformed answer): the planner
 * then keeps its conservative default until real answers carry headers.
 */
export async function probeRateLimits(octokit: Requester, budget: RateBudget): Promise<boolean> {
  try {
    // Not retried: an answer now is worth having, and without one the planner falls back to its default.
    const { data } = await octokit.request("GET /rate_limit", { request: { retries: 0 } });
    const parsed = rateLimitSchema.safeParse(data);
    if (!parsed.success) return false;
    const { core, graphql } = parsed.data.resources;
    budget.observe("rest", { limit: core.limit, remaining: core.remaining, resetAt: new Date(core.reset * 1000) });
    if (graphql) budget.observe("graphql", { limit: graphql.limit, remaining: graphql.remaining, resetAt: new Date(graphql.reset * 1000) });
    return true;
  } catch {
    return false;
  }
}
