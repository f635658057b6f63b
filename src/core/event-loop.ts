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
