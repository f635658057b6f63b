import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { describe, expect, it, vi } from "vitest";
import { githubAdminCheck, reportHandler } from "../../src/app/report-route.js";
import { latestReport } from "../../src/app/latest-report.js";
import { renderJson } from "../../src/report/json.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import type { Store } from "../../src/store/store.js";
import { dialects, storeForEachTest } from "../helpers/dialects.js";
import { API } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { fact, orgRun } from "../report/fixtures.js";
import { schemaProblems } from "../report/schema-validator.js";
import { testApp } from "../helpers/probot.js";

let server: Server | undefined;
let store: Store;
const closeServer = () => new Promise<void>((done) => (server ? server.close(() => done()) : done()));

/** Two organisations' stored assessments in `store`. */
async function seed(store: Store): Promise<void> {
  // Two organisations, each with one stored assessment: neither may see the other's.
  for (const [id, org] of [
    [1, "octo-org"],
    [2, "other-org"],
  ] as const) {
    await store.upsertInstallation(id, org, "Organization");
    await store.addRepositories(id, [{ id: id * 100, fullName: `${org}/api` }]);
    const run = orgRun([{ name: "api", findings: [fact("branch-protection.pr-required", org === "octo-org", "api")] }]);
    const assessment = { ...run.repositories[0]!, owner: org, findings: run.repositories[0]!.findings.map((f) => (f.repo ? { ...f, repo: `${org}/api`, url: f.url.replace("octo-org", org) } : f)) };
    await store.recordAssessment({ installationId: id, trigger: "test", assessment, configProblems: [] });
  }
}

async function serve(handler: (req: any, res: any) => Promise<boolean> | boolean): Promise<string> {
  server = createServer((req, res) => {
    void (async () => {
      if (!(await handler(req, res))) res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

function membership(token: string, org: string, role: "admin" | "member", state: "active" | "pending" = "active"): void {
  nock(API, { reqheaders: { authorization: `token ${token}` } })
    .get(`/user/memberships/orgs/${org}`)
    .reply(200, { ...example("org-membership"), state, role, organization: { ...example("org-membership").organization, login: org } });
}

const handler = () => reportHandler({ store, verifyAdmin: githubAdminCheck(), configFor: async () => DEFAULT_CONFIG, now: () => new Date("2026-11-24T12:00:00Z") });

describe.each(dialects("report route"))("report route on $name", ({ open }) => {
  // The server closes first: a response still streaming reads the store.
  storeForEachTest(open, async (opened) => seed((store = opened)), closeServer);

  it("asks for a token (401), refuses a token GitHub rejects (401) and a non-admin (403)", async () => {
    const base = await serve(handler());
    const none = await fetch(`${base}/reports/octo-org`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");

    nock(API).get("/user/memberships/orgs/octo-org").reply(401, { message: "Bad credentials" });
    expect((await fetch(`${base}/reports/octo-org`, { headers: { authorization: "Bearer expired" } })).status).toBe(401);

    membership("member-token", "octo-org", "member");
    const member = await fetch(`${base}/reports/octo-org`, { headers: { authorization: "Bearer member-token" } });
    expect(member.status).toBe(403);
    expect(await member.text()).not.toContain("pull request");

    membership("pending-admin", "octo-org", "admin", "pending");
    expect((await fetch(`${base}/reports/octo-org`, { headers: { authorization: "Bearer pending-admin" } })).status).toBe(403);
  });

  it("serves an admin their organisation's latest report, as Markdown or JSON, and nothing of another organisation", async () => {
    const base = await serve(handler());
    membership("admin-token", "octo-org", "admin");
    const md = await fetch(`${base}/reports/octo-org`, { headers: { authorization: "Bearer admin-token" } });
    expect(md.status).toBe(200);
    expect(md.headers.get("content-type")).toContain("text/markdown");
    expect(md.headers.get("cache-control")).toBe("no-store");
    const text = await md.text();
    expect(text).toContain("self-assessment evidence for octo-org");
    expect(text).not.toContain("other-org");

    membership("admin-token", "octo-org", "admin");
    const json = await fetch(`${base}/reports/octo-org?format=json`, { headers: { authorization: "Bearer admin-token" } });
    const report = (await json.json()) as { findings: { repo: string | null }[] };
    expect(schemaProblems(report)).toEqual([]);
    expect(report.findings.every((f: { repo: string | null }) => f.repo === null || f.repo.startsWith("octo-org/"))).toBe(true);

    // An admin of octo-org asking for other-org proves nothing there: GitHub answers 404 for a non-member.
    nock(API).get("/user/memberships/orgs/other-org").reply(404, { message: "Not Found" });
    const other = await fetch(`${base}/reports/other-org`, { headers: { authorization: "Bearer admin-token" } });
    expect(other.status).toBe(403);

    // An admin of an organisation claimcheck is not installed on gets 404, not another's report.
    membership("admin-token", "third-org", "admin");
    expect((await fetch(`${base}/reports/third-org`, { headers: { authorization: "Bearer admin-token" } })).status).toBe(404);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("streams a report of many pieces whole: the stored report's own JSON and Markdown, and stops for a client that hangs up", async () => {
    // 300 repositories: a report of several pieces, read from the store in several pages.
    for (let i = 0; i < 300; i += 1) {
      const name = `svc-${i}`;
      const run = orgRun([{ name, findings: [fact("branch-protection.pr-required", i % 3 !== 0, name)] }]);
      await store.recordAssessment({ installationId: 1, trigger: "test", assessment: run.repositories[0]!, configProblems: [] });
    }
    const now = new Date("2026-11-24T12:00:00Z");
    const expected = (await latestReport(store, 1, "octo-org", DEFAULT_CONFIG, now))!;
    const route = handler();
    let answered = 0;
    const base = await serve(async (req, res) => {
      const handled = await route(req, res);
      answered += 1;
      return handled;
    });
    membership("admin-token", "octo-org", "admin");
    const json = await fetch(`${base}/reports/octo-org?format=json`, { headers: { authorization: "Bearer admin-token" } });
    const text = await json.text();
    expect(text.length).toBeGreaterThan(4 * 64 * 1024);
    expect(text).toBe(await renderJson(expected));
    membership("admin-token", "octo-org", "admin");
    const md = await fetch(`${base}/reports/octo-org?format=markdown`, { headers: { authorization: "Bearer admin-token" } });
    expect(await md.text()).toBe(renderMarkdown(expected, { everyHours: DEFAULT_CONFIG.reassessment.everyHours }));

    // A client that reads the first bytes and hangs up: the route ends instead of waiting for a drain that never comes.
    membership("admin-token", "octo-org", "admin");
    const aborted = new AbortController();
    const partial = await fetch(`${base}/reports/octo-org?format=json`, { headers: { authorization: "Bearer admin-token" }, signal: aborted.signal });
    const reader = partial.body!.getReader();
    await reader.read();
    const before = answered;
    aborted.abort();
    await vi.waitFor(() => expect(answered).toBe(before + 1), { timeout: 10_000 });
  });

  it("is served by the app itself", async () => {
    const app = await testApp({ store });
    const base = await serve(async (req, res) => {
      for (const h of app.handlers) if (await h(req, res)) return true;
      return false;
    });
    expect((await fetch(`${base}/reports/octo-org`)).status).toBe(401);
    expect((await fetch(`${base}/reports/octo-org`, { method: "POST" })).status).toBe(405);
  });

  it("answers 503 with the reason, never 403, when GitHub cannot be asked about the membership", async () => {
    const base = await serve(handler());
    nock(API).get("/user/memberships/orgs/octo-org").reply(502, { message: "Server Error" });
    const down = await fetch(`${base}/reports/octo-org`, { headers: { authorization: "Bearer admin-token" } });
    expect(down.status).toBe(503);
    expect(((await down.json()) as { message: string }).message).toContain("GitHub answered 502");

    nock(API).get("/user/memberships/orgs/octo-org").replyWithError("connect ECONNREFUSED");
    const unreachable = await fetch(`${base}/reports/octo-org`, { headers: { authorization: "Bearer admin-token" } });
    expect(unreachable.status).toBe(503);
    expect(((await unreachable.json()) as { message: string }).message).toContain("could not be reached");

    nock(API).get("/user/memberships/orgs/octo-org").reply(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "retry-after": "60" });
    const limited = await fetch(`${base}/reports/octo-org`, { headers: { authorization: "Bearer admin-token" } });
    expect(limited.status).toBe(503);
    expect(limited.headers.get("retry-after")).toBe("60");

    // A plain 403 (no read:org, SSO not authorised) still proves nothing: 403.
    nock(API).get("/user/memberships/orgs/octo-org").reply(403, { message: "Resource protected by organization SAML enforcement" });
    expect((await fetch(`${base}/reports/octo-org`, { headers: { authorization: "Bearer admin-token" } })).status).toBe(403);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("answers a malformed percent-encoding with 400 and an unknown format with 400", async () => {
    const base = await serve(handler());
    expect((await fetch(`${base}/reports/%E0%A4%A`, { headers: { authorization: "Bearer t" } })).status).toBe(400);
    expect((await fetch(`${base}/reports/octo-org?format=pdf`, { headers: { authorization: "Bearer t" } })).status).toBe(400);
  });

  it("includes every repository with a stored assessment, also those assessed only through pull requests", async () => {
    // octo-org/web was never listed by an installation event: its only assessment came from a check run.
    const run = orgRun([{ name: "web", findings: [fact("branch-protection.pr-required", true, "web")] }]);
    await store.recordAssessment({ installationId: 1, trigger: "pull_request.opened", headSha: "abc", checkRunId: 7, assessment: { ...run.repositories[0]!, owner: "octo-org" }, configProblems: [] });
    // A repository removed from the installation is left out.
    await store.addRepositories(1, [{ id: 300, fullName: "octo-org/old" }]);
    const old = orgRun([{ name: "old", findings: [fact("branch-protection.pr-required", true, "old")] }]);
    await store.recordAssessment({ installationId: 1, trigger: "test", assessment: { ...old.repositories[0]!, owner: "octo-org" }, configProblems: [] });
    await store.removeRepositories(1, [300]);

    const base = await serve(handler());
    membership("admin-token", "octo-org", "admin");
    const json = await fetch(`${base}/reports/octo-org?format=json`, { headers: { authorization: "Bearer admin-token" } });
    expect(json.status).toBe(200);
    const text = await json.text();
    expect(text).toContain("octo-org/web");
    expect(text).toContain("octo-org/api");
    expect(text).not.toContain("octo-org/old");
  });
});
