import { describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/config/repo-config.js";
import { CLAIMS } from "../../src/core/catalogue.js";
import { hasRemediation } from "../../src/core/remediation.js";
import { CROSSWALK } from "../../src/report/guidance.js";
import { reportJson } from "../../src/report/json.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { buildReport, hasGap, REPORT_SCHEMA_ID } from "../../src/report/model.js";
import { percent } from "../../src/report/words.js";
import { fact, hidden, orgRun, reviewed, TEST_OPTIONS } from "./fixtures.js";
import { schemaProblems } from "./schema-validator.js";

const claim = (report: ReturnType<typeof buildReport>, id: string) => report.claims.find((c) => c.id === id)!;
const WEB_UNREVIEWED = Array.from({ length: 13 }, (_, i) => `https://github.com/octo-org/web/pull/${100 + i}`);
const PERMISSION = "Resource not accessible by integration (403): the app needs the 'Administration: read' permission";

describe("roll-up and narrative", () => {
  it("counts repositories per status and names the ones that fall short, with the numbers of the findings", () => {
    const report = buildReport(
      orgRun([
        { name: "api", findings: [fact("branch-protection.pr-required", true, "api"), ...reviewed("api", 1200, 1200)] },
        { name: "web", findings: [fact("branch-protection.pr-required", true, "web"), ...reviewed("web", 84, 71, WEB_UNREVIEWED)] },
        { name: "docs", findings: [fact("branch-protection.pr-required", false, "docs"), hidden("reviews.merged-prs", PERMISSION, "docs"), hidden("reviews.independently-approved", PERMISSION, "docs"), hidden("reviews.unreviewed", PERMISSION, "docs")] },
        { name: "legacy", archived: true },
      ]),
      TEST_OPTIONS,
    );
    const c = claim(report, "2.2.91");
    expect(c.status).toBe("partial");
    expect(c.counts).toMatchObject({ met: 1, partial: 1, gap: 1, unknown: 0 });
    expect(c.repositories.map((r) => [r.repo, r.status])).toEqual([
      ["api", "met"],
      ["docs", "gap"],
      ["web", "partial"],
    ]);
    expect(c.narrative).toContain("Judged on each of the 3 repositories in scope (1 out of scope, listed at the end of this report).");
    expect(c.narrative).toContain("2 of 3 repositories require a pull request before changes reach their default branch; `docs` does not.");
    expect(c.narrative).toContain("Of 1,284 pull requests merged in the last 90 days, 1,271 (99.0%) were approved by someone other than their author before merge; the 13 that were not are listed below.");
    expect(c.narrative).toContain(`Merged pull requests could not be read for \`docs\` (${PERMISSION}).`);
    expect(c.summary).toBe("met in 1 of 3; a gap in `docs`; partly met in `web`");
    expect(c.listed).toEqual([{ label: "Merged without approval by someone other than the author", repo: "web", findingId: "reviews.unreviewed", urls: WEB_UNREVIEWED }]);
    expect(c.toClose.map((t) => [t.checkId, t.repositories])).toEqual([
      ["pr-required", ["docs"]],
      ["reviews-happened", ["web"]],
    ]);
    expect(c.unseen).toEqual([{ checkId: "reviews-happened", reason: expect.stringContaining(PERMISSION), repositories: ["docs"] }]);
    expect(hasGap(report)).toBe(false);
  });

  it("with no repository in scope says so and never reports a repository claim as met", () => {
    const report = buildReport(orgRun([{ name: "legacy", archived: true }]), TEST_OPTIONS);
    const c = claim(report, "2.2.91");
    expect(c.status).toBe("not_applicable");
    expect(c.summary).toBe("no repository in scope");
    expect(c.narrative).toBe("No repository is in scope (1 out of scope, listed at the end of this report), so there is no repository evidence for this claim and it is reported as not applicable.");
    expect([...c.repositories]).toEqual([]);
    // The organisation claim is still judged once.
    expect(claim(report, "2.2.92").status).toBe("met");
    expect(renderMarkdown(report)).toContain("| [octo-org/legacy](https://github.com/octo-org/legacy) | archived |");
  });

  it("when every repository meets the claim, says so plainly", () => {
    const report = buildReport(
      orgRun([
        { name: "api", findings: [fact("branch-protection.pr-required", true, "api"), ...reviewed("api", 3, 3)] },
        { name: "web", findings: [fact("branch-protection.pr-required", true, "web"), ...reviewed("web", 1, 1)] },
      ]),
      TEST_OPTIONS,
    );
    const c = claim(report, "2.2.91");
    expect(c.status).toBe("met");
    expect(c.summary).toBe("met in both repositories in scope");
    expect(c.narrative).toContain("The claim is met in both repositories in scope.");
    expect(c.narrative).toContain("Both repositories read require a pull request before changes reach their default branch.");
    expect(c.narrative).toContain("Of 4 pull requests merged in the last 90 days, 4 (100.0%) were approved by someone other than their author before merge.");
    expect(c.toClose).toEqual([]);
  });

  it("when nothing could be read for lack of permission, reports unknown with the reason and states no fact", () => {
    const blind = (repo: string) => [hidden("branch-protection.pr-required", PERMISSION, repo), hidden("reviews.merged-prs", PERMISSION, repo), hidden("reviews.independently-approved", PERMISSION, repo), hidden("reviews.unreviewed", PERMISSION, repo)];
    const report = buildReport(orgRun([{ name: "api", findings: blind("api") }, { name: "web", findings: blind("web") }], [hidden("org.2fa-required", "the app lacks 'Administration: read'")]), TEST_OPTIONS);
    const c = claim(report, "2.2.91");
    expect(c.status).toBe("unknown");
    expect(c.narrative).toContain("claimcheck could not judge it in any of them, so it is reported as unknown, not as met.");
    expect(c.narrative).toContain(`\`branch-protection.pr-required\` could not be read for \`api\` and \`web\` (${PERMISSION}).`);
    expect(c.narrative).not.toContain("repositories read require");
    expect(c.narrative).not.toMatch(/ met in|were approved/);
    const org = claim(report, "2.2.92");
    expect(org.status).toBe("unknown");
    expect(org.narrative).toContain("could not be read: the app lacks 'Administration: read'");
    expect(org.unseen).toEqual([{ checkId: "org-2fa-required", reason: expect.stringContaining("Administration: read"), repositories: [] }]);
  });

  it("keeps a claim GitHub cannot show unknown until evidence is supplied, then marks it attested and supplied", () => {
    const repos = [{ name: "api", findings: [fact("ci.test-workflows", [".github/workflows/test.yml"], "api")] }];
    const without = claim(buildReport(orgRun(repos), TEST_OPTIONS), "2.2.93");
    expect(without.status).toBe("unknown");
    expect(without.narrative).toContain("GitHub cannot show this claim. No evidence has been supplied");
    expect(without.narrative).toContain("`tests-present` (supporting only) is met in 1 of 1");
    const parsed = parseRepoConfig({ evidence: { "1.3.1": { url: "https://example.com/test-plan.pdf", note: "v3, approved 2026-10" } } });
    expect(parsed.ok).toBe(true);
    const config = { ...parsed.config, evidence: { "2.2.93": { url: "https://example.com/test-plan.pdf", note: "v3, approved 2026-10" } } };
    const report = buildReport(orgRun(repos, [fact("org.2fa-required", true)], config), TEST_OPTIONS);
    const attested = claim(report, "2.2.93");
    expect(attested.status).toBe("attested");
    expect(attested.narrative).toContain("claimcheck reports it as supplied, not as verified");
    expect(renderMarkdown(report)).toContain("[Supplied evidence](https://example.com/test-plan.pdf): v3, approved 2026-10 — **supplied**, not verified by claimcheck.");
  });

  it("shows accepted exceptions from configuration and from the caller", async () => {
    const parsed = parseRepoConfig({ exceptions: { outsideCollaborators: ["contractor"] } });
    const report = buildReport(orgRun([{ name: "api" }], [fact("org.2fa-required", false)], parsed.config), {
      exceptions: [{ claimId: "2.2.2", repo: "api", reason: "legacy mirror, read only", url: "https://github.com/octo-org/api/issues/3", acceptedBy: "octocat", acceptedAt: "2026-10-01T00:00:00Z", expiresAt: "2027-03-30T00:00:00Z" }],
    });
    expect(claim(report, "2.1.1").exceptions).toEqual([{ claimId: "2.1.1", checkId: "outside-collaborators", subject: "contractor", reason: "accepted in configuration (`exceptions.outsideCollaborators`)" }]);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("| — | `api` | legacy mirror, read only ([record](https://github.com/octo-org/api/issues/3)) | octocat, 2026-10-01 | 2027-03-30 |");
    expect(schemaProblems(await reportJson(report))).toEqual([]);
  });
});

describe("renderers", () => {
  const report = buildReport(
    orgRun([
      { name: "api", findings: [fact("branch-protection.pr-required", true, "api"), ...reviewed("api", 2, 2)] },
      { name: "docs", findings: [fact("branch-protection.pr-required", false, "docs"), ...reviewed("docs", 0, 0)] },
    ]),
    TEST_OPTIONS,
  );

  it("JSON carries the schema id and validates against docs/report-schema.json", async () => {
    const json = await reportJson(report);
    expect(json.schema).toBe(REPORT_SCHEMA_ID);
    expect(schemaProblems(json)).toEqual([]);
    expect(json.findings.find((f) => f.id === "branch-protection.pr-required" && f.repo === "octo-org/docs")).toMatchObject({ scope: "repo", value: false, error: null });
    expect(json.findings.find((f) => f.id === "org.2fa-required")).toMatchObject({ scope: "org", repo: null, value: true });
    expect(schemaProblems({ ...json, claims: [{ ...json.claims[0], status: "fine" }] })).not.toEqual([]);
  });

  it("Markdown has the summary table, the argument, evidence with links and dates, and the crosswalk label", () => {
    const md = renderMarkdown(report);
    expect(md).toContain("| Principle | Claim | Status | Coverage | Repositories (met / partial / gap / unknown / n/a) |");
    expect(md).toContain("| 2.2 | [**2.2.91**](#claim-2291) Only authorised personnel can make changes (test claim). | 🟡 partial | full | 1 / 0 / 1 / 0 / 0 |");
    expect(md).toContain("#### Argument");
    expect(md).toContain("| `docs` | ❌ gap | pr-required: no pull request is required | [branch protection](https://github.com/octo-org/docs/settings/branches) | 2026-11-24 |");
    expect(md).toContain("#### What an assessor will still ask for");
    expect(md).toContain("- `pr-required`: Require a pull request before merging on the default branch, for administrators too (no bypass): each repository's `/settings/branches` page or each repository's `/settings/rules` page — in [`docs`](https://github.com/octo-org/docs/settings/branches).");
  });
});

describe("guidance", () => {
  it("says what would close every check of the catalogue, and maps only catalogue claims", () => {
    const checks = CLAIMS.flatMap((c) => c.checks.map((k) => k.id));
    expect(checks.filter((id) => !hasRemediation(id))).toEqual([]);
    expect(Object.keys(CROSSWALK).filter((id) => !CLAIMS.some((c) => c.id === id))).toEqual([]);
    expect(CROSSWALK["2.2.2"]).toMatchObject({ ssdf: expect.arrayContaining(["PS.1.1"]), scorecard: expect.arrayContaining(["Branch-Protection", "Code-Review"]) });
  });

  it("rounds percentages without ever showing a shortfall as 100%", () => {
    expect(percent(1271, 1284)).toBe("99.0%");
    expect(percent(9999, 10000)).toBe("99.9%");
    expect(percent(1, 10000)).toBe("0.1%");
    expect(percent(0, 0)).toBe("—");
  });
});

describe("report wording a reader can follow", () => {
  it("labels evidence links by what the page shows, and leaves no placeholder URL in what would close a gap", async () => {
    const { pageLabel } = await import("../../src/render/page-label.js");
    const { whatWouldClose, remediationPage } = await import("../../src/core/remediation.js");
    expect(pageLabel("https://github.com/o/r/pulls?q=is%3Apr+is%3Amerged", "x")).toBe("merged pull requests");
    expect(pageLabel("https://github.com/o/r/blob/main/.github/CODEOWNERS", "x")).toBe("CODEOWNERS");
    expect(pageLabel("https://github.com/o/r/blob/main/renovate.json", "x")).toBe("renovate.json");
    expect(pageLabel("https://example.com/elsewhere", "deps")).toBe("deps");
    const orgWide = whatWouldClose("checks-required", { org: "o" });
    expect(orgWide).not.toMatch(/\{|\}/);
    expect(orgWide).toContain("each repository's `/settings/branches` page");
    expect(whatWouldClose("checks-required", { org: "o", repoUrl: "https://github.com/o/r" })).toContain("https://github.com/o/r/settings/branches");
    expect(remediationPage("checks-required")).toBe("/settings/branches");
  });

  it("the generated example has real links only, one full stop per item and counts that agree", async () => {
    const { readFileSync } = await import("node:fs");
    const md = readFileSync("docs/examples/report.md", "utf8");
    expect(md).not.toMatch(/https?:\/\/[^\s)]*[{}]/);
    expect(md).not.toMatch(/\.\. |\.\.$/m);
    expect(md).not.toMatch(/\b1 events\b|\b1 repositories\b|\ball 1 /);
    expect(md).toContain("run assess with --store");
  });
});
