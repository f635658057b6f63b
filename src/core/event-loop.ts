import { setImmediate as nextTurn } from "node:timers/promises";

/*
 * Work over a whole organisation (thousands of stored assessments, gap issues to render) runs on
 * the same thread that acknowledges webhooks: GitHub gives a delivery ten seconds. Long loops
 * hand the thread back every few items so timers and sockets are served in between.
 */

/** Lets pending I/O and timers run before the caller goes on. */
export function yieldToEventLoop(): Promise<void> {
  return nextTurn();
}

/** `map` over `items`, giving the event loop a turn every `every` items. */
export async function mapYielding<T, U>(items: readonly T[], fn: (item: T, index: number) => U, every = 50): Promise<U[]> {
  const out: U[] = [];
  for (let i = 0; i < items.length; i += 1) {
    if (i > 0 && i % every === 0) await yieldToEventLoop();
    out.push(fn(items[i]!, i));
  }
  return out;
}

/**
 * Runs `fn` on consecutive slices of `items` (at most `size` each), giving the event loop a turn
 * between slices: for store writes over a whole organisation (10,000 repositories of an
 * installation event), each slice one short statement or transaction, finished before the next.
 */
export async function forEachSlice<T>(items: readonly T[], size: number, fn: (slice: readonly T[], start: number) => void | Promise<void>): Promise<void> {
  const step = Math.max(1, Math.floor(size));
  for (let start = 0; start < items.length; start += step) {
    if (start > 0) await yieldToEventLoop();
    await fn(items.slice(start, start + step), start);
  }
}
