import { fileURLToPath } from "node:url";
import type { StoredAssessment } from "../../src/store/store.js";
import { loadScenario, type Scenario } from "../simulator/scenario.js";

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
