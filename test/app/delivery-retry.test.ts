import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { backfillOf, pendingCount } from "../../src/store/backfill-records.js";
import { ROWS_PER_SLICE } from "../../src/store/shared.js";
import { mockInstallationToken } from "../helpers/github-api.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { webhookExample } from "../helpers/webhooks.js";

/*
 * A delivery's job tried again after its first attempt failed part-way. An installation adding
 * more repositories than one slice of the store's writes queues its backfill a slice at a time;
 * an attempt that fails between two slices has queued some and not the others. Its retry must
 * queue the rest, and must not count again what the first attempt queued.
 */

describe("a delivery whose backfill was queued in part", () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.idle();
    await app?.store.close();
    nock.cleanAll();
  });

  it("queues on its retry the repositories of the slice its first attempt did not write, and counts each once", async () => {
    app = await testApp({ sleep: async () => undefined });
    const event = webhookExample("installation_repositories", "added");
    const installationId = event.installation.id as number;
    const template = event.repositories_added[0]!;
    const owner = (template.full_name as string).split("/")[0]!;
    const total = ROWS_PER_SLICE + 3;
    const added = Array.from({ length: total }, (_, i) => ({ ...template, id: 50_000 + i, node_id: `R_${i}`, name: `repo-${i}`, full_name: `${owner}/repo-${i}` }));
    // Every repository's assessment fails (no GitHub answers them): each is then counted as failed, once.
    mockInstallationToken(installationId);

    // The second slice's write fails once, as a lost connection would.
    const db = app.store.db as unknown as { transaction: (work: unknown) => unknown };
    const real = db.transaction.bind(db);
    let slices = 0;
    let failed = 0;
    db.transaction = (work: unknown) => {
      if (String(work).includes("backfillRepositories") && ++slices === 2) {
        failed += 1;
        throw new Error("database is locked");
      }
      return real(work);
    };
    await app.deliver("installation_repositories", { ...event, repositories_added: added }, "added-in-slices");
    db.transaction = real;

    expect(failed).toBe(1);
    const row = await backfillOf(app.store, installationId);
    expect(await pendingCount(app.store, installationId)).toBe(0);
    expect(row).toMatchObject({ state: "finished", total });
    expect((row?.assessed ?? 0) + (row?.failed ?? 0)).toBe(total);
  }, 60_000);
});
