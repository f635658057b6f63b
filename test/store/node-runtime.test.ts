import { readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { assertSupportedNodeRuntime, FIXED_NODE_24, nodeRuntimeProblem } from "../../src/store/node-runtime.js";

/*
 * On Node.js 24 before 24.22.0 a garbage collection of a better-sqlite3 12 statement outside JavaScript
 * aborts the process (see src/store/node-runtime.ts). The store refuses those runtimes up front, with
 * the fix in the message, instead of dying at some later collection.
 */

describe("the Node.js runtimes the store runs on", () => {
  it.each(["20.19.0", "20.20.2", "22.0.0", "22.23.5", "24.22.0", "24.22.3", "24.30.1", "v24.22.3", "26.0.0"])("accepts Node.js %s", (version) => {
    expect(nodeRuntimeProblem(version)).toBeUndefined();
    expect(() => assertSupportedNodeRuntime(version)).not.toThrow();
  });

  it.each(["24.0.0", "24.18.1", "24.19.0", "24.20.0", "24.21.0", "v24.21.0"])("refuses Node.js %s, naming the release that fixes it", (version) => {
    const problem = nodeRuntimeProblem(version);
    expect(problem).toBe(
      `Node.js ${version.replace(/^v/, "")} is not supported: Node.js 24 before 24.22.0 aborts the process when it garbage-collects one of the SQLite driver's ` +
        "(better-sqlite3 12) prepared statements outside JavaScript. Use Node.js 24.22.0 or later, 22, or 20 (20.19 or later).",
    );
    expect(() => assertSupportedNodeRuntime(version)).toThrow(problem!);
  });

  it("supports the Node.js running this suite (on one it does not, this fails saying why, rather than the run aborting at random)", () => {
    expect(() => assertSupportedNodeRuntime()).not.toThrow();
  });

  it("agrees with package.json's engines on every release from the oldest supported one", () => {
    const engines = (JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } }).engines.node;
    const releases = ["20.19.0", "20.20.2", "22.0.0", "22.23.5", "23.11.1", "24.0.0", "24.18.1", "24.21.0", FIXED_NODE_24, "24.22.3", "26.0.0"];
    const disagreeing = releases.filter((v) => semver.satisfies(v, engines) !== (nodeRuntimeProblem(v) === undefined));
    expect(disagreeing).toEqual([]);
  });
});
