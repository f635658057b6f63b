import { assessOrganisation } from "../assessment/assess-org.js";
import { RunConfigCache } from "../config/config-cache.js";
import type { RepoConfig } from "../config/repo-config.js";
import { readTeamRepositories, type TeamRepositories } from "../collectors/team-repositories.js";
import type { Finding } from "../core/findings.js";
import type { GitHubClient } from "../github/client.js";

/** How long organisation evidence read for one run serves later single-repository assessments. */
export const ORG_EVIDENCE_MAX_AGE_MS = 60 * 60 * 1000;

type Entry<T> = { at: number; value: Promise<T> };

/** What reading the organisation's evidence needs, and the time the read counts from. */
export type OrgEvidenceRead = { client: GitHubClient; org: string; config: RepoConfig; now: Date };

/** What reading the organisation's teams' map needs, and the time the map is read at. */
export type TeamMapRead = { client: GitHubClient; org: string; now: Date };

/** The organisation-evidence cache: this process's own, or shared by the replicas through PostgreSQL. */
export interface OrgEvidenceCache {
  /** The installation's organisation evidence: read within the last hour, or read now (always now with `fresh`). */
  get(installationId: number, read: OrgEvidenceRead, options?: { fresh?: boolean }): Promise<Finding[]>;
  /** The organisation's teams and the repositories each can reach: read within the last hour, or read now. */
  teamRepositories(installationId: number, read: TeamMapRead): Promise<TeamRepositories>;
  /**
   * The installation's shared configuration reads (the organisation's file and what `_extends` names);
   * `keeps` says whether a repository's files may be kept (one whose pushes the installation receives).
   */
  configReads(installationId: number, keeps?: (repository: string) => Promise<boolean>): Promise<RunConfigCache>;
  /** A push to `owner/repo`'s default branch may have changed a configuration file read from it. */
  forgetConfigOf(installationId: number, owner: string, repo: string): Promise<void>;
  /** Drops what is kept for the installation (its teams' map and configuration files too): the next asks read afresh. */
  forget(installationId: number): Promise<void>;
  /** Drops the installation's teams' map at least: the next assessment reads it afresh. */
  forgetTeams(installationId: number): Promise<void>;
}

/**
 * Organisation evidence (owners, 2FA, base permission, and which teams reach which repositories) is
 * read once and shared: by every repository of an installation-wide run, and by pull-request check
 * runs within the hour after. The files of claimcheck's configuration that are not a repository's
 * own (the organisation's `.github` file, what `_extends` names) are shared the same way, for
 * `CONFIG_CACHE_MAX_AGE_MS`. Keyed by installation, so one organisation's evidence never serves
 * another's; the events that can change it forget it (app/refresh.ts). This process's own: one
 * process, or the per-process copies a replica keeps under PostgreSQL's generation check.
 */
export class OrgEvidence implements OrgEvidenceCache {
  private readonly findings = new Map<number, Entry<Finding[]>>();
  private readonly teams = new Map<string, Entry<TeamRepositories>>();
  private readonly configs = new Map<number, RunConfigCache>();

  constructor(
    private readonly maxAgeMs = ORG_EVIDENCE_MAX_AGE_MS,
    /** The clock the shared configuration reads age by (the app's own in tests). */
    private readonly clock: () => number = Date.now,
  ) {}

  get(installationId: number, read: OrgEvidenceRead, options: { fresh?: boolean } = {}): Promise<Finding[]> {
    return this.cached(this.findings, installationId, read.now, options.fresh === true, () => assessOrganisation(read), () => false);
  }

  /** A map that could not be read is not kept: the next assessment asks again. */
  teamRepositories(installationId: number, read: TeamMapRead): Promise<TeamRepositories> {
    return this.cached(this.teams, `${installationId}\u0000${read.org.toLowerCase()}`, read.now, false, () => readTeamRepositories(read.client, read.org, read.now), (t) => "error" in t);
  }

  /**
   * The installation's shared configuration reads (the organisation's file and what `_extends`
   * names). `keeps` says whether a repository's files may be kept: made when the installation's
   * cache is, for its life.
   */
  async configReads(installationId: number, keeps?: (repository: string) => Promise<boolean>): Promise<RunConfigCache> {
    // Installations whose reads have all aged out are dropped, not kept until a restart.
    for (const [id, reads] of this.configs) if (id !== installationId && reads.prune()) this.configs.delete(id);
    let cache = this.configs.get(installationId);
    if (!cache) {
      cache = new RunConfigCache(undefined, this.clock, keeps);
      this.configs.set(installationId, cache);
    }
    return cache;
  }

  async forgetConfigOf(installationId: number, owner: string, repo: string): Promise<void> {
    this.configs.get(installationId)?.forgetRepository(owner, repo);
  }

  async forget(installationId: number): Promise<void> {
    this.findings.delete(installationId);
    await this.forgetTeams(installationId);
    this.configs.delete(installationId);
  }

  /** Only the teams' map: the next assessment reads it afresh (and keeps that read for the others). */
  async forgetTeams(installationId: number): Promise<void> {
    for (const key of this.teams.keys()) if (key.startsWith(`${installationId}\u0000`)) this.teams.delete(key);
  }

  private cached<K, T>(entries: Map<K, Entry<T>>, key: K, now: Date, fresh: boolean, read: () => Promise<T>, failed: (value: T) => boolean): Promise<T> {
    const known = entries.get(key);
    if (known && !fresh && now.getTime() - known.at < this.maxAgeMs) return known.value;
    // Stale entries of installations that have not asked since are dropped, not kept until a restart.
    for (const [k, e] of entries) if (now.getTime() - e.at >= this.maxAgeMs) entries.delete(k);
    const entry = { at: now.getTime(), value: read() };
    entries.set(key, entry);
    // A failed read must not be served from the cache.
    const drop = () => {
      if (entries.get(key) === entry) entries.delete(key);
    };
    entry.value.then((v) => (failed(v) ? drop() : undefined), drop);
    return entry.value;
  }
}
