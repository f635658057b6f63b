import { afterEach, describe, expect, it } from "vitest";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { latestResults, StoredResults } from "../../src/app/issue-events.js";
import { CLAIMS } from "../../src/core/catalogue.js";
import { observed } from "../../src/core/findings.js";
import type { CheckStatus } from "../../src/core/status.js";
import type { OctokitLike } from "../../src/github/client.js";
import { evidenceKind, renderGapIssue } from "../../src/issues/gap-issue.js";
import { issueKey, planGapIssues, type KnownIssue, type Write } from "../../src/issues/plan.js";
import { subjectsOf, type RepositoryResults, type ResultsSource } from "../../src/issues/subjects.js";
import { IssuePublisher, type IssueRun } from "../../src/publish/issues.js";
import { activeExceptions, issueRows, recordException, saveIssue, type IssueRow } from "../../src/store/issue-records.js";
import type { Store } from "../../src/store/store.js";
import { dialects, type StoreDialect } from "../helpers/dialects.js";
import { seeded } from "../helpers/random.js";
import { claimResult, config, ORG, silent } from "../issues/fixtures.js";

/*
 * An issue run in each repository plans from one pass over the stored results and writes from a
 * second over only the repositories its issues are about. Over generated organisations (mixed
 * statuses, issues already open, closed by people or by claimcheck, exceptions in force, lapsed or
 * of another kind, caps of one to a dozen new issues), it writes exactly what planning from every
 * repository whole writes, in the same order; and with 1,000 repositories stored it holds no more
 * of them at once than with 100.
 */

const INSTALLATION = 7;
const NOW = new Date("2026-03-12T10:00:00Z");
const CHECK_STATUSES: CheckStatus[] = ["met", "met", "gap", "partial", "unknown"];

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function assessmentOf(random: Random, i: number): Assessment {
  const name = `repo-${i}`;
  const fullName = `${ORG}/${name}`;
  // Few distinct times, so several repositories share the newest.
  const finishedAt = new Date(NOW.getTime() - Math.floor(random() * 4) * 60_000).toISOString();
  const results = CLAIMS.filter(() => random() < 0.8).map((claim) => {
    const statuses = Object.fromEntries(claim.checks.map((c) => [c.id, pick(random, CHECK_STATUSES)]));
    return claimResult(claim.id, statuses, claim.scope === "org" ? undefined : fullName);
  });
  const where = { repo: fullName, source: "test", url: `https://github.com/${fullName}/settings/branches`, observedAt: finishedAt };
  return {
    owner: ORG,
    name,
    repo: null,
    scope: random() < 0.9 ? { inScope: true } : { inScope: false, reason: "archived" },
    findings: [observed("branch-protection.pr-required", random() < 0.5, where), observed("org.2fa-required", random() < 0.5, { source: "test", url: `https://github.com/orgs/${ORG}`, observedAt: finishedAt })],
    results,
    requests: { rest: 1, graphql: 0, graphqlCost: 0 },
    startedAt: finishedAt,
    finishedAt,
  };
}

async function storeOf(open: StoreDialect["open"], assessments: readonly Assessment[]): Promise<Store> {
  const store = await open();
  await store.upsertInstallation(INSTALLATION, ORG, "Organization");
  for (const assessment of assessments) await store.recordAssessment({ installationId: INSTALLATION, trigger: "installation.created", assessment, configProblems: [] });
  return store;
}

/** GitHub for the issue routes: nothing to adopt, every label there, every write accepted and recorded. */
function recordingGitHub(): { octokit: OctokitLike; requests: string[] } {
  const requests: string[] = [];
  let number = 1000;
  const request = async (route: string, params: Record<string, unknown> = {}) => {
    if (route === "GET /repos/{owner}/{repo}/labels/{name}") return { status: 200, data: { name: params.name }, headers: {} };
    requests.push(requestLine(route, params));
    if (route === "GET /repos/{owner}/{repo}/issues") return { status: 200, data: [], headers: {} };
    if (route === "POST /repos/{owner}/{repo}/issues") {
      number += 1;
      return { status: 201, data: { number, html_url: `https://github.com/${String(params.owner)}/${String(params.repo)}/issues/${number}` }, headers: {} };
    }
    return { status: 200, data: {}, headers: {} };
  };
  return { octokit: { request, graphql: async () => ({}) }, requests };
}

function requestLine(route: string, params: Record<string, unknown>): string {
  const { owner, repo, issue_number, title, body, labels, state, state_reason, name } = params;
  const content = route.startsWith("GET") ? {} : { title, body, labels, state, state_reason, name };
  return `${route} ${String(owner)}/${String(repo)}#${String(issue_number ?? "")} ${JSON.stringify(content)}`;
}

/** The requests a planned write makes, as `IssuePublisher` sends them. */
function requestsOf(write: Write, owner: string, repo: string, number: number | null): string[] {
  const at = { owner, repo, issue_number: number ?? undefined };
  switch (write.op) {
    case "create":
      return [requestLine("POST /repos/{owner}/{repo}/issues", { owner, repo, title: write.title, body: write.body, labels: write.labels })];
    case "update":
      return [requestLine("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...at, title: write.title, body: write.body })];
    case "comment":
      return [requestLine("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...at, body: write.body })];
    case "close":
      return [requestLine("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...at, state: "closed", state_reason: "completed" })];
    case "reopen":
      return [requestLine("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...at, state: "open" })];
    case "label":
      return [
        ...(write.add.length > 0 ? [requestLine("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", { ...at, labels: write.add })] : []),
        ...write.remove.map((name) => requestLine("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", { ...at, name })),
      ];
  }
}

function knownOf(row: IssueRow): KnownIssue {
  return { number: row.issueNumber, url: row.issueUrl, state: row.state, closedBy: row.closedBy, stateReason: row.stateReason, status: row.status, evidenceKind: row.evidenceKind, hash: row.hash, reopenedOnce: row.reopenedOnce };
}

const stateOf = (r: IssueRow) => ({ key: issueKey(r.claimId, r.scope), state: r.state, closedBy: r.closedBy, stateReason: r.stateReason, status: r.status, evidenceKind: r.evidenceKind, hash: r.hash, reopenedOnce: r.reopenedOnce });

type Organisation = { assessments: Assessment[]; raw: Record<string, unknown>; wanted: Set<string> | undefined };

function organisation(seed: number): Organisation {
  const random = seeded(seed);
  const assessments = Array.from({ length: 15 + Math.floor(random() * 25) }, (_, i) => assessmentOf(random, i));
  const wanted = random() < 0.5 ? undefined : new Set(assessments.filter(() => random() < 0.6).map((a) => `${ORG}/${a.name}`));
  return { assessments, raw: { issues: { maxOpenPerRun: 1 + Math.floor(random() * 12) } }, wanted };
}

/** Issues and exceptions from earlier runs, for some of the subjects: each state a plan distinguishes. */
async function history(store: Store, seed: number, latest: readonly RepositoryResults[], raw: Record<string, unknown>): Promise<void> {
  const random = seeded(seed * 7919);
  const settings = config(raw);
  let number = 1;
  for (const { subject, target } of subjectsOf(latest, { org: ORG, centralRepository: ".github", central: false })) {
    const repository = `${target.owner}/${target.repo}`;
    const url = `https://github.com/${repository}/issues/${number}`;
    if (random() < 0.35) {
      const hash = random() < 0.5 ? renderGapIssue(subject, { expireAfterDays: settings.exceptions.expireAfterDays, everyHours: settings.reassessment.everyHours }).hash : "0000000000000000";
      const closed = random() < 0.4;
      const closedBy = closed ? pick(random, ["claimcheck", "person"] as const) : null;
      await saveIssue(store, {
        installationId: INSTALLATION,
        kind: "gap",
        claimId: subject.claimId,
        scope: subject.scope,
        repository,
        issueNumber: number,
        issueUrl: url,
        state: closed ? "closed" : "open",
        closedBy,
        stateReason: closedBy === "person" ? pick(random, ["completed", "not_planned"]) : closed ? "completed" : null,
        status: pick(random, ["gap", "partial", "met"]),
        evidenceKind: random() < 0.5 ? evidenceKind(subject) : "gap:other-check",
        hash,
        reopenedOnce: random() < 0.3,
        updatedAt: NOW.toISOString(),
      });
      number += 1;
    }
    if (random() < 0.12) {
      await recordException(store, {
        installationId: INSTALLATION,
        claimId: subject.claimId,
        scope: subject.scope,
        issueUrl: url,
        acceptedBy: "octocat",
        acceptedAt: "2026-03-01T00:00:00.000Z",
        reason: "accepted",
        expiresAt: random() < 0.3 ? "2026-03-10T00:00:00.000Z" : "2026-06-01T00:00:00.000Z",
        evidenceKind: random() < 0.7 ? evidenceKind(subject) : "gap:other-check",
      });
    }
  }
}

/** What planning from every repository whole writes: the repositories listed, then each planned write, in order. */
async function wholePlan(store: Store, org: Organisation) {
  const latest = await latestResults(store, INSTALLATION);
  const settings = config(org.raw);
  const subjects = subjectsOf(latest, { org: ORG, centralRepository: ".github", central: false }).filter((s) => !org.wanted || org.wanted.has(s.subject.scope) || s.subject.scope === "org");
  const intended = subjects.map((s) => ({ ...s, rendered: renderGapIssue(s.subject, { expireAfterDays: settings.exceptions.expireAfterDays, everyHours: settings.reassessment.everyHours }) }));
  const stored = new Map((await issueRows(store, INSTALLATION, "gap")).map((r) => [issueKey(r.claimId, r.scope), r]));
  const plan = planGapIssues({ intended, known: new Map([...stored].map(([k, r]) => [k, knownOf(r)])), exceptions: await activeExceptions(store, INSTALLATION), maxNew: settings.issues.maxOpenPerRun, now: NOW });
  const listed = [...new Set(intended.filter((i) => !stored.has(issueKey(i.subject.claimId, i.subject.scope))).map((i) => `${i.target.owner}/${i.target.repo}`))];
  const requests = [
    ...listed.map((name) => requestLine("GET /repos/{owner}/{repo}/issues", { owner: name.split("/")[0], repo: name.split("/")[1] })),
    ...plan.issues.flatMap((p) => p.writes.flatMap((w) => requestsOf(w, p.intended.target.owner, p.intended.target.repo, p.number))),
  ];
  return {
    requests,
    deferred: plan.deferred.map((d) => ({ claimId: d.subject.claimId, scope: d.subject.scope })),
    closedByPeople: plan.closedByPeople.map((c) => ({ claimId: c.intended.subject.claimId, scope: c.intended.subject.scope, url: c.url })),
    after: plan.issues.map((p) => ({ key: p.key, ...p.after })),
    excepted: plan.excepted.length,
    ended: plan.issues.filter((p) => p.endException).length,
  };
}

async function publish(store: Store, latest: readonly RepositoryResults[] | ResultsSource, org: Organisation, github = recordingGitHub()): Promise<{ run: IssueRun; requests: string[] }> {
  const publisher = new IssuePublisher({ store, log: silent, now: () => NOW, sleep: async () => undefined, limits: { perMinute: 1e6, perHour: 1e6 } });
  const run = publisher.newRun(INSTALLATION, ORG);
  run.config = config(org.raw);
  await publisher.publishGaps(github.octokit, run, latest, org.wanted);
  return { run, requests: github.requests };
}

describe.each(dialects("an issue run planned from one pass and written from a second"))("an issue run planned from one pass and written from a second, on $name", ({ open }) => {
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  async function prepared(seed: number, org: Organisation): Promise<Store> {
    const store = await storeOf(open, org.assessments);
    stores.push(store);
    await history(store, seed, await latestResults(store, INSTALLATION), org.raw);
    return store;
  }

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`writes what planning from every repository whole writes, in the same order (seed ${seed})`, async () => {
      const org = organisation(seed);
      const fromStore = await prepared(seed, org);
      const expected = await wholePlan(fromStore, org);
      const before = new Map((await issueRows(fromStore, INSTALLATION, "gap")).map((r) => [issueKey(r.claimId, r.scope), stateOf(r)]));
      // The app's source, read from the store.
      const { run, requests } = await publish(fromStore, await StoredResults.open(fromStore, INSTALLATION), org);
      expect(requests).toEqual(expected.requests);
      expect(run.deferred).toEqual(expected.deferred);
      expect(run.closedByPeople).toEqual(expected.closedByPeople);
      const after = new Map(before);
      for (const { key, ...state } of expected.after) after.set(key, { key, ...state });
      expect(new Map((await issueRows(fromStore, INSTALLATION, "gap")).map((r) => [issueKey(r.claimId, r.scope), stateOf(r)]))).toEqual(after);
      // A list already read goes the same way.
      const fromList = await prepared(seed, org);
      const listed = await publish(fromList, await latestResults(fromList, INSTALLATION), org);
      expect(listed.requests).toEqual(expected.requests);
    });
  }

  it("across the seeds, creates, updates, comments, closes, reopens, deferrals and exceptions all occur", async () => {
    const seen = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const org = organisation(seed);
      const store = await prepared(seed, org);
      const expected = await wholePlan(store, org);
      for (const line of expected.requests) seen.add(`${line.split(" ")[0]!} ${line.split(" ")[1]!}`);
      if (expected.deferred.length > 0) seen.add("deferred");
      if (expected.closedByPeople.length > 0) seen.add("closed by people");
      if (expected.excepted > 0) seen.add("excepted");
      if (expected.ended > 0) seen.add("exception ended");
    }
    expect([...seen].sort()).toEqual(
      [
        "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
        "GET /repos/{owner}/{repo}/issues",
        "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
        "POST /repos/{owner}/{repo}/issues",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
        "closed by people",
        "deferred",
        "excepted",
        "exception ended",
      ].sort(),
    );
  });

  it("holds no more repositories whole at once with 1,000 stored than with 100, and reads again only those it writes issues for", async () => {
    const measure = async (count: number) => {
      const random = seeded(count);
      const store = await storeOf(open, Array.from({ length: count }, (_, i) => assessmentOf(random, i)));
      stores.push(store);
      const source = new Leasing(await StoredResults.open(store, INSTALLATION));
      const org = { assessments: [], raw: {}, wanted: undefined };
      const { run } = await publish(store, source, org);
      source.end();
      return { ...source.counts, created: run.created, deferred: run.deferred.length };
    };
    const small = await measure(100);
    const large = await measure(1_000);
    // Every repository read once to plan; then the newest (organisation claims), and the
    // repositories of the issues written (the default cap of 10 new issues), read again.
    expect(small.visited).toBe(100);
    expect(large.visited).toBe(1_000);
    expect(large.created).toBe(10);
    expect(small.created).toBe(10);
    expect(large.deferred).toBeGreaterThan(small.deferred);
    expect(large.readAgain).toBeLessThanOrEqual(1 + large.created);
    expect(small.readAgain).toBeLessThanOrEqual(1 + small.created);
    // At most one repository whole during the planning pass, and while writing the repositories of
    // one page of planned issues (25 issues at most): the same at either size.
    expect(large.mostHeld).toBe(small.mostHeld);
    expect(large.mostHeld).toBeLessThanOrEqual(25);
  }, 60_000);
});

/**
 * A source whose repositories may be read only while they are lent: one visited by `forEach` until
 * its visit ends, those handed by `forSome` until the source is next asked. Anything read after
 * that throws, so a publisher that kept a repository (or any part of it) could not use it; and
 * the most lent at once is the most the publisher can be holding.
 */
class Leasing implements ResultsSource {
  readonly counts = { visited: 0, readAgain: 0, mostHeld: 0 };
  private lent: (() => void)[] = [];
  private held = 0;

  constructor(private readonly inner: ResultsSource) {}

  get newest(): string | undefined {
    return this.inner.newest;
  }

  async forEach(visit: (r: RepositoryResults) => void | Promise<void>): Promise<void> {
    this.end();
    await this.inner.forEach(async (r) => {
      this.counts.visited += 1;
      const { value, revoke } = lend(r);
      this.hold(1);
      try {
        await visit(value);
      } finally {
        revoke();
        this.held -= 1;
      }
    });
  }

  async forSome(fullNames: ReadonlySet<string>, visit: (r: RepositoryResults) => void | Promise<void>): Promise<void> {
    this.end();
    await this.inner.forSome(fullNames, async (r) => {
      this.counts.readAgain += 1;
      const { value, revoke } = lend(r);
      this.lent.push(revoke);
      this.hold(1);
      await visit(value);
    });
  }

  /** Takes back what `forSome` lent. */
  end(): void {
    for (const revoke of this.lent.splice(0)) revoke();
    this.held = 0;
  }

  private hold(n: number): void {
    this.held += n;
    this.counts.mostHeld = Math.max(this.counts.mostHeld, this.held);
  }
}

/** `value` behind revocable proxies all the way down: after `revoke`, touching any part of it throws. */
function lend<T extends object>(value: T): { value: T; revoke: () => void } {
  const revokers: (() => void)[] = [];
  const proxies = new WeakMap<object, object>();
  const wrap = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    const known = proxies.get(v);
    if (known) return known;
    const { proxy, revoke } = Proxy.revocable(v, { get: (target, key, receiver) => wrap(Reflect.get(target, key, receiver)) });
    revokers.push(revoke);
    proxies.set(v, proxy);
    return proxy;
  };
  return { value: wrap(value) as T, revoke: () => revokers.forEach((r) => r()) };
}
