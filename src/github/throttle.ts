import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";

/*
 * Rate-limit behaviour shared by the app and the CLI. Octokit's throttling plugin queues every
 * POST /graphql with the writes, one a second for the whole process: read-only batched queries
 * would then cap an assessment run at one repository a second whatever its concurrency.
 *
 * Here that queue starts one request every 70 ms (about 14 a second). An assessment makes one
 * GraphQL query and one call to each of its REST endpoints, so at that pace GraphQL stays near
 * 860 points a minute (GitHub's secondary limit: 2,000) and each REST endpoint below 900 calls a
 * minute (GitHub's per-endpoint secondary limit). Content-creating writes are held to GitHub's
 * 80 a minute and 500 an hour by the issue publisher's own per-installation budget.
 */

const MAX_RATE_LIMIT_RETRIES = 2;
const LONGEST_PRIMARY_WAIT_SECONDS = 120;
const LONGEST_SECONDARY_WAIT_SECONDS = 300;
/** The longest one request can be held by the waits below: every secondary-limit retry at its longest. */
export const LONGEST_REQUEST_WAIT_SECONDS = (MAX_RATE_LIMIT_RETRIES + 1) * Math.max(LONGEST_PRIMARY_WAIT_SECONDS, LONGEST_SECONDARY_WAIT_SECONDS);
export const GRAPHQL_AND_WRITE_SPACING_MS = 70;

const WRITE_QUEUE = { id: "claimcheck-write", maxConcurrent: 4, minTime: GRAPHQL_AND_WRITE_SPACING_MS };
/** How long Redis keeps an idle queue's state: the throttling plugin's own two minutes. */
const CLUSTER_TIMEOUT_MS = 2 * 60 * 1000;

const writeQueue = new Bottleneck.Group(WRITE_QUEUE);

export const throttleOptions = {
  enabled: true,
  write: writeQueue,
  // Honour GitHub's Retry-After, but give up rather than wait out a long primary-limit reset.
  onRateLimit: (retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) => retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= LONGEST_PRIMARY_WAIT_SECONDS,
  onSecondaryRateLimit: (retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) => retryCount <= MAX_RATE_LIMIT_RETRIES && retryAfter <= LONGEST_SECONDARY_WAIT_SECONDS,
};

/*
 * With REDIS_URL set, Probot hands every Octokit it makes a Redis connection (and the full
 * Bottleneck) in its throttle options, and the throttling plugin then keeps its queues in Redis,
 * shared by every replica. The options above must not drop that connection, and the write queue
 * that replaces the plugin's own must be kept in Redis too: one queue per connection.
 */
type Connection = InstanceType<typeof Bottleneck.IORedisConnection>;
const clusteredWriteQueues = new WeakMap<Connection, Bottleneck.Group>();

function writeQueueOn(connection: Connection | undefined): Bottleneck.Group {
  if (!connection) return writeQueue;
  let queue = clusteredWriteQueues.get(connection);
  if (!queue) {
    queue = new Bottleneck.Group({ ...WRITE_QUEUE, connection, timeout: CLUSTER_TIMEOUT_MS });
    clusteredWriteQueues.set(connection, queue);
  }
  return queue;
}

/** The throttle options for an Octokit Probot configured with `given` (its Redis connection, when it has one). */
export function throttleWith(given: unknown): Record<string, unknown> {
  const probot = given !== null && typeof given === "object" ? (given as { connection?: Connection }) : {};
  return { ...probot, ...throttleOptions, write: writeQueueOn(probot.connection) };
}

/** Probot's Octokit (throttling, retries, config) with the throttling above. */
export const ThrottledOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({ ...options, throttle: throttleWith(options.throttle) }));
