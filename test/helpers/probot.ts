import { generateKeyPairSync } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import type { SharedLimits } from "../../src/app/shared-limits.js";
import { createClaimcheckApp } from "../../src/app/index.js";
import { Store } from "../../src/store/store.js";

// Throttling and retries off (function form: the object form leaves throttling on).
export const TestOctokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } }));

let privateKey: string | undefined;
function key(): string {
  privateKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return privateKey;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

export type TestApp = {
  probot: Probot;
  store: Store;
  handlers: Handler[];
  /** Delivers a webhook as GitHub would and waits until its queued work has finished. */
  deliver(name: string, payload: Record<string, unknown>, id?: string): Promise<void>;
  idle(): Promise<void>;
};

let deliveries = 0;

/** `sleep`: the waits of the queue's retries and the backfill's pauses (a test of what is left after the retries gives one that does not wait). */
export async function testApp(options: { now?: () => Date; store?: Store; limits?: SharedLimits; sleep?: (ms: number) => Promise<void> } = {}): Promise<TestApp> {
  const store = options.store ?? await Store.open(":memory:");
  const probot = new Probot({ appId: 1, privateKey: key(), Octokit: TestOctokit, log: pino({ level: "silent" }) });
  const { app, jobs } = createClaimcheckApp({ store, concurrency: 2, maintenanceIntervalMs: null, redeliveryIntervalMs: null, ...(options.now ? { now: options.now } : {}), ...(options.limits ? { limits: options.limits } : {}), ...(options.sleep ? { sleep: options.sleep } : {}) });
  const handlers: Handler[] = [];
  await probot.load(app, { cwd: process.cwd(), addHandler: (h) => handlers.push(h) });
  const idle = async () => jobs()?.idle();
  return {
    probot,
    store,
    handlers,
    idle,
    async deliver(name, payload, id = `delivery-${++deliveries}`) {
      await probot.receive({ id, name, payload } as Parameters<Probot["receive"]>[0]);
      await idle();
    },
  };
}
