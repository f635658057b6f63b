import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InProcessQueue } from "../../src/queue/in-process.js";
import { Store } from "../../src/store/store.js";

const silent = pino({ level: "silent" });

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe("job lanes", () => {
  let store: Store;
  beforeEach(async () => (store = await Store.open(":memory:")));
  afterEach(async () => await store.close());

  it("serves a check run at once while a backfill's batch holds every background slot and more wait", async () => {
    const jobs = new InProcessQueue(store, silent, 2);
    const release = gate();
    const order: string[] = [];
    const background = Array.from({ length: jobs.backgroundBatch * 3 }, (_, i) =>
      jobs.forKey(
        `acme/repo-${i}`,
        async () => {
          order.push(`background ${i}`);
          await release.opened;
        },
        "background",
      ),
    );
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["background 0", "background 1"]);
    expect(jobs.waiting("background")).toBe(jobs.backgroundBatch * 3 - 2);

    // The pull request's work starts while every background slot is taken and the rest queue.
    const checkRun = await jobs.forKey("acme/api", async () => {
      order.push("webhook");
      return "check run";
    });
    expect(checkRun).toBe("check run");
    expect(order).toEqual(["background 0", "background 1", "webhook"]);

    release.open();
    await Promise.all(background);
    expect(order.filter((o) => o.startsWith("background"))).toHaveLength(jobs.backgroundBatch * 3);
  });

  it("keeps one repository's jobs in order across the lanes", async () => {
    const jobs = new InProcessQueue(store, silent, 1);
    const release = gate();
    const order: string[] = [];
    const first = jobs.forKey("acme/api", async () => {
      order.push("background start");
      await release.opened;
      order.push("background end");
    }, "background");
    const second = jobs.forKey("acme/api", async () => {
      order.push("webhook");
    });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["background start"]);
    release.open();
    await Promise.all([first, second]);
    expect(order).toEqual(["background start", "background end", "webhook"]);
  });

  it("caps background batches at a small multiple of the concurrency", async () => {
    expect(new InProcessQueue(store, silent, 4).backgroundBatch).toBe(8);
  });
});
