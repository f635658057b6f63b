import { describe, expect, it } from "vitest";
import { WriteBudget } from "../../src/publish/issue-budget.js";

describe("WriteBudget", () => {
  it("waits for the minute window and refuses once the hour is spent", async () => {
    let clock = 0;
    const waits: number[] = [];
    const budget = new WriteBudget({ perMinute: 2, perHour: 3 }, () => clock, async (ms) => {
      waits.push(ms);
      clock += ms;
    });
    expect(await budget.take()).toBe(true);
    expect(await budget.take()).toBe(true);
    expect(await budget.take()).toBe(true);
    expect(waits).toEqual([60_000]);
    expect(await budget.take()).toBe(false);
    clock += 3_600_000;
    expect(await budget.take()).toBe(true);
  });

  it("counts check runs written elsewhere against the same budget", async () => {
    const budget = new WriteBudget({ perMinute: 80, perHour: 1 }, () => 0, async () => undefined);
    await budget.note();
    expect(await budget.take()).toBe(false);
  });
});
