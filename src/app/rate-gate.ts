import type { Resource } from "./backfill-plan.js";
import type { RateBudget } from "./rate-budget.js";
import { rateLimitOf } from "../github/client.js";

/*
 * A run that must not turn a spent rate limit into `unknown` evidence. Before each request the
 * budget GitHub last reported for its resource is checked: when it is down to the floor (what the
 * requests already in flight may still spend), the request waits for GitHub's reset — or, in
 * "stop" mode, the run stops with RateLimitStop. Refusals that get through anyway (a secondary
 * limit, another client spending the same budget) are counted, so the caller can refuse to
 * present evidence they hid as if it had merely been unreadable.
 */

export type GateMode = "wait" | "stop";

export class RateLimitStop extends Error {
  constructor(
    readonly resource: Resource,
    readonly resetAt: Date,
  ) {
    super(`GitHub's ${resource === "graphql" ? "GraphQL" : "REST"} rate limit is spent until ${resetAt.toISOString()}`);
    this.name = "RateLimitStop";
  }
}

export type GateOptions = {
  mode: GateMode;
  /** Budget left at which requests stop going out: what in-flight requests may still spend. */
  floor: Record<Resource, number>;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Told once per wait, with the resource and when it resets. */
  onWait?: (resource: Resource, until: Date) => void;
};

type HookOptions = { url?: unknown; method?: unknown };
type Gateable = {
  hook: {
    before: (name: "request", fn: (options: HookOptions) => Promise<void>) => void;
    error: (name: "request", fn: (error: unknown) => never) => void;
  };
};

/** Slack after GitHub's reset second. */
const RESET_MARGIN_MS = 1000;

function resourceOf(url: string): Resource | null {
  const path = url.split("?")[0] ?? "";
  if (/\/rate_limit$/.test(path)) return null; // free, and how the budget is read
  return /\/graphql$/.test(path) ? "graphql" : "rest";
}

/** `refused`: requests GitHub refused for rate limits; `stopped`: the stop, in "stop" mode, once the budget ran out. */
export type Gate = { refused: () => number; stopped: () => RateLimitStop | null };

export function gateRequests(octokit: unknown, budget: RateBudget, options: GateOptions): Gate {
  const hook = (octokit as Partial<Gateable> | null)?.hook;
  if (typeof hook?.before !== "function" || typeof hook.error !== "function") throw new Error("the Octokit has no request hooks to gate");
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let refused = 0;
  let stopped: RateLimitStop | null = null;
  const waiting = new Map<Resource, Promise<void>>();

  hook.before("request", async (request) => {
    const resource = resourceOf(typeof request.url === "string" ? request.url : "");
    if (!resource) return;
    for (;;) {
      const reading = budget.current()[resource];
      const at = now();
      if (!reading || reading.resetAt.getTime() <= at.getTime() || reading.remaining > options.floor[resource]) return;
      if (options.mode === "stop") {
        // Collectors would turn this into an unreadable finding: the caller checks `stopped`.
        stopped ??= new RateLimitStop(resource, reading.resetAt);
        throw stopped;
      }
      // Every request of the resource waits on one timer, announced once.
      let wait = waiting.get(resource);
      if (!wait) {
        options.onWait?.(resource, reading.resetAt);
        wait = sleep(reading.resetAt.getTime() - at.getTime() + RESET_MARGIN_MS).finally(() => waiting.delete(resource));
        waiting.set(resource, wait);
      }
      await wait;
    }
  });
  hook.error("request", (error) => {
    if (rateLimitOf(error)) refused += 1;
    throw error;
  });
  return { refused: () => refused, stopped: () => stopped };
}
