-- The audit trail is append-only, as in SQLite (migrations/sqlite/0002): no row is ever changed,
-- and a row may be removed only once a checkpoint records the hash the remaining chain starts
-- from (retention pruning). The functions raise; the triggers call them before each row.
CREATE FUNCTION audit_events_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit events are append-only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_update();
--> statement-breakpoint
CREATE FUNCTION audit_events_refuse_unchecked_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (
		SELECT 1 FROM audit_checkpoints c
		WHERE c.installation_id = OLD.installation_id AND c.through_seq >= OLD.seq
	) THEN
		RAISE EXCEPTION 'audit events are removed only behind a retention checkpoint';
	END IF;
	RETURN OLD;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_delete_after_checkpoint BEFORE DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_unchecked_delete();
--> statement-breakpoint
CREATE FUNCTION audit_checkpoints_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit checkpoints are append-only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_update();
