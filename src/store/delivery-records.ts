import { and, eq, gte, lte } from "drizzle-orm";
import type { Store } from "./store.js";
import { deliveryGaps, hookDeliveryScans, hookRedeliveries } from "./schema.js";
import * as pg from "./schema-pg.js";

/*
 * What the app remembers of its own webhook deliveries on GitHub: how far it has looked, which
 * deliveries it asked GitHub to send again (once each), and the windows in which events may be
 * missing. Deliveries belong to the app, not to an installation, so the scan row is the app's;
 * every read of what concerns an organisation (redeliveries, gaps) is filtered by installation.
 */

const APP = "app";

export type ScanState = { newestSeenId: number | null; scannedAt: string | null; aliveAt: string };

export async function scanState(store: Store): Promise<ScanState | undefined> {
  const row =
    store.dialect === "postgres"
      ? (await store.db.select().from(pg.hookDeliveryScans).where(eq(pg.hookDeliveryScans.id, APP)))[0]
      : store.db.select().from(hookDeliveryScans).where(eq(hookDeliveryScans.id, APP)).get();
  return row ? { newestSeenId: row.newestSeenId, scannedAt: row.scannedAt, aliveAt: row.aliveAt } : undefined;
}

export async function saveScanState(store: Store, state: ScanState): Promise<void> {
  const row = { id: APP, ...state };
  if (store.dialect === "postgres") await store.db.insert(pg.hookDeliveryScans).values(row).onConflictDoUpdate({ target: pg.hookDeliveryScans.id, set: row });
  else store.db.insert(hookDeliveryScans).values(row).onConflictDoUpdate({ target: hookDeliveryScans.id, set: row }).run();
}

/** Records that a delivery is being asked for again; false when it already was (never twice). */
export async function claimRedelivery(store: Store, delivery: { guid: string; id: number; installationId: number | null; event: string; deliveredAt: string }, at: Date): Promise<boolean> {
  const row = { guid: delivery.guid, deliveryId: delivery.id, installationId: delivery.installationId, event: delivery.event, deliveredAt: delivery.deliveredAt, requestedAt: at.toISOString(), outcome: "requested" };
  const inserted =
    store.dialect === "postgres"
      ? await store.db.insert(pg.hookRedeliveries).values(row).onConflictDoNothing().returning({ guid: pg.hookRedeliveries.guid })
      : store.db.insert(hookRedeliveries).values(row).onConflictDoNothing().returning({ guid: hookRedeliveries.guid }).all();
  return inserted.length > 0;
}

export async function setRedeliveryOutcome(store: Store, guid: string, outcome: string): Promise<void> {
  const set = { outcome: outcome.slice(0, 500) };
  if (store.dialect === "postgres") await store.db.update(pg.hookRedeliveries).set(set).where(eq(pg.hookRedeliveries.guid, guid));
  else store.db.update(hookRedeliveries).set(set).where(eq(hookRedeliveries.guid, guid)).run();
}

export async function redeliveriesOf(store: Store, installationId: number): Promise<{ guid: string; event: string; deliveredAt: string; requestedAt: string; outcome: string }[]> {
  if (store.dialect === "postgres") {
    const r = pg.hookRedeliveries;
    return store.db.select({ guid: r.guid, event: r.event, deliveredAt: r.deliveredAt, requestedAt: r.requestedAt, outcome: r.outcome }).from(r).where(eq(r.installationId, installationId)).orderBy(r.requestedAt, r.guid);
  }
  const r = hookRedeliveries;
  return store.db.select({ guid: r.guid, event: r.event, deliveredAt: r.deliveredAt, requestedAt: r.requestedAt, outcome: r.outcome }).from(r).where(eq(r.installationId, installationId)).all();
}

/** Records a window of the installation in which events may be missing (once: the same window again is no new row). */
export async function addDeliveryGap(store: Store, installationId: number, window: { from: string; until: string }, at: Date): Promise<void> {
  const row = { installationId, fromAt: window.from, untilAt: window.until, recordedAt: at.toISOString() };
  if (store.dialect === "postgres") await store.db.insert(pg.deliveryGaps).values(row).onConflictDoNothing();
  else store.db.insert(deliveryGaps).values(row).onConflictDoNothing().run();
}

/** Windows of the installation in which events may be missing that overlap [since, until]. */
export async function deliveryGapsOf(store: Store, installationId: number, since: Date, until: Date): Promise<{ from: string; until: string }[]> {
  if (store.dialect === "postgres") {
    const g = pg.deliveryGaps;
    return store.db.select({ from: g.fromAt, until: g.untilAt }).from(g).where(and(eq(g.installationId, installationId), gte(g.untilAt, since.toISOString()), lte(g.fromAt, until.toISOString()))).orderBy(g.fromAt);
  }
  const g = deliveryGaps;
  return store.db.select({ from: g.fromAt, until: g.untilAt }).from(g).where(and(eq(g.installationId, installationId), gte(g.untilAt, since.toISOString()), lte(g.fromAt, until.toISOString()))).all();
}
