import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { browserReport } from "../../src/app/oauth-routes.js";
import { githubAdminCheck, reportHandler } from "../../src/app/report-route.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import type { Store } from "../../src/store/store.js";
import { dialects, storeForEachTest } from "../helpers/dialects.js";
import { API } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { fact, orgRun } from "../report/fixtures.js";

let server: Server | undefined;
let store: Store;
const closeServer = () => new Promise<void>((done) => (server ? server.close(() => done()) : done()));
/** One organisation's stored assessment in `store`. */
async function seed(store: Store): Promise<void> {
  await store.upsertInstallation(1, "octo-org", "Organization");
  await store.addRepositories(1, [{ id: 100, fullName: "octo-org/api" }]);
  const run = orgRun([{ name: "api", findings: [fact("branch-protection.pr-required", true, "api")] }]);
  await store.recordAssessment({ installationId: 1, trigger: "test", assessment: run.repositories[0]!, configProblems: [] });
}

async function serve(): Promise<string> {
  const handler = reportHandler({ store, verifyAdmin: githubAdminCheck(), configFor: async () => DEFAULT_CONFIG, now: () => new Date("2026-11-24T12:00:00Z"), browser: browserReport(null) });
  server = createServer((req, res) => {
    void (async () => {
      if (!(await handler(req, res))) res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const admin = () =>
  nock(API, { reqheaders: { authorization: "token admin-token" } })
    .get("/user/memberships/orgs/octo-org")
    .reply(200, { ...example("org-membership"), state: "active", role: "admin", organization: { ...example("org-membership").organization, login: "octo-org" } });

describe.each(dialects("the report route, for browsers and for the HTML page"))("the report route, for browsers and for the HTML page, on $name", ({ open }) => {
  // The server closes first: a response still streaming reads the store.
  storeForEachTest(open, async (opened) => seed((store = opened)), closeServer);

  it("tells a browser when sign-in is not set up, without serving anything", async () => {
    const base = await serve();
    const res = await fetch(`${base}/reports/octo-org`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const text = await res.text();
    expect(text).toContain("Sign-in is not set up");
    expect(text).not.toContain("self-assessment");
  });

  it("serves the HTML page to a script with an admin's token that asks for ?format=html, with its policy", async () => {
    const base = await serve();
    admin();
    const res = await fetch(`${base}/reports/octo-org?format=html`, { headers: { authorization: "Bearer admin-token" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'sha256-/);
    const html = await res.text();
    expect(html).toContain("self-assessment evidence for octo-org");
    expect(html).toContain("Last 90 days");
    // A token that asks for a page is still a script: Accept text/html with a token gets Markdown.
    admin();
    const md = await fetch(`${base}/reports/octo-org`, { headers: { authorization: "Bearer admin-token", accept: "text/html" } });
    expect(md.headers.get("content-type")).toContain("text/markdown");
  });
});
