import { setFlagsFromString } from "node:v8";

/*
 * How far V8 lets the JavaScript heap grow past what a full collection found alive. By default it
 * may grow to four times that before the next one, and the memory it grows into stays with the
 * process. The app keeps little (its live heap is about 40–60 MB at 10,000 repositories: its code
 * and modules, not per-repository data), but every assessment makes a few megabytes of garbage
 * (GitHub's answers parsed, stored JSON written, queries built), so between collections the heap
 * filled up to 130 MB and more, and that, not retained data, was most of the app's 350–380 MB RSS.
 * With 40 % headroom a full collection comes sooner and marks the same small live heap, so each
 * stays short; benchmarked in docs/performance.md ("The app's own memory at 10,000 repositories").
 */
export const HEAP_GROWING_PERCENT = 40;

/**
 * Applies the heap growth bound to this process, unless the operator gave one on the command line
 * (`node --heap-growing-percent=N dist/main.js`; Node does not accept the flag in NODE_OPTIONS).
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => a.startsWith("--heap-growing-percent") || a.startsWith("--heap_growing_percent"))) return false;
  // Read by V8 at every collection, so it applies from the next one on.
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
