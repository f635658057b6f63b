import type { Logger } from "pino";
import { pollAuditLog } from "../audit/audit-log.js";
import { AuditTrail } from "../audit/trail.js";
import { AuditSummaries } from "../audit/summary.js";
import { loadRepoConfig, ORG_CONFIG_REPO, type ConfigReader } from "../config/load-repo-config.js";
import type { RepoConfig } from "../config/repo-config.js";
import { GitHubClient, type OctokitLike } from "../github/client.js";
import type { Store } from "../store/store.js";
import { unfinishedBackfill } from "../store/backfill-records.js";
import type { IssuePublisher } from "../publish/issues.js";
import { latestResults } from "./issue-events.js";

export const MAINTENANCE_INTERVAL_MS = 30 * 60 * 1000;
/** An organisation whose audit-log API did not answer is asked again only this often. */
export const AUDIT_LOG_RECHECK_MS = 24 * 60 * 60 * 1000;

type InstallationOctokit = OctokitLike & ConfigReader;

/**
 * Periodic work per installation: resume a backfill a restart interrupted, prune the audit
 * trail past the organisation's retention period (behind a checkpoint), and poll the
 * organisation audit log where the plan offers it.
 */
export async function runMaintenance(deps: {
  store: Store;
  log: Logger;
  octokitFor: (installationId: number) => Promise<InstallationOctokit>;
  now?: Date;
  issues?: IssuePublisher;
  /** Starts (without awaiting: it may take hours) an unfinished backfill left by a restart. */
  resumeBackfill?: (installationId: number, org: string, octokit: InstallationOctokit) => void;
}): Promise<void> {
  const now = deps.now ?? new Date();
  const trail = new AuditTrail(deps.store);
  for (const installation of await deps.store.activeInstallations()) {
    try {
      const octokit = await deps.octokitFor(installation.id);
      if (deps.resumeBackfill && await unfinishedBackfill(deps.store, installation.id)) deps.resumeBackfill(installation.id, installation.accountLogin, octokit);
      const config = await orgConfig(octokit, installation.accountLogin);
      const retentionDays = config.audit.retentionDays;
      if (deps.issues && config.issues.enabled) {
        // The periodic access review (claim 2.1.6), listing access from the newest assessments.
        const run = deps.issues.newRun(installation.id, installation.accountLogin);
        run.config = config;
        const opened = await deps.issues.openAccessReviewIfDue(octokit, run, () => latestResults(deps.store, installation.id));
        if (opened) deps.log.info({ installation: installation.id, issue: opened }, "access review opened");
      }
      const { pruned } = await trail.prune(installation.id, retentionDays, now);
      if (pruned > 0) deps.log.info({ installation: installation.id, pruned, retentionDays }, "audit trail pruned behind a checkpoint");
      await fullVerificationIfDue(deps, trail, installation.id, now);
      const source = await deps.store.auditLogSource(installation.id);
      if (source?.status === "unavailable" && now.getTime() - Date.parse(source.checkedAt) < AUDIT_LOG_RECHECK_MS) continue;
      const outcome = await pollAuditLog(new GitHubClient(octokit), deps.store, trail, installation.id, installation.accountLogin, now);
      if (outcome.status === "available") deps.log.info({ installation: installation.id, ...outcome }, "organisation audit log polled");
      else if (source?.status !== "unavailable") deps.log.info({ installation: installation.id, reason: outcome.reason }, "organisation audit log not available; webhooks only");
    } catch (error) {
      deps.log.error({ installation: installation.id, err: error instanceof Error ? error.message : String(error) }, "maintenance failed for installation");
    }
  }
}

/** How often the whole chain is re-hashed in the background; assessments hash only new links. */
export const FULL_VERIFY_EVERY_MS = 24 * 60 * 60 * 1000;

/**
 * The summary an assessment reads verifies each link once, when it is added. Once a day the whole
 * chain is walked again, so an edit to an old link (made with the database file) shows in the
 * evidence within a day, not only when someone runs `claimcheck audit verify`.
 */
async function fullVerificationIfDue(deps: { store: Store; log: Logger }, trail: AuditTrail, installationId: number, now: Date): Promise<void> {
  const summaries = new AuditSummaries(deps.store);
  await summaries.catchUp(installationId, () => now);
  const last = await summaries.fullyVerifiedAt(installationId);
  if (last && now.getTime() - Date.parse(last) < FULL_VERIFY_EVERY_MS) return;
  const result = await trail.verifyYielding(installationId);
  await summaries.recordFullVerification(installationId, result.ok ? { ok: true } : { ok: false, brokenAt: `link ${result.brokenAt.seq}: ${result.brokenAt.reason}` }, now);
  if (!result.ok) deps.log.error({ installation: installationId, brokenAt: result.brokenAt }, "audit trail's hash chain is broken");
}

/** The organisation's settings (retention, access reviews) from its `.github` repository's configuration. */
export async function orgConfig(octokit: InstallationOctokit, org: string): Promise<RepoConfig> {
  return (await loadRepoConfig(new GitHubClient(octokit), org, ORG_CONFIG_REPO)).config;
}
