import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { demoDirectory, withCentralRepository, writeDemoFiles } from "./demo-output.js";
import type { CheckRunRecord, IssueRecord } from "./model.js";
import { parseScenario } from "./scenario.js";
import { startSimulator } from "./server.js";
import { installationCreated } from "./webhooks.js";
import { ACME } from "../e2e/helpers.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "claimcheck-demo-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the simulated organisation behaves as GitHub does", () => {
  it("lists only members without two-factor authentication under filter=2fa_disabled", async () => {
    const scenario = parseScenario({ org: { login: "acme", members: [{ login: "olivia", role: "admin" }, { login: "mallory", twoFactor: false }, { login: "alice" }] }, repositories: [{ name: "api" }] });
    const sim = await startSimulator(scenario);
    try {
      const get = async (query: string) => ((await (await fetch(`${sim.url}/orgs/acme/members${query}`, { headers: { authorization: "token x" } })).json()) as { login: string }[]).map((m) => m.login);
      expect(await get("")).toEqual(["olivia", "mallory", "alice"]);
      expect(await get("?filter=2fa_disabled")).toEqual(["mallory"]);
      expect(await get("?role=admin&filter=2fa_disabled")).toEqual([]);
    } finally {
      await sim.stop();
    }
  });

  it("sends the installation the events and permissions the app's manifest asks for", async () => {
    const sim = await startSimulator(ACME);
    try {
      const manifest = parseYaml(readFileSync("app.yml", "utf8")) as { default_events: string[]; default_permissions: Record<string, string> };
      const { installation } = installationCreated(sim.model).payload as { installation: { events: string[]; permissions: Record<string, string> } };
      expect(installation.events).toEqual(manifest.default_events);
      expect(installation.permissions).toEqual(manifest.default_permissions);
    } finally {
      await sim.stop();
    }
  });

  it("gives the demo organisation a .github repository, once", () => {
    const withCentral = withCentralRepository(ACME);
    expect(withCentral.repositories.map((r) => r.name)).toEqual([...ACME.repositories.map((r) => r.name), ".github"]);
    expect(withCentralRepository(withCentral).repositories).toHaveLength(withCentral.repositories.length);
  });
});

describe("what the demo leaves behind", () => {
  const run = (repo: string, title: string): CheckRunRecord => ({ id: 1, repo, name: "Code of Practice evidence", head_sha: "a".repeat(40), status: "completed", conclusion: "neutral", output: { title, summary: "### What to do next", text: "## Checks" }, createdAt: new Date(0), raw: {} });
  const issue = (repo: string, number: number): IssueRecord => ({ number, repo, title: `Code of Practice 2.2.2 (gap): Only authorised personnel`, body: "**Claim 2.2.2**", labels: ["code-of-practice"], state: "open", createdAt: new Date(0), comments: ["Status changed"], raw: {} });

  it("writes each repository's latest check run and every issue as Markdown, with an index, in the directory given", () => {
    const out = demoDirectory(join(dir, "demo"));
    const files = writeDemoFiles(out, [run("acme/api", "old"), run("acme/api", "Code of Practice: 1 gap"), run("acme/.github", "Code of Practice: 2 gap")], [issue("acme/api", 7), issue("acme/.github", 1)], dir);
    expect(files.checkRuns).toEqual(["demo/check-runs/api.md", "demo/check-runs/dot-github.md"]);
    expect(files.issues).toEqual(["demo/issues/api-7.md", "demo/issues/dot-github-1.md"]);
    const api = readFileSync(join(dir, files.checkRuns[0]!), "utf8");
    expect(api).toContain("## Code of Practice: 1 gap\n\n### What to do next");
    expect(api).not.toContain('"summary"');
    expect(readFileSync(join(dir, files.issues[0]!), "utf8")).toMatch(/^# Code of Practice 2\.2\.2 \(gap\): .*\n\n`acme\/api#7` · open · labels: `code-of-practice`\n\n\*\*Claim 2\.2\.2\*\*/);
    const index = readFileSync(join(dir, files.index), "utf8");
    expect(index).toContain("- [`acme/api`](check-runs/api.md): Code of Practice: 1 gap");
    expect(index).toContain("- [`acme/.github#1`](issues/dot-github-1.md) (open): Code of Practice 2.2.2 (gap)");
  });

  it("refuses a file where the directory should be", () => {
    writeFileSync(join(dir, "taken"), "");
    expect(() => demoDirectory(join(dir, "taken"))).toThrow(/is a file, not a directory/);
  });
});
