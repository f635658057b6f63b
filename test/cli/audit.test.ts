import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { normaliseWebhook } from "../../src/audit/normalise.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { runCli } from "../../src/cli.js";
import { Store } from "../../src/store/store.js";
import { freshPostgresStore, skipPostgres } from "../helpers/postgres.js";
import { webhookExample } from "../helpers/webhooks.js";

let dir: string;
let dbPath: string;
let previousUrl: string | undefined;

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** A small trail made of real webhook payloads, recorded at fixed times so the example export is stable. */
async function seed(url = dbPath): Promise<void> {
  const store = await Store.open(url);
  await store.upsertInstallation(1, "octo-org", "Organization");
  await store.upsertInstallation(2, "other-org", "Organization");
  const trail = new AuditTrail(store);
  const deliveries: [string, Record<string, unknown>][] = [
    ["branch_protection_rule", webhookExample("branch_protection_rule", "edited")],
    ["member", webhookExample("member", "added")],
    ["team", webhookExample("team", "edited")],
    ["deploy_key", webhookExample("deploy_key", "created")],
  ];
  for (const [i, [event, payload]] of deliveries.entries()) {
    const at = new Date(Date.UTC(2026, 10, 20 + i, 9, 0));
    await trail.append(1, "webhook", `delivery-${i + 1}`, { ...normaliseWebhook(event, payload, at)!, occurredAt: at.toISOString() }, at);
  }
  await trail.append(2, "webhook", "other-1", { ...normaliseWebhook("team", webhookExample("team", "created"), new Date(0))!, target: "team of another organisation" });
  await store.close();
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "claimcheck-cli-"));
  dbPath = join(dir, "claimcheck.db");
  previousUrl = process.env.DATABASE_URL;
  process.env.DATABASE_URL = `file:${dbPath}`;
  await seed();
});
afterEach(async () => {
  if (previousUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = previousUrl;
  rmSync(dir, { recursive: true, force: true });
});

describe("claimcheck audit verify", () => {
  it("verifies an intact chain (exit 0) and names the first broken link of an edited one (exit 1)", async () => {
    const ok = await cli("audit", "verify", "--org", "octo-org");
    expect(ok.code).toBe(0);
    expect(ok.out[0]).toMatch(/^audit trail of octo-org verified: 4 events from link 1, head [0-9a-f]{64}$/);

    const raw = new Database(dbPath);
    raw.exec("drop trigger audit_events_no_update");
    raw.prepare("update audit_events set actor = 'someone-else' where installation_id = 1 and seq = 2").run();
    raw.close();
    const broken = await cli("audit", "verify", "--org", "octo-org");
    expect(broken.code).toBe(1);
    expect(broken.out[0]).toContain("BROKEN at link 2");
    expect((await cli("audit", "verify", "--org", "other-org")).code).toBe(0);
  });

  it.each([
    [["audit", "verify"], "--org is required"],
    [["audit", "verify", "--org", "nobody"], 'no installation of claimcheck for organisation "nobody"'],
    [["audit", "export", "--org", "octo-org", "--format", "xml"], "--format must be jsonl or csv"],
    [["audit", "export", "--org", "octo-org", "--since", "last tuesday"], "is not a date"],
    [["audit", "verify", "--org", "octo-org", "--colour"], "Unknown option"],
    [["audit", "shred"], "unknown command"],
    [[], "no command given"],
  ])("answers a usage error with exit 2 and one clear line: %j", async (argv, message) => {
    const result = await cli(...argv);
    expect(result.code).toBe(2);
    expect(result.err[0]).toContain(message);
  });
});

describe("claimcheck audit export", () => {
  it("exports only the organisation's own events, from a date, as JSONL (the documented example)", async () => {
    const all = await cli("audit", "export", "--org", "octo-org");
    expect(all.code).toBe(0);
    expect(all.out).toHaveLength(4);
    expect(all.out.join("\n")).not.toContain("another organisation");
    const since = await cli("audit", "export", "--org", "octo-org", "--since", "2026-11-22");
    expect(since.out.map((l) => JSON.parse(l).seq)).toEqual([3, 4]);

    const example = "docs/examples/audit-export.jsonl";
    const text = `${all.out.join("\n")}\n`;
    if (process.env.UPDATE_EXAMPLES === "1" || !existsSync(example)) writeFileSync(example, text);
    expect(text).toBe(readFileSync(example, "utf8"));
  });

  it("writes CSV to a new file and refuses to overwrite one", async () => {
    const out = join(dir, "trail.csv");
    const first = await cli("audit", "export", "--org", "octo-org", "--format", "csv", "--out", out);
    expect(first.code).toBe(0);
    expect(first.err[0]).toBe(`wrote 4 events to ${out}`);
    const lines = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe("seq,occurredAt,recordedAt,kind,actor,target,repository,before,after,source,sourceId,prevHash,hash");
    const again = await cli("audit", "export", "--org", "octo-org", "--format", "csv", "--out", out);
    expect(again.code).toBe(2);
    expect(again.err[0]).toContain(`--out ${out}: the file already exists`);
  });
});

describe("claimcheck audit on a PostgreSQL DATABASE_URL", () => {
  it("says in one line, without the password, that the database could not be opened (exit 2)", async () => {
    process.env.DATABASE_URL = "postgres://claimcheck:s3cret-pw@127.0.0.1:1/claimcheck";
    const result = await cli("audit", "verify", "--org", "octo-org");
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/^claimcheck: environment variable DATABASE_URL: the database could not be opened \(could not open the PostgreSQL database at 127\.0\.0\.1:1\/claimcheck: .*ECONNREFUSED.*\)$/);
    expect(result.err.join("\n")).not.toContain("s3cret-pw");
  });

  it.skipIf(skipPostgres("claimcheck audit on PostgreSQL"))("verifies the chain and exports the very lines SQLite does", async () => {
    const { databaseUrl, drop } = await freshPostgresStore();
    try {
      await seed(databaseUrl);
      process.env.DATABASE_URL = databaseUrl;
      const ok = await cli("audit", "verify", "--org", "octo-org");
      expect(ok.code).toBe(0);
      expect(ok.out[0]).toMatch(/^audit trail of octo-org verified: 4 events from link 1, head [0-9a-f]{64}$/);
      const all = await cli("audit", "export", "--org", "octo-org");
      expect(all.code).toBe(0);
      expect(`${all.out.join("\n")}\n`).toBe(readFileSync("docs/examples/audit-export.jsonl", "utf8"));
    } finally {
      await drop();
    }
  });
});
