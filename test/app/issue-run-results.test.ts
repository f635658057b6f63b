import { afterEach, describe, expect, it } from "vitest";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { observed } from "../../src/core/findings.js";
import { issueRunResults, latestResults } from "../../src/app/issue-events.js";
import { SummaryFacts } from "../../src/issues/subjects.js";
import type { Store } from "../../src/store/store.js";
import { dialects, type StoreDialect } from "../helpers/dialects.js";
import { claimResult, ORG } from "../issues/fixtures.js";

/*
 * An issue run reads every repository's newest results a page at a time and keeps whole only what
 * its issues need: the repositories it writes gap issues for and the newest one in scope. The
 * summary's facts come from every repository all the same.
 */

const INSTALLATION = 7;
const NOW = new Date("2026-03-12T10:00:00Z");

async function stored(open: StoreDialect["open"], count: number): Promise<Store> {
  const store = await open();
  await store.upsertInstallation(INSTALLATION, ORG, "Organization");
  for (let i = 0; i < count; i += 1) {
    const name = `repo-${i}`;
    const finishedAt = new Date(NOW.getTime() - ((i + 5) % count) * 1000).toISOString();
    const assessment: Assessment = {
      owner: ORG,
      name,
      repo: null,
      scope: i % 10 !== 9 ? { inScope: true } : { inScope: false, reason: "archived" },
      findings: [observed("branch-protection.pr-required", i % 2 !== 0, { repo: `${ORG}/${name}`, source: "test", url: `https://github.com/${ORG}/${name}`, observedAt: finishedAt })],
      results: [claimResult("2.2.2", { "pr-required": i % 2 === 0 ? "gap" : "met" }, `${ORG}/${name}`), claimResult("2.1.5", {})],
      requests: { rest: 6, graphql: 1, graphqlCost: 3 },
      startedAt: finishedAt,
      finishedAt,
    };
    await store.recordAssessment({ installationId: INSTALLATION, trigger: "installation.created", assessment, configProblems: [] });
  }
  return store;
}

describe.each(dialects("the newest results an issue run keeps"))("the newest results an issue run keeps, on $name", ({ open }) => {
  let store: Store | undefined;
  afterEach(() => store?.close());

  it("keeps whole only the repositories asked for and the newest in scope; the summary's facts cover them all", async () => {
    store = await stored(open, 300);
    const all = await latestResults(store, INSTALLATION);
    const { latest, facts } = await issueRunResults(store, INSTALLATION, new Set([`${ORG}/repo-42`]), false);
    // repo-295 finished last (NOW), and is in scope.
    expect(latest.map((r) => r.fullName).sort()).toEqual([`${ORG}/repo-295`, `${ORG}/repo-42`]);
    expect(latest.find((r) => r.fullName === `${ORG}/repo-42`)).toEqual(all.find((r) => r.fullName === `${ORG}/repo-42`));
    expect(facts.statuses()).toEqual(SummaryFacts.of(all).statuses());
    expect(facts.repositories).toEqual({ inScope: 270, outOfScope: 30 });
    expect(facts.collectedAt).toBe(NOW.toISOString());
    expect(facts.readAtOf("2.2.2")).toBe(SummaryFacts.of(all).readAtOf("2.2.2"));
  });

  it("for central issues keeps every repository's claim statuses and reasons, without findings or evidence links", async () => {
    store = await stored(open, 120);
    const all = await latestResults(store, INSTALLATION);
    const { latest } = await issueRunResults(store, INSTALLATION, new Set([`${ORG}/repo-3`]), true);
    expect(latest.map((r) => r.fullName)).toEqual(all.map((r) => r.fullName));
    const slim = latest.find((r) => r.fullName === `${ORG}/repo-8`)!;
    const whole = all.find((r) => r.fullName === `${ORG}/repo-8`)!;
    expect(slim.findings).toEqual([]);
    expect(slim.results.map((c) => [c.claimId, c.status, c.reason, c.checks.map((k) => [k.checkId, k.status, k.reason])])).toEqual(whole.results.map((c) => [c.claimId, c.status, c.reason, c.checks.map((k) => [k.checkId, k.status, k.reason])]));
    expect(slim.results.flatMap((c) => c.checks.flatMap((k) => k.evidence))).toEqual([]);
    // The repository asked for, and the newest in scope, whole.
    expect(latest.find((r) => r.fullName === `${ORG}/repo-3`)).toEqual(all.find((r) => r.fullName === `${ORG}/repo-3`));
    expect(latest.find((r) => r.fullName === `${ORG}/repo-115`)).toEqual(all.find((r) => r.fullName === `${ORG}/repo-115`));
  });
});
