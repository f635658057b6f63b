CREATE TABLE `audit_checkpoints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`installation_id` integer NOT NULL,
	`through_seq` integer NOT NULL,
	`hash` text NOT NULL,
	`pruned_count` integer NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`installation_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`source` text NOT NULL,
	`source_id` text NOT NULL,
	`kind` text NOT NULL,
	`actor` text,
	`target` text NOT NULL,
	`repository` text,
	`before` text,
	`after` text,
	`occurred_at` text NOT NULL,
	`recorded_at` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_events_seq` ON `audit_events` (`installation_id`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `audit_events_source` ON `audit_events` (`installation_id`,`source`,`source_id`);--> statement-breakpoint
CREATE INDEX `audit_events_time` ON `audit_events` (`installation_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `audit_log_sources` (
	`installation_id` integer PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`cursor` text,
	`checked_at` text NOT NULL
);
