import { createHash, randomBytes } from "node:crypto";
import type { Model } from "./model.js";
import type { RestAnswer } from "./rest.js";

/*
 * GitHub's side of a GitHub App's user authorisation (web application flow) and the user routes
 * the app asks with the user's token: /login/oauth/authorize (a page where the person picks who
 * they are, standing in for GitHub's sign-in), /login/oauth/access_token (code + PKCE verifier →
 * token), GET /user and GET /user/memberships/orgs/{org}, answered from the scenario's members.
 * As on GitHub: a code is single-use and expires after ten minutes, redirect_uri must be under the
 * registered callback URL, PKCE is S256 only, and a refused exchange is a 200 with `error`.
 */

export type OAuthOptions = {
  clientId: string;
  clientSecret: string;
  /** The GitHub App's registered callback URL; redirect_uri must start with it. */
  callbackUrl?: string;
  /** People who can sign in but belong to no organisation. */
  outsiders?: string[];
};

type Grant = { login: string; clientId: string; redirectUri: string; challenge: string | null; expires: number; used: boolean };

const CODE_TTL_MS = 10 * 60_000;

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const userId = (login: string) => Number.parseInt(createHash("sha1").update(login).digest("hex").slice(0, 7), 16);

function formOrJson(body: unknown): Record<string, string> {
  if (body && typeof body === "object") return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]));
  if (typeof body === "string") return Object.fromEntries(new URLSearchParams(body));
  return {};
}

export class SimulatedOAuth {
  private readonly grants = new Map<string, Grant>();
  private readonly tokens = new Map<string, string>();
  /** Every token exchange, for tests: what was sent and whether it was granted. */
  readonly exchanges: { codeVerifier: string | null; granted: boolean; error?: string }[] = [];

  constructor(
    private readonly model: Model,
    private readonly options: OAuthOptions | undefined,
  ) {}

  private people(): string[] {
    return [...this.model.org.members.map((m) => m.login), ...(this.options?.outsiders ?? [])];
  }

  /** A user token for `login` without the browser flow (a test's shortcut). */
  tokenFor(login: string): string {
    const token = `ghu_sim${randomBytes(12).toString("hex")}`;
    this.tokens.set(token, login);
    return token;
  }

  /** The answer for an OAuth or user route, or null when the path is not one. */
  answer(method: string, path: string, query: URLSearchParams, body: unknown, headers: Record<string, string | string[] | undefined>): RestAnswer | null {
    if (path === "/login/oauth/authorize" && method === "GET") return this.authorize(query);
    if (path === "/login/oauth/authorize/approve" && method === "GET") return this.approve(query);
    if (path === "/login/oauth/access_token" && method === "POST") return this.exchange(formOrJson(body));
    if (path === "/user" && method === "GET") {
      const login = this.userOf(headers);
      return login ? { status: 200, body: { login, id: userId(login), type: "User", site_admin: false, html_url: `https://github.com/${login}` } } : badCredentials();
    }
    const membership = /^\/user\/memberships\/orgs\/([^/]+)$/.exec(path);
    if (membership && method === "GET") {
      const login = this.userOf(headers);
      if (!login) return badCredentials();
      const member = this.model.org.members.find((m) => m.login === login);
      if (!member || membership[1]!.toLowerCase() !== this.model.org.login.toLowerCase()) return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user", status: "404" } };
      return {
        status: 200,
        body: {
          url: `https://api.github.com/orgs/${this.model.org.login}/memberships/${login}`,
          state: "active",
          role: member.role ?? "member",
          organization_url: `https://api.github.com/orgs/${this.model.org.login}`,
          organization: { login: this.model.org.login, id: this.model.org.id, url: `https://api.github.com/orgs/${this.model.org.login}` },
          user: { login, id: userId(login), type: "User" },
        },
      };
    }
    return null;
  }

  private userOf(headers: Record<string, string | string[] | undefined>): string | undefined {
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(String(headers.authorization ?? ""));
    return match ? this.tokens.get(match[1]!) : undefined;
  }

  private checkClient(query: URLSearchParams): string | null {
    if (!this.options) return "the simulator has no OAuth client configured";
    if (query.get("client_id") !== this.options.clientId) return "unknown client_id";
    const redirect = query.get("redirect_uri") ?? this.options.callbackUrl ?? "";
    if (this.options.callbackUrl && !redirect.startsWith(this.options.callbackUrl)) return "redirect_uri is not under the registered callback URL";
    const method = query.get("code_challenge_method");
    if (query.get("code_challenge") && method !== "S256") return "code_challenge_method must be S256";
    return null;
  }

  private authorize(query: URLSearchParams): RestAnswer {
    const problem = this.checkClient(query);
    if (problem) return html(400, `<h1>Sign-in refused</h1><p>${escape(problem)}</p>`);
    const buttons = this.people()
      .map((login) => {
        const q = new URLSearchParams(query);
        q.set("login", login);
        return `<li><a href="/login/oauth/authorize/approve?${escape(q.toString())}">Sign in as ${escape(login)}</a></li>`;
      })
      .join("");
    const cancel = new URLSearchParams({ error: "access_denied", state: query.get("state") ?? "" });
    return html(200, `<h1>Simulated GitHub: authorise claimcheck</h1><ul>${buttons}</ul><p><a href="${escape(`${query.get("redirect_uri") ?? ""}?${cancel}`)}">Cancel</a></p>`);
  }

  private approve(query: URLSearchParams): RestAnswer {
    const problem = this.checkClient(query);
    const login = query.get("login") ?? "";
    if (problem || !this.people().includes(login)) return html(400, `<h1>Sign-in refused</h1><p>${escape(problem ?? "unknown user")}</p>`);
    const code = randomBytes(10).toString("hex");
    const redirectUri = query.get("redirect_uri") ?? this.options!.callbackUrl ?? "";
    this.grants.set(code, { login, clientId: this.options!.clientId, redirectUri, challenge: query.get("code_challenge"), expires: Date.now() + CODE_TTL_MS, used: false });
    const target = new URL(redirectUri);
    target.searchParams.set("code", code);
    if (query.get("state") !== null) target.searchParams.set("state", query.get("state")!);
    return { status: 302, headers: { location: target.href } };
  }

  private exchange(params: Record<string, string>): RestAnswer {
    const refuse = (error: string, description: string): RestAnswer => {
      this.exchanges.push({ codeVerifier: params.code_verifier ?? null, granted: false, error });
      return { status: 200, body: { error, error_description: description, error_uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors" } };
    };
    if (!this.options || params.client_id !== this.options.clientId || params.client_secret !== this.options.clientSecret) return refuse("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
    const grant = this.grants.get(params.code ?? "");
    if (!grant || grant.used || grant.expires < Date.now()) return refuse("bad_verification_code", "The code passed is incorrect or expired.");
    grant.used = true;
    if (params.redirect_uri && params.redirect_uri !== grant.redirectUri) return refuse("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
    if (grant.challenge !== null) {
      const verifier = params.code_verifier ?? "";
      if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) return refuse("bad_verification_code", "The code_verifier does not match the code_challenge.");
    }
    const token = this.tokenFor(grant.login);
    this.exchanges.push({ codeVerifier: params.code_verifier ?? null, granted: true });
    return { status: 200, body: { access_token: token, token_type: "bearer", scope: "", expires_in: 28_800 } };
  }
}

function html(status: number, body: string): RestAnswer {
  return { status, raw: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Simulated GitHub</title></head><body>${body}</body></html>`, headers: { "content-type": "text/html; charset=utf-8" } };
}

function badCredentials(): RestAnswer {
  return { status: 401, body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" } };
}
