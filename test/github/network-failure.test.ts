import { createServer } from "node:net";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { GitHubClient, explainReadFailure } from "../../src/github/client.js";
import { describeNetworkFailure, isNetworkFailure } from "../../src/github/network-failure.js";
import { ThrottledOctokit } from "../../src/github/throttle.js";
import { z } from "zod";

/** An Octokit RequestError for a request that never got an answer, as @octokit/request builds it. */
function transportError(url: string, cause: unknown, retryCount = 3): Error {
  return Object.assign(new Error("fetch failed"), { name: "HttpError", status: 500, request: { method: "GET", url, headers: {}, request: { retryCount, retries: 3 } }, cause: Object.assign(new TypeError("fetch failed"), { cause }) });
}
const sys = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(code), { code, ...extra });

describe("network failures are named as what they are", () => {
  it.each([
    [sys("ENOTFOUND", { hostname: "ghe.example.com" }), "DNS lookup failed for ghe.example.com (after 3 retries)"],
    [sys("EAI_AGAIN"), "DNS lookup failed for ghe.example.com (after 3 retries)"],
    [Object.assign(new AggregateError([sys("ECONNREFUSED"), sys("ECONNREFUSED")]), { code: "ECONNREFUSED" }), "connection refused to ghe.example.com:8443 (after 3 retries)"],
    [sys("UND_ERR_CONNECT_TIMEOUT"), "timed out waiting for ghe.example.com:8443 (after 3 retries)"],
    [Object.assign(new Error("timeout"), { name: "TimeoutError" }), "timed out waiting for ghe.example.com:8443 (after 3 retries)"],
    [sys("ECONNRESET"), "connection to ghe.example.com:8443 closed before GitHub answered (after 3 retries)"],
    [sys("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), "TLS certificate of ghe.example.com:8443 not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)"],
  ])("%s", (cause, expected) => {
    const url = "https://ghe.example.com:8443/api/v3/orgs/acme";
    const error = transportError(url, cause);
    expect(isNetworkFailure(error)).toBe(true);
    const text = describeNetworkFailure(error)!;
    expect(text.startsWith(expected.replace(/ \(after 3 retries\)$/, ""))).toBe(true);
    expect(text).toMatch(/\((after 3 retries|not retried)\)$/);
    expect(text).not.toMatch(/HTTP|500/);
  });

  it("counts the retries made, and says so when there were none", () => {
    expect(describeNetworkFailure(transportError("https://api.github.com/x", sys("ECONNREFUSED"), 1))).toBe("connection refused to api.github.com (after 1 retry)");
    expect(describeNetworkFailure(transportError("https://api.github.com/x", sys("ECONNREFUSED"), 0))).toBe("connection refused to api.github.com (not retried)");
  });

  it("leaves answers GitHub did send alone", () => {
    const answered = Object.assign(new Error("Server Error"), { status: 502, request: { url: "https://api.github.com/x" }, response: { status: 502, headers: {}, data: {} } });
    expect(isNetworkFailure(answered)).toBe(false);
    expect(describeNetworkFailure(answered)).toBeUndefined();
    expect(describeNetworkFailure(new Error("plain"))).toBeUndefined();
  });

  it("a collector's reason names a refused connection, not HTTP 500", async () => {
    const server = createServer();
    await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
    const { port } = server.address() as { port: number };
    await new Promise<void>((closed) => server.close(() => closed()));
    const octokit = new ThrottledOctokit({ auth: "x", baseUrl: `http://127.0.0.1:${port}`, log: pino({ level: "silent" }), retry: { retryAfterBaseValue: 1 } } as never);
    const client = new GitHubClient(octokit as never);
    const failure = await client.rest("GET /orgs/{org}", { org: "acme" }, z.unknown()).catch((error: unknown) => error);
    expect(explainReadFailure(failure)).toBe(`connection refused to 127.0.0.1:${port} (after 3 retries) (GET /orgs/{org})`);
  });
});
