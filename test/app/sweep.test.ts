import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../helpers/dialects.js";
import { assessments } from "../../src/store/schema.js";
import { assessments as pgAssessments } from "../../src/store/schema-pg.js";
import type { Store } from "../../src/store/store.js";
import { SCHEDULED_TRIGGER } from "../../src/app/sweep.js";
import type { RunningApp } from "../simulator/app-harness.js";
import type { Simulator } from "../simulator/server.js";
import { deliver, installationCreated } from "../simulator/webhooks.js";
import { ACME, appForSuite } from "../e2e/helpers.js";

/*
 * Scheduled re-assessment over real HTTP against the simulator: a quiet organisation is read
 * again once its evidence is a period old, with conditional requests, and its issues are
 * updated; nothing is read again while the evidence is fresh.
 */

const HOUR = 3_600_000;
let sim: Simulator;
let app: RunningApp;
const INSTALLATION = ACME.installation.id;
const REPOS = ACME.repositories.map((r) => `acme/${r.name}`);


/** Requests that read a repository's evidence (the organisation's configuration read by a tick is not one). */
const readsOfRepositories = () => Object.keys(sim.stats.byRoute).filter((route) => route.includes("{repo}") && !route.includes("contents") || route === "POST /graphql");

/** Moves every stored assessment of the installation back to `at`, as if nothing had happened since. */
async function age(store: Store, at: string): Promise<void> {
  if (store.dialect === "sqlite") store.db.update(assessments).set({ startedAt: at, finishedAt: at }).where(eq(assessments.installationId, INSTALLATION)).run();
  else await store.db.update(pgAssessments).set({ startedAt: at, finishedAt: at }).where(eq(pgAssessments.installationId, INSTALLATION));
}

describe.each(dialects("scheduled re-assessment"))("scheduled re-assessment on $name", ({ open }) => {
  appForSuite(open, ACME, (started) => ({ sim, app } = started));
  beforeAll(async () => {
    await deliver(app.webhookUrl, app.secret, installationCreated(sim.model));
    await app.idle();
  });

  it("reads nothing again while every repository's evidence is fresh", async () => {
    for (const repo of REPOS) expect((await app.store.assessments(INSTALLATION, repo, 1))[0]?.trigger).toBe("installation.created");
    sim.resetStats();
    const [outcome] = await app.sweep();
    expect(outcome).toMatchObject({ installationId: INSTALLATION, queued: 0, plan: { due: 0 } });
    expect(readsOfRepositories()).toEqual([]);
  });

  it("re-assesses every repository once its evidence is a period old, with conditional requests, and updates the issues", async () => {
    const issuesBefore = sim.model.issues.length;
    // A day passes without an event.
    const dayAgo = new Date(Date.now() - 25 * HOUR).toISOString();
    await age(app.store, dayAgo);
    sim.resetStats();
    const [outcome] = await app.sweep();
    await app.idle();
    expect(outcome).toMatchObject({ installationId: INSTALLATION, queued: REPOS.length, plan: { due: REPOS.length, deferred: 0 } });
    for (const repo of REPOS) {
      const [latest] = await app.store.assessments(INSTALLATION, repo, 1);
      expect(latest?.trigger).toBe(SCHEDULED_TRIGGER);
      expect(Date.parse(latest!.finishedAt)).toBeGreaterThan(Date.now() - HOUR);
    }
    // Unchanged REST answers came back 304 against the ETags of the first reads: no rate limit spent.
    expect(sim.stats.notModified).toBeGreaterThan(0);
    // The issue publisher ran after the sweep: the gap issues the first run's cap (10 a run) left
    // unopened are opened now. (The scenario has no `.github` repository, so no summary issue.)
    expect(issuesBefore).toBe(10);
    expect(sim.model.issues.length).toBeGreaterThan(issuesBefore);

    // Just read: the next tick takes nothing.
    sim.resetStats();
    const [again] = await app.sweep();
    expect(again?.queued).toBe(0);
    expect(readsOfRepositories()).toEqual([]);
  });
});
