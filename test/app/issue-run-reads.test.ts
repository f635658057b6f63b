import Database from "better-sqlite3";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Assessment } from "../../src/assessment/assess-repository.js";
import { OrgEvidence } from "../../src/app/org-evidence.js";
import { publishIssues, type Assessed, type PipelineDeps } from "../../src/app/pipeline.js";
import { IssuePublisher } from "../../src/publish/issues.js";
import { Store } from "../../src/store/store.js";
import { FakeIssues } from "../issues/fake-issues.js";
import { claimResult, config, octokit, ORG, silent } from "../issues/fixtures.js";

/*
 * The issues of a run read the organisation's newest results once, with the same statements,
 * however many repositories the run assessed (a backfill of 1,000 used to read all of them once per repository), and read
 * nothing at all when issues are off.
 */

const INSTALLATION = 7;
const NOW = new Date("2026-03-12T10:00:00Z");

async function stored(store: Store, count: number): Promise<void> {
  await store.upsertInstallation(INSTALLATION, ORG, "Organization");
  for (let i = 0; i < count; i += 1) {
    const name = `repo-${i}`;
    const assessment: Assessment = {
      owner: ORG,
      name,
      repo: null,
      scope: { inScope: true },
      findings: [],
      results: [claimResult("2.2.2", { "pr-required": i % 2 === 0 ? "gap" : "met" }, `${ORG}/${name}`), claimResult("2.1.5", {})],
      requests: { rest: 6, graphql: 1, graphqlCost: 3 },
      startedAt: NOW.toISOString(),
      finishedAt: new Date(NOW.getTime() - i * 1000).toISOString(),
    };
    await store.recordAssessment({ installationId: INSTALLATION, trigger: "installation.created", assessment, configProblems: [] });
  }
}

/** SQL statements run while `work` runs, by whether they read the assessments table. */
async function statements(work: () => Promise<void>): Promise<{ assessmentReads: number; reads: number }> {
  const prepare = vi.spyOn(Database.prototype, "prepare");
  try {
    await work();
    const sqls = prepare.mock.calls.map((c) => String(c[0]).toLowerCase());
    const reads = sqls.filter((s) => s.trimStart().startsWith("select"));
    return { assessmentReads: reads.filter((s) => s.includes('from "assessments"')).length, reads: reads.length };
  } finally {
    prepare.mockRestore();
  }
}

describe("issue publication after a run", () => {
  let stores: Store[] = [];
  beforeEach(async () => {
    stores = [];
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    nock.cleanAll();
  });

  async function run(repositories: number, raw: Record<string, unknown>) {
    // Each organisation on its own GitHub: the issues one run wrote are not there for the other.
    nock.cleanAll();
    const github = new FakeIssues();
    const store = await Store.open(":memory:");
    stores.push(store);
    await stored(store, repositories);
    const issues = new IssuePublisher({ store, log: silent, now: () => NOW, sleep: async () => undefined });
    const deps: PipelineDeps = { store, log: silent, orgEvidence: new OrgEvidence(), issues, now: () => NOW };
    const assessed: Assessed[] = Array.from({ length: repositories }, (_, i) => ({ assessmentId: i + 1, fullName: `${ORG}/repo-${i}`, config: config(raw) }));
    const counted = await statements(() => publishIssues(deps, octokit() as never, { installationId: INSTALLATION, org: ORG }, assessed));
    return { ...counted, titles: github.issues(`${ORG}/.github`).map((i) => i.title) };
  }

  it("reads the stored results once per run, at 10 and at 1,000 repositories alike", async () => {
    const central = { issues: { central: true, maxOpenPerRun: 5 } };
    const small = await run(10, central);
    const large = await run(1_000, central);
    // Two statements at any size: where each repository's newest assessment is (small columns
    // only), then one prepared read run a page at a time, with the event loop free in between.
    expect(small.assessmentReads).toBe(2);
    expect(large.assessmentReads).toBe(2);
    expect(large.reads).toBe(small.reads);
    // The run did publish: the gap issue of 2.2.2 in the central repository, and the summary.
    expect(large.titles).toEqual([expect.stringContaining("2.2.2"), expect.stringContaining("evidence summary")]);
  }, 60_000);

  it("reads nothing from the store when issues are off", async () => {
    const off = await run(1_000, { issues: { enabled: false } });
    expect(off.reads).toBe(0);
    // And nothing written: no issue in the central repository.
    expect(off.titles).toEqual([]);
  }, 60_000);
});
