import type { GitHubClient, GraphqlFieldError } from "../github/client.js";
import type { Finding, FindingId } from "../core/findings.js";
import type { RepoConfig } from "../config/repo-config.js";
import type { RepositoryFragment } from "../github/repository-query.js";
import type { TeamRepositories } from "./team-repositories.js";

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
  /**
   * `security_and_analysis` of GET /repos/{owner}/{repo}: GitHub includes it only for callers
   * with admin rights (or the right permission), so `null` means "not disclosed", not "off".
   */
  securityAndAnalysis: Record<string, { status: string }> | null;
  /** Where these fields were read: GET /repos/{owner}/{repo}, or the organisation's list of a run. */
  source?: string;
};

export type CollectContext = {
  client: GitHubClient;
  repo: RepoRef;
  config: RepoConfig;
  now: Date;
  /** Start of the evidence window (now minus the configured window). */
  since: Date;
  /**
   * The `repository` object of the batched GraphQL query, for collectors that contributed a
   * fragment: still unvalidated, each collector parses the part it asked for.
   */
  repositoryData: unknown;
  /** Field errors of that query (path from the query root, e.g. ["repository", "deps_alerts"]). */
  repositoryErrors: readonly GraphqlFieldError[];
  /**
   * Organisation-wide reads shared by the repositories of a run, when this assessment is part of
   * one (assessment/run-shared.ts); absent for a lone repository, whose batched query asks instead.
   */
  run?: RunReads;
};

/** Reads a run makes once for all its repositories; `now` is the asking assessment's, the read's time if it is the first. */
export type RunReads = { teamRepositories(org: string, now: Date): Promise<TeamRepositories> };

/**
 * One evidence source. `produces` is a promise to the evaluator: every id listed comes back,
 * with a value or with the reason it could not be read; a collector that throws has all of
 * them reported unreadable with the error, so a failure never silently drops evidence.
 */
export type Collector = {
  id: string;
  produces: readonly FindingId[];
  /** Repository fields this collector needs, read in the one batched GraphQL request. */
  repositoryFragment?: RepositoryFragment;
  /** The fragment to use instead within a run (`CollectContext.run` set): without what the run reads once. */
  runFragment?: RepositoryFragment;
  collect(ctx: CollectContext): Promise<Finding[]>;
};

export type OrgCollectContext = {
  client: GitHubClient;
  /** The organisation's login. */
  org: string;
  config: RepoConfig;
  now: Date;
  since: Date;
};

/**
 * An evidence source about the organisation itself (2FA, owners, base permission): read once per
 * assessment run and shared by every repository of that run, never once per repository.
 */
export type OrgCollector = {
  id: string;
  produces: readonly FindingId[];
  collect(ctx: OrgCollectContext): Promise<Finding[]>;
};
