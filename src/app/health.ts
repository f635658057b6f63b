import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "../store/store.js";
import { requestPath } from "./http-path.js";

export const HEALTH_PATH = "/healthz";

/** Liveness and readiness in one: the process answers and its database can be queried. */
export function healthHandler(store: Store) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = requestPath(req);
    if (path !== HEALTH_PATH || (req.method !== "GET" && req.method !== "HEAD")) return false;
    let ok = false;
    try {
      ok = await store.healthy();
    } catch {
      ok = false;
    }
    res.writeHead(ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : JSON.stringify({ status: ok ? "ok" : "database unavailable" }));
    return true;
  };
}
