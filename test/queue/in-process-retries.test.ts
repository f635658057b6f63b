import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { InProcessQueue } from "../../src/queue/in-process.js";
import { Store } from "../../src/store/store.js";

/*
 * A repository job's retry waits (10 s to minutes) outside its repository's key, its lane's slot
 * and its installation's cap: only its attempts hold them. The waits here are the test's: each
 * ends when the test says so.
 */

const silent = pino({ level: "silent" });
const RETRY = { limit: 1, delaySeconds: 10 };
const noData = z.object({});

/** A queue whose waits between attempts last until `endWaits()`; `waiting()`: how many are under way. */
function withHeldWaits(store: Store, concurrency: number, installationCap?: number) {
  const ends: (() => void)[] = [];
  const queue = new InProcessQueue(store, silent, concurrency, {
    ...(installationCap === undefined ? {} : { installationCap }),
    sleep: () => new Promise<void>((resolve) => ends.push(resolve)),
  });
  return { queue, waiting: () => ends.length, endWaits: () => ends.splice(0).forEach((end) => end()) };
}

describe("in-process queue, a repository job's retry", () => {
  let store: Store;
  beforeEach(async () => (store = await Store.open(":memory:")));
  afterEach(async () => await store.close());

  it("waits outside its slot: the lane's and installation's other work, and its own repository's, run meanwhile; the retry runs after, as attempt 2", async () => {
    // One slot per lane and per installation: a wait that held it would hold everything.
    const { queue, waiting, endWaits } = withHeldWaits(store, 1, 1);
    const ran: string[] = [];
    queue.define("fails", { schema: noData, retry: RETRY, run: async (_d, info) => {
        ran.push(`fails attempt ${info.attempt}`);
        throw new Error("GitHub 502");
      },
    });
    queue.define("ok", { schema: noData, retry: RETRY, run: async (_d, info) => void ran.push(`ok ${info.target?.repository}`) });
    await queue.start();
    await queue.enqueueRepository("fails", { installationId: 1, repository: "acme/a", lane: "webhook" }, {});
    await vi.waitFor(() => expect(waiting()).toBe(1));
    await queue.enqueueRepository("ok", { installationId: 1, repository: "acme/b", lane: "webhook" }, {});
    await queue.enqueueRepository("ok", { installationId: 1, repository: "acme/a", lane: "webhook" }, {});
    await vi.waitFor(() => expect(ran).toEqual(["fails attempt 1", "ok acme/b", "ok acme/a"]));
    endWaits();
    await queue.idle();
    expect(ran).toEqual(["fails attempt 1", "ok acme/b", "ok acme/a", "fails attempt 2"]);
  });

  it("ends with its failure, without another attempt, when the queue stops during its wait", async () => {
    const { queue, waiting } = withHeldWaits(store, 2);
    const attempts: number[] = [];
    queue.define("fails", { schema: noData, retry: RETRY, run: async (_d, info) => {
        attempts.push(info.attempt);
        throw new Error("GitHub 502");
      },
    });
    await queue.start();
    await queue.enqueueRepository("fails", { installationId: 1, repository: "acme/a" }, {});
    await vi.waitFor(() => expect(waiting()).toBe(1));
    // The wait is never ended: stopping must not wait it out.
    await queue.stop();
    expect(attempts).toEqual([1]);
  }, 5_000);
});
