import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
