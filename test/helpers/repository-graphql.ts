import { mockGraphql, type GraphqlRequest } from "./graphql.js";

/**
 * The `repository` answer of the batched query for a repository where nothing happened in the
 * window: no pull requests, no commits. Tests add the fields their case needs; collectors whose
 * aliases are absent parse what they need from it and fail visibly if a field they require is missing.
 */
export function quietRepositoryData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pr_merged: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] },
    pr_openOldest: { totalCount: 0, nodes: [] },
    pr_openNewest: { nodes: [] },
    pr_closed: { nodes: [] },
    hist_branch: { target: { history: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } } },
    wf_workflows: null,
    ...overrides,
  };
}

/** Answers the batched repository query with `repository` data and a rate-limit cost. */
export function mockRepositoryQuery(repository: Record<string, unknown> = quietRepositoryData(), errors?: unknown[]): GraphqlRequest[] {
  return mockGraphql(() => ({ data: { rateLimit: { cost: 1, remaining: 4999, resetAt: "2026-11-24T13:00:00Z" }, repository }, ...(errors ? { errors } : {}) }));
}
