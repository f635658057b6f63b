import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHECK_RUN_NAME } from "../../src/render/check-run.js";
import { captureCheckRuns, mockConfig, mockInstallationToken, mockNoConfig, mockRepository, mockWorkflowTokenSettings, API } from "../helpers/github-api.js";
import { mockOrganisationEvidence, mockOrganisationTeams, mockRepositoryEvidence } from "../helpers/scenario.js";
import { example } from "../helpers/openapi-examples.js";
import { mockRepositoryQuery } from "../helpers/repository-graphql.js";
import { dialects } from "../helpers/dialects.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { webhookExample } from "../helpers/webhooks.js";

const OWNER = "Codertocat";
const REPO = "Hello-World";

function prOpened() {
  return webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
}

function rowOf(summary: string, claimId: string): string {
  const row = summary.split("\n").find((l) => l.startsWith(`| **${claimId}**`));
  if (!row) throw new Error(`no row for ${claimId}`);
  return row;
}

/** Fully protected: classic protection for admins too, one approval, stale reviews dismissed, force pushes and deletion blocked. */
function strongProtection() {
  const p = example("branch-protection");
  p.enforce_admins.enabled = true;
  p.required_pull_request_reviews.dismiss_stale_reviews = true;
  p.required_pull_request_reviews.required_approving_review_count = 2;
  p.allow_force_pushes.enabled = false;
  p.allow_deletions.enabled = false;
  return p;
}

describe.each(dialects("pull request → check run"))("pull request → check run on $name", ({ open }) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp({ store: await open() });
  });
  afterEach(async () => {
    await app.store.close();
  });

  it("publishes the evidence check run on the PR's head commit and stores the assessment", async () => {
    const payload = prOpened();
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence(OWNER);
    mockOrganisationTeams();
    mockRepositoryEvidence(OWNER, REPO, { protection: strongProtection() });
    const runs = captureCheckRuns(OWNER, REPO);

    await app.deliver("pull_request", payload);

    expect(nock.pendingMocks()).toEqual([]);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.name).toBe(CHECK_RUN_NAME);
    expect(run.head_sha).toBe(payload.pull_request.head.sha);
    expect(run.status).toBe("completed");
    expect(run.conclusion).toBe("neutral");
    // Four principles, eighteen claims.
    for (const principle of ["1.2", "1.3", "2.1", "2.2"]) expect(run.output.summary).toContain(`### ${principle} `);
    expect(run.output.summary.split("\n").filter((l) => l.startsWith("| **"))).toHaveLength(18);
    // 2.2.2 has three checks met from protection, and others not collected yet: never met.
    expect(rowOf(run.output.summary, "2.2.2")).toContain("partial");
    expect(rowOf(run.output.summary, "2.2.2")).toContain("https://github.com/Codertocat/Hello-World/settings/branches");
    // Every check has a collector now: nothing may be left "not collected yet".
    expect(run.output.summary + run.output.text).not.toContain("not collected yet");
    expect(run.output.text).toContain("✅ met `pr-required`");
    expect(run.output.text).toContain("✅ met `no-force-push`");
    expect(run.output.text).toContain("✅ met `checks-required`: required to pass before merge: `continuous-integration/travis-ci`");
    expect(run.output.text).toContain("| [branch-protection.required-approvals](https://github.com/Codertocat/Hello-World/settings/branches) | `2` |");

    const [stored] = await app.store.assessments(payload.installation.id, `${OWNER}/${REPO}`);
    expect(stored).toBeDefined();
    expect(stored!.trigger).toBe("pull_request.opened");
    expect(stored!.headSha).toBe(payload.pull_request.head.sha);
    expect(stored!.checkRunId).toBe(4001);
    expect(stored!.conclusion).toBe("neutral");
    expect(stored!.findings.find((f) => f.id === "branch-protection.pr-required")?.value).toBe(true);
    expect(stored!.results.find((r) => r.claimId === "2.2.2")?.status).toBe("partial");
    // The organisation's teams come from the installation's shared reads, not the batched query.
    expect(stored!.findings.find((f) => f.id === "access.team-grants")?.value).toEqual([]);
    // The repository's own configuration file, the repository, classic protection, the branch's
    // rules, the Actions token settings, secret-scanning alerts. The organisation's `.github` file
    // is read as one of the installation's shared reads, not charged to this repository.
    expect(stored!.requests).toMatchObject({ rest: 6, graphql: 1 });
  });

  it("processes a redelivered webhook once", async () => {
    const payload = prOpened();
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence(OWNER);
    mockRepositoryEvidence(OWNER, REPO);
    const runs = captureCheckRuns(OWNER, REPO, 2);

    await app.deliver("pull_request", payload, "same-delivery");
    await app.deliver("pull_request", payload, "same-delivery");

    expect(runs).toHaveLength(1);
    expect(await app.store.assessments(payload.installation.id, `${OWNER}/${REPO}`)).toHaveLength(1);
    expect(await app.store.deliveryState("same-delivery")).toBe("done");
  });

  it("asks for action, naming the bad key, when the configuration is invalid", async () => {
    const payload = prOpened();
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence(OWNER);
    mockConfig(OWNER, REPO, "mode: enforce\nthresholds:\n  requiredApprovels: 2\n");
    mockRepositoryEvidence(OWNER, REPO, { config: "skip" });
    const runs = captureCheckRuns(OWNER, REPO);

    await app.deliver("pull_request", payload);

    expect(runs[0]!.conclusion).toBe("action_required");
    expect(runs[0]!.output.summary).toContain("`thresholds.requiredApprovels`: unknown key");
    expect(runs[0]!.details_url).toBe("https://github.com/Codertocat/Hello-World/blob/main/.github/claimcheck.yml");
    const [stored] = await app.store.assessments(payload.installation.id, `${OWNER}/${REPO}`);
    expect(stored!.configProblems).toEqual([{ path: "thresholds.requiredApprovels", message: "unknown key" }]);
  });

  it("reports unparseable YAML as a configuration problem, not a crash", async () => {
    const payload = prOpened();
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence(OWNER);
    mockConfig(OWNER, REPO, "mode: [unclosed\n");
    mockRepositoryEvidence(OWNER, REPO, { config: "skip" });
    const runs = captureCheckRuns(OWNER, REPO);

    await app.deliver("pull_request", payload);

    expect(runs[0]!.conclusion).toBe("action_required");
    expect(runs[0]!.output.summary).toContain("invalid YAML");
  });

  it("fails the check on a gap only when the repository enforces", async () => {
    const payload = prOpened();
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence(OWNER);
    mockConfig(OWNER, REPO, "mode: enforce\n");
    mockRepositoryEvidence(OWNER, REPO, { config: "skip" });
    const runs = captureCheckRuns(OWNER, REPO);

    await app.deliver("pull_request", payload);

    expect(runs[0]!.conclusion).toBe("failure");
    expect(rowOf(runs[0]!.output.summary, "2.2.2")).toContain("gap");
    expect(rowOf(runs[0]!.output.summary, "1.3.2")).toContain("gap");
  });

  it("turns a GitHub 500 into unknown evidence with the reason, and still publishes", async () => {
    const payload = prOpened();
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence(OWNER);
    mockNoConfig(OWNER, REPO);
    mockRepository(OWNER, REPO);
    mockRepositoryQuery();
    mockWorkflowTokenSettings(OWNER, REPO);
    nock(API).get(`/repos/${OWNER}/${REPO}/branches/main/protection`).reply(500, { message: "Server Error" });
    nock(API).get(`/repos/${OWNER}/${REPO}/rules/branches/main`).query(true).reply(500, { message: "Server Error" });
    const runs = captureCheckRuns(OWNER, REPO);

    await app.deliver("pull_request", payload);

    expect(runs).toHaveLength(1);
    // Protection could not be read: each check on it says so, and none of them passes.
    for (const check of ["pr-required", "reviews-required", "no-force-push", "checks-required"]) {
      expect(runs[0]!.output.text).toMatch(new RegExp(`❔ unknown \`${check}\`: [^\n]*HTTP 500`));
    }
    for (const claim of ["2.2.2", "1.3.2"]) expect(rowOf(runs[0]!.output.summary, claim)).not.toContain("met |");
    expect(runs[0]!.conclusion).toBe("neutral");
  });

  it("says a repository is out of scope when it is archived", async () => {
    const payload = prOpened();
    mockInstallationToken(payload.installation.id);
    mockNoConfig(OWNER, REPO);
    mockRepository(OWNER, REPO, { archived: true });
    const runs = captureCheckRuns(OWNER, REPO);

    await app.deliver("pull_request", payload);

    expect(runs[0]!.output.title).toBe("Out of scope");
    expect(runs[0]!.output.summary).toContain("archived");
  });

  it("creates a check run on check_suite.requested and on check_run.rerequested", async () => {
    const suite = webhookExample("check_suite", "requested");
    mockInstallationToken(suite.installation.id);
    mockOrganisationEvidence(OWNER);
    mockRepositoryEvidence(OWNER, REPO);
    const runs = captureCheckRuns(OWNER, REPO);
    await app.deliver("check_suite", suite);
    expect(runs.map((r) => r.head_sha)).toEqual([suite.check_suite.head_sha]);

    const rerun = webhookExample("check_run", "rerequested");
    const [owner, repo] = [rerun.repository.owner.login, rerun.repository.name];
    mockInstallationToken(rerun.installation.id);
    mockOrganisationEvidence(owner);
    mockRepositoryEvidence(owner, repo);
    const again = captureCheckRuns(owner, repo);
    await app.deliver("check_run", rerun);
    expect(again.map((r) => r.head_sha)).toEqual([rerun.check_run.head_sha]);
  });

  it("does not publish twice for one commit when a push raises both check_suite.requested and synchronize", async () => {
    const suite = webhookExample("check_suite", "requested");
    mockInstallationToken(suite.installation.id);
    mockOrganisationEvidence(OWNER);
    mockRepositoryEvidence(OWNER, REPO);
    const runs = captureCheckRuns(OWNER, REPO, 2);
    await app.deliver("check_suite", suite);

    const sync = webhookExample("pull_request", "synchronize");
    sync.pull_request.head.sha = suite.check_suite.head_sha;
    sync.installation.id = suite.installation.id;
    await app.deliver("pull_request", sync);

    expect(runs).toHaveLength(1);
  });

  it("ignores a payload without the fields it needs, without crashing", async () => {
    const payload = prOpened();
    delete payload.pull_request.head.sha;
    const runs = captureCheckRuns(OWNER, REPO);
    await app.deliver("pull_request", payload);
    expect(runs).toHaveLength(0);
  });
});

describe.each(dialects("recent changes on the check run"))("recent changes on the check run on $name", ({ open }) => {
  it("lists the repository's last build-environment changes, newest first, with actor and link", async () => {
    const app = await testApp({ store: await open() });
    const rule = webhookExample("branch_protection_rule", "created", (p) => Boolean(p.installation));
    const payload = prOpened();
    rule.installation.id = payload.installation.id;
    rule.repository = payload.repository;
    await app.probot.receive({ id: "rule-1", name: "branch_protection_rule", payload: { ...rule, action: "created" } } as never);
    await app.probot.receive({ id: "rule-2", name: "branch_protection_rule", payload: { ...rule, action: "edited", sender: { ...rule.sender, login: "hubot" } } } as never);
    nock.cleanAll();
    await app.idle();
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence(OWNER);
    mockRepositoryEvidence(OWNER, REPO);
    const runs = captureCheckRuns(OWNER, REPO);
    await app.deliver("pull_request", payload);
    const summary = runs[0]!.output.summary;
    expect(summary).toContain("### Recent changes to the build environment");
    const edited = summary.indexOf("`branch_protection_rule.edited`");
    const created = summary.indexOf("`branch_protection_rule.created`");
    expect(edited).toBeGreaterThan(0);
    expect(created).toBeGreaterThan(edited);
    expect(summary).toContain("[hubot](https://github.com/hubot)");
    await app.store.close();
  });
});
