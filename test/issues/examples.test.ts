import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseMarker } from "../../src/issues/marker.js";
import { IssuePublisher } from "../../src/publish/issues.js";
import { issueRows, recordException, recordOrgStatuses, updateIssue } from "../../src/store/issue-records.js";
import { dialects } from "../helpers/dialects.js";
import { FakeIssues } from "./fake-issues.js";
import { claimResult, config, octokit, ORG, repoResults, silent } from "./fixtures.js";

/*
 * docs/issues.md shows a gap issue and the summary issue produced by this test, not written by hand.
 * Run with UPDATE_EXAMPLES=1 to regenerate them after a deliberate change.
 */
const EXAMPLES = { gap: "docs/examples/gap-issue.md", summary: "docs/examples/summary-issue.md" };

function golden(path: string, text: string): void {
  if (process.env.UPDATE_EXAMPLES === "1" || !existsSync(path)) writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, "utf8"));
}

describe.each(dialects("documented issue examples"))("documented issue examples on $name", ({ open }) => {
  it("match the issues the publisher writes", async () => {
    const store = await open();
    const github = new FakeIssues();
    let now = new Date("2026-03-12T09:30:00Z");
    const publisher = new IssuePublisher({ store, log: silent, now: () => now });
    const at = "2026-03-12T09:30:00.000Z";
    const latest = [
      repoResults("api", [claimResult("2.2.2", { "pr-required": "gap", "workflows-owned": "gap" }, "acme/api"), claimResult("1.2.4", {}, "acme/api"), claimResult("2.1.5", { "members-without-2fa": "gap" })], at),
      repoResults("web", [claimResult("2.2.2", {}, "acme/web"), claimResult("1.2.4", {}, "acme/web"), claimResult("2.1.5", { "members-without-2fa": "gap" })], at),
      repoResults("cli", [claimResult("2.2.2", {}, "acme/cli", "gap"), claimResult("1.2.4", { "update-prs-green": "gap" }, "acme/cli"), claimResult("2.1.5", { "members-without-2fa": "gap" })], at),
    ];
    // History: 1.2.4 was partial at the previous assessment, 2.1.5 unchanged.
    await recordOrgStatuses(store, 1, [{ claimId: "1.2.4", status: "met" }], new Date("2026-02-20T09:00:00Z"));
    const run = publisher.newRun(1, ORG);
    run.config = config();
    await publisher.publishGaps(octokit(), run, latest);
    const cli = (await issueRows(store, 1, "gap")).find((r) => r.scope === "acme/cli" && r.claimId === "1.2.4")!;
    await recordException(store, { installationId: 1, claimId: "1.2.4", scope: "acme/cli", issueUrl: cli.issueUrl, acceptedBy: "mona", acceptedAt: "2026-03-12T09:40:00.000Z", reason: "Internal tool; updates are batched into the monthly release and tested there.", expiresAt: "2026-09-08T09:40:00.000Z", evidenceKind: cli.evidenceKind });
    github.personCloses("acme/cli", cli.issueNumber, "not_planned", "Internal tool; updates are batched into the monthly release and tested there.", "mona");
    await updateIssue(store, cli.id, { state: "closed", closedBy: "person", stateReason: "not_planned" });
    now = new Date("2026-03-12T09:45:00Z");
    await publisher.publishSummary(octokit(), run, latest);

    const gap = github.issues("acme/api").find((i) => parseMarker(i.body)?.claim === "2.2.2")!;
    golden(EXAMPLES.gap, [`# ${gap.title}`, "", `Labels: ${gap.labels.map((l) => `\`${l}\``).join(", ")}`, "", gap.body].join("\n"));
    const summary = github.issues("acme/.github").find((i) => parseMarker(i.body)?.kind === "summary")!;
    golden(EXAMPLES.summary, [`# ${summary.title}`, "", `Labels: ${summary.labels.map((l) => `\`${l}\``).join(", ")}`, "", summary.body].join("\n"));
    expect(summary.body).toContain("met → partial on 12 Mar 2026");
    expect(summary.body).toContain("@mona");
    await store.close();
  });
});
