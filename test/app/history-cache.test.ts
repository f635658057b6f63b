import { eq, lte } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { HistoryCache } from "../../src/app/history-cache.js";
import { storedHistory } from "../../src/app/stored-history.js";
import type { CheckStatus } from "../../src/core/status.js";
import * as schema from "../../src/store/schema.js";
import { Store } from "../../src/store/store.js";

const NOW = new Date("2026-11-24T12:00:00Z");
const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString();

function record(store: Store, repo: string, daysAgo: number, status: CheckStatus): void {
  store.recordAssessment({
    installationId: 1,
    trigger: "pull_request.opened",
    deliveryId: `d-${repo}-${daysAgo}`,
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

describe("the history kept between page views", () => {
  it("is the history built from the store, view after view, reading only what was stored since", () => {
    const store = Store.open(":memory:");
    store.upsertInstallation(1, "octo-org", "Organization");
    store.addRepositories(1, [
      { id: 1, fullName: "octo-org/api" },
      { id: 2, fullName: "octo-org/web" },
    ]);
    record(store, "api", 120, "gap");
    record(store, "api", 50, "met");
    record(store, "web", 30, "gap");
    const cache = new HistoryCache(store);
    expect(cache.history(1, NOW, 90)).toEqual(storedHistory(store, 1, NOW, 90));

    record(store, "web", 2, "met");
    record(store, "api", 1, "partial");
    const later = new Date(NOW.getTime() + 3_600_000);
    const expected = storedHistory(store, 1, later, 90);
    // The rows the first view read are spoilt: the next view must not read them again.
    const originals = store.db.select({ id: schema.assessments.id, results: schema.assessments.results }).from(schema.assessments).where(lte(schema.assessments.id, 3)).all();
    store.db.update(schema.assessments).set({ results: "spoilt" }).where(lte(schema.assessments.id, 3)).run();
    expect(() => storedHistory(store, 1, later, 90)).toThrow();
    expect(cache.history(1, later, 90)).toEqual(expected);
    for (const o of originals) store.db.update(schema.assessments).set({ results: o.results }).where(eq(schema.assessments.id, o.id)).run();

    // A repository leaves the installation: built afresh, without it.
    store.db.update(schema.repositories).set({ removedAt: later.toISOString() }).run();
    store.addRepositories(1, [{ id: 1, fullName: "octo-org/api" }]);
    expect(cache.history(1, later, 90)).toEqual(storedHistory(store, 1, later, 90));
    expect(cache.history(1, later, 30)).toEqual(storedHistory(store, 1, later, 30));
    store.close();
  });
});
