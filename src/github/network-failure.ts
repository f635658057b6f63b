/*
 * A request that never got an HTTP answer (refused connection, failed DNS lookup, timeout) reaches
 * callers from Octokit as a RequestError with status 500 and no response. Reporting that as
 * "HTTP 500" would blame GitHub for an answer it never sent, so such failures are named here as
 * what they are, with the number of retries Octokit's retry plugin made.
 */

type Cause = { code?: unknown; message?: unknown; name?: unknown; cause?: unknown; errors?: unknown; hostname?: unknown };

const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NONAME"]);

/** Every error in the cause chain (and in an AggregateError's list), outermost first. */
function causes(error: unknown): Cause[] {
  const seen: Cause[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.length < 20) {
    const next = queue.shift();
    if (typeof next !== "object" || next === null || seen.includes(next as Cause)) continue;
    const cause = next as Cause;
    seen.push(cause);
    queue.push(cause.cause);
    if (Array.isArray(cause.errors)) queue.push(...(cause.errors as unknown[]));
  }
  return seen;
}

function requestUrl(error: unknown): URL | undefined {
  const url = (error as { request?: { url?: unknown } } | null)?.request?.url;
  if (typeof url !== "string") return undefined;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function retriesOf(error: unknown): number {
  const count = (error as { request?: { request?: { retryCount?: unknown } } } | null)?.request?.request?.retryCount;
  return typeof count === "number" && Number.isInteger(count) && count > 0 ? count : 0;
}

/** True when the request failed before any HTTP answer came back. */
export function isNetworkFailure(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  // Octokit's RequestError for a transport failure: a request, no response.
  if ("request" in error && "status" in error) return !("response" in error) || (error as { response?: unknown }).response === undefined;
  return causes(error).some((c) => typeof c.code === "string" && (DNS_CODES.has(c.code) || TIMEOUT_CODES.has(c.code) || RESET_CODES.has(c.code) || c.code === "ECONNREFUSED"));
}

/** What went wrong on the way to GitHub, in words, or undefined when GitHub did answer. */
export function describeNetworkFailure(error: unknown): string | undefined {
  if (!isNetworkFailure(error)) return undefined;
  const url = requestUrl(error);
  const host = url ? url.host : "the GitHub API";
  const all = causes(error);
  const codes = all.map((c) => (typeof c.code === "string" ? c.code : "")).filter(Boolean);
  const names = all.map((c) => (typeof c.name === "string" ? c.name : ""));
  let what: string;
  if (codes.some((c) => DNS_CODES.has(c))) what = `DNS lookup failed for ${url ? url.hostname : host}`;
  else if (codes.includes("ECONNREFUSED")) what = `connection refused to ${host}`;
  else if (codes.some((c) => TIMEOUT_CODES.has(c)) || names.includes("TimeoutError")) what = `timed out waiting for ${host}`;
  else if (codes.some((c) => RESET_CODES.has(c))) what = `connection to ${host} closed before GitHub answered`;
  else if (codes.some((c) => c.startsWith("CERT_") || c.includes("CERT") || c === "UNABLE_TO_VERIFY_LEAF_SIGNATURE")) what = `TLS certificate of ${host} not trusted (${codes.find((c) => c.includes("CERT") || c.startsWith("UNABLE"))})`;
  else {
    const detail = all.map((c) => (typeof c.message === "string" ? c.message : "")).filter((m) => m && m !== "fetch failed").at(-1);
    what = `network error reaching ${host}${detail ? `: ${detail}` : ""}`;
  }
  const retries = retriesOf(error);
  return `${what} (${retries === 0 ? "not retried" : `after ${retries} ${retries === 1 ? "retry" : "retries"}`})`;
}
