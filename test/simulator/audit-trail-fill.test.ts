import { afterEach, describe, expect, it } from "vitest";
import { AuditSummaries } from "../../src/audit/summary.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { runCli } from "../../src/cli.js";
import { Store } from "../../src/store/store.js";
import { fileStore, removeFileStores } from "../helpers/file-store.js";
import { fillTrail } from "./audit-trail-fill.js";

afterEach(removeFileStores);

describe("the benchmark's bulk-written audit trail", () => {
  it("is a sound chain: `claimcheck audit verify` passes, and the app's summary catches up on it and counts it", async () => {
    const { store, path } = await fileStore("claimcheck-fill-");
    await store.upsertInstallation(5, "synthetic", "Organization");
    await store.close();
    const now = new Date(Date.UTC(2026, 10, 28, 12));
    const head = await fillTrail(path, { installationId: 5, events: 3000, now, days: 30, repositories: ["synthetic/a", "synthetic/b"] });

    const previous = process.env.DATABASE_URL;
    process.env.DATABASE_URL = `file:${path}`;
    const out: string[] = [];
    try {
      expect(await runCli(["audit", "verify", "--org", "synthetic"], { out: (l) => out.push(l), err: () => undefined })).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previous;
    }
    expect(out[0]).toBe(`audit trail of synthetic verified: 3000 events from link 1, head ${head}`);

    const reopened = await Store.open(path);
    const summary = await new AuditSummaries(reopened).catchUp(5, () => now);
    expect(summary).toMatchObject({ total: 3000, exported: 3000, pending: 0, verification: { ok: true, throughSeq: 3000, headHash: head } });
    // Evenly spread over the 30 days before `now`, the newest at `now`.
    expect((await new AuditTrail(reopened).latest(5, 1))[0]).toMatchObject({ seq: 3000, occurredAt: now.toISOString(), repository: "synthetic/b" });
    expect(summary.earliest! > new Date(now.getTime() - 30 * 86_400_000).toISOString()).toBe(true);
    await reopened.close();
  });
});
