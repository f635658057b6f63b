import type { GitHubClient } from "../github/client.js";
import { DEFAULT_CONFIG, parseRepoConfig, type ConfigOutcome } from "./repo-config.js";

export const CONFIG_PATH = ".github/claimcheck.yml";

type ConfigFile = { owner: string; repo: string; path: string; config: Record<string, unknown> | null };
export type ConfigReader = {
  config: {
    get(options: { owner: string; repo: string; path: string; defaults?: (configs: Record<string, unknown>[]) => Record<string, unknown> }): Promise<{
      config: Record<string, unknown>;
      files: ConfigFile[];
      /** Requests actually sent, when a run shares configuration reads (config-cache.ts); else one per file. */
      requests?: number;
    }>;
  };
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Later (more specific) files win key by key; lists are replaced, not concatenated. */
export function mergeConfigs(configs: Record<string, unknown>[]): Record<string, unknown> {
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(over)) {
      const prior = out[key];
      out[key] = isPlainObject(prior) && isPlainObject(value) ? merge(prior, value) : value;
    }
    return out;
  };
  return configs.reduce(merge, {});
}

/**
 * Reads `.github/claimcheck.yml` the way Probot apps do: the repository's own file, else the
 * organisation's `.github` repository, following `_extends`. A file that cannot be read or
 * parsed is a configuration problem the check run names, not a crash.
 */
export async function loadRepoConfig(octokit: ConfigReader, client: GitHubClient, owner: string, repo: string): Promise<ConfigOutcome> {
  try {
    const { config, files, requests } = await octokit.config.get({ owner, repo, path: CONFIG_PATH, defaults: mergeConfigs });
    client.counts.rest += requests ?? files.length;
    const found = files.filter((f) => f.config !== null).map((f) => `${f.owner}/${f.repo}:${f.path}`);
    return parseRepoConfig(config, found);
  } catch (error) {
    client.counts.rest += 1;
    const message = (error instanceof Error ? error.message : String(error)).replace(/^\[@probot\/octokit-plugin-config\]\s*/, "");
    return { ok: false, config: DEFAULT_CONFIG, files: [`${owner}/${repo}:${CONFIG_PATH}`], problems: [{ path: "(file)", message }] };
  }
}
