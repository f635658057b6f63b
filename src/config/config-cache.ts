/*
 * `.github/claimcheck.yml` is looked for in each repository and, when a repository has none, in
 * the organisation's `.github` repository (and whatever `_extends` names). Those shared files are
 * the same for every repository of a run, so a run reads each of them once instead of once per
 * repository (2 contents reads a repository became 1). Only the reads are shared: where
 * configuration comes from, and how `_extends` is checked, stays in load-repo-config.ts.
 *
 * One cache serves one installation: a run's (an installation-wide run, a backfill) for as long as
 * the run lasts, or the app's between pull requests (app/org-evidence.ts `configReads`), which keeps
 * a file only while the installation hears of pushes to its repository (`keeps`) and forgets it on
 * such a push (`forgetRepository`). Either way a file is read again after `maxAgeMs`.
 */

export const CONFIG_CACHE_MAX_AGE_MS = 15 * 60 * 1000;

/** What a shared read gives back; a `transient` outcome (a failed request) is never kept. */
export type SharedRead = { transient?: boolean };

export class RunConfigCache {
  private readonly reads = new Map<string, { at: number; outcome: Promise<unknown> }>();
  /** The run's repositories not yet read, by owner, in the order they were announced. */
  private readonly upcoming = new Map<string, Set<string>>();
  /** Answers of batch reads, by `owner/repo`, each given out once. */
  private readonly batched = new Map<string, { at: number; answer: Promise<unknown> }>();

  constructor(
    private readonly maxAgeMs = CONFIG_CACHE_MAX_AGE_MS,
    private readonly clock: () => number = Date.now,
    /**
     * Whether a file of `owner/repo` (lower case) may be kept: only one whose changes will be
     * heard of (forgetRepository) should be. Without it, every file is kept for `maxAgeMs`.
     */
    private readonly keeps?: (repository: string) => Promise<boolean>,
  ) {}

  /** Announces the repositories this run will assess, so their own files can be read together. */
  expect(owner: string, repos: readonly string[]): void {
    const key = owner.toLowerCase();
    const names = this.upcoming.get(key) ?? new Set<string>();
    for (const repo of repos) names.add(repo.toLowerCase());
    this.upcoming.set(key, names);
  }

  /**
   * This repository's answer from a batch read of it and the run's next repositories (at most
   * `size`), or undefined when the run did not announce it: the caller then reads it alone. Each
   * answer is given out once, and not after `maxAgeMs`, so a repository assessed again later in a
   * long run is read afresh.
   */
  fromBatch<T>(owner: string, repo: string, size: number, readBatch: (repos: string[]) => Promise<Map<string, T>>): Promise<T | undefined> | undefined {
    const key = `${owner}/${repo}`.toLowerCase();
    const known = this.batched.get(key);
    if (known) {
      this.batched.delete(key);
      if (this.clock() - known.at < this.maxAgeMs) return known.answer as Promise<T | undefined>;
    }
    const queue = this.upcoming.get(owner.toLowerCase());
    if (!queue?.delete(repo.toLowerCase())) return undefined;
    // The next ones announced (a Set keeps the order they were added in).
    const others: string[] = [];
    for (const name of queue) {
      if (others.length >= size - 1) break;
      others.push(name);
    }
    for (const name of others) queue.delete(name);
    // Alone, a GraphQL query would cost as much as the REST read it replaces.
    if (others.length === 0) return undefined;
    const names = [repo.toLowerCase(), ...others];
    // A failed batch answers nothing: each repository is then read alone.
    const read = readBatch(names).catch(() => new Map<string, T>());
    const now = this.clock();
    for (const name of others) this.batched.set(`${owner}/${name}`.toLowerCase(), { at: now, answer: read.then((m) => m.get(name)) });
    return read.then((m) => m.get(repo.toLowerCase()));
  }

  /** Forgets the shared reads of `owner/repo`'s files (keys `owner/repo:path`), which a push may have changed. */
  forgetRepository(owner: string, repo: string): void {
    const prefix = `${owner}/${repo}:`.toLowerCase();
    for (const key of this.reads.keys()) if (key.startsWith(prefix)) this.reads.delete(key);
  }

  /** Drops the reads no longer fresh; true when nothing is left (the cache can then be dropped too). */
  prune(): boolean {
    const now = this.clock();
    for (const [key, entry] of this.reads) if (now - entry.at >= this.maxAgeMs) this.reads.delete(key);
    return this.reads.size === 0 && this.batched.size === 0 && [...this.upcoming.values()].every((names) => names.size === 0);
  }

  /**
   * The outcome of `read` for `key` (`owner/repo:path`), asked once for the run while it is fresh;
   * `kept` hears when an answer read earlier is given, and when it was read.
   */
  shared<T>(key: string, read: () => Promise<T>, kept?: (at: number) => void): Promise<T> {
    const now = this.clock();
    const known = this.reads.get(key);
    // A copy every time: callers take `_extends` out of what they are given.
    if (known && now - known.at < this.maxAgeMs) {
      if (known.at < now) kept?.(known.at);
      return known.outcome.then((o) => structuredClone(o) as T);
    }
    // Kept for the installation's life in the app: what is no longer served is not kept either.
    if (known) this.reads.delete(key);
    this.prune();
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
    // Shared by the reads already waiting on it, then dropped if its changes would go unheard.
    if (this.keeps) {
      const unkept = () => {
        if (this.reads.get(key) === entry) this.reads.delete(key);
      };
      void this.keeps(key.slice(0, key.indexOf(":"))).then((keep) => (keep ? undefined : unkept()), unkept);
    }
    return entry.outcome.then((o) => structuredClone(o) as T);
  }
}

/** A cache for a run over these repositories (`owner/repo`), announced so their own files are read together. */
export function announced(fullNames: readonly string[]): RunConfigCache {
  const cache = new RunConfigCache();
  const byOwner = new Map<string, string[]>();
  for (const fullName of fullNames) {
    const [owner, repo] = fullName.split("/");
    if (!owner || !repo) continue;
    const repos = byOwner.get(owner) ?? [];
    repos.push(repo);
    byOwner.set(owner, repos);
  }
  for (const [owner, repos] of byOwner) cache.expect(owner, repos);
  return cache;
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

/**
 * One object per distinct configuration of a run: each repository's configuration is its own copy
 * (above), and a backfill keeps every repository's until its issues are written, so 10,000 equal
 * copies (a few kilobytes each) would stay alive for the whole backfill.
 */
export function configInterner<C>(): (config: C) => C {
  const seen = new Map<string, C>();
  return (config) => {
    const key = JSON.stringify(config);
    const known = seen.get(key);
    if (known) return known;
    seen.set(key, config);
    return config;
  };
}
