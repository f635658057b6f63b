import { ThrottledOctokit } from "./github/throttle.js";
import { pino } from "pino";
import { Probot } from "probot";
import type { RunOctokit } from "./assessment/run-organisation.js";
import type { CliCredentials } from "./config/env.js";
import { describeNetworkFailure } from "./github/network-failure.js";

/*
 * How the CLI reaches GitHub: a token (GITHUB_TOKEN: a personal access token or `gh auth token`),
 * or the app's own credentials (APP_ID + PRIVATE_KEY / PRIVATE_KEY_PATH), in which case the
 * installation on the organisation is found and used. `--api-url` (or GHE_HOST) points both REST
 * and GraphQL at GitHub Enterprise Server or the local simulator.
 */

export class AuthError extends Error {}

export type AuthEnv = {
  GHE_HOST?: string | undefined;
  GHE_PROTOCOL?: string | undefined;
};

/** REST base URL: --api-url wins, then GHE_HOST as Probot reads it, else github.com. */
export function apiBaseUrl(apiUrl: string | undefined, env: AuthEnv): string | undefined {
  if (apiUrl) {
    let url: URL;
    try {
      url = new URL(apiUrl);
    } catch {
      throw new AuthError(`--api-url: "${apiUrl}" is not a URL`);
    }
    return url.href.replace(/\/$/, "");
  }
  if (env.GHE_HOST) return `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3`;
  return undefined;
}


/** The CLI's Octokit: the app's own (throttling, retries, config, bounded waits on rate limits). */
export const CliOctokit = ThrottledOctokit;

/** How long one request may wait for GitHub's answer before it counts as timed out (and is retried). */
export const REQUEST_TIMEOUT_MS = 60_000;

/** fetch with a deadline: a server that accepts the connection and never answers must not hang the CLI. */
function fetchWithin(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline });
  };
}

export type ConnectionOptions = { retryBaseMs?: number | undefined; timeoutMs?: number | undefined };

export async function authenticate(org: string, credentials: Exclude<CliCredentials, { ok: false }>, baseUrl: string | undefined, connection: ConnectionOptions = {}): Promise<{ octokit: RunOctokit; via: string }> {
  const log = pino({ level: "silent" });
  const retryBaseMs = connection.retryBaseMs;
  const request = { fetch: fetchWithin(connection.timeoutMs ?? REQUEST_TIMEOUT_MS) };
  const common = { log, request, ...(baseUrl ? { baseUrl } : {}), ...(retryBaseMs !== undefined ? { retry: { retryAfterBaseValue: retryBaseMs } } : {}) };
  if (credentials.kind === "token") {
    const octokit = new CliOctokit({ auth: { token: credentials.token }, ...common } as never);
    return { octokit: octokit as unknown as RunOctokit, via: "token" };
  }
  // The function form merges into whatever Probot passes (a plain object would be replaced by its `request`).
  const Octokit = CliOctokit.defaults((options: Record<string, unknown>) => ({
    ...options,
    request: { ...(options.request as Record<string, unknown> | undefined), ...request },
    ...(retryBaseMs === undefined ? {} : { retry: { ...(options.retry as Record<string, unknown> | undefined), retryAfterBaseValue: retryBaseMs } }),
  }));
  const probot = new Probot({ appId: credentials.appId, privateKey: credentials.privateKey, log, Octokit, ...(baseUrl ? { baseUrl } : {}) });
  const app = await probot.auth();
  let installationId: number;
  try {
    const { data } = await app.request("GET /orgs/{org}/installation", { org });
    installationId = data.id;
  } catch (error) {
    const status = (error as { status?: number }).status;
    const network = describeNetworkFailure(error);
    if (network) throw new AuthError(`could not find the app's installation on ${org}: ${network}`);
    if (status === 401) throw new AuthError(`GitHub rejected the app's credentials (401): check APP_ID and the private key`);
    throw new AuthError(status === 404 ? `the app is not installed on ${org}` : `could not find the app's installation on ${org}: ${(error as Error).message.split("\n")[0]}`);
  }
  return { octokit: (await probot.auth(installationId)) as unknown as RunOctokit, via: `app installation ${installationId}` };
}
