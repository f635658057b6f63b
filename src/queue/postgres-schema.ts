import pg from "pg";
import { currentSchema, postgresConfig } from "../store/postgres.js";

/*
 * Which schema the PostgreSQL queue keeps its jobs in. It follows the store's: the store works in
 * its connection's current schema (the URL's search_path, store/postgres.ts), and two deployments
 * sharing one database with a store schema each must not share a queue, or one would run the
 * other's jobs against its own store and the other installation's data could end up in it. Every
 * process that builds the queue for a store asks here, so the rule is written once.
 *
 * A store in `public` (no search_path set) keeps the queue of every release so far,
 * `claimcheck_queue`; a store in schema `x` gets `claimcheck_queue_x`. Store schemas starting with
 * `claimcheck_queue` are refused: they could be another deployment's queue. A suffix (`x_queue`)
 * would give a store in `claimcheck` the queue of a store in `public`.
 */

/** The queue of a store in `public`, and the prefix of every other store's queue. */
export const DEFAULT_QUEUE_SCHEMA = "claimcheck_queue";
/** PostgreSQL's longest identifier (NAMEDATALEN − 1 bytes). */
const LONGEST_NAME = 63;

/** The queue's schema for a store working in `storeSchema`; throws, saying why, for a schema it cannot follow. */
export function queueSchemaFor(storeSchema: string): string {
  if (storeSchema === "public") return DEFAULT_QUEUE_SCHEMA;
  if (!/^[a-z_][a-z0-9_]*$/.test(storeSchema)) throw new Error(`the store's schema "${storeSchema}": the job queue's schema is named after it, so lower-case letters, digits and underscores only`);
  if (storeSchema.startsWith(DEFAULT_QUEUE_SCHEMA)) throw new Error(`the store's schema "${storeSchema}": names starting with "${DEFAULT_QUEUE_SCHEMA}" are the job queues' own`);
  const queue = `${DEFAULT_QUEUE_SCHEMA}_${storeSchema}`;
  if (queue.length > LONGEST_NAME) throw new Error(`the store's schema "${storeSchema}": at most ${LONGEST_NAME - DEFAULT_QUEUE_SCHEMA.length - 1} characters, so that its job queue's schema ("${queue}") is a PostgreSQL name`);
  return queue;
}

/** The queue's schema for the store `connectionString` opens: asks the server which schema that connection works in. */
export async function queueSchemaOf(connectionString: string): Promise<string> {
  const client = new pg.Client(postgresConfig(connectionString));
  await client.connect();
  try {
    return queueSchemaFor(await currentSchema(client));
  } finally {
    await client.end();
  }
}
