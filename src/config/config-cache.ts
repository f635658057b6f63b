import { composeConfigGet } from "@probot/octokit-plugin-config";
import type { ConfigReader } from "./load-repo-config.js";

/*
 * `.github/claimcheck.yml` is looked for in each repository and, when a repository has none, in
 * the organisation's `.github` repository (and whatever `_extends` names). Those shared files are
 * the same for every repository of a run, so a run reads each of them once instead of once per
 * repository (2 contents reads a repository became 1). The lookup itself is Probot's own
 * (`composeConfigGet`): only the HTTP answers are shared, so the rules of where configuration
 * comes from do not change.
 *
 * Scoped to one run of one installation and short-lived: a change to the organisation's file is
 * seen by the next run, and by a long backfill within `maxAgeMs`.
 */

type Endpoint = { method?: string; url?: string; owner?: unknown; repo?: unknown; path?: unknown; ref?: unknown } & Record<string, unknown>;
type Answer = { status: number; data: unknown; headers: Record<string, unknown> };
type RequestFn = ((route: string | Endpoint, params?: Record<string, unknown>) => Promise<Answer>) & { endpoint: (options: Endpoint) => { url: string } };

/** What the config plugin needs of an Octokit: `request` with its `endpoint` helper. */
export type ConfigOctokit = { request: RequestFn };

export const CONFIG_CACHE_MAX_AGE_MS = 15 * 60 * 1000;

const CONTENTS = "/repos/{owner}/{repo}/contents/{path}";

export class RunConfigCache {
  private readonly answers = new Map<string, { at: number; answer: Promise<Answer> }>();
  /** Requests this run actually sent for configuration (a shared file counts once). */
  sent = 0;

  constructor(
    private readonly maxAgeMs = CONFIG_CACHE_MAX_AGE_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A reader that resolves configuration as Probot does, sharing the run's answers. */
  reader(octokit: ConfigOctokit): ConfigReader {
    return { config: { get: (options) => this.get(octokit, options) } };
  }

  private async get(octokit: ConfigOctokit, options: Parameters<ConfigReader["config"]["get"]>[0]) {
    let sent = 0;
    const shared = Object.assign(
      (route: string | Endpoint, params?: Record<string, unknown>): Promise<Answer> => {
        const endpoint: Endpoint = typeof route === "string" ? { ...params, url: route } : route;
        const key = contentsKey(endpoint);
        if (!key) {
          sent += 1;
          return octokit.request(route, params);
        }
        const now = this.clock();
        const known = this.answers.get(key);
        // A copy every time: the plugin deletes `_extends` from the objects it is given.
        if (known && now - known.at < this.maxAgeMs) return known.answer.then(structuredClone);
        sent += 1;
        const answer = octokit.request(route, params);
        const entry = { at: now, answer };
        this.answers.set(key, entry);
        // A 404 is an answer (no file there); any other failure is asked again next time.
        answer.catch((error: unknown) => {
          if ((error as { status?: unknown } | null)?.status !== 404 && this.answers.get(key) === entry) this.answers.delete(key);
        });
        return answer.then(structuredClone);
      },
      { endpoint: octokit.request.endpoint },
    );
    try {
      const result = await composeConfigGet({ request: shared } as never, options as never);
      return { ...(result as Awaited<ReturnType<ConfigReader["config"]["get"]>>), requests: sent };
    } finally {
      this.sent += sent;
    }
  }
}

function contentsKey(e: Endpoint): string | null {
  const url = typeof e.url === "string" ? e.url.replace(/^GET\s+/, "") : "";
  if (url !== CONTENTS || typeof e.owner !== "string" || typeof e.repo !== "string" || typeof e.path !== "string") return null;
  return JSON.stringify([e.owner.toLowerCase(), e.repo.toLowerCase(), e.path, e.ref ?? null]);
}

/**
 * `octokit` with its configuration reads shared through `cache`; every other request goes
 * straight through. An Octokit without `request.endpoint` (which the lookup needs) keeps its own reader.
 */
export function withRunConfig<T extends ConfigReader & { request: object }>(octokit: T, cache: RunConfigCache): T {
  if (typeof (octokit.request as { endpoint?: unknown }).endpoint !== "function") return octokit;
  const reader = cache.reader(octokit as unknown as ConfigOctokit);
  return new Proxy(octokit, { get: (target, prop, receiver) => (prop === "config" ? reader.config : Reflect.get(target, prop, receiver)) });
}
