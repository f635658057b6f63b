import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { backfillOf, enqueueBackfillInSlices, pendingRepositories, settleRepository } from "../../src/store/backfill-records.js";
import { latestAssessmentHeads, loadLatestAssessments } from "../../src/store/issue-records.js";
import { ROWS_PER_SLICE, type Store } from "../../src/store/store.js";
import { dialects } from "../helpers/dialects.js";
import { turnsDuring } from "../helpers/turns.js";

/*
 * An installation event names every repository of the organisation (10,000 on a large one). The
 * store's writes for it go a slice at a time, so webhooks are acknowledged in between: counted
 * by the turns other callbacks get, never by timing.
 */

const INSTALLATION = 7;
const trigger = { name: "installation.created", deliveryId: "d1" };
const at = new Date("2026-11-28T10:00:00Z");
const names = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `acme/repo-${from + i}`);

describe.each(dialects("writes and reads over a whole organisation"))("writes over a whole organisation on $name", ({ open }) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.upsertInstallation(INSTALLATION, "acme", "Organization");
  });
  afterEach(async () => await store.close());

  it("records an installation's repositories a slice at a time, other callbacks running in between", async () => {
    const repos = names(3 * ROWS_PER_SLICE + 1).map((fullName, i) => ({ id: i + 1, fullName }));
    const { turns } = await turnsDuring(() => store.addRepositoriesInSlices(INSTALLATION, repos));
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(await store.repositoriesOf(INSTALLATION)).toHaveLength(repos.length);
  });

  it("brings back a removed repository and follows a rename, as one by one did", async () => {
    await store.addRepositoriesInSlices(INSTALLATION, [{ id: 1, fullName: "acme/old-name" }, { id: 2, fullName: "acme/gone" }]);
    await store.removeRepositories(INSTALLATION, [2]);
    expect(await store.repositoriesOf(INSTALLATION)).toEqual(["acme/old-name"]);
    await store.addRepositoriesInSlices(INSTALLATION, [{ id: 1, fullName: "acme/new-name" }, { id: 2, fullName: "acme/gone" }]);
    expect((await store.repositoriesOf(INSTALLATION)).sort()).toEqual(["acme/gone", "acme/new-name"]);
  });

  it("queues a backfill a slice at a time, counting each repository once", async () => {
    const repos = names(2 * ROWS_PER_SLICE + 10);
    const { turns } = await turnsDuring(() => enqueueBackfillInSlices(store, INSTALLATION, repos, trigger, at));
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(await backfillOf(store, INSTALLATION)).toMatchObject({ state: "running", total: repos.length, assessed: 0 });
    expect(await pendingRepositories(store, INSTALLATION)).toEqual(repos);

    // Queued again with some new ones while it runs: only the new ones add to the total.
    await settleRepository(store, INSTALLATION, repos[0]!, true, at);
    await enqueueBackfillInSlices(store, INSTALLATION, [...repos.slice(0, 5), ...names(3, 10_000)], trigger, at);
    expect(await backfillOf(store, INSTALLATION)).toMatchObject({ total: repos.length + 3 + 1, assessed: 1 });
  });

  it("starts a backfill of nothing as before: finished at once by the runner, never left without a row", async () => {
    await enqueueBackfillInSlices(store, INSTALLATION, [], trigger, at);
    expect(await backfillOf(store, INSTALLATION)).toMatchObject({ state: "running", total: 0 });
  });
});

describe.each(dialects("writes and reads over a whole organisation"))("reads over a whole organisation on $name", ({ open }) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.upsertInstallation(INSTALLATION, "acme", "Organization");
  });
  afterEach(async () => await store.close());

  async function assess(name: string, finishedAt: string, inScope = true): Promise<number> {
    const assessment: Assessment = { owner: "acme", name, repo: null, scope: inScope ? { inScope: true } : { inScope: false, reason: "archived" }, findings: [], results: [], requests: { rest: 1, graphql: 1, graphqlCost: 1 }, startedAt: finishedAt, finishedAt };
    return await store.recordAssessment({ installationId: INSTALLATION, trigger: "installation.created", assessment, configProblems: [] });
  }

  it("loads each covered repository's newest assessment a page at a time, other callbacks running in between", async () => {
    const repos = names(120);
    await store.addRepositoriesInSlices(INSTALLATION, repos.map((fullName, i) => ({ id: i + 1, fullName })));
    for (const [i, fullName] of repos.entries()) await assess(fullName.split("/")[1]!, `2026-11-27T10:00:${String(i % 60).padStart(2, "0")}Z`);
    const newer = assess("repo-3", "2026-11-28T09:00:00Z", false);
    await store.removeRepositories(INSTALLATION, [6]); // acme/repo-5

    let latest: Awaited<ReturnType<typeof loadLatestAssessments>> = [];
    const { turns } = await turnsDuring(async () => (latest = await loadLatestAssessments(store, INSTALLATION)));
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(latest.map((a) => a.repositoryFullName)).toEqual(repos.filter((r) => r !== "acme/repo-5").sort());
    expect(latest.find((a) => a.repositoryFullName === "acme/repo-3")).toMatchObject({ id: newer, inScope: false });
    expect((await latestAssessmentHeads(store, INSTALLATION)).map((h) => h.id)).toEqual(latest.map((a) => a.id));
  });
});
