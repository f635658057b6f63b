import { asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENESIS_HASH } from "../../src/audit/canonical.js";
import { checkLink } from "../../src/audit/summary.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { migratePostgres } from "../../src/store/postgres.js";
import { PostgresStore } from "../../src/store/postgres-store.js";
import * as schema from "../../src/store/schema-pg.js";
import { freshSchema, skipPostgres } from "../helpers/postgres.js";

/*
 * Replicas appending to one installation's audit trail at once, each through its own store (its
 * own pool): the chain stays one unbroken sequence of links, each on the one before it.
 */

const event = (n: number) => ({ kind: "team.edited", actor: "octocat", target: `team ${n}`, repository: null, before: null, after: { n }, occurredAt: `2026-11-20T09:00:${String(n % 60).padStart(2, "0")}.000Z` });

describe.skipIf(skipPostgres("audit trail appends on PostgreSQL"))("audit trail appends on PostgreSQL", () => {
  let target: Awaited<ReturnType<typeof freshSchema>>;
  beforeAll(async () => {
    target = await freshSchema();
    await migratePostgres(target.pool);
  });
  afterAll(async () => {
    await target?.drop();
  });

  it("keep one unbroken chain per installation when replicas append at once, and record a redelivery once", async () => {
    const replicas = await Promise.all([0, 1, 2, 3].map(() => PostgresStore.open(target.url, { options: `-c search_path=${target.schema}`, max: 4 })));
    try {
      const trails = replicas.map((store) => new AuditTrail(store));
      // 4 replicas × 15 deliveries to installation 1, each delivered twice (GitHub redelivers), and installation 2 between them.
      const appends = trails.flatMap((trail, r) =>
        Array.from({ length: 15 }, (_, i) => {
          const n = r * 15 + i;
          return [trail.append(1, "webhook", `d${n}`, event(n)), trails[(r + 1) % trails.length]!.append(1, "webhook", `d${n}`, event(n)), trail.append(2, "webhook", `o${n}`, event(n))];
        }).flat(),
      );
      const outcomes = await Promise.all(appends);
      expect(outcomes.filter((o) => o.recorded)).toHaveLength(60 + 60);

      const db = drizzle(target.pool, { schema });
      for (const [installationId, links] of [[1, 60], [2, 60]] as const) {
        const rows = await db.select().from(schema.auditEvents).where(eq(schema.auditEvents.installationId, installationId)).orderBy(asc(schema.auditEvents.seq));
        expect(rows).toHaveLength(links);
        let prev = GENESIS_HASH;
        for (const [i, row] of rows.entries()) {
          expect(checkLink(row, i + 1, prev), `link ${row.seq} of installation ${installationId}`).toBeNull();
          prev = row.hash;
        }
      }
    } finally {
      await Promise.all(replicas.map((store) => store.close()));
    }
  });

  it("continues from the retention checkpoint when every link was pruned", async () => {
    const db = drizzle(target.pool, { schema });
    await db.insert(schema.auditCheckpoints).values({ installationId: 3, throughSeq: 41, hash: "f".repeat(64), prunedCount: 41, createdAt: "2026-11-01T00:00:00.000Z" });
    const store = await PostgresStore.open(target.url, { options: `-c search_path=${target.schema}` });
    try {
      expect(await new AuditTrail(store).append(3, "webhook", "after-prune", event(1))).toEqual({ recorded: true, seq: 42 });
    } finally {
      await store.close();
    }
    const [row] = await db.select().from(schema.auditEvents).where(eq(schema.auditEvents.installationId, 3));
    expect(checkLink(row!, 42, "f".repeat(64))).toBeNull();
  });
});
