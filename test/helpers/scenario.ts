import { mockNoConfig, mockProtection, mockRepository, mockWorkflowTokenSettings } from "./github-api.js";
import { mockRepositoryQuery, quietRepositoryData } from "./repository-graphql.js";

export type RepositoryEvidence = {
  /** Classic protection answer (an OpenAPI example, adapted) or 404 for none. */
  protection?: Record<string, unknown> | 404;
  rules?: unknown[];
  /** Fields of the batched GraphQL `repository` answer, over a quiet repository's. */
  graphql?: Record<string, unknown>;
  repository?: Record<string, unknown>;
  /** "skip": the test answers the configuration reads itself (e.g. with mockConfig). */
  config?: "none" | "skip";
  /** Only what a protection event re-reads: no batched query, no Actions settings. */
  protectionOnly?: boolean;
};

/**
 * Every GitHub read of one repository assessment, answered: the one place that knows which
 * requests the collectors make, so a new collector updates this and not every test.
 */
export function mockRepositoryEvidence(owner: string, repo: string, evidence: RepositoryEvidence = {}): void {
  if (evidence.config !== "skip") mockNoConfig(owner, repo);
  mockRepository(owner, repo, evidence.repository ?? {});
  mockProtection(owner, repo, evidence.protection ?? 404, evidence.rules ?? []);
  if (evidence.protectionOnly) return;
  mockRepositoryQuery(quietRepositoryData(evidence.graphql ?? {}));
  mockWorkflowTokenSettings(owner, repo);
}
