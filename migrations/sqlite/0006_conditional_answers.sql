CREATE TABLE `conditional_answers` (
	`installation_id` integer NOT NULL,
	`key` text NOT NULL,
	`etag` text NOT NULL,
	`status` integer NOT NULL,
	`data` text NOT NULL,
	`headers` text NOT NULL,
	`used_at` integer NOT NULL,
	PRIMARY KEY(`installation_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `conditional_answers_age` ON `conditional_answers` (`installation_id`,`used_at`);