import { readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

/*
 * `npm ci` warns (EBADENGINE) for every locked package whose `engines.node` excludes the Node in use.
 * A package that needs a newer Node than `engines` promises is a real incompatibility, not noise, so
 * every package the app runs with must declare support for the oldest Node the package declares and
 * for the release lines after it. (Declared support only: which Node 24 releases the app runs on is
 * decided by its SQLite driver, see src/store/node-runtime.ts.)
 */

type Locked = { version?: string; engines?: { node?: string } | string[]; dev?: boolean; optional?: boolean; os?: string[]; cpu?: string[] };
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string }; overrides?: Record<string, unknown> };
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, Locked> };

/** Packages npm installs on Linux x64 (the others are skipped by os/cpu and never checked). */
const installed = Object.entries(lock.packages).filter(([path, p]) => path !== "" && !(p.os && !p.os.includes("linux")) && !(p.cpu && !p.cpu.includes("x64")));
const nodeRange = (p: Locked) => (p.engines && !Array.isArray(p.engines) ? p.engines.node : undefined);

describe("supported Node versions", () => {
  const oldest = semver.minVersion(pkg.engines.node)!.version;

  it.each([oldest, "22.12.0", "24.22.0"])("every runtime dependency declares support for Node %s (no EBADENGINE)", (version) => {
    const refused = installed.filter(([, p]) => !p.dev && nodeRange(p) && !semver.satisfies(version, nodeRange(p)!)).map(([path, p]) => `${path}@${p.version} needs node ${nodeRange(p)}`);
    expect(refused).toEqual([]);
  });

  it(`every development dependency accepts the oldest supported Node (${oldest})`, () => {
    const refused = installed.filter(([, p]) => p.dev && nodeRange(p) && !semver.satisfies(oldest, nodeRange(p)!)).map(([path, p]) => `${path}@${p.version} needs node ${nodeRange(p)}`);
    expect(refused).toEqual([]);
  });

  it("keeps content-type on the release line that supports Node 20, where @octokit/request uses it", () => {
    expect(pkg.overrides).toEqual({ "@octokit/request": { "content-type": "2.1.0" } });
    const locked = Object.entries(lock.packages).filter(([path]) => path.endsWith("node_modules/content-type"));
    expect(locked.map(([, p]) => p.version)).toEqual(["2.1.0"]);
  });
});
