import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

/*
 * The PostgreSQL twin of schema.ts: the same tables, columns, indexes and constraints, so one
 * store interface reads and writes either (and, at the end, the tables of the limits replicas share,
 * which one SQLite process keeps in memory). Differences are the dialect's only:
 * - GitHub's ids (installations, repositories, check runs, deliveries) are `bigint`: SQLite's
 *   integer is 64-bit, PostgreSQL's `integer` is not, and check-run and delivery ids pass 2^31.
 * - Timestamps stay ISO-8601 text, as in SQLite: the store compares and sorts them as strings.
 * - Booleans are `boolean`; generated ids are identity columns.
 * - The audit trail's append-only guarantee is a trigger written in the migration (see
 *   migrations/postgres), as SQLite's is.
 * Every row carries its installation id, and every query filters on it.
 *
 * drizzle-kit qualifies foreign keys with "public". in the SQL it generates: the migrations drop the
 * qualifier, so the tables live in whichever schema the connection's search_path names.
 */

const id = (name: string) => bigint(name, { mode: "number" });
const serialId = () => bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity();
const nowText = sql`(to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;

export const installations = pgTable("installations", {
  id: id("id").primaryKey(),
  accountLogin: text("account_login").notNull(),
  accountType: text("account_type").notNull(),
  createdAt: text("created_at").notNull().default(nowText),
  removedAt: text("removed_at"),
  events: text("events"),
});

export const repositories = pgTable(
  "repositories",
  {
    id: id("id").primaryKey(),
    installationId: id("installation_id")
      .notNull()
      .references(() => installations.id),
    fullName: text("full_name").notNull(),
    addedAt: text("added_at").notNull().default(nowText),
    removedAt: text("removed_at"),
  },
  (t) => [index("repositories_installation").on(t.installationId)],
);

export const assessments = pgTable(
  "assessments",
  {
    id: serialId(),
    installationId: id("installation_id")
      .notNull()
      .references(() => installations.id),
    repositoryFullName: text("repository_full_name").notNull(),
    repositoryId: id("repository_id"),
    trigger: text("trigger").notNull(),
    deliveryId: text("delivery_id"),
    headSha: text("head_sha"),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at").notNull(),
    inScope: boolean("in_scope").notNull(),
    findings: text("findings").notNull(),
    results: text("results").notNull(),
    configProblems: text("config_problems").notNull(),
    requests: text("requests").notNull(),
    checkRunId: id("check_run_id"),
    conclusion: text("conclusion"),
  },
  // By delivery: a job tried again looks for what an earlier attempt stored for its delivery.
  (t) => [index("assessments_repo_time").on(t.installationId, t.repositoryFullName, t.finishedAt), index("assessments_installation_scope").on(t.installationId, t.inScope), index("assessments_delivery").on(t.installationId, t.deliveryId)],
);

export const webhookDeliveries = pgTable("webhook_deliveries", {
  deliveryId: text("delivery_id").primaryKey(),
  installationId: id("installation_id"),
  event: text("event").notNull(),
  state: text("state", { enum: ["processing", "done", "failed"] }).notNull(),
  receivedAt: text("received_at").notNull(),
  finishedAt: text("finished_at"),
  error: text("error"),
});

export const auditEvents = pgTable(
  "audit_events",
  {
    id: serialId(),
    installationId: id("installation_id").notNull(),
    seq: integer("seq").notNull(),
    source: text("source", { enum: ["webhook", "audit-log", "claimcheck"] }).notNull(),
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
    index("audit_events_repository_time").on(t.installationId, t.repository, t.occurredAt),
  ],
);

export const auditCheckpoints = pgTable("audit_checkpoints", {
  id: serialId(),
  installationId: id("installation_id").notNull(),
  throughSeq: integer("through_seq").notNull(),
  hash: text("hash").notNull(),
  prunedCount: integer("pruned_count").notNull(),
  createdAt: text("created_at").notNull(),
});

export const auditLogSources = pgTable("audit_log_sources", {
  installationId: id("installation_id").primaryKey(),
  status: text("status", { enum: ["available", "unavailable"] }).notNull(),
  reason: text("reason"),
  cursor: text("cursor"),
  checkedAt: text("checked_at").notNull(),
});

export const claimIssues = pgTable(
  "claim_issues",
  {
    id: serialId(),
    installationId: id("installation_id").notNull(),
    kind: text("kind", { enum: ["gap", "summary"] }).notNull(),
    claimId: text("claim_id").notNull(),
    scope: text("scope").notNull(),
    repository: text("repository").notNull(),
    issueNumber: integer("issue_number").notNull(),
    issueUrl: text("issue_url").notNull(),
    state: text("state", { enum: ["open", "closed"] }).notNull(),
    closedBy: text("closed_by", { enum: ["claimcheck", "person"] }),
    stateReason: text("state_reason"),
    status: text("status").notNull(),
    evidenceKind: text("evidence_kind").notNull(),
    hash: text("hash").notNull(),
    reopenedOnce: boolean("reopened_once").notNull().default(false),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("claim_issues_identity").on(t.installationId, t.kind, t.claimId, t.scope), index("claim_issues_number").on(t.installationId, t.repository, t.issueNumber)],
);

export const claimExceptions = pgTable(
  "claim_exceptions",
  {
    id: serialId(),
    installationId: id("installation_id").notNull(),
    claimId: text("claim_id").notNull(),
    scope: text("scope").notNull(),
    issueUrl: text("issue_url").notNull(),
    acceptedBy: text("accepted_by").notNull(),
    acceptedAt: text("accepted_at").notNull(),
    reason: text("reason").notNull(),
    expiresAt: text("expires_at").notNull(),
    evidenceKind: text("evidence_kind").notNull(),
    endedAt: text("ended_at"),
    endedBecause: text("ended_because"),
  },
  (t) => [index("claim_exceptions_scope").on(t.installationId, t.claimId, t.scope)],
);

export const issueRepositories = pgTable(
  "issue_repositories",
  {
    installationId: id("installation_id").notNull(),
    repository: text("repository").notNull(),
    listedAt: text("listed_at"),
    unavailable: text("unavailable"),
    checkedAt: text("checked_at").notNull(),
  },
  (t) => [uniqueIndex("issue_repositories_key").on(t.installationId, t.repository)],
);

export const orgClaimStatuses = pgTable(
  "org_claim_statuses",
  {
    id: serialId(),
    installationId: id("installation_id").notNull(),
    claimId: text("claim_id").notNull(),
    status: text("status").notNull(),
    at: text("at").notNull(),
  },
  (t) => [index("org_claim_statuses_claim").on(t.installationId, t.claimId, t.id)],
);

export const accessReviews = pgTable(
  "access_reviews",
  {
    id: serialId(),
    installationId: id("installation_id").notNull(),
    repository: text("repository").notNull(),
    issueNumber: integer("issue_number").notNull(),
    issueUrl: text("issue_url").notNull(),
    openedAt: text("opened_at").notNull(),
    closedAt: text("closed_at"),
    closedBy: text("closed_by"),
    stateReason: text("state_reason"),
    unticked: text("unticked"),
  },
  (t) => [uniqueIndex("access_reviews_issue").on(t.installationId, t.repository, t.issueNumber)],
);

export const backfills = pgTable("backfills", {
  installationId: id("installation_id").primaryKey(),
  trigger: text("trigger").notNull(),
  deliveryId: text("delivery_id").notNull(),
  state: text("state", { enum: ["running", "paused", "finished"] }).notNull(),
  total: integer("total").notNull(),
  assessed: integer("assessed").notNull(),
  failed: integer("failed").notNull(),
  startedAt: text("started_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  nextBatchAt: text("next_batch_at"),
  expectedFinishAt: text("expected_finish_at"),
  finishedAt: text("finished_at"),
});

export const backfillRepositories = pgTable(
  "backfill_repositories",
  {
    id: serialId(),
    installationId: id("installation_id").notNull(),
    fullName: text("full_name").notNull(),
  },
  (t) => [uniqueIndex("backfill_repositories_key").on(t.installationId, t.fullName)],
);

export const conditionalAnswers = pgTable(
  "conditional_answers",
  {
    installationId: id("installation_id").notNull(),
    key: text("key").notNull(),
    etag: text("etag").notNull(),
    status: integer("status").notNull(),
    data: text("data").notNull(),
    headers: text("headers").notNull(),
    /** Milliseconds since the epoch: past 2^31. */
    usedAt: bigint("used_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.installationId, t.key] }), index("conditional_answers_age").on(t.installationId, t.usedAt)],
);

export const auditSummaries = pgTable("audit_summaries", {
  installationId: id("installation_id").primaryKey(),
  baseSeq: integer("base_seq").notNull(),
  throughSeq: integer("through_seq").notNull(),
  headHash: text("head_hash").notNull(),
  total: integer("total").notNull(),
  exported: integer("exported").notNull(),
  dayCounts: text("day_counts").notNull(),
  broken: text("broken"),
  fullyVerifiedAt: text("fully_verified_at"),
  updatedAt: text("updated_at").notNull(),
});

export const hookDeliveryScans = pgTable("hook_delivery_scans", {
  id: text("id").primaryKey(),
  newestSeenId: id("newest_seen_id"),
  scannedAt: text("scanned_at"),
  aliveAt: text("alive_at").notNull(),
});

export const hookRedeliveries = pgTable(
  "hook_redeliveries",
  {
    guid: text("guid").primaryKey(),
    deliveryId: id("delivery_id").notNull(),
    installationId: id("installation_id"),
    event: text("event").notNull(),
    deliveredAt: text("delivered_at").notNull(),
    requestedAt: text("requested_at").notNull(),
    outcome: text("outcome").notNull(),
  },
  (t) => [index("hook_redeliveries_installation").on(t.installationId)],
);

export const deliveryGaps = pgTable(
  "delivery_gaps",
  {
    id: serialId(),
    installationId: id("installation_id").notNull(),
    fromAt: text("from_at").notNull(),
    untilAt: text("until_at").notNull(),
    recordedAt: text("recorded_at").notNull(),
  },
  (t) => [uniqueIndex("delivery_gaps_window").on(t.installationId, t.fromAt)],
);

/*
 * Limits every replica must keep together (PostgreSQL only: one SQLite process keeps them in memory).
 * Times are milliseconds since the epoch, as `conditional_answers.used_at`.
 */

/** One row per installation, locked while a content write is counted, so replicas count one at a time. */
export const contentBudgets = pgTable("content_budgets", {
  installationId: id("installation_id").primaryKey(),
});

/** Each content write (issue, comment, label, check run) of the last hour, per installation. */
export const contentWrites = pgTable(
  "content_writes",
  {
    id: serialId(),
    installationId: id("installation_id").notNull(),
    at: bigint("at", { mode: "number" }).notNull(),
  },
  (t) => [index("content_writes_window").on(t.installationId, t.at)],
);

/** The lowest budget any replica was told of in the current window, per installation and resource. */
export const rateReadings = pgTable(
  "rate_readings",
  {
    installationId: id("installation_id").notNull(),
    resource: text("resource", { enum: ["rest", "graphql"] }).notNull(),
    limit: integer("limit").notNull(),
    remaining: integer("remaining").notNull(),
    resetAt: bigint("reset_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.installationId, t.resource] })],
);

/**
 * Organisation evidence read for an installation, with when it was read. `generation` counts the
 * times it was forgotten: a read that began before the latest forget does not store its answer.
 */
export const orgEvidence = pgTable("org_evidence", {
  installationId: id("installation_id").primaryKey(),
  org: text("org"),
  readAt: bigint("read_at", { mode: "number" }),
  findings: text("findings"),
  generation: integer("generation").notNull().default(0),
});
