import { randomBytes } from "node:crypto";
import { jobLockKey } from "../../src/queue/postgres-supervision.js";
import { postgres, withClient } from "./postgres.js";

export { dropSchema } from "./postgres.js";

/*
 * The PostgreSQL the queue tests run against: TEST_DATABASE_URL, when set and answering. Each
 * test gets a schema of its own, dropped afterwards, so tests (and runs) never see each
 * other's jobs.
 */

export type TestDatabase = { url: string } | { skip: string };

/** The store's probe of TEST_DATABASE_URL (one connection rule for every PostgreSQL suite). */
export async function testDatabase(): Promise<TestDatabase> {
  return "url" in postgres ? { url: postgres.url } : { skip: postgres.skipped };
}

export function freshSchemaName(): string {
  return `queue_test_${randomBytes(6).toString("hex")}`;
}

/** The state pg-boss keeps for every job of the schema (archived ones included). */
export async function jobStates(url: string, schema: string): Promise<{ name: string; state: string; retryCount: number; data: unknown }[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string; state: string; retry_count: number; data: unknown }>(
      `SELECT name, state::text AS state, retry_count, data FROM "${schema}".job UNION ALL SELECT name, state::text, retry_count, data FROM "${schema}".archive`,
    );
    return rows.map((r) => ({ name: r.name, state: r.state, retryCount: r.retry_count, data: r.data }));
  });
}

/** How many seconds ago, on the database's clock, each of the schema's active jobs started. */
export async function activeForSeconds(url: string, schema: string): Promise<number[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ seconds: number }>(`SELECT extract(epoch FROM now() - started_on)::float8 AS seconds FROM "${schema}".job WHERE state = 'active'`);
    return rows.map((r) => r.seconds);
  });
}

/**
 * Ends, as a server restart or a network cut would, the sessions holding the locks of the schema's
 * active jobs (found by the lock's key in pg_locks, so no other test's connection is touched).
 */
export async function endJobLockSessions(url: string, schema: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(l.pid) AS ended
       FROM "${schema}".job j
       JOIN pg_locks l ON l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
         AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1 || j.id::text, 0)
       WHERE j.state = 'active'`,
      [jobLockKey(schema, "")],
    );
    return rows.filter((r) => r.ended).length;
  });
}
