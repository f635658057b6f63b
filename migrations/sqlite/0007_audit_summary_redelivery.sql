CREATE TABLE `audit_summaries` (
	`installation_id` integer PRIMARY KEY NOT NULL,
	`base_seq` integer NOT NULL,
	`through_seq` integer NOT NULL,
	`head_hash` text NOT NULL,
	`total` integer NOT NULL,
	`exported` integer NOT NULL,
	`day_counts` text NOT NULL,
	`broken` text,
	`fully_verified_at` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `delivery_gaps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`installation_id` integer NOT NULL,
	`from_at` text NOT NULL,
	`until_at` text NOT NULL,
	`recorded_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `delivery_gaps_window` ON `delivery_gaps` (`installation_id`,`from_at`);--> statement-breakpoint
CREATE TABLE `hook_delivery_scans` (
	`id` text PRIMARY KEY NOT NULL,
	`newest_seen_id` integer,
	`scanned_at` text,
	`alive_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `hook_redeliveries` (
	`guid` text PRIMARY KEY NOT NULL,
	`delivery_id` integer NOT NULL,
	`installation_id` integer,
	`event` text NOT NULL,
	`delivered_at` text NOT NULL,
	`requested_at` text NOT NULL,
	`outcome` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `hook_redeliveries_installation` ON `hook_redeliveries` (`installation_id`);--> statement-breakpoint
CREATE INDEX `audit_events_repository_time` ON `audit_events` (`installation_id`,`repository`,`occurred_at`);