import { describe, expect, it } from "vitest";
import { CHECK_RUN_NAME } from "../../src/render/check-run.js";
import type { RunningApp } from "../simulator/app-harness.js";
import { sha } from "../simulator/model.js";
import type { Simulator } from "../simulator/server.js";
import { deliver, installationCreated, pullRequestOpened } from "../simulator/webhooks.js";
import { ACME, check, checkStatuses, appForSuite } from "./helpers.js";
import { dialects } from "../helpers/dialects.js";

/*
 * The whole app over real HTTP against the simulator: installation → assessment of every
 * repository → a pull request → a check run on GitHub, for an organisation whose truth is known.
 */

let sim: Simulator;
let app: RunningApp;
const INSTALLATION = ACME.installation.id;
const REPOS = ACME.repositories.map((r) => r.name);

const latest = async (repo: string) => (await app.store.assessments(INSTALLATION, `acme/${repo}`, 1))[0];

describe.each(dialects("installation → assessment → pull request → check run"))("installation → assessment → pull request → check run on $name", ({ open }) => {
  appForSuite(open, ACME, (started) => ({ sim, app } = started));

  it("assesses every repository when the app is installed", async () => {
    const { status } = await deliver(app.webhookUrl, app.secret, installationCreated(sim.model));
    expect(status).toBeLessThan(300);
    await app.idle();
    for (const repo of REPOS) expect((await latest(repo))?.inScope, repo).toBe(true);
    expect(sim.stats.byRoute["POST /app/installations/{installation_id}/access_tokens"]).toBeGreaterThan(0);
    expect(sim.stats.unknownRoutes).toEqual({});
  });

  it("publishes a check run per opened pull request with the statuses the scenario implies", async () => {
    for (const repo of REPOS) {
      const delivery = pullRequestOpened(sim.model, sim.model.repos.get(repo)!, sha("e2e", repo));
      expect((await deliver(app.webhookUrl, app.secret, delivery)).status).toBeLessThan(300);
    }
    await app.idle();
    expect(sim.model.checkRuns.map((r) => r.repo).sort()).toEqual(REPOS.map((r) => `acme/${r}`).sort());
    for (const run of sim.model.checkRuns) {
      const repo = run.repo.split("/")[1]!;
      expect(run.name).toBe(CHECK_RUN_NAME);
      expect(run.head_sha).toBe(sha("e2e", repo));
      expect(run.status).toBe("completed");
      expect((await latest(repo))?.checkRunId).toBe(run.id);
    }

    // Protected, reviewed, green, Renovate merged promptly.
    const api = await latest("api");
    expect(check(api, "2.2.2", "pr-required").status).toBe("met");
    expect(check(api, "2.2.2", "reviews-happened").status).toBe("met");
    expect(check(api, "1.3.3", "no-red-merges").status).toBe("met");
    expect(check(api, "1.2.5", "update-prs-flow").status).toBe("met");

    // Nothing protects the default branch.
    const website = await latest("website");
    expect(check(website, "2.2.2", "pr-required").status).toBe("gap");
    expect(check(website, "1.3.2", "checks-required").status).toBe("gap");
    expect(check(website, "2.2.2", "no-force-push").status).toBe("gap");

    // Protected, but nine of ten merges had no approval.
    const payments = check(await latest("payments"), "2.2.2", "reviews-happened");
    expect(payments.status).not.toBe("met");
    expect(payments.reason).toContain("1 of 10");

    // Reviewed, but eight of ten merged red.
    const infra = check(await latest("infra"), "1.3.3", "no-red-merges");
    expect(infra.status).not.toBe("met");
    expect(infra.reason).toContain("8 of 10");

    // Renovate's pull requests rot open.
    expect(check(await latest("tooling"), "1.2.5", "update-prs-flow").status).toBe("gap");
  });

  it("never counts claimcheck's own check run as CI", async () => {
    const sandbox = sim.model.repos.get("sandbox")!;
    const merged = sandbox.pullRequests.find((p) => p.state === "merged")!;
    // claimcheck publishes its (neutral) check run on a commit that then merges: GitHub rolls it up as green.
    await deliver(app.webhookUrl, app.secret, pullRequestOpened(sim.model, sandbox, merged.headOid, 900));
    await app.idle();
    expect(sandbox.checkRuns.map((r) => r.head_sha)).toContain(merged.headOid);
    await deliver(app.webhookUrl, app.secret, pullRequestOpened(sim.model, sandbox, sha("e2e", "sandbox-again"), 901));
    await app.idle();
    const assessment = (await latest("sandbox"))!;
    expect(assessment.findings.find((f) => f.id === "ci.merged-with-checks")?.value).toBe(0);
    expect(check(assessment, "1.3.2", "ci-on-prs").status).toBe("gap");
    expect(check(assessment, "1.3.3", "no-red-merges").status).not.toBe("met");
  });

  it("reaches the same results through 5% server errors and a secondary rate limit", async () => {
    const before = Object.fromEntries(await Promise.all(REPOS.map(async (r) => [r, checkStatuses((await latest(r))!)] as const)));
    sim.resetStats();
    sim.configure({ faults: { error5xx: 0.05, seed: 11 } });
    sim.secondaryEpisode(3, 1);
    const started = Date.now();
    expect((await deliver(app.webhookUrl, app.secret, installationCreated(sim.model))).status).toBeLessThan(300);
    await app.idle();
    // The retry-after of one second was waited out, not ignored.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    sim.configure({ faults: {} });
    expect(sim.stats.faults.error5xx).toBeGreaterThan(0);
    expect(sim.stats.secondary.episode).toBe(3);
    for (const repo of REPOS) {
      const after = await latest(repo);
      expect(after?.trigger).toBe("installation.created");
      expect(checkStatuses(after), repo).toEqual(before[repo]);
    }
  });
});
