import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditEventInput } from "../../src/audit/normalise.js";
import { AuditSummaries, MAX_LINKS_PER_READ } from "../../src/audit/summary.js";
import { auditFindings } from "../../src/audit/evidence.js";
import { EXPORT_COLUMNS } from "../../src/audit/export.js";
import { AuditTrail, linkHash, nextLink } from "../../src/audit/trail.js";
import * as pg from "../../src/store/schema-pg.js";
import { Store } from "../../src/store/store.js";
import { fileStore as newFileStore, removeFileStores } from "../helpers/file-store.js";
import { dialects } from "../helpers/dialects.js";

afterEach(removeFileStores);

/**
 * `count` links for installation 1, `hours` apart. On PostgreSQL each append is a transaction of
 * several round trips under the chain's lock (the trail's own tests append there one by one, and
 * from several stores at once): hundreds or thousands are written as the same links (chained by
 * `nextLink`) in a few statements instead, the chain no different from one appended link by link.
 */
async function appendMany(store: Store, trail: AuditTrail, count: number, hours = 7): Promise<void> {
  if (store.dialect === "sqlite") {
    for (let i = 0; i < count; i += 1) await trail.append(1, "webhook", `d${i}`, event(i, hours));
    return;
  }
  let head: { seq: number; hash: string } | undefined;
  const links = Array.from({ length: count }, (_, i) => {
    const link = nextLink({ installationId: 1, head, checkpoint: undefined }, "webhook", `d${i}`, event(i, hours), new Date());
    head = link;
    return link;
  });
  for (let i = 0; i < links.length; i += 1000) await store.db.insert(pg.auditEvents).values(links.slice(i, i + 1000));
}
const fileStore = () => newFileStore("claimcheck-summary-");

const KINDS = ["member.added", "branch_protection_rule.edited", "push.force", "team_add"];
const event = (i: number, hours = 7): AuditEventInput => ({
  kind: KINDS[i % KINDS.length]!,
  actor: "octocat",
  target: `target ${i}`,
  repository: "octo-org/api",
  before: null,
  after: { i },
  occurredAt: new Date(Date.UTC(2026, 0, 1) + i * hours * 3_600_000).toISOString(),
});

describe("the audit trail's incremental summary on SQLite's own file", () => {
  it("brings the summary up to date, as every assessment does, without preparing a statement each time", async () => {
    const { store } = await fileStore();
    const trail = new AuditTrail(store);
    for (let i = 0; i < 30; i += 1) await trail.append(1, "webhook", `d${i}`, event(i));
    const since = new Date(Date.UTC(2025, 0, 1));
    const first = await new AuditSummaries(store).refresh(1, since);
    const prepare = vi.spyOn(Database.prototype, "prepare");
    try {
      // A new reader per assessment, as the evidence makes: the statements belong to the store.
      for (let i = 0; i < 5; i += 1) expect(await new AuditSummaries(store).refresh(1, since)).toEqual({ ...first, hashedNow: 0 });
      expect(prepare).not.toHaveBeenCalled();
    } finally {
      prepare.mockRestore();
    }
    await trail.append(1, "webhook", "d30", event(30));
    expect(await new AuditSummaries(store).refresh(1, since)).toMatchObject({ total: 31, hashedNow: 1, verification: { ok: true, throughSeq: 31 }, earliest: first.earliest });
    await store.close();
  });

  it("catches an edited or removed link after the checkpoint, and a cut tail", async () => {
    const { store, path } = await fileStore();
    const trail = new AuditTrail(store);
    for (let i = 0; i < 10; i += 1) await trail.append(1, "webhook", `d${i}`, event(i));
    expect((await new AuditSummaries(store).refresh(1, new Date(0))).verification.ok).toBe(true);
    for (let i = 10; i < 14; i += 1) await trail.append(1, "webhook", `d${i}`, event(i));
    await store.close();
    const raw = new Database(path);
    raw.exec("drop trigger audit_events_no_update");
    raw.prepare("update audit_events set actor = 'mallory' where seq = 12").run();
    raw.close();
    const edited = await Store.open(path);
    const verdict = await new AuditSummaries(edited).refresh(1, new Date(0));
    expect(verdict.verification).toEqual({ ok: false, brokenAt: expect.stringContaining("link 12") });
    // Once broken, it stays broken.
    expect((await new AuditSummaries(edited).refresh(1, new Date(0))).verification.ok).toBe(false);
    await edited.close();

    const second = await fileStore();
    const t2 = new AuditTrail(second.store);
    for (let i = 0; i < 10; i += 1) await t2.append(1, "webhook", `d${i}`, event(i));
    expect((await new AuditSummaries(second.store).refresh(1, new Date(0))).verification.ok).toBe(true);
    await second.store.close();
    const raw2 = new Database(second.path);
    raw2.exec("drop trigger audit_events_delete_after_checkpoint");
    raw2.prepare("delete from audit_events where seq >= 9").run();
    raw2.close();
    const cut = await Store.open(second.path);
    expect((await new AuditSummaries(cut).refresh(1, new Date(0))).verification).toEqual({ ok: false, brokenAt: expect.stringContaining("cut") });
    await cut.close();
  });

  it("does not re-hash links before its checkpoint; `audit verify` still walks the whole chain and catches an edit there", async () => {
    const { store, path } = await fileStore();
    const trail = new AuditTrail(store);
    for (let i = 0; i < 10; i += 1) await trail.append(1, "webhook", `d${i}`, event(i));
    expect((await new AuditSummaries(store).refresh(1, new Date(0))).verification.ok).toBe(true);
    await store.close();
    const raw = new Database(path);
    raw.exec("drop trigger audit_events_no_update");
    raw.prepare("update audit_events set actor = 'mallory' where seq = 3").run();
    raw.close();
    const reopened = await Store.open(path);
    // The summary's cost is bounded by what is new, so it cannot see this edit...
    expect((await new AuditSummaries(reopened).refresh(1, new Date(0))).verification.ok).toBe(true);
    // ...which the full verification (the CLI's `audit verify`, and maintenance daily) does.
    const full = await new AuditTrail(reopened).verify(1);
    expect(full).toMatchObject({ ok: false, brokenAt: { seq: 3 } });
    const summaries = new AuditSummaries(reopened);
    await summaries.recordFullVerification(1, { ok: false, brokenAt: "link 3: edited" }, new Date());
    expect((await summaries.refresh(1, new Date(0))).verification).toEqual({ ok: false, brokenAt: "link 3: edited" });
    await reopened.close();
  });

  it("reads the counts another process wrote, not the ones it read before", async () => {
    const { store, path } = await fileStore();
    const trail = new AuditTrail(store);
    for (let i = 0; i < 20; i += 1) await trail.append(1, "webhook", `d${i}`, event(i));
    const since = new Date(Date.UTC(2025, 0, 1));
    const now = new Date(Date.UTC(2026, 2, 30));
    expect((await new AuditSummaries(store).refresh(1, since, now)).total).toBe(20);
    // Another process (the CLI, a second replica) appends and brings the summary up to date itself.
    const other = await Store.open(path);
    for (let i = 20; i < 30; i += 1) await new AuditTrail(other).append(1, "webhook", `d${i}`, event(i));
    expect((await new AuditSummaries(other).refresh(1, since, now)).hashedNow).toBe(10);
    await other.close();
    const again = await new AuditSummaries(store).refresh(1, since, now);
    expect(again).toMatchObject({ hashedNow: 0, total: 30, countsByKind: (await trail.summary(1, since)).countsByKind });
    await store.close();
  });
});

describe.each(dialects("audit trail summary"))("the audit trail's incremental summary on $name", ({ open }) => {
  it("gives the same counts as reading the whole trail, for windows that start mid-day", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    await appendMany(store, trail, 300);
    const summaries = new AuditSummaries(store);
    const now = new Date(Date.UTC(2026, 2, 30));
    for (const since of [new Date(Date.UTC(2026, 0, 20, 13, 30)), new Date(Date.UTC(2026, 1, 3, 0, 0)), new Date(Date.UTC(2025, 11, 1))]) {
      const fast = await summaries.refresh(1, since, now);
      const slow = await trail.summary(1, since);
      expect(fast.countsByKind).toEqual(slow.countsByKind);
      expect(fast.earliest).toBe(slow.earliest);
      expect(fast.total).toBe(slow.total);
      expect(fast.exported).toBe(300);
    }
    await store.close();
  });

  it("hashes only the links added since the last read, and none when nothing was added", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    await appendMany(store, trail, 50);
    const summaries = new AuditSummaries(store);
    const since = new Date(Date.UTC(2025, 0, 1));
    expect((await summaries.refresh(1, since)).hashedNow).toBe(50);
    expect((await summaries.refresh(1, since)).hashedNow).toBe(0);
    await trail.append(1, "webhook", "d50", event(50));
    await trail.append(1, "webhook", "d51", event(51));
    const third = await summaries.refresh(1, since);
    expect(third.hashedNow).toBe(2);
    expect(third.verification).toMatchObject({ ok: true, throughSeq: 52 });
    expect(third.total).toBe(52);
    // Another installation's chain is its own.
    await trail.append(2, "webhook", "d0", event(0));
    expect(await summaries.refresh(2, since)).toMatchObject({ total: 1, hashedNow: 1 });
    expect(await summaries.refresh(1, since)).toMatchObject({ total: 52, hashedNow: 0 });
    await store.close();
  });

  it("follows a retention prune: pruned events leave the counts and verification continues from the checkpoint", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    await appendMany(store, trail, 100, 24);
    const summaries = new AuditSummaries(store);
    const since = new Date(Date.UTC(2025, 0, 1));
    const now = new Date(Date.UTC(2026, 3, 1));
    await summaries.refresh(1, since, now);
    const { pruned } = await trail.prune(1, 60, now);
    expect(pruned).toBeGreaterThan(0);
    await trail.append(1, "webhook", "after", event(101, 24));
    const after = await summaries.refresh(1, since, now);
    const slow = await trail.summary(1, since);
    expect(after).toMatchObject({ total: slow.total, countsByKind: slow.countsByKind, earliest: slow.earliest, pruned: true, hashedNow: 1, verification: { ok: true } });
    // A prune the summary had not caught up with: it starts again from the checkpoint.
    for (let i = 102; i < 110; i += 1) await trail.append(1, "webhook", `late${i}`, event(i, 24));
    await trail.prune(1, 10, new Date(Date.UTC(2026, 3, 15)));
    const restarted = await summaries.refresh(1, since, now);
    expect(restarted).toMatchObject({ total: (await trail.summary(1, since)).total, verification: { ok: true } });
    expect((await trail.verify(1)).ok).toBe(true);
    await store.close();
  });

  it("counts an event recorded late on the window's first day (an audit-log entry read hours after it happened)", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    for (let i = 0; i < 40; i += 1) await trail.append(1, "webhook", `d${i}`, event(i));
    const summaries = new AuditSummaries(store);
    const since = new Date(Date.UTC(2026, 0, 3, 12));
    const now = new Date(Date.UTC(2026, 0, 20));
    const before = (await summaries.refresh(1, since, now)).countsByKind;
    expect(before).toEqual((await trail.summary(1, since)).countsByKind);
    await trail.append(1, "audit-log", "late", { ...event(0), kind: "audit-log:org.update_member", occurredAt: new Date(Date.UTC(2026, 0, 3, 18)).toISOString() });
    const after = (await summaries.refresh(1, since, now)).countsByKind;
    expect(after).toEqual((await trail.summary(1, since)).countsByKind);
    expect(after["audit-log:org.update_member"]).toBe(1);
    await store.close();
  });

  it("counts a link as exported only if its export line has every field its hash covers", async () => {
    // The summary checks each exported column instead of hashing a link twice: that is the same
    // proof only while the columns include every field of the hash.
    const store = await open();
    const trail = new AuditTrail(store);
    await trail.append(1, "webhook", "d0", event(0));
    const row = (await trail.latest(1, 1))[0]!;
    const covered = Object.keys(row).filter((field) => !["id", "hash", "installationId"].includes(field) && linkHash({ ...row, [field]: `${String(row[field as keyof typeof row])}x` }) !== row.hash);
    expect(covered.length).toBeGreaterThan(10);
    expect(EXPORT_COLUMNS).toEqual(expect.arrayContaining([...covered, "hash"]));
    await store.close();
  });

  it("hashes a long trail in slices: until caught up, what depends on every link is unknown, not guessed", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    await appendMany(store, trail, 120);
    const summaries = new AuditSummaries(store);
    const first = await summaries.refresh(1, new Date(0), new Date(), 50);
    expect(first).toMatchObject({ hashedNow: 50, pending: 70, verification: { ok: true, throughSeq: 50 } });
    const caught = await summaries.catchUp(1);
    expect(caught).toMatchObject({ pending: 0, total: 120 });

    const other = await open();
    const long = new AuditTrail(other);
    await appendMany(other, long, MAX_LINKS_PER_READ + 10, 1);
    const pendingFindings = await auditFindings(other, 1, { now: new Date(), since: new Date(0), org: "octo-org" });
    const verified = pendingFindings.find((f) => f.id === "audit.chain-verified")!;
    expect(verified.value).toBeNull();
    expect(verified.error).toContain("10 links still to check");
    expect(pendingFindings.find((f) => f.id === "audit.events-in-window")?.error).toContain("verifying");
    await new AuditSummaries(other).catchUp(1);
    expect((await auditFindings(other, 1, { now: new Date(), since: new Date(0), org: "octo-org" })).find((f) => f.id === "audit.chain-verified")?.value).toBe(true);
    await store.close();
    await other.close();
  });
});
