import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { z } from "zod";

/*
 * Browser sessions without server-side storage: the session is a cookie sealed with AES-256-GCM
 * (so it can be neither read nor forged without SESSION_SECRET), carrying who signed in, the
 * organisations whose admin membership GitHub confirmed at sign-in, and an expiry checked on every
 * request. Sign-out also revokes the session id in memory until it would have expired, so a copy
 * of the cookie stops working at once (until a restart; the expiry bounds it after that).
 *
 * Cookies are `__Host-` prefixed (Secure, Path=/, no Domain: only this host over HTTPS can set
 * them), HttpOnly and SameSite=Lax: Lax, not Strict, because the OAuth callback is a top-level
 * navigation back from GitHub, and a Strict cookie would not be sent with it.
 */

export const SESSION_COOKIE = "__Host-claimcheck-session";
export const OAUTH_COOKIE = "__Host-claimcheck-oauth";
/** How long a started sign-in may take at GitHub. */
export const OAUTH_TTL_MS = 10 * 60_000;

const sessionSchema = z.object({ sid: z.string().min(16), login: z.string().min(1), orgs: z.array(z.string()), iat: z.number(), exp: z.number() });
const pendingSchema = z.object({ state: z.string().min(32), verifier: z.string().min(43).max(128), org: z.string().min(1), exp: z.number() });

export type Session = z.infer<typeof sessionSchema>;
export type PendingSignIn = z.infer<typeof pendingSchema>;

const b64url = (buf: Buffer) => buf.toString("base64url");

class Sealer {
  private readonly key: Buffer;
  constructor(secret: string, purpose: string) {
    this.key = Buffer.from(hkdfSync("sha256", secret, "claimcheck", purpose, 32));
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    return [iv, body, cipher.getAuthTag()].map(b64url).join(".");
  }

  /** The sealed value, or null for anything not sealed with this key and purpose (forged, altered, truncated). */
  open(text: string): unknown {
    const parts = text.split(".");
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return null;
    const [iv, body, tag] = parts.map((p) => Buffer.from(p, "base64url")) as [Buffer, Buffer, Buffer];
    if (iv.length !== 12 || tag.length !== 16) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, iv);
      decipher.setAuthTag(tag);
      return JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8"));
    } catch {
      return null;
    }
  }
}

export type SessionOptions = { secret: string; ttlMs: number; now?: () => Date };

export class BrowserSessions {
  private readonly sessions: Sealer;
  private readonly pending: Sealer;
  private readonly revoked = new Map<string, number>();
  private readonly now: () => Date;

  constructor(private readonly options: SessionOptions) {
    if (Buffer.byteLength(options.secret) < 32) throw new Error("the session secret must be at least 32 bytes");
    this.sessions = new Sealer(options.secret, "session cookie");
    this.pending = new Sealer(options.secret, "oauth state cookie");
    this.now = options.now ?? (() => new Date());
  }

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  /** A new session for `login`, or the current one with `org` added (its expiry unchanged). */
  issue(login: string, org: string, current: Session | null): { cookie: string; session: Session } {
    const now = this.now().getTime();
    const keep = current && current.login === login ? current : null;
    const session: Session = keep
      ? { ...keep, orgs: [...new Set([...keep.orgs, org.toLowerCase()])] }
      : { sid: b64url(randomBytes(18)), login, orgs: [org.toLowerCase()], iat: now, exp: now + this.options.ttlMs };
    return { cookie: this.sessions.seal(session), session };
  }

  /** The session a request carries, or null (none, forged, expired or signed out). */
  read(req: IncomingMessage): Session | null {
    const value = cookiesOf(req).get(SESSION_COOKIE);
    if (!value) return null;
    const parsed = sessionSchema.safeParse(this.sessions.open(value));
    if (!parsed.success) return null;
    const now = this.now().getTime();
    if (parsed.data.exp <= now || parsed.data.iat > now + 60_000) return null;
    if (this.revoked.has(parsed.data.sid)) return null;
    return parsed.data;
  }

  revoke(session: Session): void {
    const now = this.now().getTime();
    for (const [sid, exp] of this.revoked) if (exp <= now) this.revoked.delete(sid);
    this.revoked.set(session.sid, session.exp);
  }

  /** Starts a sign-in: the `state` and PKCE verifier, sealed for the browser to hold until GitHub sends it back. */
  begin(org: string): { cookie: string; pending: PendingSignIn } {
    const pending: PendingSignIn = { state: b64url(randomBytes(32)), verifier: b64url(randomBytes(48)), org, exp: this.now().getTime() + OAUTH_TTL_MS };
    return { cookie: this.pending.seal(pending), pending };
  }

  /** The sign-in this browser started, or null (none, forged or older than OAUTH_TTL_MS). */
  pendingOf(req: IncomingMessage): PendingSignIn | null {
    const value = cookiesOf(req).get(OAUTH_COOKIE);
    if (!value) return null;
    const parsed = pendingSchema.safeParse(this.pending.open(value));
    if (!parsed.success || parsed.data.exp <= this.now().getTime()) return null;
    return parsed.data;
  }
}

export function cookiesOf(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    // The first of two cookies with one name wins, as browsers send the most specific first.
    if (!out.has(name)) out.set(name, part.slice(at + 1).trim());
  }
  return out;
}

/** A `Set-Cookie` value for one of claimcheck's cookies; a max age of 0 deletes it. */
export function cookieHeader(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; Path=/; HttpOnly; Secure; SameSite=Lax`;
}
