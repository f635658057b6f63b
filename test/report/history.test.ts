import { describe, expect, it } from "vitest";
import { buildHistory, type HistoryAssessment } from "../../src/report/history.js";
import { historyAssessments } from "../../src/store/history.js";
import { dialects } from "../helpers/dialects.js";
import { reportJson } from "../../src/report/json.js";
import { buildReport } from "../../src/report/model.js";
import { fact, orgRun, TEST_CLAIMS, TEST_JUDGES, TEST_OPTIONS } from "./fixtures.js";
import { schemaProblems } from "./schema-validator.js";

const UNTIL = new Date("2026-11-24T12:00:00Z");
const daysAgo = (n: number) => new Date(UNTIL.getTime() - n * 86_400_000).toISOString();

let nextId = 1;
function assessed(repo: string, at: string, prRequired: "met" | "gap" | "unknown", extra: Partial<HistoryAssessment> = {}): HistoryAssessment {
  return {
    id: nextId++,
    repo: `octo-org/${repo}`,
    finishedAt: at,
    trigger: "pull_request.opened",
    deliveryId: `delivery-${nextId}`,
    headSha: "abc123",
    checkRunId: 77,
    inScope: true,
    claims: [
      { claimId: "2.2.91", status: prRequired, checks: [{ checkId: "pr-required", status: prRequired }, { checkId: "reviews-happened", status: "not_applicable" }] },
      { claimId: "2.2.92", status: "met", checks: [{ checkId: "org-2fa-required", status: "met" }] },
      { claimId: "2.2.93", status: "unknown", checks: [{ checkId: "tests-present", status: "met" }] },
    ],
    ...extra,
  };
}

const build = (before: HistoryAssessment[], during: HistoryAssessment[], days = 30) => buildHistory({ before, during, until: UNTIL, days, claims: TEST_CLAIMS, judges: TEST_JUDGES });

describe.each(dialects("claim history"))("claim history, on $name", ({ open }) => {
  it("rolls each day up from the newest assessment of every repository, and links each change to its cause", async () => {
    const website = assessed("website", daysAgo(10), "gap");
    const fixed = assessed("website", daysAgo(5), "met", { trigger: "branch_protection_rule.edited", headSha: null, checkRunId: null });
    const history = build([assessed("api", daysAgo(40), "met")], [website, fixed]);
    const claim = history.claims.find((c) => c.claimId === "2.2.91")!;
    expect(claim.days).toHaveLength(31);
    expect(claim.days[0]).toEqual({ date: daysAgo(30).slice(0, 10), status: "met" });
    expect(claim.days.at(-11)?.status).toBe("partial");
    expect(claim.days.at(-6)?.status).toBe("met");
    expect(claim.days.at(-1)?.status).toBe("met");
    expect(claim.changes).toEqual([
      {
        at: website.finishedAt,
        from: "met",
        to: "partial",
        cause: { assessmentId: website.id, repo: "octo-org/website", trigger: "pull_request.opened", deliveryId: website.deliveryId, commitUrl: "https://github.com/octo-org/website/commit/abc123", checkRunUrl: "https://github.com/octo-org/website/runs/77" },
      },
      { at: fixed.finishedAt, from: "partial", to: "met", cause: expect.objectContaining({ assessmentId: fixed.id, trigger: "branch_protection_rule.edited", commitUrl: null, checkRunUrl: null }) },
    ]);
  });

  it("is history[] of the JSON report, valid against the schema (revision 1.1), which still accepts a report without it", async () => {
    const history = build([assessed("api", daysAgo(40), "met")], [assessed("website", daysAgo(10), "gap")]);
    const json = await reportJson({ ...buildReport(orgRun([{ name: "api", findings: [fact("branch-protection.pr-required", true, "api")] }]), TEST_OPTIONS), history });
    expect(json.history.map((h) => h.claimId)).toEqual(["2.2.91", "2.2.92", "2.2.93"]);
    expect(schemaProblems(json)).toEqual([]);
    const { history: _dropped, ...revision10 } = json;
    expect(schemaProblems(revision10)).toEqual([]);
    expect(schemaProblems({ ...json, history: [{ claimId: "2.2.91", days: [{ date: "yesterday", status: "met" }], changes: [] }] })).not.toEqual([]);
  });

  it("is null before anything was stored, never met; an unknown repository keeps a claim from being met", async () => {
    const history = build([], [assessed("api", daysAgo(3), "met"), assessed("website", daysAgo(2), "unknown")], 7);
    const claim = history.claims.find((c) => c.claimId === "2.2.91")!;
    expect(claim.days.slice(0, 4).map((d) => d.status)).toEqual([null, null, null, null]);
    expect(claim.days.at(-4)?.status).toBe("met");
    expect(claim.days.at(-3)?.status).toBe("partial");
    expect(claim.changes.map((c) => [c.from, c.to])).toEqual([
      [null, "met"],
      ["met", "partial"],
    ]);
  });

  it("drops a repository that goes out of scope and judges an organisation claim on the newest in-scope assessment", async () => {
    const history = build([assessed("api", daysAgo(40), "met"), assessed("website", daysAgo(40), "gap")], [assessed("website", daysAgo(1), "gap", { inScope: false })], 3);
    expect(history.claims.find((c) => c.claimId === "2.2.91")!.days.map((d) => d.status)).toEqual(["partial", "partial", "met", "met"]);
    expect(history.claims.find((c) => c.claimId === "2.2.92")!.days.every((d) => d.status === "met")).toBe(true);
    // An `outside` claim is what was recorded for it (unknown or attested), never its supporting checks.
    expect(history.claims.find((c) => c.claimId === "2.2.93")!.days.every((d) => d.status === "unknown")).toBe(true);
  });

  it("reads only the asking installation's assessments of the repositories it covers", async () => {
    const store = await open();
    for (const [id, org] of [
      [1, "octo-org"],
      [2, "other-org"],
    ] as const) {
      await store.upsertInstallation(id, org, "Organization");
      await store.addRepositories(id, [{ id: id * 100, fullName: `${org}/api` }]);
    }
    const record = async (installationId: number, owner: string, name: string, finishedAt: string) => {
      const run = orgRun([{ name, findings: [fact("branch-protection.pr-required", true, name)] }]);
      await store.recordAssessment({ installationId, trigger: "test", deliveryId: "d-1", assessment: { ...run.repositories[0]!, owner, finishedAt }, configProblems: [] });
    };
    await record(1, "octo-org", "api", daysAgo(50));
    await record(1, "octo-org", "api", daysAgo(45));
    await record(1, "octo-org", "api", daysAgo(5));
    await record(1, "octo-org", "gone", daysAgo(5));
    await record(2, "other-org", "api", daysAgo(4));
    const rows = await historyAssessments(store, 1, new Date(daysAgo(30)), UNTIL);
    expect(rows.before.map((r) => [r.repo, r.finishedAt])).toEqual([["octo-org/api", daysAgo(45)]]);
    expect(rows.during.map((r) => [r.repo, r.finishedAt, r.deliveryId])).toEqual([["octo-org/api", daysAgo(5), "d-1"]]);
    await store.close();
  });
});
