import Database from "better-sqlite3";
import { canonicalJson, GENESIS_HASH } from "../../src/audit/canonical.js";
import { linkHash } from "../../src/audit/trail.js";
import { Store } from "../../src/store/store.js";

/*
 * A long audit trail for the benchmark, written straight into a store file: one transaction of
 * prepared inserts, each link hashed exactly as the app hashes an appended event, so the chain
 * verifies (`claimcheck audit verify`) and the app's summary catches up on it as on a real one.
 * This is the benchmark's setup, not the app's path: a million drizzle inserts (and a commit
 * every few thousand rows through the write-ahead log) took minutes; this takes seconds.
 */

const KINDS = ["branch_protection_rule.edited", "repository_ruleset.edited", "member.added", "team_add", "push.force", "repository.privatized", "deploy_key.created", "organization.member_added"];

export type TrailShape = {
  installationId: number;
  events: number;
  /** The newest event's time; the trail spans `days` before it, evenly. */
  now: Date;
  days?: number;
  /** Repositories the events are about, in turn (the check runs' "recent changes" read them). */
  repositories: readonly string[];
};

/** Writes the trail into the (migrated) store at `path`; returns the last link's hash. */
export async function fillTrail(path: string, shape: TrailShape): Promise<string> {
  // The schema is the app's: migrations run exactly as at the app's start.
  await (await Store.open(path)).close();
  const db = new Database(path);
  let prevHash = GENESIS_HASH;
  try {
    // One transaction through a rollback journal: nothing to copy twice (a write-ahead log would
    // hold the whole trail until a checkpoint). No fsync: a crash only loses the benchmark's setup.
    db.pragma("journal_mode = DELETE");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -131072");
    const insert = db.prepare(
      `insert into audit_events (installation_id, seq, source, source_id, kind, actor, target, repository, before, after, occurred_at, recorded_at, prev_hash, hash)
       values (@installationId, @seq, @source, @sourceId, @kind, @actor, @target, @repository, @before, @after, @occurredAt, @recordedAt, @prevHash, @hash)`,
    );
    const span = (shape.days ?? 400) * 86_400_000;
    const start = shape.now.getTime() - span;
    db.transaction(() => {
      for (let i = 0; i < shape.events; i += 1) {
        const at = new Date(start + Math.floor(((i + 1) / shape.events) * span)).toISOString();
        const row = {
          installationId: shape.installationId,
          seq: i + 1,
          source: "webhook" as const,
          // Zero-padded, so the (installation, source, source id) index grows at its end like the others.
          sourceId: `bench-${String(i).padStart(10, "0")}`,
          kind: KINDS[i % KINDS.length]!,
          actor: `user-${i % 97}`,
          target: `target ${i % 1000}`,
          repository: shape.repositories.length > 0 ? shape.repositories[i % shape.repositories.length]! : null,
          before: null,
          after: canonicalJson({ i }),
          occurredAt: at,
          recordedAt: at,
          prevHash,
        };
        const hash = linkHash(row);
        insert.run({ ...row, hash });
        prevHash = hash;
      }
    })();
  } finally {
    db.close();
  }
  return prevHash;
}
