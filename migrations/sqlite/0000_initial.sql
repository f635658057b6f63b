CREATE TABLE `assessments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`installation_id` integer NOT NULL,
	`repository_full_name` text NOT NULL,
	`repository_id` integer,
	`trigger` text NOT NULL,
	`delivery_id` text,
	`head_sha` text,
	`started_at` text NOT NULL,
	`finished_at` text NOT NULL,
	`in_scope` integer NOT NULL,
	`findings` text NOT NULL,
	`results` text NOT NULL,
	`config_problems` text NOT NULL,
	`requests` text NOT NULL,
	`check_run_id` integer,
	`conclusion` text,
	FOREIGN KEY (`installation_id`) REFERENCES `installations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `assessments_repo_time` ON `assessments` (`installation_id`,`repository_full_name`,`finished_at`);--> statement-breakpoint
CREATE TABLE `installations` (
	`id` integer PRIMARY KEY NOT NULL,
	`account_login` text NOT NULL,
	`account_type` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`removed_at` text
);
--> statement-breakpoint
CREATE TABLE `repositories` (
	`id` integer PRIMARY KEY NOT NULL,
	`installation_id` integer NOT NULL,
	`full_name` text NOT NULL,
	`added_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`removed_at` text,
	FOREIGN KEY (`installation_id`) REFERENCES `installations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `repositories_installation` ON `repositories` (`installation_id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`delivery_id` text PRIMARY KEY NOT NULL,
	`installation_id` integer,
	`event` text NOT NULL,
	`state` text NOT NULL,
	`received_at` text NOT NULL,
	`finished_at` text,
	`error` text
);
