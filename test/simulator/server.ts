import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { runGraphql, type GraphqlBudget } from "./graphql.js";
import { buildModel, type Model } from "./model.js";
import { matchRoute, type RestAnswer } from "./rest.js";
import { SimulatedOAuth, type OAuthOptions } from "./oauth.js";
import type { Scenario } from "./scenario.js";
import { seeded } from "../helpers/random.js";

/*
 * The simulated GitHub: REST and GraphQL on loopback, with GitHub's behaviour around them —
 * latency, primary and secondary rate limits, ETags, pagination, and faults injected by rate
 * from a seeded generator so a failing run can be replayed. Served both at the root (as
 * api.github.com) and under /api/v3 (as GitHub Enterprise Server, which GHE_HOST selects).
 */

export type FaultOptions = {
  /** Share of requests answered 502/503/504. */
  error5xx?: number;
  /** Share of requests whose connection is dropped without an answer. */
  drop?: number;
  /** Share of requests delayed by `slowMs` more. */
  slow?: number;
  slowMs?: number;
  seed?: number;
};

export type SimulatorOptions = {
  latencyMs?: number;
  faults?: FaultOptions;
  secondary?: { maxConcurrent?: number; retryAfterSec?: number; contentPerMinute?: number; contentPerHour?: number };
  primary?: { restPerHour?: number; graphqlPointsPerHour?: number };
  now?: Date;
  /** Called with every request as it finishes (method, path, status, ms): a trace for debugging. */
  trace?: (entry: { method: string; path: string; status: number; ms: number }) => void;
  /**
   * Called once a REST request's route has changed the model, before its answer is sent: a test can
   * hold the answer (a replica killed while waiting for it) or replace it (GitHub answering 502
   * after it created what was asked).
   */
  afterHandled?: (request: { method: string; path: string; status: number }) => Promise<RestAnswer | void> | RestAnswer | void;
  /** Fixed answers for routes the simulator does not model, for a test of one odd case. */
  overrides?: (method: string, path: string) => RestAnswer | null;
  /** The GitHub App's OAuth client: enables the user authorisation flow and the user routes (oauth.ts). */
  oauth?: OAuthOptions;
};

export type SimulatorStats = {
  requests: number;
  rest: number;
  graphql: number;
  graphqlCost: number;
  notModified: number;
  byRoute: Record<string, number>;
  unknownRoutes: Record<string, number>;
  /** GraphQL fields asked for that the model does not hold (answered null or empty). */
  unmodelledFields: Record<string, number>;
  faults: { error5xx: number; drop: number; slow: number };
  secondary: { concurrency: number; content: number; episode: number };
  primaryExhausted: number;
  peakInFlight: number;
};

type Bucket = { restUsed: number; graphqlUsed: number; resetAt: Date; inFlight: number; created: number[] };

export { seeded };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const SECONDARY_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";

export class Simulator {
  readonly model: Model;
  readonly stats: SimulatorStats = emptyStats();
  readonly oauth: SimulatedOAuth;
  private server: Server | undefined;
  private readonly buckets = new Map<string, Bucket>();
  private random: () => number;
  private episode = { remaining: 0, retryAfterSec: 1, status: 403 as 403 | 429 };
  private inFlight = 0;
  url = "";

  constructor(
    scenario: Scenario,
    private options: SimulatorOptions = {},
  ) {
    this.model = buildModel(scenario, options.now);
    this.oauth = new SimulatedOAuth(this.model, options.oauth);
    this.random = seeded(options.faults?.seed ?? 1);
  }

  /** Changes latency or faults of a running simulator (a test's phases). */
  configure(options: Partial<SimulatorOptions>): void {
    this.options = { ...this.options, ...options };
    if (options.faults) this.random = seeded(options.faults.seed ?? 1);
  }

  /** The next `requests` requests get a secondary rate limit with this retry-after. */
  secondaryEpisode(requests: number, retryAfterSec = 1, status: 403 | 429 = 403): void {
    this.episode = { remaining: requests, retryAfterSec, status };
  }

  resetStats(): void {
    Object.assign(this.stats, emptyStats());
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private bucket(req: IncomingMessage): Bucket {
    const auth = String(req.headers.authorization ?? "anonymous");
    // GitHub counts an installation's requests and creations whatever token of it they carry: the
    // tokens of several replicas (or a renewed one) spend one budget.
    const installation = /^(?:token|bearer)\s+ghs_sim_(\d+)_/i.exec(auth)?.[1];
    const key = /^bearer\s+ey/i.test(auth) ? "app-jwt" : installation ? `installation:${installation}` : auth;
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt.getTime() <= Date.now()) {
      bucket = { restUsed: 0, graphqlUsed: 0, resetAt: new Date(Date.now() + 3_600_000), inFlight: bucket?.inFlight ?? 0, created: bucket?.created ?? [] };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bucket = this.bucket(req);
    const started = performance.now();
    if (this.options.trace) res.once("finish", () => this.options.trace?.({ method: req.method ?? "", path: req.url ?? "", status: res.statusCode, ms: Math.round(performance.now() - started) }));
    this.inFlight += 1;
    bucket.inFlight += 1;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.inFlight);
    try {
      await this.respond(req, res, bucket);
    } catch (error) {
      if (!res.headersSent) send(res, 500, { message: `simulator error: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      this.inFlight -= 1;
      bucket.inFlight -= 1;
    }
  }

  private async respond(req: IncomingMessage, res: ServerResponse, bucket: Bucket): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://simulator");
    const path = url.pathname.replace(/^\/api\/v3(?=\/)/, "").replace(/^\/api\/graphql$/, "/graphql");
    const method = req.method ?? "GET";
    this.stats.requests += 1;
    const faults = this.options.faults ?? {};
    let delay = this.options.latencyMs ?? 0;
    if (faults.slow && this.random() < faults.slow) {
      this.stats.faults.slow += 1;
      delay += faults.slowMs ?? 2_000;
    }
    if (delay > 0) await sleep(delay);
    if (faults.drop && this.random() < faults.drop) {
      this.stats.faults.drop += 1;
      req.socket.destroy();
      return;
    }
    if (faults.error5xx && this.random() < faults.error5xx) {
      this.stats.faults.error5xx += 1;
      const status = [502, 503, 504][Math.floor(this.random() * 3)]!;
      return send(res, status, { message: "Server Error" });
    }
    const secondary = this.secondaryLimit(method, path, bucket);
    if (secondary) return send(res, secondary.status, { message: SECONDARY_MESSAGE, documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits" }, { "retry-after": String(secondary.retryAfterSec) });

    if (path === "/graphql" && method === "POST") return this.graphql(res, body, bucket);
    return this.rest(req, res, method, path, url, body, bucket);
  }

  private secondaryLimit(method: string, path: string, bucket: Bucket): { status: number; retryAfterSec: number } | null {
    if (this.episode.remaining > 0) {
      this.episode.remaining -= 1;
      this.stats.secondary.episode += 1;
      return { status: this.episode.status, retryAfterSec: this.episode.retryAfterSec };
    }
    const limits = this.options.secondary ?? {};
    if (bucket.inFlight > (limits.maxConcurrent ?? 100)) {
      this.stats.secondary.concurrency += 1;
      return { status: 403, retryAfterSec: limits.retryAfterSec ?? 60 };
    }
    if (method === "POST" && /\/(check-runs|issues|comments)$/.test(path)) {
      const now = Date.now();
      bucket.created = bucket.created.filter((t) => t > now - 3_600_000);
      const lastMinute = bucket.created.filter((t) => t > now - 60_000);
      if (lastMinute.length >= (limits.contentPerMinute ?? 80) || bucket.created.length >= (limits.contentPerHour ?? 500)) {
        this.stats.secondary.content += 1;
        const oldest = lastMinute.length >= (limits.contentPerMinute ?? 80) ? lastMinute[0]! + 60_000 : bucket.created[0]! + 3_600_000;
        return { status: 403, retryAfterSec: Math.max(1, Math.ceil((oldest - now) / 1000)) };
      }
      bucket.created.push(now);
    }
    return null;
  }

  private rateHeaders(bucket: Bucket, resource: "core" | "graphql"): Record<string, string> {
    const limit = resource === "core" ? (this.options.primary?.restPerHour ?? 5_000) : (this.options.primary?.graphqlPointsPerHour ?? 5_000);
    const used = resource === "core" ? bucket.restUsed : bucket.graphqlUsed;
    return {
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(Math.max(0, limit - used)),
      "x-ratelimit-used": String(used),
      "x-ratelimit-reset": String(Math.floor(bucket.resetAt.getTime() / 1000)),
      "x-ratelimit-resource": resource,
    };
  }

  private graphql(res: ServerResponse, body: unknown, bucket: Bucket): void {
    const limit = this.options.primary?.graphqlPointsPerHour ?? 5_000;
    const outcome = runGraphql(this.model, body, (cost): GraphqlBudget | null => {
      if (bucket.graphqlUsed + cost > limit) return null;
      bucket.graphqlUsed += cost;
      return { cost, limit, remaining: limit - bucket.graphqlUsed, used: bucket.graphqlUsed, resetAt: bucket.resetAt };
    }, this.stats.unmodelledFields);
    this.stats.graphql += 1;
    this.stats.graphqlCost += outcome.cost;
    this.stats.byRoute["POST /graphql"] = (this.stats.byRoute["POST /graphql"] ?? 0) + 1;
    send(res, outcome.status, outcome.body, this.rateHeaders(bucket, "graphql"));
  }

  private async rest(req: IncomingMessage, res: ServerResponse, method: string, path: string, url: URL, body: unknown, bucket: Bucket): Promise<void> {
    const override = this.options.overrides?.(method, path) ?? this.oauth.answer(method, path, url.searchParams, body, req.headers);
    const matched = matchRoute(method, path);
    const key = matched ? `${method} ${matched.route.template}` : `${method} ${path}`;
    this.stats.byRoute[key] = (this.stats.byRoute[key] ?? 0) + 1;
    const isAppAuth = path.startsWith("/app");
    if (!isAppAuth) {
      const limit = this.options.primary?.restPerHour ?? 5_000;
      if (bucket.restUsed >= limit) {
        this.stats.primaryExhausted += 1;
        return send(res, 403, { message: "API rate limit exceeded for installation." }, this.rateHeaders(bucket, "core"));
      }
    }
    let answer: RestAnswer;
    if (override) answer = override;
    else if (!matched) {
      this.stats.unknownRoutes[key] = (this.stats.unknownRoutes[key] ?? 0) + 1;
      answer = { status: 404, body: { message: "Not Found (the simulator does not model this route)" } };
    } else {
      answer = matched.route.handler(this.model, { method, params: matched.params, query: url.searchParams, body, headers: req.headers, origin: `http://${req.headers.host}`, path: url.pathname });
    }
    if (this.options.afterHandled) answer = (await this.options.afterHandled({ method, path, status: answer.status })) ?? answer;
    const payload = answer.raw ?? (answer.body === undefined ? "" : JSON.stringify(answer.body));
    const etag = `W/"${createHash("sha1").update(payload).digest("hex")}"`;
    if (method === "GET" && answer.status === 200 && req.headers["if-none-match"] === etag) {
      // GitHub does not charge a conditional request answered 304.
      this.stats.notModified += 1;
      res.writeHead(304, { etag, ...this.rateHeaders(bucket, "core") }).end();
      return;
    }
    if (!isAppAuth) bucket.restUsed += 1;
    this.stats.rest += 1;
    const headers = { ...this.rateHeaders(bucket, "core"), ...(method === "GET" ? { etag } : {}), ...answer.headers };
    if (answer.raw !== undefined) {
      res.writeHead(answer.status, { "content-type": "application/vnd.github.raw; charset=utf-8", ...headers }).end(answer.raw);
      return;
    }
    send(res, answer.status, answer.body, headers);
  }
}

function emptyStats(): SimulatorStats {
  return { requests: 0, rest: 0, graphql: 0, graphqlCost: 0, notModified: 0, byRoute: {}, unknownRoutes: {}, unmodelledFields: {}, faults: { error5xx: 0, drop: 0, slow: 0 }, secondary: { concurrency: 0, content: 0, episode: 0 }, primaryExhausted: 0, peakInFlight: 0 };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Starts a simulator for `scenario` on a random loopback port. */
export async function startSimulator(scenario: Scenario, options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = new Simulator(scenario, options);
  await simulator.start();
  return simulator;
}
