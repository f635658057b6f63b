import { generateKeyPairSync } from "node:crypto";
import { Redis } from "ioredis";
import nock from "nock";
import { pino } from "pino";
import { Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRAPHQL_AND_WRITE_SPACING_MS, ThrottledOctokit } from "../../src/github/throttle.js";

/*
 * REDIS_URL: Probot gives each Octokit a Redis connection, and the throttling plugin keeps its
 * queues there for every replica. claimcheck's own throttle options (and its write queue) must
 * keep that connection rather than fall back to one queue per process. Runs against the Redis
 * TEST_REDIS_URL names; skipped, saying so, without one.
 */

const API = "https://api.github.com";

async function probe(): Promise<{ url: string } | { skipped: string }> {
  const url = process.env.TEST_REDIS_URL;
  if (!url) return { skipped: "TEST_REDIS_URL is not set" };
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000 });
  try {
    await client.connect();
    await client.ping();
    return { url };
  } catch (error) {
    return { skipped: `TEST_REDIS_URL does not answer (${error instanceof Error ? error.message : String(error)})` };
  } finally {
    client.disconnect();
  }
}

const redis = await probe();
function skipRedis(): boolean {
  if ("url" in redis) return false;
  // eslint-disable-next-line no-console
  console.warn(`Redis suites skipped (throttling clustered over REDIS_URL): ${redis.skipped}`);
  return true;
}

describe.skipIf(skipRedis())("throttling clustered over Redis (REDIS_URL)", () => {
  let client: Redis;
  beforeAll(async () => {
    client = new Redis((redis as { url: string }).url);
    // A queue left by an earlier run (kept two minutes) must not pass for this one's.
    const left = await client.keys("b_claimcheck-write-*");
    if (left.length > 0) await client.del(...left);
  });
  afterAll(() => {
    client?.disconnect();
  });

  it("keeps claimcheck's write queue, with its own pace, in the Redis Probot connects to", async () => {
    const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const probot = new Probot({ appId: 1, privateKey, redisConfig: (redis as { url: string }).url, Octokit: ThrottledOctokit, log: pino({ level: "silent" }) });
    const octokit = await probot.auth();
    nock(API).post("/app/hook/deliveries/1/attempts").reply(202, {});
    await octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: 1 });
    expect(nock.pendingMocks()).toEqual([]);

    // Bottleneck keeps a clustered limiter's settings in a hash named after the queue.
    const settings = await client.hgetall("b_claimcheck-write-no-id_settings");
    expect(settings).toMatchObject({ maxConcurrent: "4", minTime: String(GRAPHQL_AND_WRITE_SPACING_MS) });
  });
});
