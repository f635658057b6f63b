import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { z } from "zod";
import { assessOrganisation } from "../assessment/assess-org.js";
import { readTeamRepositories, type TeamRepositories } from "../collectors/team-repositories.js";
import { RunConfigCache } from "../config/config-cache.js";
import { findingSchema, type Finding } from "../core/findings.js";
import { orgEvidence } from "../store/schema-pg.js";
import { ORG_EVIDENCE_MAX_AGE_MS, OrgEvidence, type OrgEvidenceCache, type OrgEvidenceRead, type TeamMapRead } from "./org-evidence.js";

/*
 * Organisation evidence kept in PostgreSQL, so a read by one replica serves the pull requests
 * every replica assesses within the hour. A row per installation, with the organisation it is
 * about and when it was read: it serves only that installation, about that organisation, and
 * not once it is an hour old. Forgetting counts a generation up; a read that began before the
 * latest forget does not store its answer, so evidence an event made stale never comes back.
 *
 * The teams' map and the shared configuration files are larger and kept by each replica itself,
 * tagged with the generation of the installation's row read before them. Each ask reads the
 * row's generation first (a primary-key lookup) and drops this replica's copies when another
 * replica forgot since, so no replica keeps using what any replica was told had changed. A push
 * to a configuration repository forgets through the generation too: it is rare, and reading the
 * organisation's evidence again then costs a few requests. When the database cannot answer, the
 * copies are not served: the map and files are read from GitHub and kept nowhere.
 */

type Db = NodePgDatabase<Record<string, unknown>>;
const storedFindings = z.array(findingSchema);

export type PostgresOrgEvidenceOptions = {
  maxAgeMs?: number;
  /** Reads the organisation's evidence from GitHub (by default every organisation collector). */
  read?: (read: OrgEvidenceRead) => Promise<Finding[]>;
  /** Told when the evidence could be read but not kept, or the generation not read: GitHub's answer is still used, and asked again next time. */
  onError?: (error: unknown) => void;
  /** The clock this replica's kept configuration files age by (the app's own in tests). */
  clock?: () => number;
};

export class PostgresOrgEvidence implements OrgEvidenceCache {
  /** Reads under way here: the repositories of one run assessed at once share one. */
  private readonly reading = new Map<number, Promise<Finding[]>>();
  private readonly maxAgeMs: number;
  private readonly readFromGitHub: (read: OrgEvidenceRead) => Promise<Finding[]>;
  /** This replica's teams' maps and configuration files (its organisation findings are unused: those are the row's). */
  private readonly copies: OrgEvidence;
  /** The generation of each installation's row this replica's copies of it were read under. */
  private readonly copiesGeneration = new Map<number, number>();

  constructor(
    private readonly db: Db,
    private readonly options: PostgresOrgEvidenceOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? ORG_EVIDENCE_MAX_AGE_MS;
    this.readFromGitHub = options.read ?? assessOrganisation;
    this.copies = new OrgEvidence(this.maxAgeMs, options.clock);
  }

  async teamRepositories(installationId: number, read: TeamMapRead): Promise<TeamRepositories> {
    const copies = await this.currentCopies(installationId);
    return copies ? copies.teamRepositories(installationId, read) : readTeamRepositories(read.client, read.org, read.now);
  }

  async configReads(installationId: number, keeps?: (repository: string) => Promise<boolean>): Promise<RunConfigCache> {
    const copies = await this.currentCopies(installationId);
    // Without the database the files are this assessment's own reads, kept for no other.
    return copies ? copies.configReads(installationId, keeps) : new RunConfigCache(undefined, this.options.clock, keeps);
  }

  /** Every replica's teams' maps go, through the generation (with the rest of the installation's evidence: a rare event, cheap to read again). */
  forgetTeams(installationId: number): Promise<void> {
    return this.forget(installationId);
  }

  /** Every replica's copies of the installation go (whichever repository was pushed to), through the generation, with its organisation evidence. */
  forgetConfigOf(installationId: number, _owner: string, _repo: string): Promise<void> {
    return this.forget(installationId);
  }

  /**
   * This replica's copies of the installation's teams' maps and configuration files, once they are
   * known to have been read under the row's current generation (dropped first when they were not);
   * null when the database cannot say.
   */
  private async currentCopies(installationId: number): Promise<OrgEvidence | null> {
    let generation: number;
    try {
      const [row] = await this.db.select({ generation: orgEvidence.generation }).from(orgEvidence).where(eq(orgEvidence.installationId, installationId));
      generation = row?.generation ?? 0;
    } catch (error) {
      this.options.onError?.(error);
      return null;
    }
    // Any other generation drops the copies, an older one too (an answer overtaken by a later one):
    // what is read next is tagged with it, and dropped again by the next ask that sees the later one.
    if (this.copiesGeneration.get(installationId) !== generation) {
      this.copiesGeneration.set(installationId, generation);
      await this.copies.forget(installationId);
    }
    return this.copies;
  }

  async get(installationId: number, read: OrgEvidenceRead, options: { fresh?: boolean } = {}): Promise<Finding[]> {
    if (!options.fresh) {
      const under = this.reading.get(installationId);
      if (under) return under;
    }
    const row = await this.kept(installationId);
    if (!options.fresh) {
      const kept = row && row.org === read.org && row.readAt !== null && read.now.getTime() - row.readAt < this.maxAgeMs ? parse(row.findings) : null;
      if (kept) return kept;
      // Another ask may have started a read while the database answered.
      const under = this.reading.get(installationId);
      if (under) return under;
    }
    const findings = this.readAndKeep(installationId, read, row?.generation ?? 0);
    this.reading.set(installationId, findings);
    const done = () => {
      if (this.reading.get(installationId) === findings) this.reading.delete(installationId);
    };
    // A failed read is not kept anywhere: the next ask reads again.
    findings.then(done, done);
    return findings;
  }

  /** The installation's row; none when the database cannot answer (the evidence is then read, not kept). */
  private async kept(installationId: number): Promise<typeof orgEvidence.$inferSelect | undefined> {
    try {
      const [row] = await this.db.select().from(orgEvidence).where(eq(orgEvidence.installationId, installationId));
      return row;
    } catch (error) {
      this.options.onError?.(error);
      return undefined;
    }
  }

  async forget(installationId: number): Promise<void> {
    this.reading.delete(installationId);
    this.copiesGeneration.delete(installationId);
    await this.copies.forget(installationId);
    await this.db
      .insert(orgEvidence)
      .values({ installationId, generation: 1 })
      .onConflictDoUpdate({ target: orgEvidence.installationId, set: { org: null, readAt: null, findings: null, generation: sql`${orgEvidence.generation} + 1` } });
  }

  private async readAndKeep(installationId: number, read: OrgEvidenceRead, generation: number): Promise<Finding[]> {
    const findings = await this.readFromGitHub(read);
    const row = { installationId, org: read.org, readAt: read.now.getTime(), findings: JSON.stringify(findings), generation };
    try {
      await this.db
        .insert(orgEvidence)
        .values(row)
        .onConflictDoUpdate({
          target: orgEvidence.installationId,
          set: { org: row.org, readAt: row.readAt, findings: row.findings },
          // Not over a forget since the read began, nor over a later read.
          setWhere: and(eq(orgEvidence.generation, generation), or(isNull(orgEvidence.readAt), lte(orgEvidence.readAt, row.readAt))),
        });
    } catch (error) {
      this.options.onError?.(error);
    }
    return findings;
  }
}

/** Stored findings, or null when the row is empty or no longer parses (read afresh). */
function parse(text: string | null): Finding[] | null {
  if (text === null) return null;
  try {
    const parsed = storedFindings.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as Finding[]) : null;
  } catch {
    return null;
  }
}
