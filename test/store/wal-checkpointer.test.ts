import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SqliteStore } from "../../src/store/store.js";
import { startWalCheckpointer } from "../../src/store/wal-checkpointer.js";

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "claimcheck-wal-"));
  dirs.push(dir);
  return join(dir, "claimcheck.db");
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** About 2 MB in 100 commits: 500 pages of log, under SQLite's own threshold and far under the backstop. */
async function write(store: SqliteStore): Promise<void> {
  store.db.run(sql`create table filler (id integer primary key, body text not null)`);
  for (let i = 0; i < 100; i += 1) store.db.run(sql`insert into filler (body) values (${"x".repeat(20_000)})`);
}

describe("checkpoints off the event loop", () => {
  it("moves the app's commits into the database file from the worker, the app's own threshold raised as a backstop", async () => {
    const path = tempDb();
    const errors: string[] = [];
    const store = await SqliteStore.open(path, { checkpoints: { inBackground: true, onError: (m) => errors.push(m) } });
    try {
      expect(store.db.get<{ wal_autocheckpoint: number }>(sql`pragma wal_autocheckpoint`)?.wal_autocheckpoint).toBe(16_000);
      const before = statSync(path).size;
      await write(store);
      // Only a checkpoint writes the database file in WAL mode, and the app's connection is below its threshold.
      await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before + 1_000_000), { timeout: 10_000, interval: 100 });
      expect(await store.backgroundCheckpoints()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await store.close();
    }
    // Closed in order: the log is checkpointed and removed, and the data reads back.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = await SqliteStore.open(path);
    expect(again.db.get<{ n: number }>(sql`select count(*) as n from filler`)?.n).toBe(100);
    await again.close();
  });

  it("leaves checkpoints to SQLite when not asked, and for an in-memory database", async () => {
    const store = await SqliteStore.open(tempDb());
    expect(await store.backgroundCheckpoints()).toBeNull();
    expect(store.db.get<{ wal_autocheckpoint: number }>(sql`pragma wal_autocheckpoint`)?.wal_autocheckpoint).toBe(1000);
    await store.close();
    const memory = await SqliteStore.open(":memory:", { checkpoints: { inBackground: true, onError: () => undefined } });
    expect(await memory.backgroundCheckpoints()).toBeNull();
    await memory.close();
  });

  it("reports a database it cannot open instead of failing the process, and still stops", async () => {
    const errors: string[] = [];
    const checkpointer = startWalCheckpointer(join(tempDb(), "missing.db"), (m) => errors.push(m), 10);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
    expect(errors[0]).toMatch(/unable to open|does not exist|directory/i);
    await checkpointer.stop();
  });
});
