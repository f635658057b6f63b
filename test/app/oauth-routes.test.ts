import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { BrowserSessions, OAUTH_COOKIE, SESSION_COOKIE } from "../../src/app/browser-session.js";
import { browserReport, CALLBACK_PATH, LOGIN_PATH, oauthRoutes, SIGN_OUT_PATH, type BrowserSignInConfig } from "../../src/app/oauth-routes.js";
import { githubAdminCheck } from "../../src/app/report-route.js";
import { readEnv } from "../../src/config/env.js";
import { API } from "../helpers/github-api.js";

const SECRET = "unit-test-session-secret-0123456789abcdef";
let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

async function serve(config: BrowserSignInConfig, sessions: BrowserSessions): Promise<string> {
  const routes = oauthRoutes({ config, sessions, verifyAdmin: githubAdminCheck() });
  const report = browserReport({ sessions, page: async (org, session) => ({ status: 200, html: `<p>report of ${org} for ${session.login}</p>`, csp: "default-src 'none'" }) });
  // node:http ignores what a listener returns: the answer is awaited inside, never left floating.
  server = createServer((req, res) => {
    void (async () => {
      if (await routes(req, res)) return;
      const match = /^\/reports\/([^/?]+)/.exec(req.url ?? "");
      if (match) return void (await report(req, res, match[1]!));
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  config.publicUrl = base;
  return base;
}

const configFor = (): BrowserSignInConfig => ({ clientId: "Iv1.unit", clientSecret: "unit-secret", sessionSecret: SECRET, publicUrl: "", webUrl: "https://github.com", sessionTtlMs: 3_600_000 });
const get = (url: string, cookie?: string) => fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
const cookieOf = (res: Response, name: string) => res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
const pair = (setCookie: string | undefined) => setCookie!.split(";")[0]!;

async function start(base: string, org = "octo-org") {
  const res = await get(`${base}${LOGIN_PATH}?org=${org}`);
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location")!);
  return { location, state: location.searchParams.get("state")!, cookie: pair(cookieOf(res, OAUTH_COOKIE)), setCookie: cookieOf(res, OAUTH_COOKIE)! };
}

describe("browser sign-in", () => {
  it("sends a browser without a session to GitHub with state and an S256 PKCE challenge, in a short-lived HttpOnly Secure cookie", async () => {
    const base = await serve(configFor(), new BrowserSessions({ secret: SECRET, ttlMs: 3_600_000 }));
    const report = await get(`${base}/reports/octo-org`);
    expect(report.status).toBe(302);
    expect(report.headers.get("location")).toBe(`${LOGIN_PATH}?org=octo-org`);
    const { location, setCookie } = await start(base);
    expect(location.origin + location.pathname).toBe("https://github.com/login/oauth/authorize");
    expect(Object.fromEntries(location.searchParams)).toMatchObject({ client_id: "Iv1.unit", redirect_uri: `${base}${CALLBACK_PATH}`, code_challenge_method: "S256" });
    expect(location.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(setCookie).toMatch(/^__Host-claimcheck-oauth=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect((await get(`${base}${LOGIN_PATH}?org=../../etc`)).status).toBe(400);
  });

  it("signs in an active admin: the code is exchanged with the verifier, membership checked, and a session cookie set", async () => {
    const base = await serve(configFor(), new BrowserSessions({ secret: SECRET, ttlMs: 3_600_000 }));
    const { state, cookie } = await start(base);
    let sentVerifier = "";
    nock("https://github.com")
      .post("/login/oauth/access_token", (body: Record<string, string>) => {
        sentVerifier = body.code_verifier ?? "";
        return body.client_id === "Iv1.unit" && body.client_secret === "unit-secret" && body.code === "the-code" && body.redirect_uri === `${base}${CALLBACK_PATH}`;
      })
      .reply(200, { access_token: "ghu_user", token_type: "bearer", scope: "" });
    nock(API, { reqheaders: { authorization: "token ghu_user" } }).get("/user").reply(200, { login: "olivia", id: 7 });
    nock(API, { reqheaders: { authorization: "token ghu_user" } }).get("/user/memberships/orgs/octo-org").reply(200, { state: "active", role: "admin", organization: { login: "octo-org" } });
    const res = await get(`${base}${CALLBACK_PATH}?code=the-code&state=${state}`, cookie);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/reports/octo-org");
    expect(sentVerifier).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const session = cookieOf(res, SESSION_COOKIE)!;
    expect(session).toMatch(/; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(session).not.toContain("olivia");
    expect(cookieOf(res, OAUTH_COOKIE)).toContain("Max-Age=0");
    const page = await get(`${base}/reports/octo-org`, pair(session));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toBe("default-src 'none'");
    expect(await page.text()).toBe("<p>report of octo-org for olivia</p>");
    // Proven for octo-org only: another organisation starts a new sign-in.
    expect((await get(`${base}/reports/other-org`, pair(session))).headers.get("location")).toBe(`${LOGIN_PATH}?org=other-org`);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("refuses a callback whose state does not match, or that this browser did not start", async () => {
    const base = await serve(configFor(), new BrowserSessions({ secret: SECRET, ttlMs: 3_600_000 }));
    const { state, cookie } = await start(base);
    expect((await get(`${base}${CALLBACK_PATH}?code=c&state=${state}x`, cookie)).status).toBe(400);
    expect((await get(`${base}${CALLBACK_PATH}?code=c&state=${state}`)).status).toBe(400);
    // Another browser's sign-in cookie, sealed with a different secret, is not recognised.
    const other = new BrowserSessions({ secret: "x".repeat(40), ttlMs: 1 }).begin("octo-org");
    const res = await get(`${base}${CALLBACK_PATH}?code=c&state=${other.pending.state}`, `${OAUTH_COOKIE}=${other.cookie}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Sign-in not recognised");
  });

  it("explains a cancelled sign-in, a refused code and an unreachable GitHub, without a session", async () => {
    const base = await serve(configFor(), new BrowserSessions({ secret: SECRET, ttlMs: 3_600_000 }));
    let { state, cookie } = await start(base);
    const cancelled = await get(`${base}${CALLBACK_PATH}?error=access_denied&state=${state}`, cookie);
    expect(cancelled.status).toBe(403);
    expect(await cancelled.text()).toContain("access_denied");

    ({ state, cookie } = await start(base));
    nock("https://github.com").post("/login/oauth/access_token").reply(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
    const refused = await get(`${base}${CALLBACK_PATH}?code=old&state=${state}`, cookie);
    expect(refused.status).toBe(502);
    expect(await refused.text()).toContain("The code passed is incorrect or expired.");
    expect(cookieOf(refused, SESSION_COOKIE)).toBeUndefined();

    ({ state, cookie } = await start(base));
    nock("https://github.com").post("/login/oauth/access_token").replyWithError("connect ECONNREFUSED");
    const down = await get(`${base}${CALLBACK_PATH}?code=c&state=${state}`, cookie);
    expect(down.status).toBe(503);
    const text = await down.text();
    expect(text).toContain("GitHub could not be reached");
    expect(text).not.toMatch(/ECONNREFUSED|at .*\.ts/);
  });

  it("signs out only by POST from its own page, and the cookie stops working at once", async () => {
    const sessions = new BrowserSessions({ secret: SECRET, ttlMs: 3_600_000 });
    const base = await serve(configFor(), sessions);
    const cookie = `${SESSION_COOKIE}=${sessions.issue("olivia", "octo-org", null).cookie}`;
    expect((await get(`${base}/reports/octo-org`, cookie)).status).toBe(200);
    expect((await get(`${base}${SIGN_OUT_PATH}`, cookie)).status).toBe(405);
    const foreign = await fetch(`${base}${SIGN_OUT_PATH}`, { method: "POST", redirect: "manual", headers: { cookie, origin: "https://evil.example" } });
    expect(foreign.status).toBe(403);
    const out = await fetch(`${base}${SIGN_OUT_PATH}`, { method: "POST", redirect: "manual", headers: { cookie, origin: base } });
    expect(out.status).toBe(200);
    expect(cookieOf(out, SESSION_COOKIE)).toContain("Max-Age=0");
    expect((await get(`${base}/reports/octo-org`, cookie)).status).toBe(302);
  });

  it("answers a report that fails to build with a page saying so, logged, and no stack trace", async () => {
    const sessions = new BrowserSessions({ secret: SECRET, ttlMs: 3_600_000 });
    const logged: string[] = [];
    const report = browserReport({ sessions, log: { error: (_o, msg) => logged.push(msg) }, page: async () => { throw new Error("SQLITE_CORRUPT at /srv/data.db"); } });
    server = createServer((req, res) => void report(req, res, "octo-org"));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
    const res = await get(`${base}/reports/octo-org`, `${SESSION_COOKIE}=${sessions.issue("olivia", "octo-org", null).cookie}`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toContain("The report could not be shown");
    expect(text).not.toContain("SQLITE_CORRUPT");
    expect(logged).toEqual(["the HTML report could not be built"]);
  });

  it("refuses an expired session", async () => {
    let now = new Date("2026-11-24T12:00:00Z");
    const sessions = new BrowserSessions({ secret: SECRET, ttlMs: 3_600_000, now: () => now });
    const base = await serve(configFor(), sessions);
    const cookie = `${SESSION_COOKIE}=${sessions.issue("olivia", "octo-org", null).cookie}`;
    expect((await get(`${base}/reports/octo-org`, cookie)).status).toBe(200);
    now = new Date("2026-11-24T13:00:00Z");
    expect((await get(`${base}/reports/octo-org`, cookie)).status).toBe(302);
  });

  it("is configured with all four settings or none, and only over https (or on this machine)", () => {
    const creds = { GITHUB_CLIENT_ID: "Iv1.x", GITHUB_CLIENT_SECRET: "s" };
    expect(readEnv({ ...creds }).ok).toBe(true);
    const missing = readEnv({ SESSION_SECRET: "s".repeat(32) });
    expect(missing.ok ? "" : missing.message).toMatch(/GITHUB_CLIENT_ID is required for browser sign-in/);
    const short = readEnv({ ...creds, SESSION_SECRET: "short", PUBLIC_URL: "https://claimcheck.example.com" });
    expect(short.ok ? "" : short.message).toContain("SESSION_SECRET must be at least 32 characters");
    const plain = readEnv({ ...creds, SESSION_SECRET: "s".repeat(32), PUBLIC_URL: "http://claimcheck.example.com" });
    expect(plain.ok ? "" : plain.message).toContain("PUBLIC_URL must be https://");
    expect(readEnv({ ...creds, SESSION_SECRET: "s".repeat(32), PUBLIC_URL: "https://claimcheck.example.com" }).ok).toBe(true);
  });
});
