import { userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import * as schema from "./schema-pg.js";

/*
 * PostgreSQL's side of the store: the connection pool and the migrations, applied at start-up.
 * Several replicas may start at once against one database: the migrations run under a session
 * advisory lock, so one applies them and the others, once it is released, find nothing to do.
 */

/** The PostgreSQL migrations (drizzle-kit, `npm run db:generate`). */
export const POSTGRES_MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "../../migrations/postgres");

/**
 * The advisory lock the migrations are applied under: one fixed number for every replica of the
 * app (the bytes of "clmchk:m"), unlikely to be another application's.
 */
export const MIGRATION_LOCK = 0x636c_6d63_686b_3a6dn.toString();

/** Whether `url` names a PostgreSQL server rather than a SQLite file. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * The connection settings for `url`. A URL without a user name connects as PGUSER or else the
 * operating system's user, as psql does (node-postgres alone would look only at $USER, which a
 * container or service manager often leaves unset).
 */
export function postgresConfig(url: string, options: pg.PoolConfig = {}): pg.PoolConfig {
  const parsed = new URL(url);
  // The URL's own user, when it names one, always wins (node-postgres reads it over any option).
  if (!parsed.username) parsed.username = encodeURIComponent(process.env.PGUSER || process.env.USER || userInfo().username);
  return { ...options, connectionString: parsed.toString() };
}

/**
 * The server's TCP keepalives for a session, so that it notices within about a minute
 * (30 s idle, then 3 probes 10 s apart) a peer that vanished without closing its connection.
 * A killed process's connections are closed by its operating system at once; a lost machine
 * (powered off, cut off the network) closes nothing, and the server keeps its sessions —
 * and their session advisory locks, which hold a repository, an installation's slot or its issue
 * run — for the operating system's keepalive time, two hours and more by default. Per-session
 * settings any user may make; the server ignores them on Unix-domain sockets, where a peer
 * cannot be lost that way.
 */
export const SERVER_KEEPALIVES = "SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3";

/**
 * Sets `SERVER_KEEPALIVES` on each connection `pool` opens (for pools whose connections hold
 * session advisory locks), before anything else runs on it. A server that refuses them leaves the
 * connection as it was, and says so in the log.
 */
export function keepSessionsAlive(pool: pg.Pool, onError: (message: string) => void): void {
  pool.on("connect", (client) => {
    client.query(SERVER_KEEPALIVES).catch((error: unknown) => onError(error instanceof Error ? error.message : String(error)));
  });
}

/** A pool for `url`; the caller ends it. */
export function postgresPool(url: string, options: pg.PoolConfig = {}): pg.Pool {
  return new pg.Pool(postgresConfig(url, options));
}

/**
 * Runs `run` holding the session advisory lock named `key` (waiting for it) on a connection of
 * `pool`. A session lock goes with its connection, so a process that dies releases it; a connection
 * whose unlock failed is closed, not given back to the pool still holding the lock.
 */
export async function withSessionLock<T>(pool: pg.Pool, key: string, run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query("select pg_advisory_lock(hashtextextended($1, 0))", [key]);
    try {
      return await run(client);
    } finally {
      await client.query("select pg_advisory_unlock(hashtextextended($1, 0))", [key]).catch((error: unknown) => {
        failed = error instanceof Error ? error : new Error(String(error));
      });
    }
  } finally {
    client.release(failed);
  }
}

/** The schema a connection works in (the first of its search_path that exists): the store's tables, and its migrations' record. */
export async function currentSchema(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ schema: string | null }>("select current_schema() as schema");
  const current = rows[0]?.schema;
  if (!current) throw new Error("the PostgreSQL connection has no current schema (search_path names none that exists)");
  return current;
}

/**
 * Applies the migrations not yet applied, one replica at a time. The migrations' own record
 * (drizzle's table) is kept in the connection's current schema, beside the tables it describes.
 */
export async function migratePostgres(pool: pg.Pool, migrationsFolder = POSTGRES_MIGRATIONS): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock($1::bigint)", [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder, migrationsSchema: await currentSchema(client) });
    } finally {
      await client.query("select pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/**
 * Takes, for the rest of the transaction, the lock on one installation's `purpose` (its audit
 * chain, its backfill): replicas doing the same to the same installation wait their turn, other
 * installations go on in parallel. The key is a 64-bit hash of a name only this app uses.
 */
export async function lockInstallation(tx: { execute: (query: SQL) => Promise<unknown> }, purpose: string, installationId: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`claimcheck:${purpose}:${installationId}`}, 0))`);
}
