import { and, eq, gte, lte } from "drizzle-orm";
import type { Store } from "./store.js";
import { deliveryGaps, hookDeliveryScans, hookRedeliveries } from "./schema.js";

/*
 * What the app remembers of its own webhook deliveries on GitHub: how far it has looked, which
 * deliveries it asked GitHub to send again (once each), and the windows in which events may be
 * missing. Deliveries belong to the app, not to an installation, so the scan row is the app's;
 * every read of what concerns an organisation (redeliveries, gaps) is filtered by installation.
 */

const APP = "app";

export type ScanState = { newestSeenId: number | null; scannedAt: string | null; aliveAt: string };

export async function scanState(store: Store): Promise<ScanState | undefined> {
  const row = store.db.select().from(hookDeliveryScans).where(eq(hookDeliveryScans.id, APP)).get();
  return row ? { newestSeenId: row.newestSeenId, scannedAt: row.scannedAt, aliveAt: row.aliveAt } : undefined;
}

export async function saveScanState(store: Store, state: ScanState): Promise<void> {
  const row = { id: APP, ...state };
  store.db.insert(hookDeliveryScans).values(row).onConflictDoUpdate({ target: hookDeliveryScans.id, set: row }).run();
}

/** Records that a delivery is being asked for again; false when it already was (never twice). */
export async function claimRedelivery(store: Store, delivery: { guid: string; id: number; installationId: number | null; event: string; deliveredAt: string }, at: Date): Promise<boolean> {
  const inserted = store.db
    .insert(hookRedeliveries)
    .values({ guid: delivery.guid, deliveryId: delivery.id, installationId: delivery.installationId, event: delivery.event, deliveredAt: delivery.deliveredAt, requestedAt: at.toISOString(), outcome: "requested" })
    .onConflictDoNothing()
    .returning({ guid: hookRedeliveries.guid })
    .all();
  return inserted.length > 0;
}

export async function setRedeliveryOutcome(store: Store, guid: string, outcome: string): Promise<void> {
  store.db.update(hookRedeliveries).set({ outcome: outcome.slice(0, 500) }).where(eq(hookRedeliveries.guid, guid)).run();
}

export async function redeliveriesOf(store: Store, installationId: number): Promise<{ guid: string; event: string; deliveredAt: string; requestedAt: string; outcome: string }[]> {
  return store.db
    .select({ guid: hookRedeliveries.guid, event: hookRedeliveries.event, deliveredAt: hookRedeliveries.deliveredAt, requestedAt: hookRedeliveries.requestedAt, outcome: hookRedeliveries.outcome })
    .from(hookRedeliveries)
    .where(eq(hookRedeliveries.installationId, installationId))
    .all();
}

export function addDeliveryGap(tx: Pick<Store["db"], "insert">, installationId: number, window: { from: string; until: string }, at: Date): void {
  tx.insert(deliveryGaps).values({ installationId, fromAt: window.from, untilAt: window.until, recordedAt: at.toISOString() }).onConflictDoNothing().run();
}

/** Windows of the installation in which events may be missing that overlap [since, until]. */
export async function deliveryGapsOf(store: Store, installationId: number, since: Date, until: Date): Promise<{ from: string; until: string }[]> {
  return store.db
    .select({ from: deliveryGaps.fromAt, until: deliveryGaps.untilAt })
    .from(deliveryGaps)
    .where(and(eq(deliveryGaps.installationId, installationId), gte(deliveryGaps.untilAt, since.toISOString()), lte(deliveryGaps.fromAt, until.toISOString())))
    .all();
}
