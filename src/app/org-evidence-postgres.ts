import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { z } from "zod";
import { assessOrganisation } from "../assessment/assess-org.js";
import { findingSchema, type Finding } from "../core/findings.js";
import { orgEvidence } from "../store/schema-pg.js";
import { ORG_EVIDENCE_MAX_AGE_MS, type OrgEvidenceCache, type OrgEvidenceRead } from "./org-evidence.js";

/*
 * Organisation evidence kept in PostgreSQL, so a read by one replica serves the pull requests
 * every replica assesses within the hour. A row per installation, with the organisation it is
 * about and when it was read: it serves only that installation, about that organisation, and
 * not once it is an hour old. Forgetting counts a generation up; a read that began before the
 * latest forget does not store its answer, so evidence an event made stale never comes back.
 */

type Db = NodePgDatabase<Record<string, unknown>>;
const storedFindings = z.array(findingSchema);

export type PostgresOrgEvidenceOptions = {
  maxAgeMs?: number;
  /** Reads the organisation's evidence from GitHub (by default every organisation collector). */
  read?: (read: OrgEvidenceRead) => Promise<Finding[]>;
  /** Told when the evidence could be read but not kept: the read is still used, and asked again next time. */
  onError?: (error: unknown) => void;
};

export class PostgresOrgEvidence implements OrgEvidenceCache {
  /** Reads under way here: the repositories of one run assessed at once share one. */
  private readonly reading = new Map<number, Promise<Finding[]>>();
  private readonly maxAgeMs: number;
  private readonly readFromGitHub: (read: OrgEvidenceRead) => Promise<Finding[]>;

  constructor(
    private readonly db: Db,
    private readonly options: PostgresOrgEvidenceOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? ORG_EVIDENCE_MAX_AGE_MS;
    this.readFromGitHub = options.read ?? assessOrganisation;
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
