import { describe, expect, it } from "vitest";
import { forEachSlice, mapYielding } from "../../src/core/event-loop.js";
import { turnsDuring } from "../helpers/turns.js";

/*
 * Work over a whole organisation hands the thread back between slices: other callbacks (a webhook
 * being acknowledged, a timer) run in between. Counted by turns, never by timing.
 */

describe("forEachSlice", () => {
  it("visits every item once, in order, in slices of the given size", async () => {
    const seen: number[][] = [];
    await forEachSlice([1, 2, 3, 4, 5, 6, 7], 3, (slice, start) => void seen.push([start, ...slice]));
    expect(seen).toEqual([
      [0, 1, 2, 3],
      [3, 4, 5, 6],
      [6, 7],
    ]);
  });

  it("lets other callbacks run between slices, not within one", async () => {
    const log: string[] = [];
    let ticker = true;
    const tick = () => {
      if (!ticker) return;
      log.push("other");
      setImmediate(tick);
    };
    setImmediate(tick);
    await forEachSlice(Array.from({ length: 10 }, (_, i) => i), 5, (slice) => void log.push(`slice ${slice[0]}-${slice.at(-1)}`));
    ticker = false;
    const first = log.indexOf("slice 0-4");
    const second = log.indexOf("slice 5-9");
    expect(first).toBeGreaterThanOrEqual(0);
    expect(log.slice(first + 1, second)).toContain("other");
  });

  it("does nothing for no items", async () => {
    let calls = 0;
    await forEachSlice([], 10, () => void (calls += 1));
    expect(calls).toBe(0);
  });
});

describe("mapYielding", () => {
  it("maps every item and gives the event loop a turn every `every` items", async () => {
    let out: number[] = [];
    const { turns } = await turnsDuring(async () => (out = await mapYielding(Array.from({ length: 100 }, (_, i) => i), (n) => n * 2, 10)));
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
    expect(turns).toBeGreaterThanOrEqual(9);
  });
});
