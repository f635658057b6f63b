import { and, count, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { requestKey, type AnswerCache, type CachedAnswer } from "../github/conditional-cache.js";
import { conditionalAnswers, repositories } from "./schema.js";
import * as pg from "./schema-pg.js";
import type { Store } from "./store.js";

/*
 * The conditional-request cache kept in the database, per installation. Its bound follows the
 * installation: room for every REST read of every repository it covers (a second pass over an
 * unchanged organisation is then answered 304 throughout), never less than a floor for small
 * installations. The least recently used answers beyond it are dropped.
 */

/** REST reads a full assessment makes per repository, with room to spare. */
export const ANSWERS_PER_REPOSITORY = 8;
export const MIN_ANSWERS = 1_000;
/** How often (in writes per installation) the bound is enforced: pruning is a scan, not done per write. */
const PRUNE_EVERY = 200;

/** Only headers a reader may need from a replayed answer; rate-limit figures would be stale. */
const KEPT_HEADERS = ["etag", "link", "content-type", "last-modified"];

const headersSchema = z.record(z.string(), z.unknown());

/**
 * The key as PostgreSQL stores it: its text cannot hold the NUL that separates the route from the
 * parameters in `requestKey`. A newline takes its place: routes are the app's own constants, never
 * with a newline, and the parameters' JSON escapes any it holds, so no two keys become one.
 */
const pgKey = (key: string) => key.replace("\u0000", "\n");

/**
 * SQLite's statements every REST read runs (one or two per read, six to eight reads a repository):
 * prepared once per cache, so neither Drizzle's query builder nor SQLite's compiler runs per read
 * (built anew each time, they were a twelfth of the app's CPU in a profiled backfill, and much of
 * its garbage). The same SQL as the builder's calls would make.
 */
function prepareSqliteStatements(store: Store & { dialect: "sqlite" }) {
  const byKey = and(eq(conditionalAnswers.installationId, sql.placeholder("installationId")), eq(conditionalAnswers.key, sql.placeholder("key")));
  return {
    read: store.db.select().from(conditionalAnswers).where(byKey).prepare(),
    touch: store.db.update(conditionalAnswers).set({ usedAt: sql`${sql.placeholder("usedAt")}` }).where(byKey).prepare(),
    write: store.db
      .insert(conditionalAnswers)
      .values({ installationId: sql.placeholder("installationId"), key: sql.placeholder("key"), etag: sql.placeholder("etag"), status: sql.placeholder("status"), data: sql.placeholder("data"), headers: sql.placeholder("headers"), usedAt: sql.placeholder("usedAt") })
      .onConflictDoUpdate({ target: [conditionalAnswers.installationId, conditionalAnswers.key], set: { etag: sql`excluded.etag`, status: sql`excluded.status`, data: sql`excluded.data`, headers: sql`excluded.headers`, usedAt: sql`excluded.used_at` } })
      .prepare(),
  };
}

export class StoredAnswerCache implements AnswerCache {
  private readonly writes = new Map<number, number>();
  private prepared?: ReturnType<typeof prepareSqliteStatements>;

  private sqliteStatements(store: Store & { dialect: "sqlite" }): ReturnType<typeof prepareSqliteStatements> {
    return (this.prepared ??= prepareSqliteStatements(store));
  }

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  private installation(scope: string): number | null {
    const id = Number(scope);
    return Number.isInteger(id) && id > 0 ? id : null;
  }

  async get(scope: string, route: string, params: Record<string, unknown>): Promise<CachedAnswer | undefined> {
    const installationId = this.installation(scope);
    if (installationId === null) return undefined;
    const key = requestKey(route, params);
    const row = await this.read(installationId, key);
    if (!row) return undefined;
    let data: unknown;
    let headers: Record<string, unknown>;
    try {
      data = JSON.parse(row.data);
      headers = headersSchema.parse(JSON.parse(row.headers));
    } catch {
      // A damaged row is not an answer: read afresh.
      return undefined;
    }
    await this.used(installationId, key);
    return { etag: row.etag, status: row.status, data, headers };
  }

  async set(scope: string, route: string, params: Record<string, unknown>, answer: CachedAnswer): Promise<void> {
    const installationId = this.installation(scope);
    if (installationId === null) return;
    const headers = Object.fromEntries(KEPT_HEADERS.filter((h) => answer.headers[h] !== undefined).map((h) => [h, answer.headers[h]]));
    const row = { etag: answer.etag, status: answer.status, data: JSON.stringify(answer.data ?? null), headers: JSON.stringify(headers), usedAt: this.clock() };
    const values = { installationId, key: requestKey(route, params), ...row };
    if (this.store.dialect === "postgres") {
      await this.store.db.insert(pg.conditionalAnswers).values({ ...values, key: pgKey(values.key) }).onConflictDoUpdate({ target: [pg.conditionalAnswers.installationId, pg.conditionalAnswers.key], set: row });
    } else {
      this.sqliteStatements(this.store).write.run(values);
    }
    const writes = (this.writes.get(installationId) ?? 0) + 1;
    this.writes.set(installationId, writes);
    if (writes % PRUNE_EVERY === 0) await this.prune(installationId);
  }

  private async read(installationId: number, key: string): Promise<typeof conditionalAnswers.$inferSelect | undefined> {
    const store = this.store;
    if (store.dialect === "postgres") return (await store.db.select().from(pg.conditionalAnswers).where(and(eq(pg.conditionalAnswers.installationId, installationId), eq(pg.conditionalAnswers.key, pgKey(key)))))[0];
    return this.sqliteStatements(store).read.get({ installationId, key });
  }

  private async used(installationId: number, key: string): Promise<void> {
    const store = this.store;
    const usedAt = this.clock();
    if (store.dialect === "postgres") await store.db.update(pg.conditionalAnswers).set({ usedAt }).where(and(eq(pg.conditionalAnswers.installationId, installationId), eq(pg.conditionalAnswers.key, pgKey(key))));
    else this.sqliteStatements(store).touch.run({ installationId, key, usedAt });
  }

  /** The installation's bound: its repositories' reads, at least the floor. */
  async capacity(installationId: number): Promise<number> {
    if (this.store.dialect === "postgres") {
      const [covered] = await this.store.db.select({ n: count() }).from(pg.repositories).where(and(eq(pg.repositories.installationId, installationId), isNull(pg.repositories.removedAt)));
      return Math.max(MIN_ANSWERS, (covered?.n ?? 0) * ANSWERS_PER_REPOSITORY);
    }
    const covered = this.store.db
      .select({ n: count() })
      .from(repositories)
      .where(and(eq(repositories.installationId, installationId), isNull(repositories.removedAt)))
      .get();
    return Math.max(MIN_ANSWERS, (covered?.n ?? 0) * ANSWERS_PER_REPOSITORY);
  }

  /** Drops the least recently used answers beyond the installation's bound. */
  async prune(installationId: number): Promise<number> {
    const keep = await this.capacity(installationId);
    if (this.store.dialect === "postgres") {
      const answers = pg.conditionalAnswers;
      const [oldest] = await this.store.db.select({ usedAt: answers.usedAt }).from(answers).where(eq(answers.installationId, installationId)).orderBy(sql`${answers.usedAt} desc`).limit(1).offset(keep - 1);
      if (!oldest) return 0;
      const gone = await this.store.db.delete(answers).where(and(eq(answers.installationId, installationId), sql`${answers.usedAt} < ${oldest.usedAt}`));
      return gone.rowCount ?? 0;
    }
    const oldestKept = this.store.db
      .select({ usedAt: conditionalAnswers.usedAt })
      .from(conditionalAnswers)
      .where(eq(conditionalAnswers.installationId, installationId))
      .orderBy(sql`${conditionalAnswers.usedAt} desc`)
      .limit(1)
      .offset(keep - 1)
      .get();
    if (!oldestKept) return 0;
    return this.store.db.delete(conditionalAnswers).where(and(eq(conditionalAnswers.installationId, installationId), sql`${conditionalAnswers.usedAt} < ${oldestKept.usedAt}`)).run().changes;
  }

  async size(installationId: number): Promise<number> {
    if (this.store.dialect === "postgres") return (await this.store.db.select({ n: count() }).from(pg.conditionalAnswers).where(eq(pg.conditionalAnswers.installationId, installationId)))[0]?.n ?? 0;
    return this.store.db.select({ n: count() }).from(conditionalAnswers).where(eq(conditionalAnswers.installationId, installationId)).get()?.n ?? 0;
  }
}
