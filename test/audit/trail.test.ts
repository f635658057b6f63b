import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/audit/canonical.js";
import { exportLines } from "../../src/audit/export.js";
import type { AuditEventInput } from "../../src/audit/normalise.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { Store } from "../../src/store/store.js";
import { fileStore as newFileStore, removeFileStores } from "../helpers/file-store.js";
import { dialects } from "../helpers/dialects.js";
import { collect } from "../helpers/async-items.js";

afterEach(removeFileStores);
const fileStore = () => newFileStore("claimcheck-audit-");

const event = (i: number, overrides: Partial<AuditEventInput> = {}): AuditEventInput => ({
  kind: "branch_protection_rule.edited",
  actor: "octocat",
  target: `branch protection main`,
  repository: "octo-org/api",
  before: { required_approving_review_count: { from: i } },
  after: { required_approving_review_count: i + 1 },
  occurredAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
  ...overrides,
});

describe("canonicalJson", () => {
  it("sorts keys at every level so equal content hashes equally", async () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});

describe("AuditTrail on SQLite's own file", () => {
  it("refuses updates and unchecked deletes at the database", async () => {
    const { store, path } = await fileStore();
    await new AuditTrail(store).append(1, "webhook", "d1", event(1));
    await store.close();
    const raw = new Database(path);
    expect(() => raw.prepare("update audit_events set actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => raw.prepare("delete from audit_events").run()).toThrow(/retention checkpoint/);
    raw.close();
  });

  it("names the first broken link when a row is edited directly in SQLite", async () => {
    const { store, path } = await fileStore();
    const trail = new AuditTrail(store);
    for (let i = 0; i < 4; i += 1) await trail.append(1, "webhook", `d${i}`, event(i));
    await store.close();
    // Someone with the database file drops the guard and rewrites history.
    const raw = new Database(path);
    raw.exec("drop trigger audit_events_no_update");
    raw.prepare("update audit_events set actor = 'mallory' where seq = 3").run();
    raw.close();
    const reopened = await Store.open(path);
    const result = await new AuditTrail(reopened).verify(1);
    expect(result).toMatchObject({ ok: false, checked: 2, brokenAt: { seq: 3, reason: expect.stringContaining("edited") } });
    await reopened.close();
  });

  it("detects a link removed from the middle of the chain", async () => {
    const { store, path } = await fileStore();
    const trail = new AuditTrail(store);
    for (let i = 0; i < 4; i += 1) await trail.append(1, "webhook", `d${i}`, event(i));
    await store.close();
    const raw = new Database(path);
    raw.exec("drop trigger audit_events_delete_after_checkpoint");
    raw.prepare("delete from audit_events where seq = 2").run();
    raw.close();
    const reopened = await Store.open(path);
    expect(await new AuditTrail(reopened).verify(1)).toMatchObject({ ok: false, brokenAt: { seq: 3, reason: expect.stringContaining("missing") } });
    await reopened.close();
  });
});

describe.each(dialects("audit trail"))("AuditTrail on $name", ({ open }) => {
  it("chains events per installation and verifies end to end", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    for (let i = 0; i < 5; i += 1) await trail.append(1, "webhook", `d${i}`, event(i));
    await trail.append(2, "webhook", "d0", event(0));
    const result = await trail.verify(1);
    expect(result).toMatchObject({ ok: true, checked: 5, fromSeq: 1 });
    expect(await trail.verify(2)).toMatchObject({ ok: true, checked: 1 });
    await store.close();
  });

  it("records a redelivered webhook once", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    expect(await trail.append(1, "webhook", "same", event(1))).toEqual({ recorded: true, seq: 1 });
    expect(await trail.append(1, "webhook", "same", event(1))).toEqual({ recorded: false, seq: 1 });
    expect((await collect(trail.events(1)))).toHaveLength(1);
    await store.close();
  });

  it("prunes past the retention period behind a checkpoint, and the rest still verifies and still chains on", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    for (let i = 0; i < 10; i += 1) await trail.append(1, "webhook", `d${i}`, event(i * 10));
    const now = new Date(Date.UTC(2026, 2, 1));
    const { pruned } = await trail.prune(1, 30, now);
    // Events fall every ten days from 1 January; the cut-off is 30 January: three go.
    expect(pruned).toBe(3);
    expect(await trail.verify(1)).toMatchObject({ ok: true, checked: 7, fromSeq: 4 });
    await trail.append(1, "webhook", "later", event(200));
    expect(await trail.verify(1)).toMatchObject({ ok: true, checked: 8 });
    expect(await trail.summary(1, new Date(0))).toMatchObject({ total: 8, pruned: true });
    expect(await trail.prune(1, 30, now)).toEqual({ pruned: 0 });
    await store.close();
  });

  it("never reads another installation's events", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    await trail.append(1, "webhook", "a", event(1, { target: "secret of org one" }));
    await trail.append(2, "webhook", "b", event(2));
    const seenBy2 = [...(await collect(trail.events(2))), ...(await trail.latest(2, 100))].map((r) => r.target);
    expect(seenBy2).not.toContain("secret of org one");
    expect((await trail.summary(2, new Date(0))).total).toBe(1);
    await store.close();
  });

  it("exports JSONL and CSV with the chain fields", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    await trail.append(1, "webhook", "d1", event(1, { target: 'name, with "quotes"' }));
    await trail.append(1, "webhook", "d2", event(2, { actor: "=cmd" }));
    const jsonl = (await collect(exportLines(trail.events(1), "jsonl"))).map((l) => JSON.parse(l));
    expect(jsonl.map((r) => r.seq)).toEqual([1, 2]);
    expect(jsonl[1].prevHash).toBe(jsonl[0].hash);
    const csv = (await collect(exportLines(trail.events(1), "csv")));
    expect(csv[0]).toBe("seq,occurredAt,recordedAt,kind,actor,target,repository,before,after,source,sourceId,prevHash,hash");
    expect(csv[1]).toContain('"name, with ""quotes"""');
    expect(csv[2]).toContain(`"'=cmd"`);
    await store.close();
  });
});
