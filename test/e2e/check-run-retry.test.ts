import { afterEach, describe, expect, it, vi } from "vitest";
import { REPOSITORY_JOBS } from "../../src/app/repository-jobs.js";
import type { RestAnswer } from "../simulator/rest.js";
import { startApp, type RunningApp } from "../simulator/app-harness.js";
import { sha } from "../simulator/model.js";
import { startSimulator, type Simulator, type SimulatorOptions } from "../simulator/server.js";
import { deliver, installationCreated, pullRequestOpened } from "../simulator/webhooks.js";
import { ACME } from "./helpers.js";

/*
 * A pull request's check run when GitHub fails the request that creates it. GitHub can answer 5xx
 * (or drop the connection) after it made the run; publishing again blindly would show two runs for
 * one push, not publishing would leave the pull request without one. The job is tried again, and
 * the retry looks on the commit for the run carrying the delivery's id before it publishes.
 */

const INSTALLATION = ACME.installation.id;
const CHECK_RUNS = /^\/repos\/[^/]+\/[^/]+\/check-runs$/;
const LIST_ROUTE = "GET /repos/{owner}/{repo}/commits/{ref}/check-runs";
const SERVER_ERROR: RestAnswer = { status: 502, body: { message: "Server Error" } };

let sim: Simulator | undefined;
let app: RunningApp | undefined;

afterEach(async () => {
  await app?.stop();
  await sim?.stop();
  app = undefined;
  sim = undefined;
});

/** The simulator and the app (retries without their waits), the organisation installed and assessed. */
async function installed(options: SimulatorOptions): Promise<{ sim: Simulator; app: RunningApp }> {
  sim = await startSimulator(ACME, options);
  app = await startApp({ githubUrl: sim.url, retryBaseMs: 5, spaceWrites: false, sleep: async () => undefined });
  expect((await deliver(app.webhookUrl, app.secret, installationCreated(sim.model))).status).toBeLessThan(300);
  await app.idle();
  return { sim, app };
}

async function openPullRequest(sim: Simulator, app: RunningApp, repo: string, head: string): Promise<string> {
  const delivery = pullRequestOpened(sim.model, sim.model.repos.get(repo)!, head);
  expect((await deliver(app.webhookUrl, app.secret, delivery)).status).toBeLessThan(300);
  await app.idle();
  return delivery.id;
}

describe("a check run whose creation GitHub fails", () => {
  it("is not published again when GitHub made it before failing: the retry finds it by its delivery and links it", async () => {
    let failed = 0;
    const { sim, app } = await installed({
      afterHandled: ({ method, path, status }) => (method === "POST" && CHECK_RUNS.test(path) && status === 201 && failed++ === 0 ? SERVER_ERROR : undefined),
    });
    const head = sha("retry", "made");
    const deliveryId = await openPullRequest(sim, app, "api", head);

    const runs = sim.model.checkRuns.filter((r) => r.head_sha === head);
    expect(failed).toBeGreaterThan(0);
    expect(runs).toHaveLength(1);
    expect((runs[0]!.raw as { external_id?: unknown }).external_id).toBe(deliveryId);
    expect(sim.stats.byRoute["POST /repos/{owner}/{repo}/check-runs"]).toBe(1);
    expect(sim.stats.byRoute[LIST_ROUTE]).toBe(1);
    // The assessment the run shows is the one stored before it was published, now linked to it.
    const stored = (await app.store.assessments(INSTALLATION, "acme/api")).filter((a) => a.headSha === head);
    expect(stored.map((a) => a.checkRunId)).toEqual([runs[0]!.id]);
    expect(await app.store.checkRunAssessment(INSTALLATION, "acme/api", deliveryId, head)).toEqual({ id: stored[0]!.id, checkRunId: runs[0]!.id });
  });

  it("is published once by the retry when GitHub did not make it, the evidence of the failed attempt kept", async () => {
    let refused = 0;
    const { sim, app } = await installed({
      overrides: (method, path) => (method === "POST" && CHECK_RUNS.test(path) && refused++ === 0 ? SERVER_ERROR : null),
    });
    const head = sha("retry", "refused");
    const deliveryId = await openPullRequest(sim, app, "website", head);
    expect(refused).toBe(2);
    expect(sim.stats.byRoute["POST /repos/{owner}/{repo}/check-runs"]).toBe(2);
    const runs = sim.model.checkRuns.filter((r) => r.head_sha === head);
    expect(runs).toHaveLength(1);
    expect((runs[0]!.raw as { external_id?: unknown }).external_id).toBe(deliveryId);
    expect(sim.stats.byRoute[LIST_ROUTE]).toBe(1);
    const stored = (await app.store.assessments(INSTALLATION, "acme/website")).filter((a) => a.headSha === head);
    // Newest first: the retry's assessment, shown in the run; the first attempt's, kept without one.
    expect(stored.map((a) => a.checkRunId)).toEqual([runs[0]!.id, null]);
  });

  it("tells a run of another delivery on the same commit from its own", async () => {
    let failed = 0;
    const { sim, app } = await installed({
      afterHandled: ({ method, path, status }) => (method === "POST" && CHECK_RUNS.test(path) && status === 201 && ++failed === 2 ? SERVER_ERROR : undefined),
    });
    const head = sha("retry", "shared");
    const first = await openPullRequest(sim, app, "infra", head);
    // A person asks for the run again: a delivery of its own, whose first creation GitHub fails after making it.
    const second = await openPullRequest(sim, app, "infra", head);
    const runs = sim.model.checkRuns.filter((r) => r.head_sha === head);
    expect(runs.map((r) => (r.raw as { external_id?: unknown }).external_id)).toEqual([first, second]);
    expect(sim.stats.byRoute[LIST_ROUTE]).toBe(1);
    expect((await app.store.checkRunAssessment(INSTALLATION, "acme/infra", second, head))?.checkRunId).toBe(runs[1]!.id);
    expect((await app.store.checkRunAssessment(INSTALLATION, "acme/infra", first, head))?.checkRunId).toBe(runs[0]!.id);
    expect((await app.store.assessments(INSTALLATION, "acme/infra")).filter((a) => a.headSha === head)).toHaveLength(2);
  });

  it("is not tried again when GitHub refuses the request itself, and the delivery says why", async () => {
    const { sim, app } = await installed({
      overrides: (method, path) => (method === "POST" && CHECK_RUNS.test(path) ? { status: 422, body: { message: "No commit found for SHA" } } : null),
    });
    const head = sha("retry", "gone");
    const deliveryId = await openPullRequest(sim, app, "payments", head);
    expect(sim.stats.byRoute["POST /repos/{owner}/{repo}/check-runs"]).toBe(1);
    expect(sim.stats.byRoute[LIST_ROUTE]).toBeUndefined();
    const delivery = await app.store.delivery(deliveryId);
    expect(delivery?.state).toBe("failed");
    expect(delivery?.error).toContain("acme/payments");
    expect(delivery?.error).toContain("No commit found for SHA");
  });

  it("queues the issues an attempt that published the run died before queueing", async () => {
    const { sim, app } = await installed({});
    const queue = app.jobs()!;
    const enqueue = queue.enqueueRepository.bind(queue);
    let lost = 0;
    vi.spyOn(queue, "enqueueRepository").mockImplementation((kind, target, data, options) => {
      if (kind === REPOSITORY_JOBS.issues && target.repository === "issues:acme/website" && lost++ === 0) return Promise.reject(new Error("connection to the database was lost"));
      return enqueue(kind, target, data, options);
    });
    const head = sha("retry", "issues");
    const deliveryId = await openPullRequest(sim, app, "website", head);
    expect(lost).toBeGreaterThan(1);
    // Published once, and the retry found it linked: not assessed again.
    expect(sim.model.checkRuns.filter((r) => r.head_sha === head)).toHaveLength(1);
    expect((await app.store.assessments(INSTALLATION, "acme/website")).filter((a) => a.headSha === head)).toHaveLength(1);
    expect((await app.store.checkRunAssessment(INSTALLATION, "acme/website", deliveryId, head))?.checkRunId).toBe(sim.model.checkRuns.at(-1)!.id);
    // The website's gaps (nothing protects its default branch) have their issues.
    expect(sim.model.issues.filter((i) => i.repo === "acme/website").length).toBeGreaterThan(0);
  });
});
