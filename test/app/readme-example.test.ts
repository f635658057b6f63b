import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureCheckRuns, mockInstallationToken } from "../helpers/github-api.js";
import { mockOrganisationEvidence, mockOrganisationTeams, mockRepositoryEvidence } from "../helpers/scenario.js";
import { example } from "../helpers/openapi-examples.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { webhookExample } from "../helpers/webhooks.js";

/*
 * The README and docs show a check run produced by this test, not one written by hand.
 * Run with UPDATE_EXAMPLES=1 to regenerate docs/examples/check-run.md after a deliberate change.
 */
const GOLDEN = "docs/examples/check-run.md";
const stableTime = (text: string) => text.replace(/\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d\.\d{3}Z| UTC)/g, "2026-11-24 09:30 UTC");

describe("documented check run example", () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp({ now: () => new Date("2026-11-24T09:30:00Z") });
  });
  afterEach(async () => await app.store.close());

  it("matches the output of a real assessment", async () => {
    const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
    const protection = example("branch-protection");
    protection.enforce_admins.enabled = false;
    protection.allow_force_pushes.enabled = false;
    protection.allow_deletions.enabled = false;
    mockInstallationToken(payload.installation.id);
    mockOrganisationEvidence("Codertocat");
    mockOrganisationTeams();
    mockRepositoryEvidence("Codertocat", "Hello-World", { protection: protection });
    const runs = captureCheckRuns("Codertocat", "Hello-World");
    await app.deliver("pull_request", payload);

    const run = runs[0]!;
    const rendered = stableTime(
      [`**${run.name}** — conclusion \`${run.conclusion}\``, "", `## ${run.output.title}`, "", run.output.summary, "", "<details><summary>Details</summary>", "", run.output.text ?? "", "", "</details>", ""].join("\n"),
    );
    if (process.env.UPDATE_EXAMPLES === "1" || !existsSync(GOLDEN)) writeFileSync(GOLDEN, rendered);
    expect(rendered).toBe(readFileSync(GOLDEN, "utf8"));

    const readme = readFileSync("README.md", "utf8");
    const block = readme.match(/<!-- example:check-run-summary -->\n([\s\S]*?)\n<!-- \/example -->/);
    expect(block, "README.md shows the check-run summary example").not.toBeNull();
    const summary = stableTime(run.output.summary);
    expect(summary).toContain(block![1]!.trim());
  });
});
