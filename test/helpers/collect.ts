import type { CollectContext, OrgCollectContext, RepoRef } from "../../src/collectors/types.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { GitHubClient, type OctokitLike } from "../../src/github/client.js";
import { TestOctokit } from "./probot.js";

export const NOW = new Date("2026-11-24T12:00:00Z");
export const SINCE = new Date(NOW.getTime() - 90 * 86_400_000);

/** A GitHubClient over an Octokit with a plain token, retries and throttling off. */
export function testClient(): GitHubClient {
  return new GitHubClient(new TestOctokit({ auth: { token: "test-token" } } as never) as unknown as OctokitLike);
}

export function testRepo(overrides: Partial<RepoRef> = {}): RepoRef {
  return {
    id: 1296269,
    owner: "octo-org",
    name: "api",
    fullName: "octo-org/api",
    defaultBranch: "main",
    htmlUrl: "https://github.com/octo-org/api",
    archived: false,
    fork: false,
    visibility: "private",
    securityAndAnalysis: null,
    ...overrides,
  };
}

/** A collector context; pass `repositoryData` as the `repository` object of the batched GraphQL answer. */
export function collectContext(overrides: Partial<CollectContext> = {}): CollectContext {
  return { client: testClient(), repo: testRepo(), config: DEFAULT_CONFIG, now: NOW, since: SINCE, repositoryData: null, repositoryErrors: [], ...overrides };
}

export function orgContext(overrides: Partial<OrgCollectContext> = {}): OrgCollectContext {
  return { client: testClient(), org: "octo-org", config: DEFAULT_CONFIG, now: NOW, since: SINCE, ...overrides };
}
