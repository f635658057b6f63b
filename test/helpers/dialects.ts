import { afterAll } from "vitest";
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
