import type { Logger } from "pino";
import { z } from "zod";
import { AuditTrail } from "../audit/trail.js";
import { DELIVERY_GAP_KIND } from "../audit/evidence.js";
import type { OctokitLike } from "../github/client.js";
import { addDeliveryGap, claimRedelivery, saveScanState, scanState, setRedeliveryOutcome } from "../store/delivery-records.js";
import type { Store } from "../store/store.js";

/*
 * Missed webhooks recovered. GitHub does not retry a delivery the app did not acknowledge, but
 * it keeps the app's deliveries for three days and redelivers one on request
 * (docs.github.com: "Handling failed webhook deliveries", "Redelivering webhooks";
 * REST: GET /app/hook/deliveries, POST /app/hook/deliveries/{delivery_id}/attempts, both as the
 * app with its JWT). On start-up and periodically, the deliveries newer than the newest one
 * already examined are listed, newest first, a cursor page at a time; each event (GUID) whose
 * attempts all failed — a status code outside 200–399, or none (failed to connect) — and which
 * the app has not processed is asked for again, once, a bounded number per run and spaced out.
 * When the app was down longer than GitHub keeps deliveries, what it can no longer ask for is
 * recorded as a window in the audit trail of every installation, and 2.2.1's evidence names it.
 */

/** How long GitHub keeps deliveries that can be redelivered. */
export const DELIVERY_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;
export const REDELIVERY_INTERVAL_MS = 10 * 60 * 1000;
export const GAP_KIND = DELIVERY_GAP_KIND;

const deliverySchema = z.looseObject({
  id: z.number().int(),
  guid: z.string().min(1),
  delivered_at: z.string(),
  redelivery: z.boolean(),
  status_code: z.number().int(),
  event: z.string(),
  action: z.string().nullable().optional(),
  installation_id: z.number().int().nullable().optional(),
});
type HookDelivery = z.infer<typeof deliverySchema>;

export type RedeliveryOptions = { maxPerRun?: number; spacingMs?: number; maxPages?: number };

export type RedeliveryOutcome = { examined: number; failed: number; requested: number; refused: number; left: number; gap: { from: string; until: string } | null };

type Deps = {
  store: Store;
  log: Logger;
  /** The app's own Octokit (JWT), not an installation's. */
  octokit: OctokitLike;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  options?: RedeliveryOptions;
};

const succeeded = (d: HookDelivery) => d.status_code >= 200 && d.status_code < 400;

function nextCursor(link: unknown): string | null {
  if (typeof link !== "string") return null;
  for (const part of link.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (match) return new URL(match[1]!).searchParams.get("cursor");
  }
  return null;
}

/** Deliveries newer than `after` (by id), newest first, within GitHub's retention. */
async function listNewDeliveries(deps: Deps, after: number | null, maxPages: number): Promise<{ deliveries: HookDelivery[]; complete: boolean }> {
  const deliveries: HookDelivery[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page += 1) {
    const response = await deps.octokit.request("GET /app/hook/deliveries", { per_page: 100, ...(cursor ? { cursor } : {}) });
    const parsed = z.array(deliverySchema).safeParse(response.data);
    if (!parsed.success) throw new Error(`GitHub's answer to GET /app/hook/deliveries was not a list of deliveries (${parsed.error.issues[0]?.message ?? "invalid"})`);
    for (const d of parsed.data) {
      if (after !== null && d.id <= after) return { deliveries, complete: true };
      deliveries.push(d);
    }
    cursor = nextCursor((response.headers as Record<string, unknown>).link);
    if (!cursor || parsed.data.length === 0) return { deliveries, complete: true };
  }
  return { deliveries, complete: false };
}

/** The window in which deliveries can no longer be asked for, or null when the app was not down that long. */
export function lostWindow(aliveAt: string | undefined, now: Date): { from: string; until: string } | null {
  if (!aliveAt) return null;
  const until = now.getTime() - DELIVERY_RETENTION_MS;
  return Date.parse(aliveAt) < until ? { from: aliveAt, until: new Date(until).toISOString() } : null;
}

async function recordGap(deps: Deps, window: { from: string; until: string }, now: Date): Promise<void> {
  const trail = new AuditTrail(deps.store);
  for (const installation of await deps.store.activeInstallations()) {
    await addDeliveryGap(deps.store, installation.id, window, now);
    await trail.append(installation.id, "claimcheck", `deliveries-missed:${window.from}`, {
      kind: GAP_KIND,
      actor: null,
      target: "webhook deliveries",
      repository: null,
      before: { from: window.from },
      after: { until: window.until, reason: "claimcheck was not running for longer than GitHub keeps deliveries for redelivery (3 days)" },
      occurredAt: window.from,
    }, now);
  }
}

/** One recovery run: find failed deliveries since the last run and ask GitHub for each again. */
export async function recoverMissedDeliveries(deps: Deps): Promise<RedeliveryOutcome> {
  const now = deps.now();
  const maxPerRun = deps.options?.maxPerRun ?? 50;
  const spacingMs = deps.options?.spacingMs ?? 1_000;
  const state = await scanState(deps.store);
  const gap = lostWindow(state?.aliveAt, now);
  if (gap) {
    await recordGap(deps, gap, now);
    deps.log.warn({ from: gap.from, until: gap.until }, "claimcheck was down longer than GitHub keeps deliveries: events in this window may be missing, recorded in the audit trail");
  }
  // Alive now, whatever happens next: a failure below must not look like downtime later.
  await saveScanState(deps.store, { newestSeenId: state?.newestSeenId ?? null, scannedAt: state?.scannedAt ?? null, aliveAt: now.toISOString() });

  const { deliveries, complete } = await listNewDeliveries(deps, state?.newestSeenId ?? null, deps.options?.maxPages ?? 50);
  const cutoff = now.getTime() - DELIVERY_RETENTION_MS;
  const byGuid = new Map<string, HookDelivery[]>();
  for (const d of deliveries) byGuid.set(d.guid, [...(byGuid.get(d.guid) ?? []), d]);
  const failed: HookDelivery[] = [];
  for (const attempts of byGuid.values()) {
    if (attempts.some(succeeded)) continue;
    // Newest first: the first attempt listed is the latest; redeliver the original (the oldest).
    const original = attempts[attempts.length - 1]!;
    if (Date.parse(original.delivered_at) < cutoff) continue;
    if ((await deps.store.delivery(original.guid))?.state === "done") continue;
    failed.push(original);
  }

  let requested = 0;
  let refused = 0;
  let askedBefore = 0;
  for (const d of failed) {
    if (requested + refused >= maxPerRun) break;
    const claim = { guid: d.guid, id: d.id, installationId: d.installation_id ?? null, event: d.event, deliveredAt: d.delivered_at };
    if (!await claimRedelivery(deps.store, claim, deps.now())) {
      askedBefore += 1;
      continue;
    }
    if (requested + refused > 0) await deps.sleep(spacingMs);
    try {
      await deps.octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: d.id });
      requested += 1;
      deps.log.info({ delivery: d.guid, event: d.event, installation: d.installation_id ?? null, deliveredAt: d.delivered_at }, "asked GitHub to redeliver a failed webhook delivery");
    } catch (error) {
      refused += 1;
      const message = error instanceof Error ? error.message : String(error);
      await setRedeliveryOutcome(deps.store, d.guid, `refused: ${message}`);
      deps.log.warn({ delivery: d.guid, event: d.event, err: message }, "GitHub refused to redeliver a failed webhook delivery");
    }
  }
  const left = failed.length - requested - refused - askedBefore;
  // The newest delivery examined: the next run stops there. Not advanced while failed ones wait their turn, or pages were left unread.
  const newest = deliveries[0]?.id ?? state?.newestSeenId ?? null;
  const advance = complete && left <= 0;
  await saveScanState(deps.store, { newestSeenId: advance ? newest : (state?.newestSeenId ?? null), scannedAt: now.toISOString(), aliveAt: deps.now().toISOString() });
  return { examined: deliveries.length, failed: failed.length, requested, refused, left: Math.max(0, left), gap };
}
