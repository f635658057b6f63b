import { Octokit } from "@octokit/rest";
import { describe, expect, it } from "vitest";
import { runOrganisation, type RunOctokit } from "../../src/assessment/run-organisation.js";
import { mockOrganisationRun, mockRepositoryEvidence } from "../helpers/scenario.js";

/* An organisation-wide run that hands each repository to the caller as it finishes and keeps none. */

const ORG = "octo-org";

function octokit(): RunOctokit {
  const client = new Octokit({ auth: "ghp_test", request: { retries: 0 } }) as unknown as RunOctokit;
  // The configuration reader the app gets from Probot; here: no configuration anywhere.
  (client as unknown as { config: RunOctokit["config"] }).config = { get: async () => ({ config: null, files: [] }) } as unknown as RunOctokit["config"];
  return client;
}

describe("runOrganisation with keep: false", () => {
  it("streams each assessment to the sink and holds none of them", async () => {
    mockOrganisationRun(ORG, { repositories: ["api", "docs"] });
    mockRepositoryEvidence(ORG, "api", { config: "skip" });
    mockRepositoryEvidence(ORG, "docs", { config: "skip" });
    const seen: string[] = [];
    const { assessment, configs } = await runOrganisation({ octokit: octokit(), org: ORG, keep: false, onAssessed: (a) => void seen.push(`${a.owner}/${a.name}:${a.results.length > 0}`) });
    expect(seen.sort()).toEqual([`${ORG}/api:true`, `${ORG}/docs:true`]);
    expect(assessment.repositories).toEqual([]);
    expect(configs.size).toBe(0);
    expect(assessment.orgFindings.length).toBeGreaterThan(0);
  });
});
