import { describe, expect, it } from "vitest";
import { compareP95, UNCHANGED_MARGIN } from "./bench-compare.js";

/** Latencies with a spread like a busy machine's: mostly near `base`, a tail up to twice it. */
const latencies = (n: number, base: number, seed: number) => Array.from({ length: n }, (_, i) => base * (1 + ((i * 7919 + seed * 104729) % 1000) / 1000) ** 4 / 4);
const cpu = (n: number, base: number) => Array.from({ length: n }, (_, i) => base + (i % 5));

describe("the audit benchmark's verdict on two apps measured side by side", () => {
  it("calls the same distribution unchanged, and says by which criterion", () => {
    const side = { latencies: latencies(300, 400, 1), cpuMs: cpu(300, 60) };
    const same = compareP95(side, { latencies: [...side.latencies], cpuMs: [...side.cpuMs] });
    expect(same.p95Ratio).toBe(1);
    expect(same.p95Interval[0]).toBeLessThanOrEqual(1);
    expect(same.p95Interval[1]).toBeLessThanOrEqual(UNCHANGED_MARGIN);
    expect(same).toMatchObject({ unchanged: true, cpuRatio: 1 });
    expect(same.verdict).toContain(`contains 1 and ends at or below ${UNCHANGED_MARGIN}`);
  });

  it("calls a tail twice as long slower, not unchanged", () => {
    const empty = { latencies: latencies(300, 400, 1), cpuMs: cpu(300, 60) };
    const slow = compareP95(empty, { latencies: empty.latencies.map((l) => l * 2), cpuMs: cpu(300, 90) });
    expect(slow.unchanged).toBe(false);
    expect(slow.p95Interval[0]).toBeGreaterThan(1);
    expect(slow.verdict).toMatch(/^p95 slower/);
    expect(slow.cpuRatio).toBeGreaterThan(1.4);
  });

  it("does not call a handful of samples unchanged: too few to rule out a slow-down", () => {
    const few = compareP95({ latencies: latencies(8, 400, 1), cpuMs: cpu(8, 60) }, { latencies: latencies(8, 400, 2), cpuMs: cpu(8, 60) });
    expect(few.unchanged).toBe(false);
    expect(few.verdict).toMatch(/^not shown unchanged/);
  });

  it("refuses to compare nothing", () => {
    expect(() => compareP95({ latencies: [], cpuMs: [] }, { latencies: [], cpuMs: [] })).toThrow(/no pull request/);
  });
});
