import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { STATUSES } from "../../src/core/status.js";
import { buildHistory } from "../../src/report/history.js";
import { contentSecurityPolicy } from "../../src/report/html-assets.js";
import { renderHtml, STATUS_SYMBOL, STATUS_WORD } from "../../src/report/html.js";
import { buildReport, StatusList, type Report } from "../../src/report/model.js";
import { fact, orgRun, TEST_CLAIMS, TEST_JUDGES, TEST_OPTIONS } from "./fixtures.js";

const count = (text: string, part: string) => text.split(part).length - 1;
const repos = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `repo-${String(i).padStart(4, "0")}`, findings: [fact("branch-protection.pr-required", i % 3 !== 0, `repo-${String(i).padStart(4, "0")}`)] }));

describe("the HTML report", () => {
  it("shows every status with a symbol and a word, never by colour alone", () => {
    const base = buildReport(orgRun(repos(2)));
    const report: Report = { ...base, claims: base.claims.map((c, i) => ({ ...c, status: STATUSES[i % STATUSES.length]! })) };
    const html = renderHtml(report);
    for (const status of STATUSES) {
      expect(html).toContain(`<span class="b s-${status}"><span aria-hidden="true">${STATUS_SYMBOL[status]}</span> ${STATUS_WORD[status]}</span>`);
      expect(html).toMatch(new RegExp(`<tr data-claim data-s="${status}"`));
      // The organisation row of the matrix names each status in words for screen readers.
      expect(html).toMatch(new RegExp(`aria-label="whole organisation, [0-9.]+: ${STATUS_WORD[status]}" title="${STATUS_WORD[status]} — `));
    }
  });

  it("renders an organisation with no repository, saying so", () => {
    const html = renderHtml(buildReport(orgRun([]), TEST_OPTIONS));
    expect(html).toContain("0 repositories in scope");
    expect(count(html, "<tr data-repo=")).toBe(0);
    expect(html).toContain('<tr class="org" data-repo=""><th scope="row">whole organisation</th>');
    expect(html).toContain("None: every repository read is in scope.");
    expect(html).toContain("No history: this report was made without claimcheck's store.");
  });

  it("renders one repository: its row in the matrix and its evidence under each claim", () => {
    const html = renderHtml(buildReport(orgRun([{ name: "api", findings: [fact("branch-protection.pr-required", false, "api")] }]), TEST_OPTIONS));
    expect(html).toContain("1 repository in scope");
    expect(html).toMatch(/<tr data-repo="api"><th scope="row">.*api.*<\/th>/);
    expect(html).toContain('aria-label="api, 2.2.91: gap" title="gap — pr-required: no pull request is required"');
    expect(html).toContain('<tr data-repo="api"><td><code>api</code></td><td><span class="b s-gap">');
    expect(html).toContain('<a href="https://github.com/octo-org/api/settings/branches">branch-protection</a>');
  });

  it("shows names, reasons and values from GitHub as text, and links only http(s) addresses", () => {
    const base = buildReport(orgRun([{ name: "api", findings: [fact("branch-protection.pr-required", false, "api")] }]), TEST_OPTIONS);
    const report: Report = {
      ...base,
      org: `evil"><script>alert(1)</script>`,
      repositories: [...base.repositories, { name: "<b>x</b>", fullName: "octo-org/<b>x</b>", url: "javascript:alert(1)", inScope: false, reason: "<i>archived</i>" }],
      claims: base.claims.map((c) => ({ ...c, repositories: StatusList.of(c.repositories.map((r) => ({ ...r, reason: `<img src=x onerror=alert(1)> and \`code\`` }))) })),
    };
    const html = renderHtml(report);
    expect(html).not.toMatch(/<script>alert|<img src=x|<b>x<\/b>|<i>archived/);
    expect(html).toContain("evil&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt; and <code>code</code>");
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain("<td>octo-org/&lt;b&gt;x&lt;/b&gt;</td>");
  });

  it("allows exactly its own style and script by hash, in the page and in the header policy", () => {
    const html = renderHtml(buildReport(orgRun(repos(1)), TEST_OPTIONS));
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const sha = (t: string) => `'sha256-${createHash("sha256").update(t).digest("base64")}'`;
    for (const policy of [contentSecurityPolicy("header"), /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!.replace(/&#39;/g, "'")]) {
      expect(policy).toContain(`script-src ${sha(script)}`);
      expect(policy).toContain(`style-src ${sha(style)}`);
      expect(policy).toContain("default-src 'none'");
      expect(policy).not.toContain("unsafe");
    }
    expect(count(html, "<script")).toBe(1);
    expect(html).not.toMatch(/ style="| on[a-z]+="/);
    expect(html).not.toMatch(/<(link|img|iframe|object)\b/);
  });

  it("shows each claim's history as a strip with the same in words, and each change with its cause", () => {
    const until = new Date("2026-11-24T12:00:00Z");
    const at = (d: number) => new Date(until.getTime() - d * 86_400_000).toISOString();
    const claims = (status: "met" | "gap") => [{ claimId: "2.2.91", status, checks: [{ checkId: "pr-required", status }] }];
    const history = buildHistory({
      before: [],
      during: [
        { id: 7, repo: "octo-org/api", finishedAt: at(20), trigger: "pull_request.opened", deliveryId: "d-7", headSha: "abc", checkRunId: 5, inScope: true, claims: claims("gap") },
        { id: 9, repo: "octo-org/api", finishedAt: at(3), trigger: "branch_protection_rule.edited", deliveryId: "d-9", headSha: null, checkRunId: null, inScope: true, claims: claims("met") },
      ],
      until,
      days: 30,
      claims: TEST_CLAIMS,
      judges: TEST_JUDGES,
    });
    const html = renderHtml({ ...buildReport(orgRun(repos(1)), TEST_OPTIONS), history });
    expect(html).toContain('aria-label="2.2.91 over the last 30 days: nothing stored from 2026-10-25 to 2026-11-03; gap from 2026-11-04 to 2026-11-20; met from 2026-11-21 to 2026-11-24"');
    expect(html).toContain("after assessment #9 of <code>octo-org/api</code>, caused by <code>branch_protection_rule.edited</code> (delivery <code>d-9</code>)");
    expect(html).toContain('<a href="https://github.com/octo-org/api/runs/5">check run</a>');
  });

  it("stays one page per organisation at 1,000 repositories: every repository once in the matrix and once per repository claim", () => {
    const html = renderHtml(buildReport(orgRun(repos(1000)), TEST_OPTIONS));
    // The matrix, the evidence of repository claim 2.2.91, and 2.2.93's repository-level check.
    expect(count(html, '<tr data-repo="repo-')).toBe(3 * 1000);
    expect(count(html, "<details class=\"claim\"")).toBe(TEST_CLAIMS.length);
    // Size and render time are measured by `npm run bench:html`; this only keeps the page within reach of a browser.
    expect(Buffer.byteLength(html)).toBeLessThan(3_000_000);
  });
});
