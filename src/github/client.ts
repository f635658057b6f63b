import type { AnswerCache } from "./conditional-cache.js";
import { describeNetworkFailure } from "./network-failure.js";
import type { z } from "zod";

/*
 * The one door collectors use to read GitHub. It counts every request (an assessment stores its
 * cost), validates every response against a zod schema (a field GitHub did not send is an error
 * we report, not an `undefined` we judge), and turns HTTP failures into typed errors that a
 * collector can explain to a person.
 */

/** `notModified`: REST requests GitHub answered 304 from a stored ETag (not charged to the rate limit). */
export type RequestCounts = { rest: number; graphql: number; graphqlCost: number; notModified?: number };

/** The part of an Octokit instance the client needs; ProbotOctokit and @octokit/rest both fit. */
export type OctokitLike = {
  request: (route: string, params?: Record<string, unknown>) => Promise<{ status: number; data: unknown; headers: Record<string, unknown> }>;
  graphql: (query: string, variables?: Record<string, unknown>) => Promise<unknown>;
};

export class GitHubReadError extends Error {
  constructor(
    readonly route: string,
    readonly status: number | null,
    message: string,
  ) {
    super(message);
    this.name = "GitHubReadError";
  }
}

/**
 * GitHub refused for want of rate-limit budget: primary (403/429 with `x-ratelimit-remaining: 0`,
 * or a GraphQL `RATE_LIMITED` error) or secondary. Not a fact about the repository: asking again
 * before the reset fails the same way, so callers wait or stop rather than split or retry.
 */
export class RateLimitedError extends GitHubReadError {
  constructor(
    route: string,
    status: number | null,
    message: string,
    /** When the budget comes back, if GitHub said. */
    readonly resetAt: Date | null,
  ) {
    super(route, status, message);
    this.name = "RateLimitedError";
  }
}

/** Whether a failed request was refused for rate limits (GitHub's documented signals). */
export function rateLimitOf(error: unknown): { resetAt: Date | null } | null {
  if (typeof error !== "object" || error === null) return null;
  const e = error as { status?: unknown; errors?: unknown; message?: unknown; response?: { headers?: Record<string, unknown> } };
  const headers = e.response?.headers ?? {};
  const reset = Number(headers["x-ratelimit-reset"]);
  const retryAfter = Number(headers["retry-after"]);
  const resetAt = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : Number.isFinite(retryAfter) && retryAfter > 0 ? new Date(Date.now() + retryAfter * 1000) : null;
  const typed = (errors: unknown) => Array.isArray(errors) && errors.some((x: { type?: unknown }) => x?.type === "RATE_LIMITED");
  const message = typeof e.message === "string" ? e.message : "";
  // Octokit's throttling plugin turns a RATE_LIMITED answer into "GraphQL Rate Limit Exceeded", keeping the body in `data`.
  const graphqlLimited = typed(e.errors) || typed((error as { data?: { errors?: unknown } }).data?.errors) || /graphql rate limit exceeded/i.test(message);
  const httpLimited = e.status === 429 || (e.status === 403 && (String(headers["x-ratelimit-remaining"]) === "0" || headers["retry-after"] !== undefined || /rate limit/i.test(message)));
  return graphqlLimited || httpLimited ? { resetAt } : null;
}

export class ResponseShapeError extends Error {
  constructor(
    readonly route: string,
    detail: string,
  ) {
    super(`GitHub's answer to ${route} did not have the expected shape: ${detail}`);
    this.name = "ResponseShapeError";
  }
}

/** The HTTP status GitHub answered with, from Octokit's errors and this module's alike; null when there was none (a network failure). */
export function statusOf(error: unknown): number | null {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    if (typeof status === "number") return status;
  }
  return null;
}

/** A failure in words: the network failure it was, or GitHub's status and message. */
function failureOf(error: unknown): { status: number | null; message: string } {
  const network = describeNetworkFailure(error);
  if (network) return { status: null, message: network };
  const status = statusOf(error);
  return { status, message: status === null ? messageOf(error) : `HTTP ${status}: ${messageOf(error)}` };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] ?? error.name;
  return String(error);
}

export type RestOptions = {
  /** HTTP statuses that are answers, not failures (404 for "branch not protected"). */
  expect?: readonly number[];
};

export type RestResult<T> = { status: number; data: T | null };

export class GitHubClient {
  readonly counts: RequestCounts = { rest: 0, graphql: 0, graphqlCost: 0 };
  /** The primary rate limit left after the last answer, when GitHub said. */
  rateLimitRemaining: number | null = null;

  /** The Octokit this client reads through: one per installation (and per run), so it can key what a run shares. */
  get source(): object {
    return this.octokit;
  }

  constructor(
    private readonly octokit: OctokitLike,
    /** Conditional requests for REST reads, scoped to one installation. */
    private readonly conditional?: { cache: AnswerCache; scope: string },
  ) {}

  /** A REST read validated by `schema`; statuses in `expect` come back with `data: null`. */
  async rest<S extends z.ZodType>(route: string, params: Record<string, unknown>, schema: S, options: RestOptions = {}): Promise<RestResult<z.infer<S>>> {
    const { status, data } = await this.send(route, params, schema, options);
    return { status, data };
  }

  /** A REST read that also returns the response headers (pagination links). */
  async restWithHeaders<S extends z.ZodType>(route: string, params: Record<string, unknown>, schema: S): Promise<{ data: z.infer<S>; headers: Record<string, unknown> }> {
    const { data, headers } = await this.send(route, params, schema, {});
    return { data: data as z.infer<S>, headers };
  }

  private async send<S extends z.ZodType>(route: string, params: Record<string, unknown>, schema: S, options: RestOptions): Promise<{ status: number; data: z.infer<S> | null; headers: Record<string, unknown> }> {
    this.counts.rest += 1;
    const cached = await this.conditional?.cache.get(this.conditional.scope, route, params);
    let response: { status: number; data: unknown; headers: Record<string, unknown> };
    try {
      const sent = cached ? { ...params, headers: { "if-none-match": cached.etag } } : params;
      response = await this.octokit.request(route, sent);
      const etag = response.headers.etag;
      if (this.conditional && typeof etag === "string") await this.conditional.cache.set(this.conditional.scope, route, params, { etag, status: response.status, data: response.data, headers: response.headers });
    } catch (error) {
      const status = statusOf(error);
      if (status === 304 && cached) {
        this.counts.notModified = (this.counts.notModified ?? 0) + 1;
        response = { status: cached.status, data: cached.data, headers: cached.headers };
      } else {
        const failure = failureOf(error);
        if (failure.status !== null && options.expect?.includes(failure.status)) return { status: failure.status, data: null, headers: {} };
        const limited = rateLimitOf(error);
        if (limited) throw new RateLimitedError(route, failure.status, `rate limit exceeded: ${messageOf(error)}`, limited.resetAt);
        throw new GitHubReadError(route, failure.status, failure.message);
      }
    }
    const remaining = Number(response.headers["x-ratelimit-remaining"]);
    if (Number.isFinite(remaining)) this.rateLimitRemaining = remaining;
    const parsed = schema.safeParse(response.data);
    if (!parsed.success) throw new ResponseShapeError(route, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    return { status: response.status, data: parsed.data, headers: response.headers };
  }

  /** A GraphQL read; its document should ask for `rateLimit { cost }` so the cost can be counted. */
  async graphql<S extends z.ZodType>(name: string, query: string, variables: Record<string, unknown>, schema: S): Promise<z.infer<S>> {
    return (await this.graphqlPartial(name, query, variables, schema)).data;
  }

  /**
   * A GraphQL read that keeps partial answers: GitHub answers fields the app may not read (an
   * ungranted permission, a plan without the feature) with errors beside the rest of the data.
   * Those errors come back by field path so only the evidence they hide becomes unknown.
   */
  async graphqlPartial<S extends z.ZodType>(name: string, query: string, variables: Record<string, unknown>, schema: S): Promise<{ data: z.infer<S>; errors: GraphqlFieldError[] }> {
    this.counts.graphql += 1;
    let data: unknown;
    let errors: GraphqlFieldError[] = [];
    try {
      data = await this.octokit.graphql(query, variables);
    } catch (error) {
      const partial = partialResponse(error);
      if (!partial) {
        const failure = failureOf(error);
        const limited = rateLimitOf(error);
        if (limited) throw new RateLimitedError(`graphql ${name}`, failure.status, `rate limit exceeded: ${messageOf(error)}`, limited.resetAt);
        throw new GitHubReadError(`graphql ${name}`, failure.status, failure.message);
      }
      ({ data, errors } = partial);
    }
    const rateLimit = (data as { rateLimit?: { cost?: unknown; remaining?: unknown } } | null)?.rateLimit;
    if (typeof rateLimit?.cost === "number") this.counts.graphqlCost += rateLimit.cost;
    if (typeof rateLimit?.remaining === "number") this.rateLimitRemaining = rateLimit.remaining;
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new ResponseShapeError(`graphql ${name}`, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    return { data: parsed.data, errors };
  }
}

export type GraphqlFieldError = { path: (string | number)[]; message: string; type?: string };

/** The data and per-field errors of a GraphQL answer that had both; null for a failed request. */
function partialResponse(error: unknown): { data: unknown; errors: GraphqlFieldError[] } | null {
  if (!(error instanceof Error) || error.name !== "GraphqlResponseError") return null;
  const { data, errors } = error as Error & { data?: unknown; errors?: unknown };
  if (data === null || data === undefined || !Array.isArray(errors)) return null;
  return {
    data,
    errors: errors.map((e: { path?: unknown; message?: unknown; type?: unknown }) => ({
      path: Array.isArray(e.path) ? e.path.filter((p): p is string | number => typeof p === "string" || typeof p === "number") : [],
      message: typeof e.message === "string" ? e.message : "GraphQL error",
      ...(typeof e.type === "string" ? { type: e.type } : {}),
    })),
  };
}

/** The error GitHub gave for a field (by alias under `repository`), if any. */
export function fieldError(errors: readonly GraphqlFieldError[], ...path: (string | number)[]): string | undefined {
  const hit = errors.find((e) => path.every((p, i) => e.path[i] === p));
  return hit ? `GitHub did not answer ${path.join(".")}: ${hit.message}` : undefined;
}

/** A reason a person can act on, for a finding that could not be read. */
export function explainReadFailure(error: unknown, permissionHint?: string): string {
  if (error instanceof GitHubReadError) {
    if ((error.status === 403 || error.status === 404) && permissionHint) {
      return `${error.message} (${error.route}); the app may lack ${permissionHint}, or the plan may not offer it`;
    }
    return `${error.message} (${error.route})`;
  }
  if (error instanceof ResponseShapeError) return error.message;
  return `unexpected error: ${messageOf(error)}`;
}
