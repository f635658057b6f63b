import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { AUDITED_EVENTS } from "../../src/audit/normalise.js";
import { openapiSpec } from "../helpers/openapi-examples.js";

type Manifest = { default_permissions: Record<string, string>; default_events: string[] };
const manifest = parse(readFileSync("app.yml", "utf8")) as Manifest;

/** The permission GitHub's webhook documentation says an event needs, e.g. "Administration". */
function permissionFor(event: string): string | undefined {
  const hooks = (openapiSpec() as unknown as { "x-webhooks": Record<string, { post: { summary?: string; operationId?: string } }> })["x-webhooks"];
  for (const hook of Object.values(hooks)) {
    // operationId is "<event>/<action>" (or "<event>" alone), with dashes for underscores.
    if (hook.post.operationId?.split("/")[0] !== event.replace(/_/g, "-")) continue;
    const match = hook.post.summary?.match(/access for the "([^"]+)"/);
    if (match) return match[1];
  }
  return undefined;
}

const PERMISSION_KEYS: Record<string, string> = {
  Administration: "administration",
  Checks: "checks",
  "Pull requests": "pull_requests",
  Contents: "contents",
  Metadata: "metadata",
  Members: "members",
  Deployments: "deployments",
  Issues: "issues",
};

describe("app.yml", () => {
  it("does not list events every app receives (GitHub rejects the manifest)", () => {
    expect(manifest.default_events).not.toContain("installation");
    expect(manifest.default_events).not.toContain("installation_repositories");
  });

  it.each(manifest.default_events)("grants the permission the %s event needs", (event) => {
    const needed = permissionFor(event);
    expect(needed, `no documented permission for ${event}`).toBeDefined();
    const key = PERMISSION_KEYS[needed!];
    expect(key, `unmapped permission ${needed}`).toBeDefined();
    expect(manifest.default_permissions[key!]).toMatch(/^(read|write)$/);
  });

  it("asks for nothing beyond what the features use", () => {
    expect(manifest.default_permissions).toEqual({
      actions: "read",
      administration: "read",
      checks: "write",
      contents: "read",
      deployments: "read",
      issues: "write",
      members: "read",
      metadata: "read",
      organization_administration: "read",
      pull_requests: "read",
      secret_scanning_alerts: "read",
      statuses: "read",
      vulnerability_alerts: "read",
    });
  });

  it("subscribes to exactly the events the app handles", () => {
    const source = readFileSync("src/app/index.ts", "utf8");
    const named = [...source.matchAll(/"([a-z_]+)(?:\.[a-z_]+)?"/g)].map((m) => m[1]!);
    const handled = new Set([...named, ...AUDITED_EVENTS].filter((e) => e !== "installation" && e !== "installation_repositories"));
    expect([...handled].filter((e) => manifest.default_events.includes(e) || AUDITED_EVENTS.includes(e)).sort()).toEqual([...manifest.default_events].sort());
  });
});

describe("docs/permissions.md", () => {
  const doc = readFileSync("docs/permissions.md", "utf8");

  it.each(Object.entries(manifest.default_permissions))("explains the %s permission at its access level", (permission, access) => {
    expect(doc).toMatch(new RegExp(`^\\| \`${permission}\` \\| ${access} \\|`, "m"));
  });

  it.each(manifest.default_events)("says what the %s event is used for", (event) => {
    const eventRows = doc.split("\n").filter((line) => /^\| `[a-z_]+`(, `[a-z_]+`)* \|/.test(line) && !/\| (read|write) \|/.test(line));
    expect(eventRows.some((row) => row.includes(`\`${event}\``))).toBe(true);
  });
});
