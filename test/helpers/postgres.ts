import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { migratePostgres, postgresConfig } from "../../src/store/postgres.js";
import { PostgresStore } from "../../src/store/postgres-store.js";

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

/** One connection to the test server for `work`, closed afterwards whatever `work` does. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(postgresConfig(url));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await withClient(url, (client) => client.query(`drop schema if exists "${schema}" cascade`));
}

/** A new, empty schema and a pool whose connections work in it; `drop` removes both. */
export async function freshSchema(): Promise<{ pool: pg.Pool; schema: string; url: string; drop: () => Promise<void> }> {
  if (!("url" in postgres)) throw new Error(postgres.skipped);
  const url = postgres.url;
  const schema = `test_${randomBytes(6).toString("hex")}`;
  await withClient(url, (client) => client.query(`create schema "${schema}"`));
  const pool = new pg.Pool(postgresConfig(url, { options: `-c search_path=${schema}` }));
  return {
    pool,
    schema,
    url,
    drop: async () => {
      await pool.end();
      await dropSchema(url, schema);
    },
  };
}

/**
 * A PostgreSQL store in a new, empty schema of its own (its connections' search_path), opened as
 * the app opens one (migrations applied at open); `drop` closes it and removes the schema (a store
 * `reopen` gave is the caller's to close).
 */
export async function freshPostgresStore(): Promise<{ store: PostgresStore; databaseUrl: string; reopen: () => Promise<PostgresStore>; drop: () => Promise<void> }> {
  if (!("url" in postgres)) throw new Error(postgres.skipped);
  const url = postgres.url;
  const schema = `test_${randomBytes(6).toString("hex")}`;
  await withClient(url, (client) => client.query(`create schema "${schema}"`));
  // The DATABASE_URL an operator would give for this schema: libpq's `options` parameter sets the search_path.
  const databaseUrl = new URL(url);
  databaseUrl.searchParams.set("options", `-c search_path=${schema}`);
  const reopen = () => PostgresStore.open(databaseUrl.toString());
  const store = await reopen();
  return {
    store,
    databaseUrl: databaseUrl.toString(),
    // Another replica, or the same app started again, on the same database.
    reopen,
    // A test may have closed the store itself (closing twice is harmless); the schema goes either way.
    drop: async () => {
      await store.close();
      await dropSchema(url, schema);
    },
  };
}

/**
 * A new, migrated schema and two more pools on it, each standing for a replica of the app; `drop`
 * ends every pool and removes the schema.
 */
export async function migratedReplicas(max: number): Promise<Awaited<ReturnType<typeof freshSchema>> & { replicas: [pg.Pool, pg.Pool] }> {
  const target = await freshSchema();
  await migratePostgres(target.pool);
  const replica = () => new pg.Pool(postgresConfig(target.url, { options: `-c search_path=${target.schema}`, max }));
  const replicas: [pg.Pool, pg.Pool] = [replica(), replica()];
  return {
    ...target,
    replicas,
    drop: async () => {
      await Promise.all(replicas.map((pool) => pool.end()));
      await target.drop();
    },
  };
}

/**
 * `migratedReplicas(max)` for a whole suite: made before its first test, dropped after its last.
 * Call the function it returns inside the tests.
 */
export function replicasForSuite(max: number): () => Awaited<ReturnType<typeof migratedReplicas>> {
  let target: Awaited<ReturnType<typeof migratedReplicas>> | undefined;
  beforeAll(async () => {
    target = await migratedReplicas(max);
  });
  afterAll(async () => {
    await target?.drop();
  });
  return () => {
    if (!target) throw new Error("the suite's replicas are made before its first test");
    return target;
  };
}
