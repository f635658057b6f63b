/*
 * Conditional REST requests: GitHub answers a request carrying the ETag of an earlier answer with
 * 304 Not Modified when nothing changed, and a 304 is not charged to the rate limit. Settings read
 * at every pull request (the repository, its protection, the Actions token settings) rarely change,
 * so most re-assessments cost GitHub's budget little more than their one GraphQL query.
 *
 * Entries are keyed by a scope (the installation) first: an answer read for one installation is
 * never served to another.
 */

export type CachedAnswer = { etag: string; status: number; data: unknown; headers: Record<string, unknown> };

/** Where answers are kept: in memory (tests, the CLI) or in the app's database (store/conditional-answers.ts). */
export interface AnswerCache {
  get(scope: string, route: string, params: Record<string, unknown>): Promise<CachedAnswer | undefined>;
  set(scope: string, route: string, params: Record<string, unknown>, answer: CachedAnswer): Promise<void>;
}

/** The canonical key of a request: route and its parameters, in a stable order. */
export function requestKey(route: string, params: Record<string, unknown>): string {
  const sorted = Object.keys(params)
    .sort()
    .map((k) => [k, params[k]]);
  return `${route}\u0000${JSON.stringify(sorted)}`;
}

export class ConditionalCache implements AnswerCache {
  private readonly entries = new Map<string, CachedAnswer>();

  /** Bounded: the least recently used answers are dropped first (the next read is a full one). */
  constructor(private readonly maxEntries = 5_000) {}

  private key(scope: string, route: string, params: Record<string, unknown>): string {
    return `${scope}\u0000${requestKey(route, params)}`;
  }

  async get(scope: string, route: string, params: Record<string, unknown>): Promise<CachedAnswer | undefined> {
    const key = this.key(scope, route, params);
    const found = this.entries.get(key);
    if (found) {
      this.entries.delete(key);
      this.entries.set(key, found);
    }
    return found;
  }

  async set(scope: string, route: string, params: Record<string, unknown>, answer: CachedAnswer): Promise<void> {
    const key = this.key(scope, route, params);
    this.entries.delete(key);
    this.entries.set(key, answer);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
