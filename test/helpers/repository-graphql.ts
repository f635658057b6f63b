import { fileAlias, PROBED_FILES } from "../../src/collectors/dependency-files.js";
import nock from "nock";
import { API } from "./github-api.js";
import type { GraphqlRequest } from "./graphql.js";

/** The repository id `quietRepositoryData` answers. */
export const QUIET_REPOSITORY_ID = 1296269;

/**
 * The `repository` answer of the batched query for a repository where nothing happened in the
 * window: no pull requests, no commits. Tests add the fields their case needs; collectors whose
 * aliases are absent parse what they need from it and fail visibly if a field they require is missing.
 */
export function quietRepositoryData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] },
    pr_recent: { nodes: [] },
    pr_openOldest: { totalCount: 0, nodes: [] },
    pr_openNewest: { nodes: [] },
    pr_closed: { nodes: [] },
    hist_branch: { target: { history: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } } },
    hist_merges: { nodes: [] },
    wf_workflows: null,
    wf_actions: null,
    wf_yarnrc: null,
    wf_packageJson: null,
    co_github: null,
    co_root: null,
    co_docs: null,
    co_workflows: null,
    co_errors: { errors: [] },
    acc_direct: { totalCount: 0, edges: [] },
    acc_owner: { __typename: "Organization", acc_teams: { totalCount: 0, nodes: [] } },
    // Long before any team map a test reads (the run fragment's question).
    acc_createdAt: "2020-01-01T00:00:00Z",
    // The repository's id, as a team map read in a run knows it (test/collectors/team-repositories.test.ts).
    acc_databaseId: QUIET_REPOSITORY_ID,
    acc_deployKeys: { totalCount: 0, nodes: [] },
    acc_environments: { totalCount: 0, nodes: [] },
    // A repository with files but no manifest, no update configuration and no open alert.
    deps_root: { entries: [{ name: "README.md", type: "blob" }] },
    ...Object.fromEntries(PROBED_FILES.map((path) => [fileAlias(path), null])),
    deps_gradleVerification: null,
    deps_graph: { totalCount: 0, nodes: [] },
    deps_alertsEnabled: true,
    deps_alerts: { totalCount: 0, nodes: [] },
    ...overrides,
  };
}

/** Answers the batched repository query with `repository` data and a rate-limit cost. */
export function mockRepositoryQuery(repository: Record<string, unknown> = quietRepositoryData(), errors?: unknown[]): GraphqlRequest[] {
  // Only the batched query: organisation queries of the same run must not take its answer.
  const seen: GraphqlRequest[] = [];
  nock(API)
    .post("/graphql", (body: GraphqlRequest) => body.query.includes("query claimcheckRepository(") && seen.push(body) > 0)
    .reply(200, { data: { rateLimit: { cost: 1, remaining: 4999, resetAt: "2026-11-24T13:00:00Z" }, repository }, ...(errors ? { errors } : {}) });
  return seen;
}

/**
 * A commit's `statusCheckRollup` as GitHub answers it: one CI check run with the given result,
 * next to claimcheck's own (neutral) check run, which the collectors must not count.
 */
export function checkRollup(state: "SUCCESS" | "FAILURE" | "PENDING" | null) {
  if (state === null) return null;
  const ci = { __typename: "CheckRun", name: "ci", status: state === "PENDING" ? "IN_PROGRESS" : "COMPLETED", conclusion: state === "PENDING" ? null : state };
  const own = { __typename: "CheckRun", name: "Code of Practice evidence", status: "COMPLETED", conclusion: "NEUTRAL" };
  return { state, contexts: { totalCount: 2, nodes: [ci, own] } };
}

const HEAD_OID = "a".repeat(40);

/**
 * A merged pull request as the pull-request fragment reads it: into `main`, green checks on its
 * head, one changed file, approved on its head by `approvedBy` (or not reviewed at all).
 * `withNumber: false` leaves out `number`, as answers to queries that did not ask for it.
 */
export function mergedPullRequest(options: { number: number; approvedBy: string | null; mergedAt: string; updatedAt: string; withNumber?: boolean }) {
  const user = (login: string) => ({ __typename: "User", login });
  const reviews = options.approvedBy ? [{ state: "APPROVED", submittedAt: "2026-11-02T09:00:00Z", author: user(options.approvedBy), commit: { oid: HEAD_OID } }] : [];
  return {
    url: `https://github.com/octo-org/api/pull/${options.number}`,
    ...(options.withNumber === false ? {} : { number: options.number }),
    createdAt: "2024-11-01T09:00:00Z",
    mergedAt: options.mergedAt,
    updatedAt: options.updatedAt,
    baseRefName: "main",
    headRefOid: HEAD_OID,
    author: user("alice"),
    mergedBy: { login: "alice" },
    statusCheckRollup: { ...checkRollup("SUCCESS")!, commit: { oid: HEAD_OID } },
    latestOpinionatedReviews: { totalCount: reviews.length, nodes: reviews },
    files: { totalCount: 1, nodes: [{ path: "src/index.ts" }] },
  };
}
