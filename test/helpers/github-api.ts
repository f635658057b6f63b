import nock from "nock";
import { example } from "./openapi-examples.js";

export const API = "https://api.github.com";

/** The installation token exchange Probot makes before acting for an installation. */
export function mockInstallationToken(installationId: number): void {
  nock(API)
    .post(`/app/installations/${installationId}/access_tokens`)
    .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: { checks: "write", administration: "read" }, repository_selection: "all" });
}

/** No `.github/claimcheck.yml` in the repository nor in the organisation's `.github` repository. */
export function mockNoConfig(owner: string, repo: string): void {
  nock(API).get(`/repos/${owner}/${repo}/contents/.github%2Fclaimcheck.yml`).reply(404, { message: "Not Found" });
  nock(API).get(`/repos/${owner}/.github/contents/.github%2Fclaimcheck.yml`).reply(404, { message: "Not Found" });
}

export function mockConfig(owner: string, repo: string, yaml: string): void {
  nock(API).get(`/repos/${owner}/${repo}/contents/.github%2Fclaimcheck.yml`).reply(200, yaml, { "content-type": "application/vnd.github.v3.raw; charset=utf-8" });
}

/** GET /repos/{owner}/{repo} from the OpenAPI `full-repository` example, adapted to the repository. */
export function repositoryExample(owner: string, repo: string, overrides: Record<string, unknown> = {}): Record<string, any> {
  const data = example("full-repository");
  return {
    ...data,
    name: repo,
    full_name: `${owner}/${repo}`,
    owner: { ...data.owner, login: owner },
    html_url: `https://github.com/${owner}/${repo}`,
    default_branch: "main",
    archived: false,
    fork: false,
    ...overrides,
  };
}

export function mockRepository(owner: string, repo: string, overrides: Record<string, unknown> = {}): void {
  nock(API).get(`/repos/${owner}/${repo}`).reply(200, repositoryExample(owner, repo, overrides));
}

/** Classic protection from the OpenAPI example (or 404, unprotected), and the rules that apply. */
export function mockProtection(owner: string, repo: string, classic: Record<string, unknown> | 404, rules: unknown[] = [], branch = "main"): void {
  const route = nock(API).get(`/repos/${owner}/${repo}/branches/${branch}/protection`);
  if (classic === 404) route.reply(404, { message: "Branch not protected" });
  else route.reply(200, classic);
  nock(API).get(`/repos/${owner}/${repo}/rules/branches/${branch}`).query({ per_page: "100", page: "1" }).reply(200, rules);
}

/** The repository's Actions workflow-token settings, GitHub's own example (read-only token). */
export function mockWorkflowTokenSettings(owner: string, repo: string): void {
  nock(API).get(`/repos/${owner}/${repo}/actions/permissions/workflow`).reply(200, example("actions-default-workflow-permissions"));
}

export type CapturedCheckRun = { name: string; head_sha: string; status: string; conclusion: string; details_url?: string; output: { title: string; summary: string; text?: string } };

/** Captures every check run created in the repository. */
export function captureCheckRuns(owner: string, repo: string, times = 1): CapturedCheckRun[] {
  const captured: CapturedCheckRun[] = [];
  nock(API)
    .post(`/repos/${owner}/${repo}/check-runs`, (body: CapturedCheckRun) => {
      captured.push(body);
      return true;
    })
    .times(times)
    .reply(201, () => ({ ...example<Record<string, unknown>>("check-run"), id: 4000 + captured.length }));
  return captured;
}
