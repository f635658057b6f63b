import { describe, expect, it } from "vitest";
import { observed } from "../../src/core/findings.js";
import { accessReviewDone } from "../../src/evaluation/checks/access-review.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";
import { accessReviewDue, accessSnapshot, renderAccessReview, untickedEntries } from "../../src/issues/access-review.js";
import { accessReviewFindings } from "../../src/issues/access-review-evidence.js";
import { recordAccessReviewClosed, recordAccessReviewOpened, accessReviewRows } from "../../src/store/issue-records.js";
import { IssuePublisher } from "../../src/publish/issues.js";
import { dialects } from "../helpers/dialects.js";
import { config, octokit, silent } from "./fixtures.js";

const where = { source: "test", url: "https://github.com/orgs/acme", observedAt: "2026-03-12T10:00:00.000Z" };

function judge(value: { closedAt: string; closedBy: string; issueUrl: string } | null, raw: Record<string, unknown> = {}) {
  const results = evaluateClaims([observed("access.last-review", value, where)], config(raw), [accessReviewDone]);
  return results.find((r) => r.claimId === "2.1.6")!.checks.find((c) => c.checkId === "access-review-done")!;
}

describe("access-review-done", () => {
  it("is met within the period plus grace, a gap after, and a gap when no review was ever completed", async () => {
    const review = (closedAt: string) => ({ closedAt, closedBy: "Codertocat", issueUrl: "https://github.com/acme/.github/issues/9" });
    expect(judge(review("2026-01-10T00:00:00.000Z"))).toMatchObject({ status: "met", reason: expect.stringContaining("@Codertocat on 2026-01-10") });
    expect(judge(review("2025-12-01T00:00:00.000Z")).status).toBe("met"); // 101 days: within 90 + 14
    expect(judge(review("2025-11-20T00:00:00.000Z"))).toMatchObject({ status: "gap", reason: expect.stringContaining("112 days ago") });
    expect(judge(review("2025-11-20T00:00:00.000Z"), { accessReview: { everyDays: 120 } }).status).toBe("met");
    expect(judge(null)).toMatchObject({ status: "gap", reason: expect.stringContaining("every 90 days") });
  });

});

describe.each(dialects("access-review-done from the stored reviews"))("access-review-done from the reviews stored on $name", ({ open }) => {
  it("counts only a review a person closed as completed", async () => {
    const store = await open();
    await recordAccessReviewOpened(store, { installationId: 1, repository: "acme/.github", issueNumber: 9, issueUrl: "https://github.com/acme/.github/issues/9", openedAt: new Date("2026-01-01T00:00:00Z") });
    const [row] = await accessReviewRows(store, 1);
    await recordAccessReviewClosed(store, row!.id, { closedAt: "2026-01-05T00:00:00.000Z", closedBy: "Codertocat", stateReason: "not_planned", unticked: [] });
    expect((await accessReviewFindings(store, 1, { now: new Date("2026-03-12T10:00:00Z"), org: "acme" }))[0]!.value).toBeNull();
    await recordAccessReviewClosed(store, row!.id, { closedAt: "2026-01-05T00:00:00.000Z", closedBy: "Codertocat", stateReason: "completed", unticked: ["@octocat — write"] });
    expect((await accessReviewFindings(store, 1, { now: new Date("2026-03-12T10:00:00Z"), org: "acme" }))[0]!.value).toEqual({ closedAt: "2026-01-05T00:00:00.000Z", closedBy: "Codertocat", issueUrl: "https://github.com/acme/.github/issues/9" });
    await store.close();
  });

  it("does not count a review an app or bot closed as completed (recorded without a person)", async () => {
    const store = await open();
    await recordAccessReviewOpened(store, { installationId: 1, repository: "acme/.github", issueNumber: 9, issueUrl: "https://github.com/acme/.github/issues/9", openedAt: new Date("2026-01-01T00:00:00Z") });
    const [row] = await accessReviewRows(store, 1);
    await recordAccessReviewClosed(store, row!.id, { closedAt: "2026-01-05T00:00:00.000Z", closedBy: null, stateReason: "completed", unticked: [] });
    expect((await accessReviewFindings(store, 1, { now: new Date("2026-03-12T10:00:00Z"), org: "acme" }))[0]!.value).toBeNull();
    await store.close();
  });
});

describe("access review issue", () => {
  const orgWhere = { source: "test", url: "https://github.com/orgs/acme", observedAt: "2026-03-12T09:00:00.000Z" };
  const repoWhere = { ...orgWhere, repo: "acme/api" };
  const latest = [
    {
      fullName: "acme/api",
      inScope: true,
      finishedAt: "2026-03-12T09:00:00.000Z",
      results: [],
      findings: [
        observed("org.owners", ["octocat", "hubot"], orgWhere),
        observed("org.outside-collaborators-with-write", [{ login: "contractor", repo: "acme/api", permission: "write" as const }], orgWhere),
        observed("org.outside-collaborators-inactive", ["contractor"], orgWhere),
        observed("access.individual-grants", [{ login: "mona", permission: "admin" as const }, { login: "reader", permission: "read" as const }], repoWhere),
        observed("deploy-keys.write", ["release bot"], repoWhere),
      ],
    },
  ];

  it("lists who can change the build environment as a task list, and names what was not read", async () => {
    const issue = renderAccessReview(accessSnapshot("acme", latest, "2026-03-12T09:00:00.000Z"), { everyDays: 90, graceDays: 14, dueAt: "2026-03-26T10:00:00.000Z" });
    expect(issue.body).toContain("- [ ] @hubot — owner");
    expect(issue.body).toContain("- [ ] @mona — admin on [acme/api](https://github.com/acme/api/settings/access)");
    expect(issue.body).not.toContain("@reader");
    expect(issue.body).toContain("- [ ] @contractor — write on [acme/api](https://github.com/acme/api/settings/access) — **no activity in the evidence window**");
    expect(issue.body).toContain("deploy key “release bot”");
    expect(issue.body).toContain("_Not read: acme/api: access.team-grants was not collected");
    const ticked = issue.body.replace("- [ ] @hubot — owner", "- [x] @hubot — owner");
    expect(untickedEntries(ticked)).not.toContain("@hubot — owner");
    expect(untickedEntries(ticked)).toContain("@octocat — owner");
  });

  it("is due when none was opened, or the last was closed a period ago; never while one is open", async () => {
    const now = new Date("2026-03-12T10:00:00Z");
    expect(accessReviewDue(undefined, 90, now)).toBe(true);
    expect(accessReviewDue({ openedAt: "2025-12-01T00:00:00.000Z", closedAt: null }, 90, now)).toBe(false);
    expect(accessReviewDue({ openedAt: "2025-12-01T00:00:00.000Z", closedAt: "2025-12-05T00:00:00.000Z" }, 90, now)).toBe(true);
    expect(accessReviewDue({ openedAt: "2026-01-01T00:00:00.000Z", closedAt: "2026-01-05T00:00:00.000Z" }, 90, now)).toBe(false);
  });
});

describe.each(dialects("opening the access review"))("opening the access review on $name", ({ open }) => {
  const now = new Date("2026-03-12T10:00:00Z");
  const inScope = [{ fullName: "acme/api", inScope: true, finishedAt: "2026-03-12T09:00:00.000Z", results: [], findings: [] }];

  it("reads the organisation's newest results only once a review is due, not on every maintenance tick", async () => {
    const store = await open();
    const publisher = new IssuePublisher({ store, log: silent, now: () => now, sleep: async () => undefined });
    let reads = 0;
    const latestResults = async () => {
      reads += 1;
      return inScope;
    };
    // A review opened last week is still open: none is due, and nothing is read.
    await recordAccessReviewOpened(store, { installationId: 7, repository: "acme/.github", issueNumber: 1, issueUrl: "https://github.com/acme/.github/issues/1", openedAt: new Date("2026-03-05T10:00:00Z") });
    const notDue = publisher.newRun(7, "acme");
    notDue.config = config({ dryRun: true });
    expect(await publisher.openAccessReviewIfDue(octokit() as never, notDue, latestResults)).toBeNull();
    expect(reads).toBe(0);
    expect(notDue.dryRunWrites).toEqual([]);
    // None was ever opened for another installation: due, read once, and (a dry run) written down.
    const due = publisher.newRun(8, "acme");
    due.config = config({ dryRun: true });
    expect(await publisher.openAccessReviewIfDue(octokit() as never, due, latestResults)).toBeNull();
    expect(reads).toBe(1);
    expect(due.dryRunWrites).toEqual([expect.stringContaining("(access review)")]);
    await store.close();
  });

  it("opens none when no repository is in scope, even when one is due", async () => {
    const store = await open();
    const publisher = new IssuePublisher({ store, log: silent, now: () => now, sleep: async () => undefined });
    const run = publisher.newRun(8, "acme");
    run.config = config({ dryRun: true });
    expect(await publisher.openAccessReviewIfDue(octokit() as never, run, async () => inScope.map((r) => ({ ...r, inScope: false })))).toBeNull();
    expect(run.dryRunWrites).toEqual([]);
    await store.close();
  });
});
