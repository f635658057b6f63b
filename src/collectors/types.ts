import type { GitHubClient } from "../github/client.js";
import type { Finding, FindingId } from "../core/findings.js";
import type { RepoConfig } from "../config/repo-config.js";

/** The repository being assessed, as read and validated from GitHub. */
export type RepoRef = {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  htmlUrl: string;
  archived: boolean;
  fork: boolean;
  visibility: "public" | "private" | "internal";
};

export type CollectContext = {
  client: GitHubClient;
  repo: RepoRef;
  config: RepoConfig;
  now: Date;
};

/**
 * One evidence source. `produces` is a promise to the evaluator: every id listed comes back,
 * with a value or with the reason it could not be read; a collector that throws has all of
 * them reported unreadable with the error, so a failure never silently drops evidence.
 */
export type Collector = {
  id: string;
  produces: readonly FindingId[];
  collect(ctx: CollectContext): Promise<Finding[]>;
};
