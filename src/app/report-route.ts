import type { IncomingMessage, ServerResponse } from "node:http";
import { Octokit } from "@octokit/rest";
import { z } from "zod";
import type { Probot } from "probot";
import { loadRepoConfig } from "../config/load-repo-config.js";
import { DEFAULT_CONFIG, type RepoConfig } from "../config/repo-config.js";
import { GitHubClient } from "../github/client.js";
import type { InstallationOctokit } from "./pipeline.js";
import { renderJson } from "../report/json.js";
import { renderMarkdown } from "../report/markdown.js";
import { contentSecurityPolicy } from "../report/html-assets.js";
import { renderHtml } from "../report/html.js";
import { storedHistory } from "./stored-history.js";
import type { Store } from "../store/store.js";
import { latestReport } from "./latest-report.js";
import { REPORT_ROUTE } from "../report/route.js";

/*
 * GET /reports/{org}: the latest self-assessment report of an installation, served only to a
 * caller who proves, with their own GitHub token, that they are an active admin of that
 * organisation. The organisation proven is the only one whose rows are read.
 */

export const REPORT_PATH = REPORT_ROUTE.replace("{org}", "");
const ORG_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

export type AdminProof = "admin" | "not-admin" | "bad-token";
export type VerifyAdmin = (token: string, org: string) => Promise<AdminProof>;

const membershipSchema = z.looseObject({
  state: z.string(),
  role: z.string(),
  organization: z.looseObject({ login: z.string() }),
});

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

/** A browser navigating to the report, rather than a script: it asks for HTML first and sends no token. */
function wantsPage(req: IncomingMessage, url: URL): boolean {
  const format = url.searchParams.get("format");
  if (format) return format === "html";
  return /^\s*text\/html\b/i.test(req.headers.accept ?? "");
}

function wantsJson(req: IncomingMessage, url: URL): boolean {
  const format = url.searchParams.get("format");
  if (format) return format === "json";
  return (req.headers.accept ?? "").includes("application/json");
}

export function reportHandler(deps: ReportRouteDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith(REPORT_PATH)) return false;
    if (req.method !== "GET") return send(res, 405, problem("only GET is allowed"), "application/json", { allow: "GET" });
    const org = decodeURIComponent(url.pathname.slice(REPORT_PATH.length));
    if (!ORG_LOGIN.test(org)) return send(res, 404, problem("not found"));
    const token = bearer(req);
    if (!token && deps.browser && wantsPage(req, url)) return deps.browser(req, res, org);
    if (!token) return send(res, 401, problem("a GitHub token of an admin of the organisation is required: Authorization: Bearer <token>"), "application/json", { "www-authenticate": 'Bearer realm="claimcheck"' });

    const proof = await deps.verifyAdmin(token, org);
    if (proof === "bad-token") return send(res, 401, problem("GitHub rejected the token"), "application/json", { "www-authenticate": 'Bearer realm="claimcheck", error="invalid_token"' });
    if (proof !== "admin") return send(res, 403, problem(`the token does not prove an active admin membership of ${org}`));

    const installation = deps.store.installationByLogin(org);
    if (!installation || installation.removedAt !== null) return send(res, 404, problem(`claimcheck is not installed on ${org}`));
    const now = deps.now?.() ?? new Date();
    const config = await deps.configFor(installation.id, installation.accountLogin);
    const report = latestReport(deps.store, installation.id, installation.accountLogin, config, now);
    if (!report) return send(res, 404, problem(`no assessment of ${org} is stored yet`));
    if (url.searchParams.get("format") === "html") return send(res, 200, renderHtml({ ...report, history: storedHistory(deps.store, installation.id, now) }), "text/html; charset=utf-8", { "content-security-policy": contentSecurityPolicy("header"), "x-content-type-options": "nosniff" });
    return wantsJson(req, url) ? send(res, 200, renderJson(report)) : send(res, 200, renderMarkdown(report), "text/markdown; charset=utf-8");
  };
}
