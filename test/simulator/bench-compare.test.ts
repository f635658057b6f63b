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
    expect(same.verdict).toContain(`at least 100 pairs, and the 95 % interval of the p95 ratio contains 1 and ends at or below ${UNCHANGED_MARGIN}`);
  });

  it("calls a tail twice as long slower, not unchanged", () => {
    const empty = { latencies: latencies(300, 400, 1), cpuMs: cpu(300, 60) };
    const slow = compareP95(empty, { latencies: empty.latencies.map((l) => l * 2), cpuMs: cpu(300, 90) });
    expect(slow.unchanged).toBe(false);
    expect(slow.p95Interval[0]).toBeGreaterThan(1);
    expect(slow.verdict).toMatch(/^p95 slower/);
    expect(slow.cpuRatio).toBeGreaterThan(1.4);
  });

  it("does not call a noisy run unchanged: a slow-down it cannot rule out is said", () => {
    const noisy = compareP95({ latencies: latencies(120, 400, 1), cpuMs: cpu(120, 60) }, { latencies: latencies(120, 400, 2).map((l, i) => (i % 9 === 0 ? l * 1.6 : l)), cpuMs: cpu(120, 60) });
    expect(noisy.unchanged).toBe(false);
    expect(noisy.verdict).toMatch(/^not shown unchanged: a slow-down up to ×1\.\d\d is not ruled out/);
  });

  it("does not judge a handful of pull requests, however alike", () => {
    const side = { latencies: latencies(10, 400, 1), cpuMs: cpu(10, 60) };
    const few = compareP95(side, { latencies: [...side.latencies], cpuMs: [...side.cpuMs] });
    expect(few.unchanged).toBe(false);
    expect(few.verdict).toMatch(/^not judged: 10 pairs are too few/);
  });

  it("refuses to compare nothing", () => {
    expect(() => compareP95({ latencies: [], cpuMs: [] }, { latencies: [], cpuMs: [] })).toThrow(/no pull request/);
  });
});
