import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { observed } from "../../src/core/findings.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";
import { assessments } from "../../src/store/schema.js";
import { assessmentRow, type AssessmentRecord } from "../../src/store/shared.js";
import { databasePath, Store } from "../../src/store/store.js";
import { dialects, sqliteOnly } from "../helpers/dialects.js";
import { freshPostgresStore, skipPostgres } from "../helpers/postgres.js";

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "claimcheck-store-"));
  dirs.push(dir);
  return join(dir, "nested", "claimcheck.db");
}
afterEach(async () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function assessment(owner: string, name: string, prRequired: boolean): Assessment {
  const where = { repo: `${owner}/${name}`, source: "test", url: `https://github.com/${owner}/${name}`, observedAt: "2026-11-24T10:00:00.000Z" };
  const findings = [observed("branch-protection.pr-required", prRequired, where)];
  return {
    owner,
    name,
    repo: null,
    scope: { inScope: true },
    findings,
    results: evaluateClaims(findings, DEFAULT_CONFIG),
    requests: { rest: 3, graphql: 0, graphqlCost: 0 },
    startedAt: "2026-11-24T10:00:00.000Z",
    finishedAt: "2026-11-24T10:00:01.000Z",
  };
}

describe("Store on SQLite", () => {
  it("creates the database file and its folder, applies migrations, and uses WAL", async () => {
    const path = tempDb();
    const store = await Store.open(`file:${path}`);
    expect(await sqliteOnly(store).journalMode()).toBe("wal");
    expect(await store.healthy()).toBe(true);
    await store.close();
    const raw = new Database(path);
    const tables = raw.prepare("select name from sqlite_master where type = 'table' order by name").all().map((r) => (r as { name: string }).name);
    expect(tables).toEqual(expect.arrayContaining(["assessments", "installations", "repositories", "webhook_deliveries"]));
    raw.close();
  });

  it("stores an assessment exactly as the query builder's insert did, with statements prepared once for a whole backfill", async () => {
    const store = sqliteOnly(await Store.open(":memory:"));
    const outOfScope = { ...assessment("acme", "old", false), scope: { inScope: false, reason: "archived" }, repo: { id: 42, fullName: "acme/old" } } as Assessment;
    const records: AssessmentRecord[] = [
      { installationId: 1, trigger: "installation.created", assessment: assessment("acme", "api", true), configProblems: [] },
      { installationId: 1, trigger: "pull_request.opened", deliveryId: "d-1", headSha: "abc", checkRunId: 7, conclusion: "neutral", assessment: outOfScope, configProblems: [{ path: "issues", message: "not a map" }] },
    ];
    const prepare = vi.spyOn(Database.prototype, "prepare");
    try {
      // Twice over: the second round and every later one prepare nothing.
      for (const r of records) await store.ensureInstallation(r.installationId, "acme");
      for (const r of records) await store.recordAssessment(r);
      const first = prepare.mock.calls.length;
      for (const r of records) await store.ensureInstallation(r.installationId, "acme");
      for (const r of records) await store.recordAssessment(r);
      expect(first).toBe(2);
      expect(prepare.mock.calls.length).toBe(first);
    } finally {
      prepare.mockRestore();
    }
    // The rows the statements stored are those the builder stores from the same records, column for column.
    for (const r of records) store.db.insert(assessments).values(assessmentRow(r)).run();
    const rows = store.db.select().from(assessments).orderBy(assessments.id).all().map(({ id: _id, ...row }) => row);
    expect(rows).toHaveLength(6);
    expect(rows.slice(0, 2)).toEqual(rows.slice(4, 6));
    expect(rows.slice(2, 4)).toEqual(rows.slice(4, 6));
    expect(rows[1]).toMatchObject({ inScope: false, repositoryId: 42, deliveryId: "d-1", headSha: "abc", checkRunId: 7, conclusion: "neutral" });
    expect(rows[0]).toMatchObject({ inScope: true, repositoryId: null, deliveryId: null, headSha: null, checkRunId: null, conclusion: null });
    expect(await store.installationByLogin("acme")).toMatchObject({ id: 1, accountLogin: "acme" });
    await store.close();
  });

  it("accepts plain paths and :memory:", async () => {
    expect(databasePath("file:./data/x.db")).toBe("./data/x.db");
    expect(databasePath("/var/lib/x.db")).toBe("/var/lib/x.db");
    expect(databasePath(":memory:")).toBe(":memory:");
    expect(databasePath("file:///var/lib/x.db")).toBe("/var/lib/x.db");
    // A PostgreSQL URL is never taken for a file name: Store.open sends it to PostgreSQL.
    expect(() => databasePath("postgres://claimcheck@db:5432/claimcheck")).toThrow(/postgres:\/\/ names a PostgreSQL server, not a SQLite file/);
    expect(() => databasePath("postgresql://db/claimcheck")).toThrow(/postgresql:\/\/ names a PostgreSQL server/);
    expect(() => databasePath("MySQL://db/x")).toThrow(/mysql:\/\/ URLs are not supported: the store is a SQLite file .* or a PostgreSQL server/);
  });

  it("opens a postgres:// URL on PostgreSQL, and says in one line, without the password, when the server does not answer", async () => {
    // Port 1 on this machine: nothing listens, so the connection is refused at once.
    const opening = Store.open("postgres://claimcheck:s3cret-pw@127.0.0.1:1/claimcheck");
    await expect(opening).rejects.toThrow(/^could not open the PostgreSQL database at 127\.0\.0\.1:1\/claimcheck: .*ECONNREFUSED/);
    const message = await opening.catch((error: unknown) => (error instanceof Error ? error.message : ""));
    expect(message).not.toContain("s3cret-pw");
    expect(message).not.toContain("\n");
  });

  it("recovers a delivery interrupted by a restart", async () => {
    const path = tempDb();
    const store = await Store.open(path);
    expect(await store.claimDelivery("d3", "pull_request", 1)).toBe(true);
    await store.close();
    const reopened = await Store.open(path);
    expect(await reopened.deliveryState("d3")).toBe("failed");
    expect(await reopened.claimDelivery("d3", "pull_request", 1)).toBe(true);
    await reopened.close();
  });
});

describe.skipIf(skipPostgres("store restarts on PostgreSQL"))("Store on PostgreSQL, started again", () => {
  it("marks only deliveries claimed longer ago than the lease interrupted: another replica may be processing the others", async () => {
    const { store, reopen, drop } = await freshPostgresStore();
    try {
      const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
      expect(await store.claimDelivery("stale", "pull_request", 1, hoursAgo(2))).toBe(true);
      expect(await store.claimDelivery("live", "pull_request", 1, hoursAgo(0))).toBe(true);
      const replica = await reopen();
      try {
        expect(await replica.delivery("stale")).toEqual({ state: "failed", error: "interrupted by a restart", event: "pull_request" });
        expect(await replica.deliveryState("live")).toBe("processing");
        expect(await replica.claimDelivery("live", "pull_request", 1)).toBe(false);
        expect(await replica.claimDelivery("stale", "pull_request", 1)).toBe(true);
      } finally {
        await replica.close();
      }
    } finally {
      await drop();
    }
  });
});

describe.each(dialects("store"))("Store on $name", ({ open }) => {
  it("keeps history: a later assessment is added, not written over", async () => {
    const store = await open();
    await store.upsertInstallation(1, "acme", "Organization");
    await store.recordAssessment({ installationId: 1, trigger: "installation.created", assessment: assessment("acme", "api", false), configProblems: [] });
    await store.recordAssessment({ installationId: 1, trigger: "branch_protection_rule.created", assessment: assessment("acme", "api", true), configProblems: [] });
    const history = await store.assessments(1, "acme/api");
    expect(history.map((h) => h.trigger)).toEqual(["branch_protection_rule.created", "installation.created"]);
    expect(history[0]!.findings[0]!.value).toBe(true);
    expect(history[1]!.findings[0]!.value).toBe(false);
    await store.close();
  });

  it("says whether a repository's assessment was stored for a delivery, for that installation only", async () => {
    const store = await open();
    await store.upsertInstallation(1, "acme", "Organization");
    await store.upsertInstallation(2, "other", "Organization");
    await store.recordAssessment({ installationId: 1, trigger: "installation.created", deliveryId: "d-1", assessment: assessment("acme", "api", true), configProblems: [] });
    expect(await store.hasAssessmentFromDelivery(1, "acme/api", "d-1")).toBe(true);
    expect(await store.hasAssessmentFromDelivery(1, "acme/api", "d-2")).toBe(false);
    expect(await store.hasAssessmentFromDelivery(1, "acme/web", "d-1")).toBe(false);
    expect(await store.hasAssessmentFromDelivery(2, "acme/api", "d-1")).toBe(false);
    await store.close();
  });

  it("finds the assessment a delivery's check run stored, and the run it was linked to, for that installation only", async () => {
    const store = await open();
    await store.upsertInstallation(1, "acme", "Organization");
    await store.upsertInstallation(2, "other", "Organization");
    const record = (deliveryId: string, headSha: string) => ({ installationId: 1, trigger: "pull_request.opened", deliveryId, headSha, assessment: assessment("acme", "api", true), configProblems: [], conclusion: "neutral" });
    expect(await store.checkRunAssessment(1, "acme/api", "d-1", "a".repeat(40))).toBeUndefined();
    const failed = await store.recordAssessment(record("d-1", "a".repeat(40)));
    expect(await store.checkRunAssessment(1, "acme/api", "d-1", "a".repeat(40))).toEqual({ id: failed, checkRunId: null });
    const retried = await store.recordAssessment(record("d-1", "a".repeat(40)));
    expect(await store.checkRunAssessment(1, "acme/api", "d-1", "a".repeat(40))).toEqual({ id: retried, checkRunId: null });
    await store.attachCheckRun(2, retried, 99);
    expect(await store.checkRunAssessment(1, "acme/api", "d-1", "a".repeat(40)), "another installation links nothing").toEqual({ id: retried, checkRunId: null });
    await store.attachCheckRun(1, failed, 77);
    // A row with its run comes before a newer one without.
    expect(await store.checkRunAssessment(1, "acme/api", "d-1", "a".repeat(40))).toEqual({ id: failed, checkRunId: 77 });
    expect(await store.hasCheckRun(1, "acme/api", "a".repeat(40))).toBe(true);
    expect(await store.checkRunAssessment(1, "acme/api", "d-1", "b".repeat(40))).toBeUndefined();
    expect(await store.checkRunAssessment(1, "acme/api", "d-2", "a".repeat(40))).toBeUndefined();
    expect(await store.checkRunAssessment(2, "acme/api", "d-1", "a".repeat(40))).toBeUndefined();
    await store.close();
  });

  it("never returns one installation's assessments to another", async () => {
    const store = await open();
    await store.upsertInstallation(1, "acme", "Organization");
    await store.upsertInstallation(2, "other", "Organization");
    await store.recordAssessment({ installationId: 1, trigger: "t", assessment: assessment("acme", "api", true), configProblems: [] });
    expect(await store.assessments(2, "acme/api")).toEqual([]);
    expect(await store.hasCheckRun(2, "acme/api", "x")).toBe(false);
    await store.close();
  });

  it("refuses to store a finding whose value does not match the catalogue", async () => {
    const store = await open();
    await store.upsertInstallation(1, "acme", "Organization");
    const bad = assessment("acme", "api", true);
    bad.findings = [{ ...bad.findings[0]!, value: "yes" as never }];
    await expect(store.recordAssessment({ installationId: 1, trigger: "t", assessment: bad, configProblems: [] })).rejects.toThrow(/value of branch-protection.pr-required/);
    await store.close();
  });

  it("claims a delivery once and lets a failed one run again", async () => {
    const store = await open();
    expect(await store.claimDelivery("d1", "pull_request", 1)).toBe(true);
    expect(await store.claimDelivery("d1", "pull_request", 1)).toBe(false);
    await store.finishDelivery("d1", { ok: true });
    expect(await store.claimDelivery("d1", "pull_request", 1)).toBe(false);

    expect(await store.claimDelivery("d2", "pull_request", 1)).toBe(true);
    await store.finishDelivery("d2", { ok: false, error: "HTTP 502" });
    expect(await store.claimDelivery("d2", "pull_request", 1)).toBe(true);
    expect(await store.delivery("d2")).toEqual({ state: "processing", error: null, event: "pull_request" });
    await store.close();
  });

  it("claims a delivery for one of several callers asking at once", async () => {
    const store = await open();
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claimDelivery("d4", "push", 1)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await store.close();
  });
});
