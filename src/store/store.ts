import { isPostgresUrl } from "./postgres.js";
import { PostgresStore } from "./postgres-store.js";
import { SqliteStore } from "./sqlite-store.js";
import type { OpenOptions } from "./shared.js";

/*
 * The app's store: one interface (StoreContract), on SQLite or on PostgreSQL as DATABASE_URL says.
 * Callers use `Store` and its methods only; the record modules beside this file (backfills,
 * issues, deliveries, history, the conditional cache, the audit trail's rows) are the only code
 * that reads a dialect's own `db`, and they narrow on `store.dialect` to do so.
 */

export type Store = SqliteStore | PostgresStore;

export const Store = {
  /**
   * The store `url` names: postgres:// or postgresql:// → PostgreSQL (a pool, the migrations applied
   * at open under an advisory lock); anything else a SQLite file (a path, a file: URL, `:memory:`).
   */
  async open(url: string, options: OpenOptions = {}): Promise<Store> {
    return isPostgresUrl(url) ? PostgresStore.open(url) : SqliteStore.open(url, options);
  },
};

export { databasePath, SqliteStore } from "./sqlite-store.js";
export { PostgresStore } from "./postgres-store.js";
export { ROWS_PER_SLICE, type AssessmentRecord, type StoredAssessment, type StoreContract, type OpenOptions } from "./shared.js";
