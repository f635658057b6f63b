import type { IncomingMessage } from "node:http";

/*
 * The path a request is routed on, normalised the way a reverse proxy in front of the app
 * normalises it before matching its own rules: the query dropped, "." and ".." segments
 * resolved (also when percent-encoded, as the WHATWG URL parser does), and nothing else
 * decoded. A request the proxy would see as `/reports/x` is the one the app sees as
 * `/reports/x`, so a rule exposing only some paths cannot be walked around with `..`.
 */

/** The normalised path, or null when the request target is not a path (absolute-form to another host, `*`, garbage). */
export function requestPath(req: Pick<IncomingMessage, "url">): string | null {
  const target = req.url ?? "/";
  try {
    // Concatenated rather than resolved against a base: "//reports/x" must stay a path, not become a host.
    const url = target.startsWith("/") ? new URL(`http://app.invalid${target}`) : new URL(target);
    if (!url.protocol.startsWith("http")) return null;
    return url.pathname;
  } catch {
    return null;
  }
}

/** The query of a request, parsed; empty when there is none or it cannot be parsed. */
export function requestQuery(req: Pick<IncomingMessage, "url">): URLSearchParams {
  const target = req.url ?? "/";
  const at = target.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : target.slice(at + 1));
}

/** Decodes one path segment; null on a malformed percent-encoding (answered 400, never thrown). */
export function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
