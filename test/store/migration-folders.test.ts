import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { AuditTrail } from "../../src/audit/trail.js";
import { Store } from "../../src/store/store.js";

/*
 * The SQLite migrations moved from migrations/ to migrations/sqlite. Drizzle knows which it applied
 * by their time (and hash), not their folder: a database an earlier release migrated opens as it
 * was, nothing applied twice (a table created again would fail), its data intact.
 */

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function earlierDatabase(): string {
  dir = mkdtempSync(join(tmpdir(), "claimcheck-migrated-"));
  const path = join(dir, "claimcheck.db");
  writeFileSync(path, gunzipSync(readFileSync(new URL("./fixtures/migrated-before-dialect-folders.db.gz", import.meta.url))));
  return path;
}

describe("a database migrated before the migrations moved to migrations/sqlite", () => {
  it("opens without applying any migration again, its data and audit chain intact", async () => {
    const store = await Store.open(earlierDatabase());
    const client = (store.db as unknown as { $client: { prepare: (q: string) => { all: () => { n: number }[] } } }).$client;
    // The nine it had, each once, and the one added since (the index by delivery): none applied again.
    expect(client.prepare("select count(*) as n from __drizzle_migrations").all()[0]!.n).toBe(10);
    expect(await store.installationByLogin("octo-org")).toMatchObject({ id: 41, removedAt: null });
    expect(await store.repositoriesOf(41)).toEqual(["octo-org/api"]);
    const trail = new AuditTrail(store);
    expect(await trail.verify(41)).toMatchObject({ ok: true, checked: 1 });
    // Still written as before: the next link continues the chain.
    expect(await trail.append(41, "webhook", "delivery-2", { kind: "team.edited", actor: "octocat", target: "team core", repository: null, before: null, after: null, occurredAt: "2026-11-21T09:00:00.000Z" })).toEqual({ recorded: true, seq: 2 });
    expect(await trail.verify(41)).toMatchObject({ ok: true, checked: 2 });
    await store.close();
  });
});
