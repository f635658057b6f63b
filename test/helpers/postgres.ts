import { randomBytes } from "node:crypto";
import pg from "pg";
import { postgresConfig } from "../../src/store/postgres.js";

/*
 * PostgreSQL for the store's tests: the server TEST_DATABASE_URL names (`.ci/run` sets it when
 * one answers on 127.0.0.1:5432). Each test file works in a schema of its own, created empty and
 * dropped afterwards, so files run in parallel against one database. Without a reachable server
 * the PostgreSQL cases are skipped, and the run says which and why.
 */

export type PostgresTarget = { url: string } | { skipped: string };

async function probe(): Promise<PostgresTarget> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return { skipped: "TEST_DATABASE_URL is not set" };
  const client = new pg.Client(postgresConfig(url, { connectionTimeoutMillis: 3_000 }));
  try {
    await client.connect();
    await client.query("select 1");
    return { url };
  } catch (error) {
    return { skipped: `TEST_DATABASE_URL does not answer (${error instanceof Error ? error.message : String(error)})` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Probed once per test file, before its suites are collected. */
export const postgres: PostgresTarget = await probe();

/** True when the PostgreSQL suites cannot run; says so once, naming them. */
export function skipPostgres(suites: string): boolean {
  if ("url" in postgres) return false;
  // One line in the run's output: a skipped suite must not pass for a passed one.
  // eslint-disable-next-line no-console
  console.warn(`PostgreSQL suites skipped (${suites}): ${postgres.skipped}`);
  return true;
}

/** A new, empty schema and a pool whose connections work in it; `drop` removes both. */
export async function freshSchema(): Promise<{ pool: pg.Pool; schema: string; url: string; drop: () => Promise<void> }> {
  if (!("url" in postgres)) throw new Error(postgres.skipped);
  const schema = `test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client(postgresConfig(postgres.url));
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  await admin.end();
  const pool = new pg.Pool(postgresConfig(postgres.url, { options: `-c search_path=${schema}` }));
  return {
    pool,
    schema,
    url: postgres.url,
    drop: async () => {
      await pool.end();
      const cleanup = new pg.Client(postgresConfig(postgres.url));
      await cleanup.connect();
      await cleanup.query(`drop schema "${schema}" cascade`);
      await cleanup.end();
    },
  };
}
