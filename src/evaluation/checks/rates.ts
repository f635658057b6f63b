import type { Verdict } from "../types.js";

export const percent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;

/** Lists up to `max` items for a reason line, saying how many more there are. */
export function listSome(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/**
 * The shared rule for rate thresholds: at or above the threshold is met, some but not enough
 * is partial (it holds some of the time), none at all is a gap.
 */
export function rateVerdict(good: number, total: number, threshold: number, describe: (rate: string) => string): Verdict {
  const text = describe(percent(good, total));
  if (good / total >= threshold) return { status: "met", reason: text };
  if (good > 0) return { status: "partial", reason: `${text}, below the ${percent(threshold, 1)} configured` };
  return { status: "gap", reason: text };
}
