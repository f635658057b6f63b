import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli.js";
import { CLAIMS } from "../../src/core/catalogue.js";
import type { CheckStatus } from "../../src/core/status.js";
import { Store } from "../../src/store/store.js";
import { freshPostgresStore, skipPostgres } from "../helpers/postgres.js";

const NOW = new Date("2026-11-24T12:00:00Z");
const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString();
let dir: string;
let env: Record<string, string>;

async function record(store: Store, installationId: number, repo: string, daysAgo: number, status: CheckStatus, deliveryId: string): Promise<void> {
  const [owner = "", name = ""] = repo.split("/");
  await store.recordAssessment({
    installationId,
    trigger: "pull_request.synchronize",
    deliveryId,
    headSha: "c0ffee",
    checkRunId: 31,
    assessment: {
      owner,
      name,
      repo: null,
      scope: { inScope: true },
      findings: [],
      results: [{ claimId: "2.2.2", principle: "2.2", status, reason: "test", checks: [{ claimId: "2.2.2", checkId: "pr-required", status, reason: "test", supporting: false, evidence: [] }] }],
      requests: { rest: 1, graphql: 1, graphqlCost: 1 },
      startedAt: at(daysAgo),
      finishedAt: at(daysAgo),
    },
    configProblems: [],
  });
}

/** Two organisations' installations, one repository each, and their assessments. */
async function seed(store: Store): Promise<void> {
  await store.upsertInstallation(1, "octo-org", "Organization");
  await store.upsertInstallation(2, "other-org", "Organization");
  await store.addRepositories(1, [{ id: 10, fullName: "octo-org/api" }]);
  await store.addRepositories(2, [{ id: 20, fullName: "other-org/api" }]);
  await record(store, 1, "octo-org/api", 40, "gap", "delivery-gap");
  await record(store, 1, "octo-org/api", 10, "met", "delivery-met");
  await record(store, 2, "other-org/api", 5, "gap", "delivery-other");
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "claimcheck-history-"));
  env = { DATABASE_URL: `file:${join(dir, "claimcheck.db")}` };
  const store = await Store.open(env.DATABASE_URL!);
  await seed(store);
  await store.close();
});
afterEach(async () => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(["history", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, { env, now: () => NOW });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("claimcheck history", () => {
  it("prints each claim's status over the period and every change with the event that caused it", async () => {
    const { code, out, err } = await cli(["--org", "octo-org", "--days", "60"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toContain("# Code of Practice claims of octo-org over the last 60 days");
    expect(out).toContain("| **2.2.2** Only authorised personnel can make changes to the build environment. | met | 2 | nothing stored 20 d, gap 30 d, met 11 d |");
    expect(out).toContain("gap → **met** after assessment #2 of `octo-org/api`, caused by `pull_request.synchronize` (delivery `delivery-met`) — [check run](https://github.com/octo-org/api/runs/31)");
    expect(out).not.toContain("delivery-other");
  });

  it("writes JSON whose history is the report's history[], and a self-contained HTML page", async () => {
    const json = await cli(["--org", "octo-org", "--format", "json"]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as { schema: string; days: number; history: { claimId: string; days: unknown[]; changes: { cause: { deliveryId: string } }[] }[] };
    expect(parsed.schema).toBe("claimcheck/history@1");
    expect(parsed.history.map((h) => h.claimId)).toEqual(CLAIMS.map((c) => c.id));
    expect(parsed.history.every((h) => h.days.length === 91)).toBe(true);
    expect(parsed.history.find((h) => h.claimId === "2.2.2")!.changes.map((c) => c.cause.deliveryId)).toEqual(["delivery-gap", "delivery-met"]);

    const file = join(dir, "history.html");
    const html = await cli(["--org", "octo-org", "--format", "html", "--out", file]);
    expect(html.code).toBe(0);
    expect(html.err).toBe(`wrote the history of octo-org to ${file}`);
    const page = readFileSync(file, "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('http-equiv="Content-Security-Policy"');
    expect(page).toContain('aria-label="2.2.2 over the last 90 days: nothing stored from 2026-08-26 to 2026-10-14; gap from 2026-10-15 to 2026-11-13; met from 2026-11-14 to 2026-11-24"');
  });

  it("answers bad usage with exit 2 and one clear line", async () => {
    for (const [args, message] of [
      [[], "--org is required"],
      [["--org", "octo-org", "--days", "0"], "--days must be a whole number of days from 1 to 365"],
      [["--org", "octo-org", "--format", "pdf"], "--format must be md, json or html"],
      [["--org", "nobody"], 'no installation of claimcheck for organisation "nobody"'],
    ] as const) {
      const result = await cli([...args]);
      expect(result.code).toBe(2);
      expect(result.err.split("\n")[0]).toContain(message);
    }
  });
});

describe.skipIf(skipPostgres("claimcheck history on PostgreSQL"))("claimcheck history on a PostgreSQL DATABASE_URL", () => {
  it("prints the history SQLite gives for the same assessments", async () => {
    const { store, databaseUrl, drop } = await freshPostgresStore();
    try {
      await seed(store);
      const fromSqlite = await cli(["--org", "octo-org", "--format", "json"]);
      env = { DATABASE_URL: databaseUrl };
      const fromPostgres = await cli(["--org", "octo-org", "--format", "json"]);
      expect(fromPostgres.code).toBe(0);
      expect(fromPostgres.out).toBe(fromSqlite.out);
      expect(fromPostgres.out).toContain("delivery-met");
      expect(fromPostgres.out).not.toContain("delivery-other");
    } finally {
      await drop();
    }
  });
});
