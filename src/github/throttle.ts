import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";

/*
 * Rate-limit behaviour shared by the app and the CLI. Octokit's throttling plugin queues every
 * POST /graphql with the writes, one a second for the whole process: read-only batched queries
 * would then cap an assessment run at one repository a second whatever its concurrency. Here that
 * queue allows five a second, two at a time: GraphQL reads stay far below GitHub's secondary limit
 * (2,000 points a minute, one point a query), and content-creating writes are held to GitHub's
 * limits by the issue publisher's own per-installation budget.
 */

const MAX_RATE_LIMIT_RETRIES = 2;
export const GRAPHQL_AND_WRITE_SPACING_MS = 200;

const writeQueue = new Bottleneck.Group({ id: "claimcheck-write", maxConcurrent: 2, minTime: GRAPHQL_AND_WRITE_SPACING_MS });

export const throttleOptions = {
  enabled: true,
  write: writeQueue,
  // Honour GitHub's Retry-After, but give up rather than wait out a long primary-limit reset.
  onRateLimit: (retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) => retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= 120,
  onSecondaryRateLimit: (retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) => retryCount <= MAX_RATE_LIMIT_RETRIES && retryAfter <= 300,
};

/** Probot's Octokit (throttling, retries, config) with the throttling above. */
export const ThrottledOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({ ...options, throttle: throttleOptions }));
