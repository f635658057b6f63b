import { eq, lte } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dialects } from "../helpers/dialects.js";
import { HistoryCache } from "../../src/app/history-cache.js";
import { loadStoredHistory, storedHistory } from "../../src/app/stored-history.js";
import { historyAssessments, loadHistoryAssessments } from "../../src/store/history.js";
import type { CheckStatus } from "../../src/core/status.js";
import * as schema from "../../src/store/schema.js";
import * as pgSchema from "../../src/store/schema-pg.js";
import type { Store } from "../../src/store/store.js";
import { turnsDuring } from "../helpers/turns.js";

const NOW = new Date("2026-11-24T12:00:00Z");
const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString();

async function record(store: Store, repo: string, daysAgo: number, status: CheckStatus, installationId = 1): Promise<void> {
  await store.recordAssessment({
    installationId,
    trigger: "pull_request.opened",
    deliveryId: `d-${installationId}-${repo}-${daysAgo}`,
    assessment: {
      owner: "octo-org",
      name: repo,
      repo: null,
      scope: { inScope: true },
      findings: [],
      results: [{ claimId: "2.2.2", principle: "2.2", status, reason: "r", checks: [{ claimId: "2.2.2", checkId: "pr-required", status, reason: "r", supporting: false, evidence: [] }] }],
      requests: { rest: 1, graphql: 1, graphqlCost: 1 },
      startedAt: at(daysAgo),
      finishedAt: at(daysAgo),
    },
    configProblems: [],
  });
}

/** Spoils the results of the assessments up to id `upTo` behind the store's back; the function returned puts them back. */
async function spoil(store: Store, upTo: number): Promise<() => Promise<void>> {
  if (store.dialect === "sqlite") {
    const { db } = store;
    const { assessments } = schema;
    const originals = db.select({ id: assessments.id, results: assessments.results }).from(assessments).where(lte(assessments.id, upTo)).all();
    db.update(assessments).set({ results: "spoilt" }).where(lte(assessments.id, upTo)).run();
    return async () => {
      for (const o of originals) db.update(assessments).set({ results: o.results }).where(eq(assessments.id, o.id)).run();
    };
  }
  const { db } = store;
  const { assessments } = pgSchema;
  const originals = await db.select({ id: assessments.id, results: assessments.results }).from(assessments).where(lte(assessments.id, upTo));
  await db.update(assessments).set({ results: "spoilt" }).where(lte(assessments.id, upTo));
  return async () => {
    for (const o of originals) await db.update(assessments).set({ results: o.results }).where(eq(assessments.id, o.id));
  };
}

/** Every repository of the store removed at `at`, behind its back. */
async function removeRepositories(store: Store, at: string): Promise<void> {
  if (store.dialect === "sqlite") store.db.update(schema.repositories).set({ removedAt: at }).run();
  else await store.db.update(pgSchema.repositories).set({ removedAt: at });
}

describe.each(dialects("the history kept between page views"))("the history kept between page views, on $name", ({ open }) => {
  it("is the history built from the store, view after view, reading only what was stored since", async () => {
    const store = await open();
    await store.upsertInstallation(1, "octo-org", "Organization");
    await store.addRepositories(1, [
      { id: 1, fullName: "octo-org/api" },
      { id: 2, fullName: "octo-org/web" },
    ]);
    await record(store, "api", 120, "gap");
    await record(store, "api", 50, "met");
    await record(store, "web", 30, "gap");
    const cache = new HistoryCache(store);
    expect(await cache.history(1, NOW, 90)).toEqual(await storedHistory(store, 1, NOW, 90));

    await record(store, "web", 2, "met");
    await record(store, "api", 1, "partial");
    const later = new Date(NOW.getTime() + 3_600_000);
    const expected = await storedHistory(store, 1, later, 90);
    // The rows the first view read are spoilt: the next view must not read them again.
    const restore = await spoil(store, 3);
    await expect(storedHistory(store, 1, later, 90)).rejects.toThrow();
    expect(await cache.history(1, later, 90)).toEqual(expected);
    await restore();

    // A repository leaves the installation: built afresh, without it.
    await removeRepositories(store, later.toISOString());
    await store.addRepositories(1, [{ id: 1, fullName: "octo-org/api" }]);
    expect(await cache.history(1, later, 90)).toEqual(await storedHistory(store, 1, later, 90));
    expect(await cache.history(1, later, 30)).toEqual(await storedHistory(store, 1, later, 30));
    await store.close();
  });
});

describe.each(dialects("the history's assessments read a page at a time"))("the history's assessments read a page at a time, on $name", ({ open }) => {
  it("are the rows of one read, in the same order, with other callbacks running between the pages", async () => {
    const store = await open();
    for (const id of [1, 2]) await store.upsertInstallation(id, id === 1 ? "octo-org" : "other-org", "Organization");
    const repos = Array.from({ length: 40 }, (_, i) => `r${i}`);
    await store.addRepositories(1, repos.map((name, i) => ({ id: i + 1, fullName: `octo-org/${name}` })));
    await store.addRepositories(2, [{ id: 1_000, fullName: "other-org/r0" }]);
    // Before the period and inside it, out of time order, another installation's rows between.
    const statuses: CheckStatus[] = ["met", "gap", "partial"];
    for (const [i, name] of repos.entries()) {
      await record(store, name, 120 + i, "gap");
      for (let k = 0; k < 4; k += 1) {
        await record(store, name, (i * 7 + k * 13) % 89, statuses[(i + k) % 3]!);
        await record(store, "r0", (i + k) % 89, "met", 2);
      }
    }
    const since = new Date(NOW.getTime() - 90 * 86_400_000);

    const { turns, value: paged } = await turnsDuring(() => loadHistoryAssessments(store, 1, since, NOW));

    const whole = await historyAssessments(store, 1, since, NOW);
    expect(paged.during).toEqual(whole.during);
    expect(paged.during).toHaveLength(160);
    expect([...paged.before].sort((x, y) => x.id - y.id)).toEqual([...whole.before].sort((x, y) => x.id - y.id));
    // 40 rows before the period and 160 in it, 50 a page: a turn for others between every page.
    expect(turns).toBeGreaterThanOrEqual(4);
    expect(await loadStoredHistory(store, 1, NOW, 90)).toEqual(await storedHistory(store, 1, NOW, 90));
    await store.close();
  });

  it("are none for an installation without assessments in the period", async () => {
    const store = await open();
    await store.upsertInstallation(1, "octo-org", "Organization");
    expect(await loadHistoryAssessments(store, 1, new Date(NOW.getTime() - 86_400_000), NOW)).toEqual({ before: [], during: [] });
    await store.close();
  });
});
