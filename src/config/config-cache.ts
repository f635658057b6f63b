/*
 * `.github/claimcheck.yml` is looked for in each repository and, when a repository has none, in
 * the organisation's `.github` repository (and whatever `_extends` names). Those shared files are
 * the same for every repository of a run, so a run reads each of them once instead of once per
 * repository (2 contents reads a repository became 1). Only the reads are shared: where
 * configuration comes from, and how `_extends` is checked, stays in load-repo-config.ts.
 *
 * Scoped to one run of one installation and short-lived: a change to the organisation's file is
 * seen by the next run, and by a long backfill within `maxAgeMs`.
 */

export const CONFIG_CACHE_MAX_AGE_MS = 15 * 60 * 1000;

/** What a shared read gives back; a `transient` outcome (a failed request) is never kept. */
export type SharedRead = { transient?: boolean };

export class RunConfigCache {
  private readonly reads = new Map<string, { at: number; outcome: Promise<unknown> }>();

  constructor(
    private readonly maxAgeMs = CONFIG_CACHE_MAX_AGE_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The outcome of `read` for `key`, asked once for the run while it is fresh. */
  shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.clock();
    const known = this.reads.get(key);
    // A copy every time: callers take `_extends` out of what they are given.
    if (known && now - known.at < this.maxAgeMs) return known.outcome.then((o) => structuredClone(o) as T);
    const entry = { at: now, outcome: read() as Promise<unknown> };
    this.reads.set(key, entry);
    // A failed request is asked again by the next repository; an absent or invalid file is an answer.
    void entry.outcome.then(
      (o) => {
        if ((o as SharedRead | null)?.transient === true && this.reads.get(key) === entry) this.reads.delete(key);
      },
      () => {
        if (this.reads.get(key) === entry) this.reads.delete(key);
      },
    );
    return entry.outcome.then((o) => structuredClone(o) as T);
  }
}

const RUN_CONFIG = Symbol("claimcheck.runConfig");

/** `octokit`, carrying `cache` for the configuration reads of one run; every request goes through as before. */
export function withRunConfig<T extends object>(octokit: T, cache: RunConfigCache): T {
  return new Proxy(octokit, { get: (target, prop, receiver) => (prop === RUN_CONFIG ? cache : Reflect.get(target, prop, receiver)) });
}

/** The run's configuration cache `octokit` carries, if any. */
export function runConfigOf(octokit: object): RunConfigCache | undefined {
  const cache = (octokit as Record<symbol, unknown>)[RUN_CONFIG];
  return cache instanceof RunConfigCache ? cache : undefined;
}
