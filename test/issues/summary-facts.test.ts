import { describe, expect, it } from "vitest";
import { claimReadAt, oldestRead } from "../../src/render/freshness.js";
import { orgStatuses, SummaryFacts, type RepositoryResults } from "../../src/issues/subjects.js";
import { claimResult, repoResults } from "./fixtures.js";

/*
 * The summary issue's facts gathered one repository at a time (the app reads the store a page at
 * a time and keeps none of the repositories) say what the scans over every repository said.
 */

/** The summary's figures as they were computed from every repository at once. */
function fromTheWholeList(latest: readonly RepositoryResults[]) {
  const statuses = orgStatuses(latest);
  return {
    statuses,
    collectedAt: latest.map((r) => r.finishedAt).sort().at(-1) ?? null,
    repositories: { inScope: latest.filter((r) => r.inScope).length, outOfScope: latest.filter((r) => !r.inScope).length },
    readAt: statuses.map((s) => oldestRead(latest.filter((r) => r.inScope).flatMap((r) => r.results.filter((c) => c.claimId === s.claimId).flatMap((c) => claimReadAt(c, r.findings) ?? [])))),
  };
}

function gathered(latest: readonly RepositoryResults[]) {
  const facts = SummaryFacts.of(latest);
  const statuses = facts.statuses();
  return { statuses, collectedAt: facts.collectedAt, repositories: facts.repositories, readAt: statuses.map((s) => facts.readAtOf(s.claimId)) };
}

describe("the summary issue's facts, gathered a repository at a time", () => {
  it("match the statuses, counts, read times and repository counts of the whole list", () => {
    const latest: RepositoryResults[] = [
      repoResults("api", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/api"), claimResult("2.1.5", { "org-2fa-required": "gap" })], "2026-03-12T09:00:00.000Z"),
      // The newest in scope, tied with web: the first of them in the list judges organisation claims.
      repoResults("docs", [claimResult("2.2.2", {}, "acme/docs"), claimResult("2.1.5", {})], "2026-03-12T09:30:00.000Z"),
      repoResults("web", [claimResult("2.2.2", {}, "acme/web", "partial"), claimResult("2.1.5", { "org-2fa-required": "gap" })], "2026-03-12T09:30:00.000Z"),
      // Newest of all but out of scope: it sets when evidence was collected, nothing else.
      { ...repoResults("fork", [claimResult("2.2.2", { "pr-required": "gap" }, "acme/fork")], "2026-03-12T09:45:00.000Z"), inScope: false },
      repoResults("old", [claimResult("2.2.2", { "pr-required": "unknown" }, "acme/old")], "2026-03-01T08:00:00.000Z"),
      repoResults("empty", [], "2026-03-11T08:00:00.000Z"),
    ];
    const expected = fromTheWholeList(latest);
    expect(expected.statuses.length).toBeGreaterThan(1);
    expect(gathered(latest)).toEqual(expected);
    // The organisation claim was judged on docs (met), not web (gap), its equal in time.
    expect(expected.statuses.find((s) => s.claimId === "2.1.5")?.status).toBe("met");
  });

  it("say nothing of claims no repository in scope was judged on", () => {
    const latest = [{ ...repoResults("fork", [claimResult("2.2.2", {}, "acme/fork")]), inScope: false }];
    expect(gathered(latest)).toEqual(fromTheWholeList(latest));
    expect(gathered([])).toEqual(fromTheWholeList([]));
  });
});
