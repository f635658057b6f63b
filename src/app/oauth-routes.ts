import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { Octokit } from "@octokit/rest";
import { z } from "zod";
import { escapeHtml } from "../report/html.js";
import { BrowserSessions, cookieHeader, OAUTH_COOKIE, OAUTH_TTL_MS, SESSION_COOKIE, type Session } from "./browser-session.js";
import type { VerifyAdmin } from "./report-route.js";

/*
 * Sign-in with GitHub for people reading the report in a browser: the GitHub App's user
 * authorisation (web application) flow, with `state` and PKCE (S256), as GitHub documents in
 * "Generating a user access token for a GitHub App"
 * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app).
 * The user's token is used for two requests — who they are, and whether they are an active admin of
 * the organisation — and then dropped: nothing but the sealed session cookie remains.
 */

export const LOGIN_PATH = "/auth/github/login";
export const CALLBACK_PATH = "/auth/github/callback";
export const SIGN_OUT_PATH = "/auth/signout";
const ORG_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

export type BrowserSignInConfig = {
  clientId: string;
  clientSecret: string;
  sessionSecret: string;
  /** Where browsers reach the app (https), as registered in the GitHub App's callback URL. */
  publicUrl: string;
  /** GitHub's web address (https://github.com, or a GitHub Enterprise Server host). */
  webUrl: string;
  /** GitHub's REST API, when not api.github.com. */
  apiUrl?: string | undefined;
  sessionTtlMs: number;
};

export type OAuthDeps = {
  config: BrowserSignInConfig;
  sessions: BrowserSessions;
  verifyAdmin: VerifyAdmin;
  log?: { warn: (obj: object, msg: string) => void; info: (obj: object, msg: string) => void };
};

const tokenGranted = z.looseObject({ access_token: z.string().min(1) });
const tokenRefused = z.looseObject({ error: z.string(), error_description: z.string().optional() });
const userSchema = z.looseObject({ login: z.string().min(1), id: z.number().int() });

/** The headers of every page claimcheck serves to a browser. */
export function pageHeaders(csp: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  };
}

const MESSAGE_CSP = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** A short page saying what happened and what to do; never a stack trace. */
export function sendMessage(res: ServerResponse, status: number, title: string, text: string, extra: Record<string, string | string[]> = {}): true {
  res.writeHead(status, { ...pageHeaders(MESSAGE_CSP), ...extra });
  res.end(`<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} — claimcheck</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`);
  return true;
}

function redirect(res: ServerResponse, location: string, cookies: string[] = []): true {
  res.writeHead(302, { location, "cache-control": "no-store", ...(cookies.length > 0 ? { "set-cookie": cookies } : {}) });
  res.end();
  return true;
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export const loginPathFor = (org: string) => `${LOGIN_PATH}?org=${encodeURIComponent(org)}`;
export const reportPathFor = (org: string) => `/reports/${encodeURIComponent(org)}`;

export function oauthRoutes(deps: OAuthDeps) {
  const { config, sessions } = deps;
  const web = () => config.webUrl.replace(/\/+$/, "");
  const callbackUrl = () => `${config.publicUrl.replace(/\/+$/, "")}${CALLBACK_PATH}`;

  function begin(res: ServerResponse, org: string): true {
    const { cookie, pending } = sessions.begin(org);
    const authorize = new URL(`${web()}/login/oauth/authorize`);
    authorize.searchParams.set("client_id", config.clientId);
    authorize.searchParams.set("redirect_uri", callbackUrl());
    authorize.searchParams.set("state", pending.state);
    authorize.searchParams.set("code_challenge", createHash("sha256").update(pending.verifier).digest("base64url"));
    authorize.searchParams.set("code_challenge_method", "S256");
    authorize.searchParams.set("allow_signup", "false");
    return redirect(res, authorize.href, [cookieHeader(OAUTH_COOKIE, cookie, OAUTH_TTL_MS / 1000)]);
  }

  async function exchange(code: string, verifier: string): Promise<string | { error: string }> {
    const answer = await fetch(`${web()}/login/oauth/access_token`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ client_id: config.clientId, client_secret: config.clientSecret, code, redirect_uri: callbackUrl(), code_verifier: verifier }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!answer.ok) return { error: `GitHub answered ${answer.status}` };
    const body: unknown = await answer.json().catch(() => null);
    const granted = tokenGranted.safeParse(body);
    if (granted.success) return granted.data.access_token;
    // GitHub answers a refused code with 200 and an `error` (bad_verification_code, incorrect_client_credentials…).
    const refused = tokenRefused.safeParse(body);
    return { error: refused.success ? (refused.data.error_description ?? refused.data.error) : "GitHub's answer had no token" };
  }

  async function callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<true> {
    const pending = sessions.pendingOf(req);
    const clear = cookieHeader(OAUTH_COOKIE, "", 0);
    const state = url.searchParams.get("state") ?? "";
    if (!pending || !sameText(state, pending.state)) {
      return sendMessage(res, 400, "Sign-in not recognised", "This sign-in was not started here, took longer than ten minutes, or was already used. Open the report again to sign in anew.", { "set-cookie": clear });
    }
    const denied = url.searchParams.get("error");
    if (denied) return sendMessage(res, 403, "Sign-in cancelled", `GitHub did not sign you in (${denied}). No report is shown without sign-in.`, { "set-cookie": clear });
    const code = url.searchParams.get("code");
    if (!code || code.length > 200) return sendMessage(res, 400, "Sign-in failed", "GitHub's answer had no authorisation code.", { "set-cookie": clear });

    let token: string;
    let login: string;
    try {
      const exchanged = await exchange(code, pending.verifier);
      if (typeof exchanged !== "string") {
        deps.log?.warn({ reason: exchanged.error }, "browser sign-in: the code was not exchanged");
        return sendMessage(res, 502, "Sign-in failed", `GitHub did not issue a token: ${exchanged.error}. Try again.`, { "set-cookie": clear });
      }
      token = exchanged;
      const octokit = new Octokit({ auth: token, ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}), request: { signal: AbortSignal.timeout(15_000) } });
      const user = userSchema.safeParse((await octokit.request("GET /user")).data);
      if (!user.success) return sendMessage(res, 502, "Sign-in failed", "GitHub's answer about your account was not understood.", { "set-cookie": clear });
      login = user.data.login;
    } catch (error) {
      deps.log?.warn({ reason: error instanceof Error ? error.message.split("\n")[0] : String(error) }, "browser sign-in: GitHub could not be reached");
      return sendMessage(res, 503, "GitHub could not be reached", "claimcheck could not complete the sign-in with GitHub. Try again in a moment.", { "set-cookie": clear });
    }

    let proof: Awaited<ReturnType<VerifyAdmin>>;
    try {
      proof = await deps.verifyAdmin(token, pending.org);
    } catch {
      return sendMessage(res, 503, "GitHub could not be reached", "claimcheck could not check your membership with GitHub. Try again in a moment.", { "set-cookie": clear });
    }
    if (proof !== "admin") {
      deps.log?.info({ login, org: pending.org }, "browser sign-in refused: not an active admin");
      return sendMessage(res, 403, "Not an organisation admin", `GitHub does not show ${login} as an active admin of ${pending.org}. The report is shown only to the organisation's admins.`, { "set-cookie": clear });
    }
    const { cookie } = sessions.issue(login, pending.org, sessions.read(req));
    deps.log?.info({ login, org: pending.org }, "browser sign-in");
    return redirect(res, reportPathFor(pending.org), [clear, cookieHeader(SESSION_COOKIE, cookie, config.sessionTtlMs / 1000)]);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === LOGIN_PATH) {
      if (req.method !== "GET") return sendMessage(res, 405, "Method not allowed", "Only GET is allowed here.", { allow: "GET" });
      const org = url.searchParams.get("org") ?? "";
      if (!ORG_LOGIN.test(org)) return sendMessage(res, 400, "Which organisation?", "Open the report of an organisation, /reports/ORG, to sign in.");
      return begin(res, org);
    }
    if (url.pathname === CALLBACK_PATH) {
      if (req.method !== "GET") return sendMessage(res, 405, "Method not allowed", "Only GET is allowed here.", { allow: "GET" });
      return callback(req, res, url);
    }
    if (url.pathname === SIGN_OUT_PATH) {
      if (req.method !== "POST") return sendMessage(res, 405, "Method not allowed", "Sign out with the button on the report.", { allow: "POST" });
      // SameSite=Lax already keeps the cookie off a cross-site POST; a foreign Origin is refused as well.
      const origin = req.headers.origin;
      if (origin && origin !== "null" && origin !== new URL(config.publicUrl).origin) return sendMessage(res, 403, "Sign-out refused", "The request did not come from claimcheck's own page.");
      const session = sessions.read(req);
      if (session) sessions.revoke(session);
      return sendMessage(res, 200, "Signed out", "You are signed out of claimcheck. GitHub may keep you signed in to GitHub itself.", { "set-cookie": cookieHeader(SESSION_COOKIE, "", 0) });
    }
    return false;
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    try {
      return await route(req, res);
    } catch (error) {
      deps.log?.warn({ reason: error instanceof Error ? error.message.split("\n")[0] : String(error) }, "browser sign-in failed");
      if (res.headersSent) return true;
      return sendMessage(res, 500, "Sign-in failed", "claimcheck could not complete the sign-in. The error is in the app's log.");
    }
  };
}

export type BrowserReportDeps = {
  sessions: BrowserSessions;
  /** The page of `org` for the signed-in admin, or null when there is nothing to show (with why). */
  page: (org: string, session: Session) => Promise<{ status: number; html: string; csp: string } | { status: number; title: string; text: string }>;
  log?: { error: (obj: object, msg: string) => void };
};

/** A browser asking for /reports/{org}: the page for a session proven for that organisation, else a sign-in. */
export function browserReport(deps: BrowserReportDeps | null) {
  return async (req: IncomingMessage, res: ServerResponse, org: string): Promise<true> => {
    if (!deps) return sendMessage(res, 401, "Sign-in is not set up", "This claimcheck has no GitHub sign-in for browsers configured. Scripts can fetch the report with an admin's token: Authorization: Bearer <token>.");
    const session = deps.sessions.read(req);
    // Each organisation is proven at sign-in: a session proven for another one starts a new check.
    if (!session || !session.orgs.includes(org.toLowerCase())) return redirect(res, loginPathFor(org));
    let answer: Awaited<ReturnType<BrowserReportDeps["page"]>>;
    try {
      answer = await deps.page(org, session);
    } catch (error) {
      deps.log?.error({ org, err: error }, "the HTML report could not be built");
      return sendMessage(res, 500, "The report could not be shown", "claimcheck failed to build the report. The error is in the app's log.");
    }
    if ("html" in answer) {
      // A thousand repositories make a page of megabytes that compresses thirtyfold.
      const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
      res.writeHead(answer.status, { ...pageHeaders(answer.csp), vary: "Accept-Encoding", ...(gzip ? { "content-encoding": "gzip" } : {}) });
      res.end(gzip ? gzipSync(answer.html) : answer.html);
      return true;
    }
    return sendMessage(res, answer.status, answer.title, answer.text);
  };
}
