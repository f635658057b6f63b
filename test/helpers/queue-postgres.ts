import { randomBytes } from "node:crypto";
import pg from "pg";

/*
 * The PostgreSQL the queue tests run against: TEST_DATABASE_URL, when set and answering. Each
 * test gets a schema of its own, dropped afterwards, so tests (and runs) never see each
 * other's jobs.
 */

export type TestDatabase = { url: string } | { skip: string };

export async function testDatabase(env: NodeJS.ProcessEnv = process.env): Promise<TestDatabase> {
  const url = env.TEST_DATABASE_URL;
  if (!url) return { skip: "TEST_DATABASE_URL is not set" };
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return { url };
  } catch (error) {
    return { skip: `TEST_DATABASE_URL does not answer (${error instanceof Error ? error.message : String(error)})` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function freshSchemaName(): string {
  return `queue_test_${randomBytes(6).toString("hex")}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** The state pg-boss keeps for every job of the schema (archived ones included). */
export async function jobStates(url: string, schema: string): Promise<{ name: string; state: string; retryCount: number; data: unknown }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; state: string; retry_count: number; data: unknown }>(
      `SELECT name, state::text AS state, retry_count, data FROM "${schema}".job UNION ALL SELECT name, state::text, retry_count, data FROM "${schema}".archive`,
    );
    return rows.map((r) => ({ name: r.name, state: r.state, retryCount: r.retry_count, data: r.data }));
  } finally {
    await client.end();
  }
}
