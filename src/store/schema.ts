import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
  (t) => [
    index("assessments_repo_time").on(t.installationId, t.repositoryFullName, t.finishedAt),
    // The newest in-scope assessments of an installation (the backfill's cost, read every batch),
    // newest first straight from the index: without it SQLite read and sorted every stored
    // assessment of the installation, large JSON columns and all, seconds at 10,000 repositories.
    index("assessments_installation_scope").on(t.installationId, t.inScope),
    // By delivery: a job tried again looks for what an earlier attempt stored for its delivery.
    index("assessments_delivery").on(t.installationId, t.deliveryId),
  ],
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
    source: text("source", { enum: ["webhook", "audit-log", "claimcheck"] }).notNull(),
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
    // A check run's "recent changes" of one repository: without it, a repository with few events scans the installation's whole trail.
    index("audit_events_repository_time").on(t.installationId, t.repository, t.occurredAt),
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

/**
 * The issues claimcheck keeps: a gap issue per claim and scope, the evidence summary, keyed by
 * what the hidden marker in the body says, never by title. `hash` is the rendered content last
 * written, so an unchanged result is never written again.
 */
export const claimIssues = sqliteTable(
  "claim_issues",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    installationId: integer("installation_id").notNull(),
    kind: text("kind", { enum: ["gap", "summary"] }).notNull(),
    claimId: text("claim_id").notNull(),
    /** `org`, a repository's full name, or `central` (one issue listing every affected repository). */
    scope: text("scope").notNull(),
    /** The repository the issue lives in (owner/name). */
    repository: text("repository").notNull(),
    issueNumber: integer("issue_number").notNull(),
    issueUrl: text("issue_url").notNull(),
    state: text("state", { enum: ["open", "closed"] }).notNull(),
    /** Who closed it last: claimcheck (the claim became met) or a person. */
    closedBy: text("closed_by", { enum: ["claimcheck", "person"] }),
    stateReason: text("state_reason"),
    status: text("status").notNull(),
    /** Status and failing checks: an exception lapses when this changes. */
    evidenceKind: text("evidence_kind").notNull(),
    hash: text("hash").notNull(),
    /** A person closed it as completed while the gap remained, and claimcheck reopened it once. */
    reopenedOnce: integer("reopened_once", { mode: "boolean" }).notNull().default(false),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("claim_issues_identity").on(t.installationId, t.kind, t.claimId, t.scope),
    index("claim_issues_number").on(t.installationId, t.repository, t.issueNumber),
  ],
);

/** A person closed a gap issue as not planned: the gap is accepted, with who, when and why. */
export const claimExceptions = sqliteTable(
  "claim_exceptions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    installationId: integer("installation_id").notNull(),
    claimId: text("claim_id").notNull(),
    scope: text("scope").notNull(),
    issueUrl: text("issue_url").notNull(),
    acceptedBy: text("accepted_by").notNull(),
    acceptedAt: text("accepted_at").notNull(),
    reason: text("reason").notNull(),
    expiresAt: text("expires_at").notNull(),
    evidenceKind: text("evidence_kind").notNull(),
    /** Set when the exception stops applying: reopened by a person, expired, or the evidence changed kind. */
    endedAt: text("ended_at"),
    endedBecause: text("ended_because"),
  },
  (t) => [index("claim_exceptions_scope").on(t.installationId, t.claimId, t.scope)],
);

/** Repositories claimcheck tried to write issues in: when it last listed them, and why it could not. */
export const issueRepositories = sqliteTable(
  "issue_repositories",
  {
    installationId: integer("installation_id").notNull(),
    repository: text("repository").notNull(),
    listedAt: text("listed_at"),
    /** Why issues cannot be written there (issues disabled, repository missing), or null. */
    unavailable: text("unavailable"),
    checkedAt: text("checked_at").notNull(),
  },
  (t) => [uniqueIndex("issue_repositories_key").on(t.installationId, t.repository)],
);

/** Organisation-level claim statuses when they changed, for "2.2.2 partial → met on 12 Mar". */
export const orgClaimStatuses = sqliteTable(
  "org_claim_statuses",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    installationId: integer("installation_id").notNull(),
    claimId: text("claim_id").notNull(),
    status: text("status").notNull(),
    at: text("at").notNull(),
  },
  (t) => [index("org_claim_statuses_claim").on(t.installationId, t.claimId, t.id)],
);

/** Access review issues (claim 2.1.6): opened every period, closed by the reviewer. */
export const accessReviews = sqliteTable(
  "access_reviews",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    installationId: integer("installation_id").notNull(),
    repository: text("repository").notNull(),
    issueNumber: integer("issue_number").notNull(),
    issueUrl: text("issue_url").notNull(),
    openedAt: text("opened_at").notNull(),
    closedAt: text("closed_at"),
    closedBy: text("closed_by"),
    /** `completed` or `not_planned`, as GitHub reports the close. */
    stateReason: text("state_reason"),
    /** JSON list of the task-list items left unticked when the review was closed. */
    unticked: text("unticked"),
  },
  (t) => [uniqueIndex("access_reviews_issue").on(t.installationId, t.repository, t.issueNumber)],
);

/**
 * An installation's backfill (every repository assessed after install), spread over GitHub's
 * hourly budgets: where it stands and when it expects to finish, for logs and reports.
 */
export const backfills = sqliteTable("backfills", {
  installationId: integer("installation_id").primaryKey(),
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

/** Repositories of an unfinished backfill not yet assessed: what a restart picks up again. */
export const backfillRepositories = sqliteTable(
  "backfill_repositories",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    installationId: integer("installation_id").notNull(),
    fullName: text("full_name").notNull(),
  },
  (t) => [uniqueIndex("backfill_repositories_key").on(t.installationId, t.fullName)],
);

/**
 * REST answers kept with their ETag, per installation, for conditional requests: a re-read GitHub
 * answers 304 is served from here and not charged to the rate limit. Kept in the database rather
 * than in memory, so it is sized to the installation (every repository's reads of a pass fit),
 * survives restarts and does not grow the process.
 */
export const conditionalAnswers = sqliteTable(
  "conditional_answers",
  {
    installationId: integer("installation_id").notNull(),
    /** Route and parameters, canonical. */
    key: text("key").notNull(),
    etag: text("etag").notNull(),
    status: integer("status").notNull(),
    /** JSON: the answer's body, and the headers a reader may need again (pagination). */
    data: text("data").notNull(),
    headers: text("headers").notNull(),
    usedAt: integer("used_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.installationId, t.key] }), index("conditional_answers_age").on(t.installationId, t.usedAt)],
);

/**
 * The audit trail's running summary per installation, so an assessment's 2.2.x evidence costs
 * the same on a trail of a million events as on an empty one: the chain verified up to
 * `throughSeq` (whose hash is `headHash`), counts of events per day and kind, and how many
 * exported. Each read hashes only the links after `throughSeq`; `claimcheck audit verify` still
 * walks the whole chain.
 */
export const auditSummaries = sqliteTable("audit_summaries", {
  installationId: integer("installation_id").primaryKey(),
  /** The retention checkpoint the verification started from (0: the genesis). */
  baseSeq: integer("base_seq").notNull(),
  throughSeq: integer("through_seq").notNull(),
  headHash: text("head_hash").notNull(),
  total: integer("total").notNull(),
  exported: integer("exported").notNull(),
  /** JSON `{ "YYYY-MM-DD": { kind: count } }` by the day the event occurred (UTC). */
  dayCounts: text("day_counts").notNull(),
  /** Where the chain was found broken (it stays broken: only `audit verify` and a person can say more). */
  broken: text("broken"),
  /** When the whole chain from the checkpoint was last verified in one pass (maintenance, daily). */
  fullyVerifiedAt: text("fully_verified_at"),
  updatedAt: text("updated_at").notNull(),
});

/**
 * How far the app got through its own webhook deliveries (`GET /app/hook/deliveries`): one row
 * for the app, since deliveries belong to the app, not to an installation. `aliveAt` is when the
 * app last ran a scan, so a start-up can tell how long it was down.
 */
export const hookDeliveryScans = sqliteTable("hook_delivery_scans", {
  id: text("id").primaryKey(),
  /** The highest delivery id already examined: the next scan stops when it reaches it. */
  newestSeenId: integer("newest_seen_id"),
  scannedAt: text("scanned_at"),
  aliveAt: text("alive_at").notNull(),
});

/** Failed deliveries claimcheck asked GitHub to send again: once per delivery (its GUID), never twice. */
export const hookRedeliveries = sqliteTable(
  "hook_redeliveries",
  {
    guid: text("guid").primaryKey(),
    deliveryId: integer("delivery_id").notNull(),
    installationId: integer("installation_id"),
    event: text("event").notNull(),
    deliveredAt: text("delivered_at").notNull(),
    requestedAt: text("requested_at").notNull(),
    /** `requested`, or why GitHub refused (then it is not asked again either). */
    outcome: text("outcome").notNull(),
  },
  (t) => [index("hook_redeliveries_installation").on(t.installationId)],
);

/**
 * Windows in which an installation's events may be missing: the app was down longer than GitHub
 * keeps deliveries for redelivery. Written with the audit event that records the window; read
 * by 2.2.1's evidence.
 */
export const deliveryGaps = sqliteTable(
  "delivery_gaps",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    installationId: integer("installation_id").notNull(),
    fromAt: text("from_at").notNull(),
    untilAt: text("until_at").notNull(),
    recordedAt: text("recorded_at").notNull(),
  },
  (t) => [uniqueIndex("delivery_gaps_window").on(t.installationId, t.fromAt)],
);
