import { seeded } from "../helpers/random.js";
import { percentile } from "./bench-figures.js";

/*
 * Whether two apps measured side by side differ: the p95 of their webhook → check run latencies
 * and the mean CPU their processes spent per check run, each as a ratio (second / first) with a
 * 95 % interval from resampling the pull requests (a bootstrap over the pairs, which were measured
 * one right after the other). The verdict's criterion, printed with it: "unchanged" when the
 * interval of the p95 ratio contains 1 (no difference the measurement can tell from noise) and
 * its upper end is at most UNCHANGED_MARGIN (a slow-down larger than that is ruled out), over at
 * least MIN_PAIRS pairs. An interval wider than that says the run was too noisy or too short.
 */

export const UNCHANGED_MARGIN = 1.1;
/** Fewer pairs than this leave the p95 to a handful of slowest runs, and the resampled interval says too little of it. */
export const MIN_PAIRS = 100;
const RESAMPLES = 2000;

export type SideStats = { p50: number; p95: number; cpuMean: number; cpuMedian: number };
export type P95Comparison = {
  empty: SideStats;
  trail: SideStats;
  p95Ratio: number;
  p95Interval: [number, number];
  cpuRatio: number;
  cpuInterval: [number, number];
  unchanged: boolean;
  verdict: string;
};

type Side = { latencies: readonly number[]; cpuMs: readonly number[] };

const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function stats(side: Side): SideStats {
  const latencies = sorted(side.latencies);
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), cpuMean: mean(side.cpuMs), cpuMedian: percentile(sorted(side.cpuMs), 50) };
}

/** The 2.5th and 97.5th percentiles of `statistic` over resamplings of the pairs. */
function interval(pairs: number, statistic: (picks: readonly number[]) => number, seed: number): [number, number] {
  // Seeded: the same measurements always give the same interval.
  const next = seeded(seed);
  const values: number[] = [];
  for (let r = 0; r < RESAMPLES; r += 1) {
    const picks = Array.from({ length: pairs }, () => Math.floor(next() * pairs));
    values.push(statistic(picks));
  }
  const all = sorted(values);
  return [percentile(all, 2.5), percentile(all, 97.5)];
}

/** Compares the second side (the long trail) with the first (the empty one); both measured in turn, pair by pair. */
export function compareP95(empty: Side, trail: Side): P95Comparison {
  const pairs = Math.min(empty.latencies.length, trail.latencies.length, empty.cpuMs.length, trail.cpuMs.length);
  if (pairs === 0) throw new Error("no pull request was measured on both apps");
  const pick = (values: readonly number[], picks: readonly number[]) => picks.map((i) => values[i]!);
  const p95 = (values: readonly number[]) => percentile(sorted(values), 95);
  const a = stats(empty);
  const b = stats(trail);
  const p95Ratio = b.p95 / a.p95;
  const p95Interval = interval(pairs, (picks) => p95(pick(trail.latencies, picks)) / p95(pick(empty.latencies, picks)), 1);
  const cpuRatio = b.cpuMean / a.cpuMean;
  const cpuInterval = interval(pairs, (picks) => mean(pick(trail.cpuMs, picks)) / mean(pick(empty.cpuMs, picks)), 2);
  const [low, high] = p95Interval;
  const enough = pairs >= MIN_PAIRS;
  const unchanged = enough && low <= 1 && high <= UNCHANGED_MARGIN;
  const criterion = `criterion: at least ${MIN_PAIRS} pairs, and the 95 % interval of the p95 ratio contains 1 and ends at or below ${UNCHANGED_MARGIN}`;
  const verdict = !enough
    ? `not judged: ${pairs} pairs are too few for a p95 (${criterion})`
    : unchanged
    ? `p95 unchanged within noise (${criterion})`
    : low > 1
      ? `p95 slower with the trail: even the interval's lower end is above 1 (${criterion})`
      : `not shown unchanged: a slow-down up to ×${high.toFixed(2)} is not ruled out; more pull requests or a quieter machine would tell (${criterion})`;
  return { empty: a, trail: b, p95Ratio, p95Interval, cpuRatio, cpuInterval, unchanged, verdict };
}
