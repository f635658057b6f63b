/**
 * The Node.js releases the store's SQLite driver cannot run on.
 *
 * better-sqlite3 12 (the last line that still runs on Node.js 20) wraps its databases and prepared
 * statements in Node's header-only `node::ObjectWrap`. From 24.19.0 that class removes an environment
 * cleanup hook when a wrapped object is garbage-collected, and Node 24 runtimes before 24.22.0 abort
 * the whole process (`Assertion failed: (env) != nullptr`) when that happens in a collection V8 runs
 * from a background task, outside JavaScript. The store prepares statements on every query, so such a
 * collection comes within seconds of work: the process dies mid-delivery. 24.22.0 keeps the hooks in a
 * list that needs no JavaScript context, which ends the aborts whatever headers the driver was built
 * with. Earlier 24.x runtimes abort as well when the driver was built against 24.19's headers or later
 * (a prebuilt binary, say), so the 24 line as a whole needs 24.22. Node.js 20 and 22 never had the
 * change.
 */

export const FIXED_NODE_24 = "24.22.0";

/** Why the store cannot run on this Node.js version (`process.versions.node` form), if it cannot. */
export function nodeRuntimeProblem(version: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return undefined;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major !== 24 || minor >= 22) return undefined;
  return (
    `Node.js ${version.replace(/^v/, "")} is not supported: Node.js 24 before ${FIXED_NODE_24} aborts the process when it garbage-collects ` +
    `one of the SQLite driver's (better-sqlite3 12) prepared statements outside JavaScript. ` +
    `Use Node.js ${FIXED_NODE_24} or later, 22, or 20 (20.19 or later).`
  );
}

/** Throws, naming the fix, on a Node.js release where the store would abort the process. */
export function assertSupportedNodeRuntime(version: string = process.versions.node): void {
  const problem = nodeRuntimeProblem(version);
  if (problem) throw new Error(problem);
}
