import type { IncomingMessage, ServerResponse } from "node:http";
import { Octokit } from "@octokit/rest";
import { z } from "zod";
import type { Probot } from "probot";
import { loadRepoConfig } from "../config/load-repo-config.js";
import { DEFAULT_CONFIG, type RepoConfig } from "../config/repo-config.js";
import { GitHubClient } from "../github/client.js";
import type { InstallationOctokit } from "./pipeline.js";
import { jsonChunks } from "../report/json.js";
import { markdownChunks } from "../report/markdown.js";
import { contentSecurityPolicy } from "../report/html-assets.js";
import { renderHtml } from "../report/html.js";
import { storedHistory } from "./stored-history.js";
import type { Store } from "../store/store.js";
import { latestReportYielding } from "./latest-report.js";
import type { Report } from "../report/model.js";
import type { Logger } from "pino";
import { decodeSegment, requestPath, requestQuery } from "./http-path.js";
import { REPORT_ROUTE } from "../report/route.js";

/*
 * GET /reports/{org}: the latest self-assessment report of an installation, served only to a
 * caller who proves, with their own GitHub token, that they are an active admin of that
 * organisation. The organisation proven is the only one whose rows are read.
 */

export const REPORT_PATH = REPORT_ROUTE.replace("{org}", "");
const ORG_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/** `unavailable`: GitHub could not be asked (network, 5xx, rate limit), so nothing is proven either way. */
export type AdminProof = "admin" | "not-admin" | "bad-token" | { unavailable: string; retryAfterSeconds?: number };
export type VerifyAdmin = (token: string, org: string) => Promise<AdminProof>;

const membershipSchema = z.looseObject({
  state: z.string(),
  role: z.string(),
  organization: z.looseObject({ login: z.string() }),
});

type HttpFailure = { status?: unknown; message?: unknown; response?: { headers?: Record<string, unknown> } };

/**
 * Whether a failed membership read says something about the caller (401, 403, 404) or only that
 * GitHub could not answer. GitHub answers an exhausted rate limit with 403 or 429 and
 * `x-ratelimit-remaining: 0` or `retry-after` (docs.github.com, "Rate limits for the REST API"):
 * that is not a refusal of the caller.
 */
export function unavailability(error: unknown): { unavailable: string; retryAfterSeconds?: number } | null {
  const failure = (error ?? {}) as HttpFailure;
  const status = typeof failure.status === "number" ? failure.status : undefined;
  const headers = failure.response?.headers ?? {};
  const retryAfter = Number(headers["retry-after"]);
  const retry = Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: Math.ceil(retryAfter) } : {};
  // Octokit reports a request that never got an answer as status 500 without a response.
  if (status === undefined || (status === 500 && failure.response === undefined)) return { unavailable: `GitHub could not be reached to check the membership (${typeof failure.message === "string" ? failure.message : "no answer"})` };
  if (status >= 500) return { unavailable: `GitHub answered ${status} when asked for the membership`, ...retry };
  if ((status === 403 || status === 429) && (String(headers["x-ratelimit-remaining"]) === "0" || retry.retryAfterSeconds !== undefined)) {
    return { unavailable: "GitHub's rate limit for this token is exhausted; the membership could not be checked", ...retry };
  }
  return null;
}

/** Asks GitHub, with the caller's own token, whether they are an active admin of `org`. */
export function githubAdminCheck(baseUrl?: string): VerifyAdmin {
  return async (token, org) => {
    const octokit = new Octokit({ auth: token, ...(baseUrl ? { baseUrl } : {}) });
    try {
      const { data } = await octokit.request("GET /user/memberships/orgs/{org}", { org });
      const membership = membershipSchema.safeParse(data);
      if (!membership.success) return "not-admin";
      const { state, role, organization } = membership.data;
      return state === "active" && role === "admin" && organization.login.toLowerCase() === org.toLowerCase() ? "admin" : "not-admin";
    } catch (error) {
      const unavailable = unavailability(error);
      if (unavailable) return unavailable;
      // 403 (token without read:org, or SSO not authorised) and 404 (not a member) prove nothing.
      return (error as { status?: unknown }).status === 401 ? "bad-token" : "not-admin";
    }
  };
}

/** The organisation's own settings (its `.github` repository's claimcheck.yml), read as the installation; the defaults when unreadable. */
export function installationConfig(probot: Probot) {
  return async (installationId: number, org: string): Promise<RepoConfig> => {
    try {
      const octokit = (await probot.auth(installationId)) as unknown as InstallationOctokit;
      return (await loadRepoConfig(new GitHubClient(octokit), org, ".github")).config;
    } catch {
      return DEFAULT_CONFIG;
    }
  };
}

export type ReportRouteDeps = {
  store: Store;
  verifyAdmin: VerifyAdmin;
  /** The organisation's claimcheck configuration (window, thresholds, supplied evidence). */
  configFor: (installationId: number, org: string) => Promise<RepoConfig>;
  now?: () => Date;
  log?: Pick<Logger, "error">;
  /** A browser (Accept: text/html, no token): the HTML page behind GitHub sign-in (src/app/oauth-routes.ts). */
  browser?: (req: IncomingMessage, res: ServerResponse, org: string) => Promise<true>;
};

function bearer(req: IncomingMessage): string | null {
  const match = /^(?:Bearer|token)\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return match?.[1] ?? null;
}

function send(res: ServerResponse, status: number, body: string, type = "application/json", extra: Record<string, string> = {}): true {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...extra });
  res.end(body);
  return true;
}

const problem = (message: string) => JSON.stringify({ message });

/*
 * Content negotiation lives here and only here: each representation of the report is one entry,
 * chosen by `?format=` first, then by the Accept header. Another representation (a page for a
 * browser) is one more entry.
 */
type RenderContext = { config: RepoConfig; store: Store; installationId: number; now: Date };
/** `render` gives the body a piece at a time: the JSON and Markdown reports are streamed, never one string. */
type Representation = { format: string; type: string; headers?: Record<string, string>; render: (report: Report, context: RenderContext) => Iterable<string> | AsyncIterable<string>; accepts: (accept: string) => boolean };
export const REPRESENTATIONS: Representation[] = [
  { format: "json", type: "application/json", render: (report) => jsonChunks(report), accepts: (accept) => accept.includes("application/json") },
  { format: "markdown", type: "text/markdown; charset=utf-8", render: (report, { config }) => markdownChunks(report, { everyHours: config.reassessment.everyHours }), accepts: (accept) => accept.includes("text/markdown") },
  // The page is asked for by name; a browser without a token is sent to sign in first (`browser`).
  {
    format: "html",
    type: "text/html; charset=utf-8",
    headers: { "content-security-policy": contentSecurityPolicy("header"), "x-content-type-options": "nosniff" },
    // The page is one string: it is a few megabytes at 10,000 repositories, and its script needs the whole document.
    render: async function* (report, { store, installationId, now }) {
      yield renderHtml({ ...report, history: await storedHistory(store, installationId, now) });
    },
    accepts: () => false,
  },
];

/** A browser navigating to the report, rather than a script: it asks for HTML first and sends no token. */
function wantsPage(req: IncomingMessage, query: URLSearchParams): boolean {
  const format = query.get("format");
  if (format) return format === "html";
  return /^\s*text\/html\b/i.test(req.headers.accept ?? "");
}
const DEFAULT_REPRESENTATION = REPRESENTATIONS.find((r) => r.format === "markdown")!;

/** The representation asked for, or null when `?format=` names none we have. */
export function negotiate(req: IncomingMessage, query: URLSearchParams): Representation | null {
  const format = query.get("format");
  if (format !== null) return REPRESENTATIONS.find((r) => r.format === format || (format === "md" && r.format === "markdown")) ?? null;
  const accept = req.headers.accept ?? "";
  return REPRESENTATIONS.find((r) => r.accepts(accept)) ?? DEFAULT_REPRESENTATION;
}

/** Resolves when the response can take more, or is gone (a client that hung up never drains). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * Writes a body a piece at a time as it is made, waiting for the socket to drain and giving the
 * event loop a turn between pieces, so one report neither holds the process nor its memory.
 */
async function sendStream(res: ServerResponse, status: number, body: Iterable<string> | AsyncIterable<string>, type: string, extra: Record<string, string> = {}): Promise<true> {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...extra });
  const SLICE = 64 * 1024;
  for await (const piece of body) {
    for (let at = 0; at < piece.length; at += SLICE) {
      if (res.destroyed) return true;
      if (!res.write(at === 0 && piece.length <= SLICE ? piece : piece.slice(at, at + SLICE))) await drained(res);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  res.end();
  return true;
}

/** The route's answer to a request under REPORT_PATH; every failure is a status and a message, never a throw. */
async function answer(deps: ReportRouteDeps, req: IncomingMessage, res: ServerResponse, path: string): Promise<true> {
  if (req.method !== "GET") return send(res, 405, problem("only GET is allowed"), "application/json", { allow: "GET" });
  const org = decodeSegment(path.slice(REPORT_PATH.length));
  if (org === null) return send(res, 400, problem("the organisation in the path is not valid percent-encoding"));
  if (!ORG_LOGIN.test(org)) return send(res, 404, problem("not found"));
  const representation = negotiate(req, requestQuery(req));
  if (!representation) return send(res, 400, problem(`format must be one of: ${REPRESENTATIONS.map((r) => r.format).join(", ")}`));
  const token = bearer(req);
  if (!token && deps.browser && wantsPage(req, requestQuery(req))) return deps.browser(req, res, org);
  if (!token) return send(res, 401, problem("a GitHub token of an admin of the organisation is required: Authorization: Bearer <token>"), "application/json", { "www-authenticate": 'Bearer realm="claimcheck"' });

  const proof = await deps.verifyAdmin(token, org);
  if (typeof proof === "object") {
    return send(res, 503, problem(`${proof.unavailable}; try again later`), "application/json", proof.retryAfterSeconds ? { "retry-after": String(proof.retryAfterSeconds) } : {});
  }
  if (proof === "bad-token") return send(res, 401, problem("GitHub rejected the token"), "application/json", { "www-authenticate": 'Bearer realm="claimcheck", error="invalid_token"' });
  if (proof !== "admin") return send(res, 403, problem(`the token does not prove an active admin membership of ${org}`));

  const installation = await deps.store.installationByLogin(org);
  if (!installation || installation.removedAt !== null) return send(res, 404, problem(`claimcheck is not installed on ${org}`));
  const now = deps.now?.() ?? new Date();
  const config = await deps.configFor(installation.id, installation.accountLogin);
  const report = await latestReportYielding(deps.store, installation.id, installation.accountLogin, config, now);
  if (!report) return send(res, 404, problem(`no assessment of ${org} is stored yet`));
  return sendStream(res, 200, representation.render(report, { config, store: deps.store, installationId: installation.id, now }), representation.type, representation.headers);
}

export function reportHandler(deps: ReportRouteDeps) {
  const log = deps.log;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = requestPath(req);
    if (path === null || !path.startsWith(REPORT_PATH)) return false;
    try {
      return await answer(deps, req, res, path);
    } catch (error) {
      // The caller learns only that it failed; the log has the cause, never the token.
      log?.error({ route: REPORT_ROUTE, err: error instanceof Error ? error.message : String(error) }, "report route failed");
      if (!res.headersSent) return send(res, 500, problem("the report could not be produced; the cause is in the app's log"));
      res.destroy();
      return true;
    }
  };
}
