import pg from "pg";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { PostgresQueue } from "../../src/queue/postgres.js";
import { DEFAULT_QUEUE_SCHEMA, queueSchemaFor, queueSchemaOf } from "../../src/queue/postgres-schema.js";
import { keepSessionsAlive, postgresConfig } from "../../src/store/postgres.js";
import { dropSchema, withClient } from "../helpers/postgres.js";
import { freshSchemaName, testDatabase } from "../helpers/queue-postgres.js";

/*
 * The queue's schema follows the store's (two deployments on one database, a store schema each,
 * never run each other's jobs), and the queue's lock connections ask the server for TCP
 * keepalives (a lost machine's locks end within about a minute).
 */

const silent = pino({ level: "silent" });
const database = await testDatabase();
if ("skip" in database) process.stderr.write(`\nPostgreSQL queue schema tests skipped: ${database.skip}\n`);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("the queue's schema for a store's", () => {
  it("keeps today's queue for a store in public, and names every other store's after it", () => {
    expect(queueSchemaFor("public")).toBe(DEFAULT_QUEUE_SCHEMA);
    expect(queueSchemaFor("staging")).toBe("claimcheck_queue_staging");
    // The name a deployment most likely gives its store does not land on the public store's queue.
    expect(queueSchemaFor("claimcheck")).toBe("claimcheck_queue_claimcheck");
    expect(new Set(["public", "claimcheck", "staging", "production"].map(queueSchemaFor)).size).toBe(4);
  });

  it("refuses a store schema it cannot name a queue after, or that could be another deployment's queue", () => {
    expect(() => queueSchemaFor("Staging")).toThrow(/lower-case letters/);
    expect(() => queueSchemaFor("staging-eu")).toThrow(/lower-case letters/);
    expect(() => queueSchemaFor("x; drop schema public")).toThrow(/lower-case letters/);
    expect(() => queueSchemaFor(DEFAULT_QUEUE_SCHEMA)).toThrow(/job queues' own/);
    expect(() => queueSchemaFor("claimcheck_queue_staging")).toThrow(/job queues' own/);
    expect(() => queueSchemaFor("s".repeat(47))).toThrow(/at most 46 characters/);
    expect(queueSchemaFor("s".repeat(46))).toHaveLength(63);
  });
});

describe.skipIf("skip" in database)("two deployments on one PostgreSQL database, a store schema each", () => {
  const url = () => (database as { url: string }).url;

  /** A store schema of a deployment, and the URL that opens it (its search_path). */
  async function deployment(): Promise<{ storeSchema: string; databaseUrl: string }> {
    const storeSchema = `store_${freshSchemaName()}`;
    await withClient(url(), (client) => client.query(`create schema "${storeSchema}"`));
    cleanups.push(() => dropSchema(url(), storeSchema), () => dropSchema(url(), queueSchemaFor(storeSchema)));
    const databaseUrl = `${url()}${url().includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${storeSchema}`)}`;
    return { storeSchema, databaseUrl };
  }

  it("get a queue each, named after the store's schema, and neither runs or refuses the other's jobs", async () => {
    const deployments = [await deployment(), await deployment()];
    const schemas = await Promise.all(deployments.map((d) => queueSchemaOf(d.databaseUrl)));
    expect(schemas).toEqual(deployments.map((d) => `claimcheck_queue_${d.storeSchema}`));

    const ran: string[] = [];
    const queues = deployments.map((d, i) => {
      const queue = new PostgresQueue({ connectionString: d.databaseUrl, schema: schemas[i]!, log: silent, concurrency: 2, pollMs: 100 });
      queue.define("webhook", { schema: z.object({ pr: z.number() }), run: async (data, info) => void ran.push(`${i}:${info.delivery?.id}:${data.pr}`) });
      queue.define("assess", { schema: z.object({}), run: async (_data, info) => void ran.push(`${i}:${info.target?.repository}`) });
      return queue;
    });
    for (const queue of queues) {
      await queue.start();
      cleanups.push(() => queue.stop({ graceMs: 0 }));
    }
    // The same delivery id in both (one GitHub App installed twice would not share ids, but a
    // refusal here would mean one queue's ids are the other's): each queue takes and runs its own.
    const delivery = { id: "5f3a0c2e-shared-id", event: "pull_request", installationId: 1 };
    expect(await queues[0]!.enqueueDelivery("webhook", delivery, { pr: 1 })).toBe(true);
    expect(await queues[1]!.enqueueDelivery("webhook", delivery, { pr: 2 })).toBe(true);
    expect(await queues[0]!.enqueueRepository("assess", { installationId: 1, repository: "acme/api", lane: "background" }, {})).toBe(true);
    for (const queue of queues) await queue.idle();
    expect(ran.sort()).toEqual(["0:5f3a0c2e-shared-id:1", "0:acme/api", "1:5f3a0c2e-shared-id:2"]);
  });
});

describe.skipIf("skip" in database)("the queue's lock connections", () => {
  it("ask the server to drop a vanished peer within about a minute (TCP keepalives; Unix sockets ignore them)", async () => {
    const pool = new pg.Pool(postgresConfig((database as { url: string }).url, { max: 1 }));
    cleanups.push(() => pool.end());
    const warnings: string[] = [];
    keepSessionsAlive(pool, (message) => warnings.push(message));
    const { rows } = await pool.query<{ idle: string; interval: string; count: string; unix: boolean }>(
      "select current_setting('tcp_keepalives_idle') as idle, current_setting('tcp_keepalives_interval') as interval, current_setting('tcp_keepalives_count') as count, inet_client_addr() is null as unix",
    );
    expect(warnings).toEqual([]);
    const settings = rows[0]!;
    const wanted = settings.unix ? { idle: "0", interval: "0", count: "0" } : { idle: "30", interval: "10", count: "3" };
    expect({ idle: settings.idle, interval: settings.interval, count: settings.count }).toEqual(wanted);
    // The connection closed, the next one the pool opens gets them too.
    const first = await pool.connect();
    first.release(true);
    const again = await pool.query<{ idle: string }>("select current_setting('tcp_keepalives_idle') as idle");
    expect(again.rows[0]!.idle).toBe(wanted.idle);
  });
});
