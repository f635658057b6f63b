import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import type { Store, StoredAssessment } from "../../src/store/store.js";
import { startApp, type AppOptions, type RunningApp } from "../simulator/app-harness.js";
import { loadScenario, type Scenario } from "../simulator/scenario.js";
import { startSimulator, type Simulator } from "../simulator/server.js";

export const ACME: Scenario = loadScenario(fileURLToPath(new URL("../simulator/scenarios/acme.yml", import.meta.url)));

/** "claim/check" → status, for comparing two assessments of the same repository. */
export function checkStatuses(assessment: StoredAssessment | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const claim of assessment?.results ?? []) for (const check of claim.checks) out[`${claim.claimId}/${check.checkId}`] = check.status;
  return out;
}

export function check(assessment: StoredAssessment | undefined, claimId: string, checkId: string): { status: string; reason: string } {
  const found = assessment?.results.find((c) => c.claimId === claimId)?.checks.find((c) => c.checkId === checkId);
  if (!found) throw new Error(`no ${claimId}/${checkId} in the assessment of ${assessment?.repositoryFullName ?? "nothing"}`);
  return { status: found.status, reason: found.reason };
}

/**
 * In the calling suite: before its tests, the simulator of `scenario` and the app over it on a
 * store of `open`, handed to `started`, with retry back-off scaled down (waits of ms, not seconds)
 * and writes unspaced so tests stay fast; after them, both stopped and the store closed.
 */
export function appForSuite(open: () => Promise<Store>, scenario: Scenario, started: (running: { sim: Simulator; app: RunningApp }) => void, options: Omit<AppOptions, "githubUrl" | "store"> = {}): void {
  let running: { sim: Simulator; app: RunningApp; store: Store } | undefined;
  beforeAll(async () => {
    const store = await open();
    const sim = await startSimulator(scenario);
    running = { sim, store, app: await startApp({ githubUrl: sim.url, retryBaseMs: 5, spaceWrites: false, ...options, store }) };
    started(running);
  });
  afterAll(async () => {
    await running?.app.stop();
    await running?.sim.stop();
    await running?.store.close();
  });
}
