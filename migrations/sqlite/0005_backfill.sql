CREATE TABLE `backfill_repositories` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`installation_id` integer NOT NULL,
	`full_name` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `backfill_repositories_key` ON `backfill_repositories` (`installation_id`,`full_name`);--> statement-breakpoint
CREATE TABLE `backfills` (
	`installation_id` integer PRIMARY KEY NOT NULL,
	`trigger` text NOT NULL,
	`delivery_id` text NOT NULL,
	`state` text NOT NULL,
	`total` integer NOT NULL,
	`assessed` integer NOT NULL,
	`failed` integer NOT NULL,
	`started_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`next_batch_at` text,
	`expected_finish_at` text,
	`finished_at` text
);
