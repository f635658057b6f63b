import { enqueueBackfill, updateBackfill } from "../../src/store/backfill-records.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dialects } from "../helpers/dialects.js";
import { acceptedExceptions } from "../../src/issues/exceptions.js";
import { parseMarker } from "../../src/issues/marker.js";
import { IssuePublisher, type IssueRun } from "../../src/publish/issues.js";
import { issueRows, recordException, updateIssue } from "../../src/store/issue-records.js";
import type { Store } from "../../src/store/store.js";
import { FakeIssues } from "./fake-issues.js";
import { claimResult, config, octokit, ORG, repoResults, silent } from "./fixtures.js";

const INSTALLATION = 7;
let now = new Date("2026-03-12T10:00:00Z");

describe.each(dialects("gap issue publisher"))("gap issue publisher on $name", ({ open }) => {
  let store: Store;
  let github: FakeIssues;
  let publisher: IssuePublisher;

  beforeEach(async () => {
    now = new Date("2026-03-12T10:00:00Z");
    store = await open();
    github = new FakeIssues();
    publisher = new IssuePublisher({ store, log: silent, now: () => now, sleep: async () => undefined });
  });
  afterEach(async () => await store.close());

  function run(raw: Record<string, unknown> = {}): IssueRun {
    const r = publisher.newRun(INSTALLATION, ORG);
    r.config = config(raw);
    return r;
  }

  async function publish(results: ReturnType<typeof repoResults>[], raw: Record<string, unknown> = {}, only?: string) {
    const r = run(raw);
    await publisher.publishGaps(octokit(), r, results, only);
    return r;
  }

  it("goes gap → update → met (closed) → regress (reopened), writing only when content changes", async () => {
    const gap = repoResults("api", [claimResult("2.2.2", {}, "acme/api", "gap")]);
    const first = await publish([gap]);
    const [issue] = github.issues("acme/api");
    expect(github.issues("acme/api")).toHaveLength(1);
    expect(issue!.title).toBe("Code of Practice 2.2.2 (gap): Only authorised personnel can make changes to the build environment");
    expect(issue!.labels).toEqual(["code-of-practice", "principle:2.2", "status:gap"]);
    expect(parseMarker(issue!.body)).toMatchObject({ kind: "gap", claim: "2.2.2", scope: "acme/api" });
    expect(issue!.body).toContain("Require a pull request before merging on the default branch");
    expect(issue!.body).toContain("[branch-protection.pr-required](https://github.com/acme/api/settings/branches): `false`");
    // Three labels created with colours, one issue.
    expect(first.writes).toBe(4);
    expect(github.writes.filter((w) => w.path.endsWith("/labels"))).toHaveLength(3);

    // The same evidence, checked later: nothing written.
    now = new Date("2026-03-13T10:00:00Z");
    const again = await publish([repoResults("api", gap.results, "2026-03-13T09:00:00.000Z")]);
    expect(again.writes).toBe(0);

    // gap → partial: body updated in place, label swapped, one comment.
    const partial = await publish([repoResults("api", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/api")])]);
    expect(github.issues("acme/api")).toHaveLength(1);
    expect(issue!.labels).toEqual(["code-of-practice", "principle:2.2", "status:partial"]);
    expect(issue!.comments.map((c) => c.body)).toEqual([expect.stringContaining("Status changed: **gap → partial**")]);
    expect(partial.writes).toBe(5); // edit, label created, label added, label removed, comment

    // Met: closed with a comment naming the evidence.
    await publish([repoResults("api", [claimResult("2.2.2", {}, "acme/api")])]);
    expect(issue!.state).toBe("closed");
    expect(issue!.state_reason).toBe("completed");
    expect(issue!.comments.at(-1)!.body).toContain("Claim 2.2.2 is now **met**");
    expect(issue!.comments.at(-1)!.body).toContain("`pr-required` ✅ met");

    // Regressed: the same issue reopened, with a comment; never a second issue.
    await publish([repoResults("api", [claimResult("2.2.2", { "no-force-push": "gap", "pr-required": "gap" }, "acme/api")])]);
    expect(github.issues("acme/api")).toHaveLength(1);
    expect(issue!.state).toBe("open");
    expect(issue!.comments.at(-1)!.body).toContain("was met and is now **partial** again: reopening");
    expect(issue!.body).toContain("`no-force-push`");
  });

  it("finds an issue by its marker after the store is lost and the title renamed", async () => {
    const gap = repoResults("api", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/api")]);
    await publish([gap]);
    github.issues("acme/api")[0]!.title = "Renamed by someone";
    await store.close();
    store = await open();
    publisher = new IssuePublisher({ store, log: silent, now: () => now });
    const r = await publish([gap]);
    expect(github.issues("acme/api")).toHaveLength(1);
    expect(r.writes).toBe(0);
    expect(github.requests.some((q) => q.method === "GET" && q.path.includes("/issues?") && q.path.includes("labels=code-of-practice") && q.path.includes("state=all"))).toBe(true);
  });

  it("puts organisation claims once in the central repository, and per-repository claims there too when central", async () => {
    const org = (name: string) => repoResults(name, [claimResult("2.1.5", { "org-2fa-required": "gap" }), claimResult("2.2.2", { "pr-required": "gap" }, `acme/${name}`)]);
    await publish([org("api"), org("web")], { issues: { central: true } });
    const central = github.issues("acme/.github");
    expect(central.map((i) => parseMarker(i.body)?.scope).sort()).toEqual(["central", "org"]);
    expect(central.find((i) => parseMarker(i.body)?.scope === "central")!.body).toMatch(/\[acme\/api\][\s\S]*\[acme\/web\]/);
    expect(github.issues("acme/api")).toHaveLength(0);
  });

  it("opens at most issues.maxOpenPerRun new issues and lists the rest in the summary", async () => {
    const repos = Array.from({ length: 5 }, (_, i) => repoResults(`r${i}`, [claimResult("2.2.2", { "pr-required": "gap" }, `acme/r${i}`)]));
    const r = await publish(repos, { issues: { maxOpenPerRun: 3 } });
    expect([...github.repos.values()].flatMap((x) => x.issues)).toHaveLength(3);
    expect(r.created).toBe(3);
    expect(r.deferred.map((d) => d.scope).sort()).toEqual(["acme/r3", "acme/r4"]);
    await publisher.publishSummary(octokit(), r, repos);
    const summary = github.issues("acme/.github")[0]!;
    expect(summary.body).toContain("### Gaps without an issue yet");
    expect(summary.body).toContain("- 2.2.2 in acme/r4");
  });

  it("says in the summary that an organisation-wide assessment is still spreading over the rate limit, and when it ends", async () => {
    const repos = [repoResults("api", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/api")])];
    await enqueueBackfill(store, INSTALLATION, ["acme/api", "acme/web", "acme/docs"], { name: "installation.created", deliveryId: "d1" }, new Date("2026-11-25T10:00:00Z"));
    await updateBackfill(store, INSTALLATION, { state: "paused", nextBatchAt: "2026-11-25T11:00:00.000Z", expectedFinishAt: "2026-11-25T12:00:00.000Z" }, new Date("2026-11-25T10:05:00Z"));
    const r = await publish(repos);
    await publisher.publishSummary(octokit(), r, repos);
    const summary = github.issues("acme/.github").find((i) => parseMarker(i.body)?.kind === "summary")!;
    expect(summary.body).toContain("**Assessment in progress:** 0 of 3 assessed; next batch at 2026-11-25T11:00:00.000Z; expected to finish at 2026-11-25T12:00:00.000Z");
  });

  it("never opens two issues for one claim when two runs for the same scope overlap", async () => {
    const a = repoResults("api", [claimResult("2.1.5", { "org-2fa-required": "gap" })]);
    const b = repoResults("web", [claimResult("2.1.5", { "org-2fa-required": "gap" })]);
    await Promise.all([publish([a], {}, "acme/api"), publish([b], {}, "acme/web"), publish([a], {}, "acme/api")]);
    expect(github.issues("acme/.github")).toHaveLength(1);
    expect(await issueRows(store, INSTALLATION, "gap")).toHaveLength(1);
  });

  it("reports a repository with issues turned off in the summary instead of failing", async () => {
    github.repo("acme/legacy").disabled = 410;
    const results = [repoResults("legacy", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/legacy")]), repoResults("api", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/api")])];
    const r = await publish(results);
    expect(r.unavailable.get("acme/legacy")).toContain("issues are turned off");
    expect(github.issues("acme/api")).toHaveLength(1);
    await publisher.publishSummary(octokit(), r, results);
    expect(github.issues("acme/.github")[0]!.body).toContain("[acme/legacy](https://github.com/acme/legacy): issues are turned off in this repository");
  });

  it("says so, without failing, when the central repository does not exist", async () => {
    github.repo("acme/.github").disabled = 404;
    const results = [repoResults("api", [claimResult("2.1.5", { "org-2fa-required": "gap" })])];
    const r = await publish(results);
    await publisher.publishSummary(octokit(), r, results);
    expect(r.unavailable.get("acme/.github")).toContain("create `acme/.github` or set `issues.repository`");
    expect(r.failures).toEqual([]);
  });

  it("respects an accepted exception until it expires or the evidence changes kind", async () => {
    const results = (statuses: Record<string, "gap" | "met">) => [repoResults("api", [claimResult("2.2.2", statuses, "acme/api")])];
    await publish(results({ "pr-required": "gap" }));
    const [row] = await issueRows(store, INSTALLATION, "gap");
    github.personCloses("acme/api", 1, "not_planned", "Solo maintainer; reviewed at release time.");
    for (const issue of await issueRows(store, INSTALLATION)) await updateIssue(store, issue.id, { state: "closed", closedBy: "person", stateReason: "not_planned" });
    await recordException(store, { installationId: INSTALLATION, claimId: "2.2.2", scope: "acme/api", issueUrl: row!.issueUrl, acceptedBy: "Codertocat", acceptedAt: now.toISOString(), reason: "Solo maintainer; reviewed at release time.", expiresAt: "2026-09-08T10:00:00.000Z", evidenceKind: row!.evidenceKind });
    expect(await acceptedExceptions(store, INSTALLATION, now)).toEqual([expect.objectContaining({ claimId: "2.2.2", scope: "acme/api", acceptedBy: "Codertocat", reason: "Solo maintainer; reviewed at release time." })]);

    const quiet = await publish(results({ "pr-required": "gap" }));
    expect(quiet.writes).toBe(0);
    expect(github.issues("acme/api")[0]!.state).toBe("closed");

    // The evidence changes kind (another check now fails): asked again.
    await publish(results({ "pr-required": "gap", "no-force-push": "gap" }));
    expect(github.issues("acme/api")[0]!.state).toBe("open");
    expect(github.issues("acme/api")[0]!.comments.at(-1)!.body).toContain("accepted exception no longer applies");
    expect(await acceptedExceptions(store, INSTALLATION, now)).toEqual([]);
  });

  it("plans but writes nothing in a dry run", async () => {
    const r = await publish([repoResults("api", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/api")])], { dryRun: true });
    expect(r.writes).toBe(0);
    expect(r.dryRunWrites).toEqual(["create acme/api#new (2.2.2)"]);
    expect(github.writes).toEqual([]);
  });

  it("writes nothing when issues are disabled in configuration", async () => {
    const r = await publish([repoResults("api", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/api")])], { issues: { enabled: false } });
    expect(r.writes).toBe(0);
    expect(github.requests).toEqual([]);
  });

  it("stops writing when the hour's content-creation budget is spent", async () => {
    publisher = new IssuePublisher({ store, log: silent, now: () => now, limits: { perMinute: 80, perHour: 2 } });
    const r = await publish([repoResults("api", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/api")])]);
    expect(r.budgetExhausted).toBe(true);
    expect(r.writes).toBe(2);
    expect(github.issues("acme/api")).toHaveLength(0);
  });
});
