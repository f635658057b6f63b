import { afterAll, afterEach, beforeEach } from "vitest";
import { SqliteStore, Store } from "../../src/store/store.js";
import { freshPostgresStore, skipPostgres } from "./postgres.js";

/*
 * The store's suites run once per database: `describe.each(dialects("…"))("… on $name", ({ open }) => …)`.
 * `open` gives an empty store each time: SQLite in memory, PostgreSQL in a schema of its own,
 * dropped after the file's suites. Without a PostgreSQL server the PostgreSQL runs are left out
 * and the run says so (see skipPostgres).
 */

export type StoreDialect = { name: "SQLite" | "PostgreSQL"; open: () => Promise<Store> };

export function dialects(suites: string): StoreDialect[] {
  const sqlite: StoreDialect = { name: "SQLite", open: () => Store.open(":memory:") };
  if (skipPostgres(suites)) return [sqlite];
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await Promise.all(drops.splice(0).map((drop) => drop()));
  });
  const postgres: StoreDialect = {
    name: "PostgreSQL",
    open: async () => {
      const { store, drop } = await freshPostgresStore();
      drops.push(drop);
      return store;
    },
  };
  return [sqlite, postgres];
}

/** The store as SQLite, for a test of what only SQLite has (its file, its query plans, a row edited behind its back). */
export function sqliteOnly(store: Store): SqliteStore {
  if (store.dialect !== "sqlite") throw new Error("this test reads SQLite's own database");
  return store;
}

/**
 * In the calling suite, a new store of `open` for each test, handed to `given` (to keep and fill),
 * and closed after the test once `settle` has finished (a server still answering from it, say).
 */
export function storeForEachTest(open: StoreDialect["open"], given: (store: Store) => Promise<void>, settle: () => Promise<void> = async () => undefined): void {
  let store: Store | undefined;
  beforeEach(async () => {
    store = await open();
    await given(store);
  });
  afterEach(async () => {
    await settle();
    await store?.close();
  });
}
