import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "../store/store.js";
import { requestPath } from "./http-path.js";
import type { Readiness, ReadinessState } from "./readiness.js";

export const HEALTH_PATH = "/healthz";
export const READY_PATH = "/readyz";

async function databaseAnswers(store: Store): Promise<boolean> {
  try {
    return await store.healthy();
  } catch {
    return false;
  }
}

/** Liveness when `readiness` is null; otherwise readiness, the process's own state asked first. */
async function statusOf(readiness: ReadinessState | null, store: Store): Promise<string> {
  // A starting or stopping process is not ready whatever its database says.
  if (readiness && !readiness.ready) return readiness.status;
  if (!(await databaseAnswers(store))) return "database unavailable";
  return readiness ? "ready" : "ok";
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
    const status = await statusOf(path === READY_PATH ? (readiness?.current ?? { ready: true }) : null, store);
    const ok = status === "ok" || status === "ready";
    res.writeHead(ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : JSON.stringify({ status }));
    return true;
  };
}
