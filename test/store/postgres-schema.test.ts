import type Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePostgres, postgresPool } from "../../src/store/postgres.js";
import { Store } from "../../src/store/store.js";
import { freshSchema, postgres, skipPostgres } from "../helpers/postgres.js";

/*
 * The PostgreSQL schema against the SQLite one: the same tables, columns and indexes (names,
 * columns in order, uniqueness), applied by migrations that several replicas may run at once,
 * and the audit trail as append-only as in SQLite.
 */

/** The migrations in migrations/postgres. */
const MIGRATIONS = 4;
const POSTGRES_ONLY = ["content_budgets", "content_writes", "rate_readings", "org_evidence"];

type Shape = Record<string, { columns: string[]; indexes: Record<string, { unique: boolean; columns: string[] }> }>;

async function sqliteShape(): Promise<Shape> {
  const store = await Store.open(":memory:");
  const db = (store.db as unknown as { $client: Database.Database }).$client;
  const shape: Shape = {};
  const tables = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'").all() as { name: string }[];
  for (const { name } of tables) {
    const columns = (db.prepare(`pragma table_info("${name}")`).all() as { name: string }[]).map((c) => c.name);
    const indexes: Shape[string]["indexes"] = {};
    for (const index of db.prepare(`pragma index_list("${name}")`).all() as { name: string; unique: number; origin: string }[]) {
      // Primary keys and unique constraints SQLite makes itself have no name of ours.
      if (index.origin !== "c") continue;
      indexes[index.name] = { unique: index.unique === 1, columns: (db.prepare(`pragma index_info("${index.name}")`).all() as { name: string }[]).map((c) => c.name) };
    }
    shape[name] = { columns, indexes };
  }
  await store.close();
  return shape;
}

async function postgresShape(pool: pg.Pool): Promise<Shape> {
  const shape: Shape = {};
  const columns = await pool.query<{ table_name: string; column_name: string }>(
    "select table_name, column_name from information_schema.columns where table_schema = current_schema() and table_name not like '__drizzle%' order by table_name, ordinal_position",
  );
  for (const c of columns.rows) (shape[c.table_name] ??= { columns: [], indexes: {} }).columns.push(c.column_name);
  const indexes = await pool.query<{ table: string; name: string; unique: boolean; columns: string[] }>(`
    select t.relname as table, i.relname as name, x.indisunique as unique,
      array(select a.attname::text from unnest(x.indkey) with ordinality k(attnum, n) join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.n) as columns
    from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid join pg_namespace s on s.oid = t.relnamespace
    where s.nspname = current_schema() and not x.indisprimary and t.relname not like '__drizzle%'`);
  for (const index of indexes.rows) shape[index.table]!.indexes[index.name] = { unique: index.unique, columns: index.columns };
  return shape;
}

describe.skipIf(skipPostgres("store schema and migrations on PostgreSQL"))("the PostgreSQL schema", () => {
  let target: Awaited<ReturnType<typeof freshSchema>>;
  beforeAll(async () => {
    target = await freshSchema();
  });
  afterAll(async () => {
    await target?.drop();
  });

  it("is applied once however many replicas start together, and has SQLite's tables, columns and indexes", async () => {
    // Three replicas' pools, each migrating at once: the advisory lock lets one apply, the others find it done.
    const replicas = [0, 1, 2].map(() => postgresPool(target.url, { options: `-c search_path=${target.schema}`, max: 2 }));
    try {
      await Promise.all(replicas.map((pool) => migratePostgres(pool)));
    } finally {
      await Promise.all(replicas.map((pool) => pool.end()));
    }
    const applied = await target.pool.query<{ n: string }>("select count(*) as n from __drizzle_migrations");
    expect(Number(applied.rows[0]!.n)).toBe(MIGRATIONS);
    await migratePostgres(target.pool);
    expect(Number((await target.pool.query<{ n: string }>("select count(*) as n from __drizzle_migrations")).rows[0]!.n)).toBe(MIGRATIONS);

    // The limits shared by replicas have tables in PostgreSQL only: one SQLite process keeps them in memory.
    const shape = await postgresShape(target.pool);
    const sharedLimits = Object.fromEntries(POSTGRES_ONLY.map((table) => [table, shape[table]]));
    for (const table of POSTGRES_ONLY) delete shape[table];
    expect(shape).toEqual(await sqliteShape());
    expect(sharedLimits).toEqual({
      content_budgets: { columns: ["installation_id"], indexes: {} },
      content_writes: { columns: ["id", "installation_id", "at"], indexes: { content_writes_window: { unique: false, columns: ["installation_id", "at"] } } },
      rate_readings: { columns: ["installation_id", "resource", "limit", "remaining", "reset_at"], indexes: {} },
      org_evidence: { columns: ["installation_id", "org", "read_at", "findings", "generation"], indexes: {} },
    });
  });

  it("keeps the audit trail append-only: no update, no delete ahead of a retention checkpoint", async () => {
    await migratePostgres(target.pool);
    const insert = (seq: number) =>
      target.pool.query(
        "insert into audit_events (installation_id, seq, source, source_id, kind, target, occurred_at, recorded_at, prev_hash, hash) values ($1, $2, 'webhook', $3, 'team.edited', 'team core', '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', 'p', 'h')",
        [7, seq, `d${seq}`],
      );
    await insert(1);
    await insert(2);
    await expect(target.pool.query("update audit_events set kind = 'edited' where seq = 1")).rejects.toThrow(/append-only/);
    await expect(target.pool.query("delete from audit_events where seq = 1")).rejects.toThrow(/retention checkpoint/);
    await target.pool.query("insert into audit_checkpoints (installation_id, through_seq, hash, pruned_count, created_at) values (7, 1, 'h', 1, '2026-11-02T00:00:00.000Z')");
    await target.pool.query("delete from audit_events where installation_id = 7 and seq = 1");
    await expect(target.pool.query("delete from audit_events where seq = 2")).rejects.toThrow(/retention checkpoint/);
    await expect(target.pool.query("update audit_checkpoints set through_seq = 2")).rejects.toThrow(/append-only/);
    // Another installation's checkpoint never covers this one's links.
    await target.pool.query("insert into audit_checkpoints (installation_id, through_seq, hash, pruned_count, created_at) values (8, 99, 'h', 0, '2026-11-02T00:00:00.000Z')");
    await expect(target.pool.query("delete from audit_events where seq = 2")).rejects.toThrow(/retention checkpoint/);
  });

  it("holds GitHub's ids past 2^31 (check runs, deliveries) as SQLite's 64-bit integers do", async () => {
    await migratePostgres(target.pool);
    const big = 34_567_890_123;
    await target.pool.query("insert into installations (id, account_login, account_type) values ($1, 'octo-org', 'Organization')", [big]);
    const row = await target.pool.query<{ id: string; created_at: string }>("select id::text as id, created_at from installations where id = $1", [big]);
    expect(row.rows[0]!.id).toBe(String(big));
    // The default timestamp is the same ISO-8601 text SQLite writes, so the two sort alike.
    expect(row.rows[0]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe("PostgreSQL tests without a server", () => {
  it("are skipped with a reason, never passed", () => {
    expect("url" in postgres || postgres.skipped.length > 0).toBe(true);
  });
});
