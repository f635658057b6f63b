import { assessOrganisation } from "../assessment/assess-org.js";
import type { RepoConfig } from "../config/repo-config.js";
import type { Finding } from "../core/findings.js";
import type { GitHubClient } from "../github/client.js";

/** How long organisation evidence read for one run serves later single-repository assessments. */
export const ORG_EVIDENCE_MAX_AGE_MS = 60 * 60 * 1000;

type Entry = { at: number; findings: Promise<Finding[]> };

/** What reading the organisation's evidence needs, and the time the read counts from. */
export type OrgEvidenceRead = { client: GitHubClient; org: string; config: RepoConfig; now: Date };

/** The organisation-evidence cache: this process's own, or shared by the replicas through PostgreSQL. */
export interface OrgEvidenceCache {
  /** The installation's organisation evidence: read within the last hour, or read now (always now with `fresh`). */
  get(installationId: number, read: OrgEvidenceRead, options?: { fresh?: boolean }): Promise<Finding[]>;
  /** Drops what is kept for the installation: the next `get` reads afresh. */
  forget(installationId: number): Promise<void>;
}

/**
 * Organisation evidence (owners, 2FA, base permission) is read once and shared: by every
 * repository of an installation-wide run, and by pull-request check runs within the hour after.
 * Keyed by installation, so one organisation's evidence never serves another's.
 */
export class OrgEvidence implements OrgEvidenceCache {
  private readonly entries = new Map<number, Entry>();

  constructor(private readonly maxAgeMs = ORG_EVIDENCE_MAX_AGE_MS) {}

  get(installationId: number, read: OrgEvidenceRead, options: { fresh?: boolean } = {}): Promise<Finding[]> {
    const cached = this.entries.get(installationId);
    if (cached && !options.fresh && read.now.getTime() - cached.at < this.maxAgeMs) return cached.findings;
    const findings = assessOrganisation(read);
    const entry = { at: read.now.getTime(), findings };
    this.entries.set(installationId, entry);
    // A failed read must not be served from the cache.
    findings.catch(() => {
      if (this.entries.get(installationId) === entry) this.entries.delete(installationId);
    });
    return findings;
  }

  async forget(installationId: number): Promise<void> {
    this.entries.delete(installationId);
  }
}
