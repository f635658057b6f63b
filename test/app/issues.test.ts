import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acceptedExceptions } from "../../src/issues/exceptions.js";
import { parseMarker } from "../../src/issues/marker.js";
import { issueRows } from "../../src/store/issue-records.js";
import { API, captureCheckRuns, mockConfig, mockNoConfig } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { dialects } from "../helpers/dialects.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { mockOrganisationTeams, mockRepositoryEvidence } from "../helpers/scenario.js";
import { webhookExample } from "../helpers/webhooks.js";
import { FakeIssues, type FakeIssue } from "../issues/fake-issues.js";

const OWNER = "Codertocat";
const REPO = "Hello-World";
const FULL = `${OWNER}/${REPO}`;
const NOW = new Date("2026-03-12T10:00:00Z");

function protection() {
  const p = example("branch-protection");
  p.enforce_admins.enabled = true;
  p.allow_force_pushes.enabled = false;
  p.allow_deletions.enabled = false;
  return p;
}

function prOpened(repo = REPO) {
  const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
  payload.repository.name = repo;
  payload.repository.full_name = `${OWNER}/${repo}`;
  return payload;
}

/** GitHub publishes no `issues.closed` example: the real `reopened` one (same issue shape), closed. */
function issueEvent(action: "closed" | "reopened" | "edited", issue: FakeIssue, stateReason: string | null = null) {
  const payload = webhookExample("issues", action === "edited" ? "edited" : "reopened");
  payload.action = action;
  payload.installation ??= { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  payload.issue.number = issue.number;
  payload.issue.html_url = `https://github.com/${FULL}/issues/${issue.number}`;
  payload.issue.body = issue.body;
  payload.issue.state = action === "closed" ? "closed" : "open";
  payload.issue.state_reason = stateReason;
  payload.issue.closed_at = action === "closed" ? NOW.toISOString() : null;
  return payload;
}

describe.each(dialects("gap issues from webhooks"))("gap issues from webhooks on $name", ({ open }) => {
  let app: TestApp;
  let github: FakeIssues;

  beforeEach(async () => {
    app = await testApp({ now: () => NOW, store: await open(), sleep: async () => undefined });
    github = new FakeIssues();
    github.now = () => NOW;
    nock(API).persist().post(/\/app\/installations\/\d+\/access_tokens/).reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: { issues: "write" }, repository_selection: "all" });
  });
  afterEach(async () => await app.store.close());

  async function assess(repo = REPO, yaml = "issues:\n  maxOpenPerRun: 50\n") {
    mockConfig(OWNER, repo, yaml);
    mockRepositoryEvidence(OWNER, repo, { protection: protection(), config: "skip" });
    const runs = captureCheckRuns(OWNER, repo);
    await app.deliver("pull_request", prOpened(repo));
    return runs;
  }

  const gapIssue = (claim: string) => github.issues(FULL).find((i) => parseMarker(i.body)?.claim === claim)!;

  it("opens gap issues and the summary after an assessment, and writes nothing when the evidence is unchanged", async () => {
    await assess();
    const repoIssues = github.issues(FULL);
    expect(repoIssues.length).toBeGreaterThan(0);
    expect(gapIssue("2.2.2").labels).toEqual(["code-of-practice", "principle:2.2", "status:partial"]);
    // Every marker's scope is the repository (repository claims) — organisation claims go to .github.
    expect(new Set(repoIssues.map((i) => parseMarker(i.body)?.scope))).toEqual(new Set([FULL]));
    const central = github.issues(`${OWNER}/.github`);
    expect(central.filter((i) => parseMarker(i.body)?.kind === "summary")).toHaveLength(1);
    expect(central.filter((i) => parseMarker(i.body)?.kind === "gap").every((i) => parseMarker(i.body)?.scope === "org")).toBe(true);
    const summary = central.find((i) => parseMarker(i.body)?.kind === "summary")!;
    expect(summary.title).toBe("Software Security Code of Practice — evidence summary");
    expect(summary.body).toContain(`https://github.com/${FULL}/issues/${gapIssue("2.2.2").number}`);

    const writesBefore = github.writes.length;
    await assess();
    expect(github.writes.length).toBe(writesBefore);
  });

  it("records a person's 'not planned' as an accepted exception with the closing comment, and leaves it closed", async () => {
    await assess();
    const issue = github.personCloses(FULL, gapIssue("2.2.2").number, "not_planned", "Two maintainers; we accept this until the team grows.");
    mockNoConfig(OWNER, REPO);
    await app.deliver("issues", issueEvent("closed", issue, "not_planned"));

    const [exception] = await acceptedExceptions(app.store, 1, NOW);
    expect(exception).toMatchObject({ claimId: "2.2.2", scope: FULL, acceptedBy: "Codertocat", reason: "Two maintainers; we accept this until the team grows.", acceptedAt: NOW.toISOString() });
    expect(exception!.expiresAt).toBe("2026-09-08T10:00:00.000Z");

    await assess();
    expect(issue.state).toBe("closed");
    const summary = github.issues(`${OWNER}/.github`).find((i) => parseMarker(i.body)?.kind === "summary")!;
    expect(summary.body).toContain("| 2.2.2 | Codertocat/Hello-World | @Codertocat | 12 Mar 2026 | Two maintainers; we accept this until the team grows. | 8 Sept 2026 |");

    // Reopened by a person: the exception ends.
    await app.deliver("issues", issueEvent("reopened", { ...issue, state: "open" }));
    expect(await acceptedExceptions(app.store, 1, NOW)).toEqual([]);
  });

  /** The next write of a person's decision fails once, as a lost database connection would: the event's job is tried again. */
  function failNextDecisionWrite(): { failed: () => number } {
    let failed = 0;
    const db = app.store.db as unknown as { transaction: (work: unknown) => unknown };
    const real = db.transaction.bind(db);
    db.transaction = (work: unknown) => {
      if (failed === 0 && String(work).includes("replaced by a later decision")) {
        failed += 1;
        throw new Error("connection to the database was lost");
      }
      return real(work);
    };
    return { failed: () => failed };
  }

  it("records a 'not planned' whose first handling failed once, when its retry finds the issue as the event left it", async () => {
    await assess();
    const issue = github.personCloses(FULL, gapIssue("2.2.2").number, "not_planned", "Accepted for now.");
    mockNoConfig(OWNER, REPO);
    const write = failNextDecisionWrite();
    await app.deliver("issues", issueEvent("closed", issue, "not_planned"));
    expect(write.failed()).toBe(1);
    expect((await acceptedExceptions(app.store, 1, NOW)).map((e) => e.reason)).toEqual(["Accepted for now."]);
  });

  it("leaves a 'not planned' whose handling failed to the person's reopening that came before its retry", async () => {
    await assess();
    const issue = github.personCloses(FULL, gapIssue("2.2.2").number, "not_planned", "Accepted for now.");
    const closed = issueEvent("closed", issue, "not_planned");
    // The person reopened the issue before the close's job was tried again (the reopen's own event was handled).
    github.personReopens(FULL, issue.number);
    mockNoConfig(OWNER, REPO);
    const write = failNextDecisionWrite();
    await app.deliver("issues", closed);
    expect(write.failed()).toBe(1);
    expect(await acceptedExceptions(app.store, 1, NOW)).toEqual([]);
    expect(github.requests.filter((r) => r.method === "GET" && r.path === `/repos/${FULL}/issues/${issue.number}`)).toHaveLength(1);
  });

  it("reopens once, with the evidence, an issue a person closed as completed while the gap remains", async () => {
    await assess();
    const issue = github.personCloses(FULL, gapIssue("2.2.2").number, "completed");
    // Closing as completed asks for fresh evidence: the repository is assessed again.
    mockConfig(OWNER, REPO, "issues:\n  maxOpenPerRun: 50\n");
    mockRepositoryEvidence(OWNER, REPO, { protection: protection(), config: "skip" });
    await app.deliver("issues", issueEvent("closed", issue, "completed"));
    expect(issue.state).toBe("open");
    expect(issue.comments.at(-1)!.body).toContain("still shows **partial**: reopening once");

    github.personCloses(FULL, issue.number, "completed");
    mockConfig(OWNER, REPO, "issues:\n  maxOpenPerRun: 50\n");
    mockRepositoryEvidence(OWNER, REPO, { protection: protection(), config: "skip" });
    await app.deliver("issues", issueEvent("closed", issue, "completed"));
    expect(issue.state).toBe("closed");
  });

  it("checks a repository gap closed as completed against a teams' map read afresh, not the installation's kept one", async () => {
    mockOrganisationTeams();
    await assess();
    // The map is kept for the hour: a pull request within it does not ask again.
    await assess();
    // (The fake issues answer every issue request, so only GitHub's GraphQL answers are looked at.)
    const unread = () => nock.pendingMocks().filter((m) => m.includes("/graphql"));
    expect(unread()).toEqual([]);
    const issue = github.personCloses(FULL, gapIssue("2.2.2").number, "completed");
    mockConfig(OWNER, REPO, "issues:\n  maxOpenPerRun: 50\n");
    mockRepositoryEvidence(OWNER, REPO, { protection: protection(), config: "skip" });
    mockOrganisationTeams();
    await app.deliver("issues", issueEvent("closed", issue, "completed"));
    expect(unread()).toEqual([]);
  });

  it("writes the marker back when a person's edit removed it", async () => {
    await assess();
    const issue = gapIssue("2.2.2");
    const original = issue.body;
    issue.body = "Edited by hand";
    await app.deliver("issues", issueEvent("edited", issue));
    await assess();
    expect(issue.body).toBe(original);
  });

  it("never opens two issues for one organisation claim when two deliveries are in flight at once", async () => {
    for (const repo of [REPO, "Other"]) {
      mockConfig(OWNER, repo, "issues:\n  maxOpenPerRun: 50\n");
      mockRepositoryEvidence(OWNER, repo, { protection: protection(), config: "skip" });
      captureCheckRuns(OWNER, repo);
    }
    await Promise.all([app.deliver("pull_request", prOpened(REPO)), app.deliver("pull_request", prOpened("Other"))]);
    const claims = github.issues(`${OWNER}/.github`).map((i) => `${parseMarker(i.body)?.kind} ${parseMarker(i.body)?.claim}`);
    expect(claims.length).toBeGreaterThan(1);
    expect(new Set(claims).size).toBe(claims.length);
    expect(await issueRows(app.store, 1, "summary")).toHaveLength(1);
  });

  it("keeps the assessment and the check run when the repository has issues turned off", async () => {
    github.repo(FULL).disabled = 410;
    await assess();
    expect(await app.store.assessments(1, FULL)).toHaveLength(1);
    const summary = github.issues(`${OWNER}/.github`).find((i) => parseMarker(i.body)?.kind === "summary")!;
    expect(summary.body).toContain("issues are turned off in this repository");

    // The next check run says so too, where the engineer looks.
    const [run] = await assess();
    expect(run!.output.summary).toContain(`Gap and summary issues could not be written in \`${FULL}\`: issues are turned off in this repository`);
  });
});
