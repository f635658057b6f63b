-- The audit trail is append-only: no row is ever changed, and a row may be removed only once a
-- checkpoint records the hash the remaining chain starts from (retention pruning).
CREATE TRIGGER `audit_events_no_update` BEFORE UPDATE ON `audit_events`
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_events_delete_after_checkpoint` BEFORE DELETE ON `audit_events`
WHEN NOT EXISTS (
	SELECT 1 FROM `audit_checkpoints` c
	WHERE c.`installation_id` = OLD.`installation_id` AND c.`through_seq` >= OLD.`seq`
)
BEGIN
	SELECT RAISE(ABORT, 'audit events are removed only behind a retention checkpoint');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_checkpoints_no_update` BEFORE UPDATE ON `audit_checkpoints`
BEGIN
	SELECT RAISE(ABORT, 'audit checkpoints are append-only');
END;
