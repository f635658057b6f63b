import { z } from "zod";
import { GitHubReadError, type GitHubClient } from "../github/client.js";
import type { Store } from "../store/store.js";
import type { AuditEventInput } from "./normalise.js";
import type { AuditTrail } from "./trail.js";

/*
 * The organisation audit log (GET /orgs/{org}/audit-log) exists only on GitHub Enterprise Cloud
 * and answers only an owner-level caller. Where it answers, it shows what webhooks cannot
 * (Actions settings, 2FA requirement changes...). Where it does not, that is recorded once, not
 * reported as an error on every poll.
 */

export const AUDIT_LOG_ROUTE = "GET /orgs/{org}/audit-log";
export const MAX_AUDIT_LOG_PAGES = 10;
/** A webhook and an audit-log entry for the same change land within this of each other. */
const SAME_CHANGE_MS = 5 * 60 * 1000;

const entrySchema = z.looseObject({
  "@timestamp": z.number(),
  _document_id: z.string(),
  action: z.string(),
  actor: z.string().nullish(),
  repo: z.string().nullish(),
  user: z.string().nullish(),
  team: z.string().nullish(),
  org: z.string().nullish(),
});
export type AuditLogEntry = z.infer<typeof entrySchema>;

/** Audit-log actions that a subscribed webhook already records, by the webhook kind's prefix. */
const WEBHOOK_EQUIVALENT: Record<string, string> = {
  "protected_branch.create": "branch_protection_rule.created",
  "protected_branch.update": "branch_protection_rule.edited",
  "protected_branch.destroy": "branch_protection_rule.deleted",
  "repository_ruleset.create": "repository_ruleset.created",
  "repository_ruleset.update": "repository_ruleset.edited",
  "repository_ruleset.destroy": "repository_ruleset.deleted",
  "team.add_member": "membership.added",
  "team.remove_member": "membership.removed",
  "org.add_member": "organization.member_added",
  "org.remove_member": "organization.member_removed",
  "repo.add_member": "member.added",
  "repo.remove_member": "member.removed",
  "public_key.create": "deploy_key.created",
  "public_key.delete": "deploy_key.deleted",
  "repo.access": "repository.privatized",
};

export function toAuditEvent(entry: AuditLogEntry): AuditEventInput {
  return {
    kind: `audit-log:${entry.action}`,
    actor: entry.actor ?? null,
    target: entry.repo ?? entry.team ?? entry.user ?? entry.org ?? "organisation",
    repository: entry.repo ?? null,
    before: null,
    after: { action: entry.action, user: entry.user ?? null, team: entry.team ?? null },
    occurredAt: new Date(entry["@timestamp"]).toISOString(),
  };
}

/** Whether a webhook already recorded this change (same kind of change, actor, repository, about the same time). */
export function recordedByWebhook(entry: AuditLogEntry, recent: { kind: string; actor: string | null; repository: string | null; occurredAt: string }[]): boolean {
  const equivalent = WEBHOOK_EQUIVALENT[entry.action];
  if (!equivalent) return false;
  return recent.some(
    (e) =>
      (e.kind === equivalent || (entry.action === "repo.access" && e.kind.startsWith("repository.p"))) &&
      e.actor === (entry.actor ?? null) &&
      (entry.repo == null || e.repository === entry.repo) &&
      Math.abs(Date.parse(e.occurredAt) - entry["@timestamp"]) <= SAME_CHANGE_MS,
  );
}

function nextCursor(link: unknown): string | null {
  if (typeof link !== "string") return null;
  const next = link.split(",").find((part) => /rel="next"/.test(part));
  const match = next?.match(/[?&]after=([^&>]+)/);
  return match ? decodeURIComponent(match[1]!) : null;
}

export type PollOutcome = { status: "available"; recorded: number; skippedAsDuplicate: number } | { status: "unavailable"; reason: string };

/** Reads new audit-log entries since the stored cursor and appends those webhooks did not record. */
export async function pollAuditLog(client: GitHubClient, store: Store, trail: AuditTrail, installationId: number, org: string, now: Date = new Date()): Promise<PollOutcome> {
  const previous = await store.auditLogSource(installationId);
  let cursor = previous?.cursor ?? null;
  let recorded = 0;
  let skipped = 0;
  for (let page = 0; page < MAX_AUDIT_LOG_PAGES; page += 1) {
    let response;
    try {
      response = await client.restWithHeaders(AUDIT_LOG_ROUTE, { org, per_page: 100, order: "asc", include: "all", ...(cursor ? { after: cursor } : {}) }, z.array(entrySchema));
    } catch (error) {
      if (error instanceof GitHubReadError && (error.status === 403 || error.status === 404)) {
        const reason = `the organisation audit log API did not answer (${error.message}); it exists only on GitHub Enterprise Cloud and needs the "Administration: read" organisation permission`;
        await store.setAuditLogSource(installationId, { status: "unavailable", reason, cursor, checkedAt: now });
        return { status: "unavailable", reason };
      }
      throw error;
    }
    const recent = (await trail.latest(installationId, 500)).map((r) => ({ kind: r.kind, actor: r.actor, repository: r.repository, occurredAt: r.occurredAt }));
    for (const entry of response.data) {
      if (recordedByWebhook(entry, recent)) {
        skipped += 1;
        continue;
      }
      if ((await trail.append(installationId, "audit-log", entry._document_id, toAuditEvent(entry), now)).recorded) recorded += 1;
    }
    const next = nextCursor(response.headers.link);
    if (next) cursor = next;
    await store.setAuditLogSource(installationId, { status: "available", cursor, checkedAt: now });
    if (!next) break;
  }
  return { status: "available", recorded, skippedAsDuplicate: skipped };
}
