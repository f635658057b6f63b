import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, repoConfigSchema } from "../../src/config/repo-config.js";

/*
 * docs/configuration.md is the user's reference: every key the schema accepts must be there, with
 * the default the code really applies, so the page cannot drift from the code.
 */

type Def = { type: string; shape?: Record<string, { _zod: { def: Def } }>; innerType?: { _zod: { def: Def } } };

function unwrap(def: Def): Def {
  let current = def;
  while (current.innerType && ["default", "prefault", "optional", "nullable", "pipe"].includes(current.type)) current = current.innerType._zod.def;
  return current;
}

/** Leaf key paths of the schema; a record (free-form keys) is one path ending in `<key>`. */
function leafPaths(def: Def, prefix = ""): string[] {
  const inner = unwrap(def);
  if (inner.type === "object" && inner.shape) {
    return Object.entries(inner.shape).flatMap(([key, child]) => leafPaths(child._zod.def, prefix ? `${prefix}.${key}` : key));
  }
  return [prefix];
}

function valueAt(path: string): unknown {
  return path.split(".").reduce<unknown>((obj, key) => (obj as Record<string, unknown> | undefined)?.[key], DEFAULT_CONFIG);
}

const doc = readFileSync("docs/configuration.md", "utf8");
const rows = doc.split("\n").filter((line) => line.startsWith("| `"));

describe("docs/configuration.md", () => {
  const paths = leafPaths((repoConfigSchema as unknown as { _zod: { def: Def } })._zod.def).filter((p) => p !== "evidence");

  it("has the schema's keys to check", () => {
    expect(paths).toContain("thresholds.requiredApprovals");
  });

  it.each(paths)("documents %s with its default", (path) => {
    const row = rows.find((line) => line.startsWith(`| \`${path}\` |`));
    expect(row, `a table row for ${path}`).toBeDefined();
    const value = valueAt(path);
    const shown = typeof value === "string" ? value : JSON.stringify(value)?.replace(/,/g, ", ");
    if (value !== undefined) expect(row).toContain(`| \`${shown}\` |`);
  });

  it("documents attested evidence", () => {
    expect(rows.some((line) => line.startsWith('| `evidence["<claim id>"].url`'))).toBe(true);
  });
});
