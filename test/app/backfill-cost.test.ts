import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dialects, sqliteOnly } from "../helpers/dialects.js";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { costOf } from "../../src/app/backfill.js";
import { MEASURED_COST, planBackfill } from "../../src/app/backfill-plan.js";
import { recentAssessmentCost, recentAssessmentsQuery } from "../../src/store/backfill-records.js";
import { Store } from "../../src/store/store.js";

/* The backfill plans with what the installation's own recent assessments cost, not a constant. */

const INSTALLATION = 3;

async function record(store: Store, trigger: string, requests: Assessment["requests"], inScope = true) {
  const assessment: Assessment = { owner: "acme", name: "api", repo: null, scope: inScope ? { inScope: true } : { inScope: false, reason: "archived" }, findings: [], results: [], requests, startedAt: "2026-11-24T12:00:00Z", finishedAt: "2026-11-24T12:00:01Z" };
  await store.recordAssessment({ installationId: INSTALLATION, trigger, assessment, configProblems: [] });
}

describe.each(dialects("the cost a backfill plans with"))("the cost a backfill plans with, on $name", ({ open }) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.upsertInstallation(INSTALLATION, "acme", "Organization");
  });
  afterEach(async () => await store.close());

  it("is the mean of recent full assessments as GitHub charged them: 304s free, points as reported", async () => {
    await record(store, "pull_request.opened", { rest: 6, graphql: 1, graphqlCost: 3, notModified: 4 });
    await record(store, "installation.created", { rest: 6, graphql: 1, graphqlCost: 2 });
    // A protection refresh reads less than a full assessment, and an archived repository almost nothing.
    await record(store, "branch_protection_rule.edited", { rest: 3, graphql: 0, graphqlCost: 0 });
    await record(store, "installation.created", { rest: 1, graphql: 0, graphqlCost: 0 }, false);
    expect(await recentAssessmentCost(store, INSTALLATION)).toEqual({ rest: 4, graphql: 2.5, assessments: 2 });
    expect(costOf(await recentAssessmentCost(store, INSTALLATION))).toEqual({ rest: 4, graphql: 2.5 });
  });

  it("falls back to the benchmark's figure before the installation has any, and never plans a free repository", async () => {
    expect(costOf(await recentAssessmentCost(store, INSTALLATION))).toEqual(MEASURED_COST);
    expect(costOf({ rest: 0, graphql: 0.2 })).toEqual({ rest: 1, graphql: 1 });
  });

});

describe("the cost a backfill plans with", () => {
  let store: Store;
  beforeEach(async () => {
    store = await Store.open(":memory:");
    await store.upsertInstallation(INSTALLATION, "acme", "Organization");
  });
  afterEach(async () => await store.close());

  // Reads SQLite's own query plan, so it runs on SQLite only.
  it("is read from an index, newest first, without reading and sorting every stored assessment", async () => {
    // Asked before every batch of a backfill: sorting all of an installation's assessments (their
    // JSON columns with them) blocked the event loop for seconds once thousands were stored.
    const query = recentAssessmentsQuery(sqliteOnly(store), INSTALLATION, 200).toSQL();
    const sqlite = (sqliteOnly(store).db as unknown as { $client: { prepare: (sql: string) => { all: (...params: unknown[]) => unknown[] } } }).$client;
    const plan = sqlite.prepare(`explain query plan ${query.sql}`).all(...query.params) as { detail: string }[];
    const steps = plan.map((p) => p.detail).join("; ");
    expect(steps).toContain("USING INDEX assessments_installation_scope");
    expect(steps).not.toMatch(/TEMP B-TREE|SCAN assessments/);
  });

  it("with GitHub's reported limits: 12,500 points an hour pays for 2.5 times what 5,000 does", async () => {
    const now = new Date("2026-11-24T12:00:00Z");
    const fresh = (limit: number) => ({ limit, remaining: limit, resetAt: new Date(now.getTime() + 3_600_000) });
    const cost = { rest: 3, graphql: 3 };
    const small = planBackfill({ pending: 10_000, cost, budget: { rest: fresh(15_000), graphql: fresh(5_000) }, now });
    const large = planBackfill({ pending: 10_000, cost, budget: { rest: fresh(15_000), graphql: fresh(12_500) }, now });
    expect(small.perWindow).toBe(Math.floor(4_000 / 3));
    expect(large.perWindow).toBe(Math.floor(10_000 / 3));
    expect(large.boundBy).toBe("graphql");
  });
});
