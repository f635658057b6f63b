CREATE TABLE `access_reviews` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`installation_id` integer NOT NULL,
	`repository` text NOT NULL,
	`issue_number` integer NOT NULL,
	`issue_url` text NOT NULL,
	`opened_at` text NOT NULL,
	`closed_at` text,
	`closed_by` text,
	`state_reason` text,
	`unticked` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_reviews_issue` ON `access_reviews` (`installation_id`,`repository`,`issue_number`);--> statement-breakpoint
CREATE TABLE `claim_exceptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`installation_id` integer NOT NULL,
	`claim_id` text NOT NULL,
	`scope` text NOT NULL,
	`issue_url` text NOT NULL,
	`accepted_by` text NOT NULL,
	`accepted_at` text NOT NULL,
	`reason` text NOT NULL,
	`expires_at` text NOT NULL,
	`evidence_kind` text NOT NULL,
	`ended_at` text,
	`ended_because` text
);
--> statement-breakpoint
CREATE INDEX `claim_exceptions_scope` ON `claim_exceptions` (`installation_id`,`claim_id`,`scope`);--> statement-breakpoint
CREATE TABLE `claim_issues` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`installation_id` integer NOT NULL,
	`kind` text NOT NULL,
	`claim_id` text NOT NULL,
	`scope` text NOT NULL,
	`repository` text NOT NULL,
	`issue_number` integer NOT NULL,
	`issue_url` text NOT NULL,
	`state` text NOT NULL,
	`closed_by` text,
	`state_reason` text,
	`status` text NOT NULL,
	`evidence_kind` text NOT NULL,
	`hash` text NOT NULL,
	`reopened_once` integer DEFAULT false NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `claim_issues_identity` ON `claim_issues` (`installation_id`,`kind`,`claim_id`,`scope`);--> statement-breakpoint
CREATE INDEX `claim_issues_number` ON `claim_issues` (`installation_id`,`repository`,`issue_number`);--> statement-breakpoint
CREATE TABLE `issue_repositories` (
	`installation_id` integer NOT NULL,
	`repository` text NOT NULL,
	`listed_at` text,
	`unavailable` text,
	`checked_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `issue_repositories_key` ON `issue_repositories` (`installation_id`,`repository`);--> statement-breakpoint
CREATE TABLE `org_claim_statuses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`installation_id` integer NOT NULL,
	`claim_id` text NOT NULL,
	`status` text NOT NULL,
	`at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `org_claim_statuses_claim` ON `org_claim_statuses` (`installation_id`,`claim_id`,`id`);