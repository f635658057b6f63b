import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "../store/store.js";
import { requestPath } from "./http-path.js";
import type { Readiness } from "./readiness.js";

export const HEALTH_PATH = "/healthz";
export const READY_PATH = "/readyz";

async function databaseAnswers(store: Store): Promise<boolean> {
  try {
    return await store.healthy();
  } catch {
    return false;
  }
}

/**
 * `/healthz`, liveness: the process answers and its database can be queried. `/readyz`, readiness:
 * that, and the process has started its job queue and is not shutting down (without a readiness
 * tracker, the same as liveness).
 */
export function healthHandler(store: Store, readiness?: Readiness) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = requestPath(req);
    if ((path !== HEALTH_PATH && path !== READY_PATH) || (req.method !== "GET" && req.method !== "HEAD")) return false;
    // The process's own state first: a starting or stopping process is not ready whatever its database says.
    const state = path === READY_PATH ? readiness?.current : undefined;
    const status = state && !state.ready ? state.status : (await databaseAnswers(store)) ? (path === READY_PATH ? "ready" : "ok") : "database unavailable";
    const ok = status === "ok" || status === "ready";
    res.writeHead(ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : JSON.stringify({ status }));
    return true;
  };
}
