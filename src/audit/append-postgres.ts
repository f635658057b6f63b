import { and, desc, eq, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import * as schema from "../store/schema-pg.js";
import type { AuditEventInput } from "./normalise.js";
import { nextLink, type AuditSource } from "./trail.js";

/*
 * Appending to the audit trail on PostgreSQL, where several replicas append at once. Each append
 * takes a transaction-scoped advisory lock on its installation before it reads the chain's head,
 * so appends to one installation follow one another (one unbroken chain, no two links on the same
 * head) while other installations' appends run in parallel. The lock ends with the transaction.
 * The PostgreSQL store's AuditTrail is to append through this; SQLite's has one writer and its
 * own transaction.
 */

/** The lock key of an installation's chain: a 64-bit hash of a name only the audit trail uses. */
const chainLock = (installationId: number) => sql`pg_advisory_xact_lock(hashtextextended(${`claimcheck:audit-chain:${installationId}`}, 0))`;

export async function appendOnPostgres(
  db: NodePgDatabase<typeof schema>,
  installationId: number,
  source: AuditSource,
  sourceId: string,
  input: AuditEventInput,
  recordedAt: Date = new Date(),
): Promise<{ recorded: boolean; seq: number }> {
  const { auditCheckpoints, auditEvents } = schema;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select ${chainLock(installationId)}`);
    // Under the lock: a redelivery recorded by another replica meanwhile is seen here.
    const [existing] = await tx
      .select({ seq: auditEvents.seq })
      .from(auditEvents)
      .where(and(eq(auditEvents.installationId, installationId), eq(auditEvents.source, source), eq(auditEvents.sourceId, sourceId)));
    if (existing) return { recorded: false, seq: existing.seq };
    const [head] = await tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).where(eq(auditEvents.installationId, installationId)).orderBy(desc(auditEvents.seq)).limit(1);
    const [checkpoint] = head
      ? [undefined]
      : await tx.select({ throughSeq: auditCheckpoints.throughSeq, hash: auditCheckpoints.hash }).from(auditCheckpoints).where(eq(auditCheckpoints.installationId, installationId)).orderBy(desc(auditCheckpoints.throughSeq)).limit(1);
    const row = nextLink({ installationId, head, checkpoint }, source, sourceId, input, recordedAt);
    await tx.insert(auditEvents).values(row);
    return { recorded: true, seq: row.seq };
  });
}
