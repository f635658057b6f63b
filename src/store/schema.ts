import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * Every row carries its installation id, and every query filters on it: one organisation's
 * security posture must never be readable through another's installation.
 */

export const installations = sqliteTable("installations", {
  id: integer("id").primaryKey(),
  accountLogin: text("account_login").notNull(),
  accountType: text("account_type").notNull(),
  createdAt: text("created_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  removedAt: text("removed_at"),
  /** JSON list of the webhook events the installation receives, as GitHub reported them. */
  events: text("events"),
});

export const repositories = sqliteTable(
  "repositories",
  {
    id: integer("id").primaryKey(),
    installationId: integer("installation_id")
      .notNull()
      .references(() => installations.id),
    fullName: text("full_name").notNull(),
    addedAt: text("added_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
    removedAt: text("removed_at"),
  },
  (t) => [index("repositories_installation").on(t.installationId)],
);

export const assessments = sqliteTable(
  "assessments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    installationId: integer("installation_id")
      .notNull()
      .references(() => installations.id),
    repositoryFullName: text("repository_full_name").notNull(),
    repositoryId: integer("repository_id"),
    trigger: text("trigger").notNull(),
    deliveryId: text("delivery_id"),
    headSha: text("head_sha"),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at").notNull(),
    inScope: integer("in_scope", { mode: "boolean" }).notNull(),
    /** JSON, validated on write and on read: findings, claim results, config problems, request counts. */
    findings: text("findings").notNull(),
    results: text("results").notNull(),
    configProblems: text("config_problems").notNull(),
    requests: text("requests").notNull(),
    checkRunId: integer("check_run_id"),
    conclusion: text("conclusion"),
  },
  (t) => [index("assessments_repo_time").on(t.installationId, t.repositoryFullName, t.finishedAt)],
);

export const webhookDeliveries = sqliteTable("webhook_deliveries", {
  deliveryId: text("delivery_id").primaryKey(),
  installationId: integer("installation_id"),
  event: text("event").notNull(),
  /** `processing` while a handler runs, `done` after; a `failed` delivery may be retried by a redelivery. */
  state: text("state", { enum: ["processing", "done", "failed"] }).notNull(),
  receivedAt: text("received_at").notNull(),
  finishedAt: text("finished_at"),
  error: text("error"),
});

/**
 * The audit trail of changes to the build environment: append-only (triggers refuse updates, and
 * deletes not covered by a checkpoint) and hash-chained per installation, so an edited or removed
 * row breaks verification at a named link.
 */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    installationId: integer("installation_id").notNull(),
    seq: integer("seq").notNull(),
    source: text("source", { enum: ["webhook", "audit-log"] }).notNull(),
    /** Webhook delivery id, or the audit log's document id: a redelivery is recorded once. */
    sourceId: text("source_id").notNull(),
    kind: text("kind").notNull(),
    actor: text("actor"),
    target: text("target").notNull(),
    repository: text("repository"),
    before: text("before"),
    after: text("after"),
    occurredAt: text("occurred_at").notNull(),
    recordedAt: text("recorded_at").notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    uniqueIndex("audit_events_seq").on(t.installationId, t.seq),
    uniqueIndex("audit_events_source").on(t.installationId, t.source, t.sourceId),
    index("audit_events_time").on(t.installationId, t.occurredAt),
  ],
);

/** Where pruning cut the chain: the hash the first kept event must link to. */
export const auditCheckpoints = sqliteTable("audit_checkpoints", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  installationId: integer("installation_id").notNull(),
  throughSeq: integer("through_seq").notNull(),
  hash: text("hash").notNull(),
  prunedCount: integer("pruned_count").notNull(),
  createdAt: text("created_at").notNull(),
});

/** Per installation: whether the organisation audit-log API answers, and where polling resumes. */
export const auditLogSources = sqliteTable("audit_log_sources", {
  installationId: integer("installation_id").primaryKey(),
  status: text("status", { enum: ["available", "unavailable"] }).notNull(),
  reason: text("reason"),
  cursor: text("cursor"),
  checkedAt: text("checked_at").notNull(),
});
