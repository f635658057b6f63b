import type { Model } from "./model.js";
import type { RestAnswer, RestRequest } from "./rest.js";
import { createHmac } from "node:crypto";
import type { Delivery } from "./webhooks.js";

// Signed here rather than with webhooks.ts's helper: rest.ts registers these routes, and webhooks.ts imports rest.ts.
const sign = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/*
 * The app's webhook deliveries as GitHub keeps them: every delivery the simulator sends is
 * recorded with its outcome, listed newest first by `GET /app/hook/deliveries` (cursor
 * pagination in the Link header, as GitHub does), and sent again by
 * `POST /app/hook/deliveries/{delivery_id}/attempts`. In an outage the app is unreachable: a
 * delivery is recorded as failed ("failed to connect", status code 0), as GitHub records it,
 * and nothing reaches the app. Deliveries older than `keepDays` are no longer listed.
 */

export type HookDelivery = {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
  payload: Record<string, unknown>;
};

export class HookDeliveries {
  readonly list: HookDelivery[] = [];
  target: { url: string; secret: string } | null = null;
  outage = false;
  keepDays = 3;
  /** Redelivery requests received, by delivery id. */
  readonly redeliveryRequests: number[] = [];
  private nextId = 1_000;
  private readonly inFlight = new Set<Promise<unknown>>();

  /** GitHub's clock for this list (a test moves it to age deliveries past `keepDays`). */
  clock: () => Date = () => new Date();

  /** Sends a delivery to the app as GitHub would, recording its outcome; in an outage it fails. */
  async send(delivery: Delivery, redelivery = false, at: Date = this.clock()): Promise<HookDelivery> {
    const payload = delivery.payload;
    const record: HookDelivery = {
      id: (this.nextId += 1),
      guid: delivery.id,
      delivered_at: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
      redelivery,
      duration: 0,
      status: "failed to connect",
      status_code: 0,
      event: delivery.name,
      action: typeof payload.action === "string" ? payload.action : null,
      installation_id: (payload.installation as { id?: number } | undefined)?.id ?? null,
      repository_id: (payload.repository as { id?: number } | undefined)?.id ?? null,
      payload,
    };
    this.list.push(record);
    if (this.outage || !this.target) return record;
    const body = JSON.stringify(payload);
    try {
      const response = await fetch(this.target.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": delivery.name, "x-github-delivery": delivery.id, "x-hub-signature-256": sign(this.target.secret, body) },
        body,
      });
      await response.arrayBuffer();
      record.status_code = response.status;
      record.status = response.ok ? "OK" : `Invalid HTTP Response: ${response.status}`;
    } catch {
      record.status = "failed to connect";
    }
    return record;
  }

  /** Resolves when every redelivery the simulator started has been sent. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  listAnswer(req: RestRequest): RestAnswer {
    const now = this.clock().getTime();
    const kept = this.list.filter((d) => now - Date.parse(d.delivered_at) <= this.keepDays * 86_400_000).sort((a, b) => b.id - a.id);
    const status = req.query.get("status");
    const filtered = status === "success" ? kept.filter((d) => d.status_code >= 200 && d.status_code < 400) : status === "failure" ? kept.filter((d) => d.status_code >= 400 && d.status_code < 600) : kept;
    const perPage = Math.min(100, Math.max(1, Number(req.query.get("per_page") ?? 30) || 30));
    const cursor = req.query.get("cursor");
    const start = cursor ? filtered.findIndex((d) => String(d.id) === cursor) : 0;
    if (start < 0) return { status: 422, body: { message: "Validation Failed: cursor is not valid" } };
    const page = filtered.slice(start, start + perPage);
    const next = filtered[start + perPage];
    const headers: Record<string, string> = {};
    if (next) {
      const q = new URLSearchParams(req.query);
      q.set("cursor", String(next.id));
      q.set("per_page", String(perPage));
      headers.link = `<${req.origin}${req.path}?${q}>; rel="next"`;
    }
    // Without the payload: GET /app/hook/deliveries/{id} is where GitHub shows it.
    return { status: 200, body: page.map(({ payload: _payload, ...item }) => item), headers };
  }

  redeliverAnswer(req: RestRequest): RestAnswer {
    const id = Number(req.params.delivery_id);
    this.redeliveryRequests.push(id);
    const original = this.list.find((d) => d.id === id);
    const now = this.clock().getTime();
    if (!original || now - Date.parse(original.delivered_at) > this.keepDays * 86_400_000) return { status: 422, body: { message: "Validation Failed: the delivery cannot be redelivered" } };
    const sending = this.send({ id: original.guid, name: original.event, payload: original.payload }, true);
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
    return { status: 202, body: {} };
  }
}

const registry = new WeakMap<Model, HookDeliveries>();

/** The deliveries of a simulated GitHub (one per model). */
export function hookDeliveries(model: Model): HookDeliveries {
  let found = registry.get(model);
  if (!found) {
    found = new HookDeliveries();
    registry.set(model, found);
  }
  return found;
}

export const DELIVERY_ROUTES: [string, string, (model: Model, req: RestRequest) => RestAnswer][] = [
  ["GET", "/app/hook/deliveries", (model, req) => hookDeliveries(model).listAnswer(req)],
  ["POST", "/app/hook/deliveries/{delivery_id}/attempts", (model, req) => hookDeliveries(model).redeliverAnswer(req)],
];
