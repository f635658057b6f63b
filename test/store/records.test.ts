import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { StoredAnswerCache } from "../../src/store/conditional-answers.js";
import { backfillOf, dropPending, enqueueBackfill, pendingRepositories, recentAssessmentCost, settleRepository, unfinishedBackfill, updateBackfill } from "../../src/store/backfill-records.js";
import { addDeliveryGap, claimRedelivery, deliveryGapsOf, redeliveriesOf, saveScanState, scanState, setRedeliveryOutcome } from "../../src/store/delivery-records.js";
import { historyAssessments, historyAssessmentsAfter, loadHistoryAssessments } from "../../src/store/history.js";
import {
  accessReviewByNumber,
  activeExceptions,
  endException,
  issueByNumber,
  issueRows,
  lastOrgStatusChange,
  latestAssessmentHeads,
  openIssuesFor,
  recordAccessReviewClosed,
  recordAccessReviewOpened,
  recordException,
  recordOrgStatuses,
  saveIssue,
  setIssueRepository,
  unavailableIssueRepositories,
  untickedOf,
  updateIssue,
} from "../../src/store/issue-records.js";
import { Store } from "../../src/store/store.js";
import { dialects } from "../helpers/dialects.js";

/*
 * What the store's record modules write and read back, the same on SQLite and on PostgreSQL:
 * backfills, issues and exceptions, access reviews, the app's deliveries, histories, the
 * conditional-request cache, and the installation's own rows. Every read is bound to one
 * installation: another installation's rows never come back.
 */

const A = 1;
const B = 2;
const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 10, minute));

function assessment(name: string, finishedAt: string, trigger = "installation.created", rest = 10): { trigger: string; assessment: Assessment } {
  return {
    trigger,
    assessment: { owner: "acme", name, repo: null, scope: { inScope: true }, findings: [], results: [{ claimId: "2.2.2", principle: "2", status: "met", reason: "r", checks: [] }], requests: { rest, graphql: 1, graphqlCost: 3 }, startedAt: finishedAt, finishedAt },
  };
}

describe.each(dialects("the store's record modules"))("the store's records on $name", ({ open }) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.upsertInstallation(A, "Acme", "Organization");
    await store.upsertInstallation(B, "other", "Organization");
  });
  afterEach(async () => await store.close());

  it("keeps installations: found by login whatever its case, their events, their audit-log source, removed ones left out of scheduled work", async () => {
    await store.ensureInstallation(A, "ignored");
    expect(await store.installationByLogin("ACME")).toMatchObject({ id: A, accountLogin: "Acme", removedAt: null });
    await store.setInstallationEvents(A, ["push", "member"]);
    expect(await store.installationEvents(A)).toEqual(["member", "push"]);
    expect(await store.installationEvents(B)).toBeNull();
    await store.setAuditLogSource(A, { status: "unavailable", reason: "not Enterprise Cloud", checkedAt: at(1) });
    expect(await store.auditLogSource(A)).toMatchObject({ status: "unavailable", reason: "not Enterprise Cloud", cursor: null, checkedAt: at(1).toISOString() });
    expect(await store.auditLogSource(B)).toBeUndefined();
    await store.markInstallationRemoved(B, at(2));
    expect(await store.activeInstallations()).toEqual([{ id: A, accountLogin: "Acme" }]);
  });

  it("reads assessments by id, newest per repository, and when each was last assessed, only within the installation", async () => {
    await store.addRepositories(A, [{ id: 10, fullName: "acme/a" }, { id: 11, fullName: "acme/B" }, { id: 12, fullName: "acme/gone" }]);
    const first = await store.recordAssessment({ installationId: A, configProblems: [], ...assessment("a", at(1).toISOString()) });
    const second = await store.recordAssessment({ installationId: A, configProblems: [], ...assessment("a", at(2).toISOString()) });
    const upper = await store.recordAssessment({ installationId: A, configProblems: [], ...assessment("B", at(3).toISOString()) });
    await store.recordAssessment({ installationId: A, configProblems: [], ...assessment("gone", at(4).toISOString()) });
    await store.removeRepositories(A, [12], at(5));
    const theirs = await store.recordAssessment({ installationId: B, configProblems: [], ...assessment("a", at(6).toISOString()) });

    // Repository names in byte order ("B" before "a"), whichever database sorts them.
    expect(await store.latestAssessmentIds(A)).toEqual([{ id: upper, repositoryFullName: "acme/B" }, { id: second, repositoryFullName: "acme/a" }]);
    expect((await latestAssessmentHeads(store, A)).map((h) => [h.id, h.repositoryFullName])).toEqual([[upper, "acme/B"], [second, "acme/a"]]);
    expect(Object.fromEntries(await store.lastAssessedAt(A))).toEqual({ "acme/a": at(2).toISOString(), "acme/B": at(3).toISOString() });
    expect((await store.assessmentsByIds(A, [first, second, theirs])).map((s) => s.id).sort((x, y) => x - y)).toEqual([first, second]);
    expect((await store.findingsByIds(A, [first, theirs])).map((f) => f.id)).toEqual([first]);
    expect(await store.assessmentById(A, theirs)).toBeUndefined();
    expect(await store.repositoriesOf(A)).toEqual(["acme/a", "acme/B"]);
  });

  it("runs a backfill: queues each repository once, settles each once, and counts what it assessed and what failed", async () => {
    const trigger = { name: "installation.created", deliveryId: "d1" };
    expect(await enqueueBackfill(store, A, ["acme/a", "acme/b", "acme/c", "acme/a"], trigger, at(1))).toMatchObject({ state: "running", total: 3, assessed: 0 });
    expect(await unfinishedBackfill(store, A)).toBe(true);
    expect(await unfinishedBackfill(store, B)).toBe(false);
    await settleRepository(store, A, "acme/a", true, at(2));
    await settleRepository(store, A, "acme/a", true, at(2));
    await settleRepository(store, A, "acme/b", false, at(3));
    await dropPending(store, A, ["acme/c"]);
    expect(await pendingRepositories(store, A)).toEqual([]);
    expect(await backfillOf(store, A)).toMatchObject({ total: 3, assessed: 1, failed: 1, updatedAt: at(3).toISOString() });
    await updateBackfill(store, A, { state: "finished", finishedAt: at(4).toISOString() }, at(4));
    expect(await unfinishedBackfill(store, A)).toBe(false);
    // A finished backfill is started afresh, not added to.
    expect(await enqueueBackfill(store, A, ["acme/d"], trigger, at(5))).toMatchObject({ state: "running", total: 1, assessed: 0, failed: 0 });
    expect(await backfillOf(store, B)).toBeUndefined();
  });

  it("counts every repository settled and every one queued when both happen at once", async () => {
    const trigger = { name: "installation.created", deliveryId: "d1" };
    const names = Array.from({ length: 20 }, (_, i) => `acme/r${i}`);
    await enqueueBackfill(store, A, names, trigger, at(1));
    await Promise.all([
      ...names.map((name) => settleRepository(store, A, name, true, at(2))),
      enqueueBackfill(store, A, ["acme/x", "acme/y"], trigger, at(3)),
      enqueueBackfill(store, A, ["acme/y", "acme/z"], trigger, at(3)),
    ]);
    expect(await backfillOf(store, A)).toMatchObject({ total: 23, assessed: 20, failed: 0 });
    expect((await pendingRepositories(store, A)).sort()).toEqual(["acme/x", "acme/y", "acme/z"]);
  });

  it("works out what recent full assessments cost, leaving out partial ones", async () => {
    expect(await recentAssessmentCost(store, A)).toBeNull();
    await store.recordAssessment({ installationId: A, configProblems: [], ...assessment("a", at(1).toISOString(), "installation.created", 10) });
    await store.recordAssessment({ installationId: A, configProblems: [], ...assessment("a", at(2).toISOString(), "member.added", 1) });
    await store.recordAssessment({ installationId: A, configProblems: [], ...assessment("b", at(3).toISOString(), "push", 20) });
    expect(await recentAssessmentCost(store, A)).toEqual({ rest: 15, graphql: 3, assessments: 2 });
  });

  it("keeps one row per issue identity, exceptions that replace one another, and organisation statuses as they change", async () => {
    const row = { installationId: A, kind: "gap" as const, claimId: "2.2.2", scope: "acme/a", repository: "acme/a", issueNumber: 7, issueUrl: "https://github.com/acme/a/issues/7", state: "open" as const, status: "gap", evidenceKind: "gap:x", hash: "h1", updatedAt: at(1).toISOString() };
    await saveIssue(store, row);
    await saveIssue(store, { ...row, hash: "h2" });
    await saveIssue(store, { ...row, kind: "summary", claimId: "summary", scope: "org", repository: "acme/.github", issueNumber: 1 });
    await saveIssue(store, { ...row, installationId: B });
    expect((await issueRows(store, A)).map((r) => `${r.kind} ${r.hash}`).sort()).toEqual(["gap h2", "summary h1"]);
    expect(await issueRows(store, A, "gap")).toHaveLength(1);
    const gap = (await issueByNumber(store, A, "acme/a", 7))!;
    await updateIssue(store, gap.id, { state: "closed", closedBy: "person" });
    expect((await openIssuesFor(store, A, ["acme/a"])).map((r) => r.kind)).toEqual(["summary"]);

    const exception = { installationId: A, claimId: "2.2.2", scope: "acme/a", issueUrl: row.issueUrl, acceptedBy: "octocat", acceptedAt: at(2).toISOString(), reason: "solo", expiresAt: at(50).toISOString(), evidenceKind: "gap:x" };
    await recordException(store, exception);
    // The same decision read twice (its event's job tried again) stays one decision, not one replacing itself.
    const first = (await activeExceptions(store, A)).map((e) => e.id);
    await recordException(store, exception);
    expect((await activeExceptions(store, A)).map((e) => e.id)).toEqual(first);
    await recordException(store, { ...exception, acceptedAt: at(3).toISOString(), reason: "still solo" });
    expect((await activeExceptions(store, A)).map((e) => e.reason)).toEqual(["still solo"]);
    await endException(store, A, "2.2.2", "acme/a", at(4), "the evidence changed");
    expect(await activeExceptions(store, A)).toEqual([]);

    await setIssueRepository(store, A, "acme/.github", { unavailable: "issues are disabled", checkedAt: at(5) });
    expect(await unavailableIssueRepositories(store, A)).toEqual([{ repository: "acme/.github", reason: "issues are disabled" }]);
    expect(await unavailableIssueRepositories(store, B)).toEqual([]);

    expect(await recordOrgStatuses(store, A, [{ claimId: "2.2.2", status: "gap" }, { claimId: "1.1.1", status: "met" }], at(6))).toEqual(["2.2.2", "1.1.1"]);
    expect(await recordOrgStatuses(store, A, [{ claimId: "2.2.2", status: "met" }, { claimId: "1.1.1", status: "met" }], at(7))).toEqual(["2.2.2"]);
    expect(await lastOrgStatusChange(store, A, "2.2.2")).toEqual({ from: "gap", to: "met", at: at(7).toISOString() });
    expect(await lastOrgStatusChange(store, B, "2.2.2")).toBeNull();
  });

  it("records an access review opened once and how it was closed", async () => {
    const opened = { installationId: A, repository: "acme/.github", issueNumber: 3, issueUrl: "https://github.com/acme/.github/issues/3", openedAt: at(1) };
    await recordAccessReviewOpened(store, opened);
    await recordAccessReviewOpened(store, { ...opened, openedAt: at(2) });
    const review = (await accessReviewByNumber(store, A, "acme/.github", 3))!;
    expect(review.openedAt).toBe(at(1).toISOString());
    await recordAccessReviewClosed(store, review.id, { closedAt: at(3).toISOString(), closedBy: "octocat", stateReason: "completed", unticked: ["@mallory"] });
    expect(untickedOf((await accessReviewByNumber(store, A, "acme/.github", 3))!)).toEqual(["@mallory"]);
    expect(await accessReviewByNumber(store, B, "acme/.github", 3)).toBeUndefined();
  });

  it("remembers the app's deliveries: how far it looked, each redelivery asked for once, and windows of missing events per installation", async () => {
    expect(await scanState(store)).toBeUndefined();
    await saveScanState(store, { newestSeenId: 41, scannedAt: at(1).toISOString(), aliveAt: at(1).toISOString() });
    await saveScanState(store, { newestSeenId: 42, scannedAt: at(2).toISOString(), aliveAt: at(2).toISOString() });
    expect(await scanState(store)).toEqual({ newestSeenId: 42, scannedAt: at(2).toISOString(), aliveAt: at(2).toISOString() });
    const delivery = { guid: "g1", id: 5_000_000_000, installationId: A, event: "push", deliveredAt: at(0).toISOString() };
    expect(await claimRedelivery(store, delivery, at(3))).toBe(true);
    expect(await claimRedelivery(store, delivery, at(4))).toBe(false);
    await setRedeliveryOutcome(store, "g1", "refused: HTTP 422");
    expect(await redeliveriesOf(store, A)).toEqual([{ guid: "g1", event: "push", deliveredAt: at(0).toISOString(), requestedAt: at(3).toISOString(), outcome: "refused: HTTP 422" }]);
    expect(await redeliveriesOf(store, B)).toEqual([]);
    const window = { from: at(10).toISOString(), until: at(20).toISOString() };
    await addDeliveryGap(store, A, window, at(30));
    await addDeliveryGap(store, A, window, at(31));
    expect(await deliveryGapsOf(store, A, at(15), at(40))).toEqual([window]);
    expect(await deliveryGapsOf(store, A, at(21), at(40))).toEqual([]);
    expect(await deliveryGapsOf(store, B, at(0), at(40))).toEqual([]);
  });

  it("reads a history the same paged as whole, for the repositories still covered", async () => {
    await store.addRepositories(A, [{ id: 10, fullName: "acme/a" }, { id: 11, fullName: "acme/b" }]);
    const ids: number[] = [];
    for (let i = 0; i < 130; i += 1) ids.push(await store.recordAssessment({ installationId: A, configProblems: [], ...assessment(i % 2 ? "a" : "b", at(i).toISOString()) }));
    await store.recordAssessment({ installationId: A, configProblems: [], ...assessment("elsewhere", at(60).toISOString()) });
    const whole = await historyAssessments(store, A, at(50), at(120));
    expect(whole.before.map((h) => h.id).sort((x, y) => x - y)).toEqual([ids[48], ids[49]]);
    expect(whole.during).toHaveLength(71);
    expect(whole.during[0]).toMatchObject({ id: ids[50], repo: "acme/b", claims: [{ claimId: "2.2.2", status: "met", checks: [] }] });
    expect(await loadHistoryAssessments(store, A, at(50), at(120))).toEqual(whole);
    expect((await historyAssessmentsAfter(store, A, ids[127]!)).map((h) => h.id)).toEqual([ids[128], ids[129]]);
    expect(await historyAssessments(store, B, at(0), at(200))).toEqual({ before: [], during: [] });
  });

  it("keeps conditional answers per installation, dropping the least recently used beyond the bound", async () => {
    let tick = 0;
    const cache = new StoredAnswerCache(store, () => (tick += 1));
    const answer = { etag: '"e1"', status: 200, data: { n: 1 }, headers: { etag: '"e1"', "x-ratelimit-remaining": "10" } };
    await cache.set(String(A), "GET /repos/{owner}/{repo}", { owner: "acme", repo: "a" }, answer);
    await cache.set(String(A), "GET /repos/{owner}/{repo}", { owner: "acme", repo: "a" }, { ...answer, etag: '"e2"' });
    expect(await cache.get(String(A), "GET /repos/{owner}/{repo}", { owner: "acme", repo: "a" })).toEqual({ etag: '"e2"', status: 200, data: { n: 1 }, headers: { etag: '"e1"' } });
    expect(await cache.get(String(B), "GET /repos/{owner}/{repo}", { owner: "acme", repo: "a" })).toBeUndefined();
    expect(await cache.size(A)).toBe(1);
    expect(await cache.prune(A)).toBe(0);
  });
});

describe("a backfill's repositories settled on SQLite", () => {
  it("prepares its statements once per store, not once per repository, and counts as before", async () => {
    const store = await Store.open(":memory:");
    try {
      await store.upsertInstallation(A, "acme", "Organization");
      const names = Array.from({ length: 30 }, (_, i) => `acme/r${i}`);
      await enqueueBackfill(store, A, names, { name: "installation.created", deliveryId: "d1" }, at(1));
      await settleRepository(store, A, names[0]!, true, at(2));
      const prepare = vi.spyOn(Database.prototype, "prepare");
      try {
        for (const [i, name] of names.entries()) await settleRepository(store, A, name, i % 3 !== 0, at(3));
        expect(prepare).not.toHaveBeenCalled();
      } finally {
        prepare.mockRestore();
      }
      // The first was settled (assessed) before the loop, whose second settling of it changes nothing: 1 + 20 assessed, 9 failed.
      expect(await backfillOf(store, A)).toMatchObject({ total: 30, assessed: 21, failed: 9, updatedAt: at(3).toISOString() });
      expect(await pendingRepositories(store, A)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
