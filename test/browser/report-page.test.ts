/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser, with its DOM.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowserSessions, SESSION_COOKIE } from "../../src/app/browser-session.js";
import type { BrowserSignInConfig } from "../../src/app/oauth-routes.js";
import { runCli } from "../../src/cli.js";
import type { Status } from "../../src/core/status.js";
import { Store, type StoredAssessment } from "../../src/store/store.js";
import { ACME } from "../e2e/helpers.js";
import { startApp, type RunningApp } from "../simulator/app-harness.js";
import { startSimulator, type Simulator } from "../simulator/server.js";
import { HAS_CHROMIUM, launchBrowser, SKIP_REASON } from "./chromium.js";

/*
 * The HTML report as an admin meets it: open /reports/acme in headless Chromium, sign in through
 * the simulator's GitHub sign-in, and use the page. Also: who is refused, and what the page's
 * Content-Security-Policy stops. Writes docs/examples/report.png (1280×800).
 */

const SECRET = "browser-test-session-secret-0123456789";
// One clock for the simulated organisation, the assessments, the app and its sessions: the screenshot is the same every run.
const NOW = new Date("2026-11-24T12:00:00Z");
const HOSTILE_REPO = `<img src=x onerror="window.__pwned=1">`;
const HOSTILE_REASON = `<script>window.__pwned=2</script> branch rules are off`;

let sim: Simulator;
let app: RunningApp;
let store: Store;
let dir: string;
let browser: { context: BrowserContext; close: () => Promise<void> } | undefined;
const config: BrowserSignInConfig = { clientId: "Iv1.simulated", clientSecret: "simulated-secret", sessionSecret: SECRET, publicUrl: "", webUrl: "", sessionTtlMs: 8 * 3_600_000 };

async function assess(dbUrl: string): Promise<void> {
  const err: string[] = [];
  const code = await runCli(["assess", "--org", "acme", "--api-url", sim.url, "--store", "--out", join(dir, "report.md")], { out: () => undefined, err: (l) => err.push(l) }, { env: { GITHUB_TOKEN: "ghp_simulated", DATABASE_URL: dbUrl }, concurrency: 2, now: () => NOW });
  expect(code, err.join("\n")).toBe(0);
}

/** An older assessment of the same repository with some claims' statuses changed, as a pull request's check run would have stored. */
async function recordEarlier(s: StoredAssessment, daysAgo: number, statuses: Record<string, Status>, n: number): Promise<void> {
  const at = new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString();
  const [owner = "acme", name = ""] = s.repositoryFullName.split("/");
  await store.recordAssessment({
    installationId: 42,
    trigger: "pull_request.opened",
    deliveryId: `7f3c9a10-0000-4000-8000-00000000000${n}`,
    headSha: `${String(n).repeat(7)}a1b2c3d4e5f60718293a4b5c6d7e8f9012345`.slice(0, 40),
    checkRunId: 9000 + n,
    assessment: { owner, name, repo: null, scope: { inScope: true }, findings: s.findings, results: s.results.map((r) => (statuses[r.claimId] ? { ...r, status: statuses[r.claimId]! } : r)), requests: s.requests, startedAt: at, finishedAt: at },
    configProblems: [],
  });
}

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  dir = mkdtempSync(join(tmpdir(), "claimcheck-browser-"));
  const dbUrl = `file:${join(dir, "claimcheck.db")}`;
  sim = await startSimulator(ACME, { now: NOW, oauth: { clientId: config.clientId, clientSecret: config.clientSecret, outsiders: ["mallory"] } });
  store = await Store.open(dbUrl);
  await store.upsertInstallation(42, "acme", "Organization");
  await store.addRepositories(42, sim.model.repoList.map((r) => ({ id: r.id, fullName: r.fullName })));
  await assess(dbUrl);
  // History: 2.2.2 and 1.3.2 moved over the last months, each change from a pull request's check run.
  const current = await Promise.all(sim.model.repoList.map(async (r) => (await store.assessments(42, r.fullName, 1))[0]!));
  const api = current.find((a) => a.repositoryFullName === "acme/api")!;
  const website = current.find((a) => a.repositoryFullName === "acme/website")!;
  await recordEarlier(api, 70, { "2.2.2": "gap", "1.3.2": "unknown" }, 1);
  await recordEarlier(api, 41, { "2.2.2": "partial" }, 2);
  await recordEarlier(website, 23, { "1.3.2": "gap" }, 3);
  // The assessments of today, stored at NOW (the command records the time it actually ran).
  for (const [i, a] of current.entries()) await recordEarlier(a, 0, {}, 10 + i);
  config.webUrl = sim.url;
  config.apiUrl = sim.url;
  app = await startApp({ githubUrl: sim.url, store, retryBaseMs: 5, spaceWrites: false, browser: config, now: () => NOW });
  // Known once the app listens (on a random port); the sign-in reads it when it starts.
  config.publicUrl = app.url;
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await sim?.stop();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function signIn(page: Page, login: string): Promise<void> {
  await page.goto(`${app.url}/reports/acme`);
  // Not signed in: sent to (simulated) GitHub, which asks who is signing in.
  expect(page.url().startsWith(`${sim.url}/login/oauth/authorize?`)).toBe(true);
  const authorize = new URL(page.url());
  expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorize.searchParams.get("state")?.length).toBeGreaterThanOrEqual(32);
  await page.getByRole("link", { name: `Sign in as ${login}` }).click();
  await page.waitForLoadState();
}

describe.skipIf(!HAS_CHROMIUM)("the HTML report in a browser", () => {
  it("signs an admin in with GitHub and shows the matrix; filters, opens a claim, prints, and writes the screenshot", async () => {
    const page = await browser!.context.newPage();
    await signIn(page, "olivia");
    expect(page.url()).toBe(`${app.url}/reports/acme`);
    expect(sim.oauth.exchanges.at(-1)).toMatchObject({ granted: true });
    expect(sim.oauth.exchanges.at(-1)?.codeVerifier?.length).toBeGreaterThanOrEqual(43);
    const cookie = (await browser!.context.cookies(app.url)).find((c) => c.name === SESSION_COOKIE)!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax" });
    expect(cookie.expires).toBeGreaterThan(Date.now() / 1000 + 7 * 3600);

    await expect.poll(() => page.locator("h1").textContent()).toContain("self-assessment evidence for acme");
    await expect.poll(() => page.getByText("Signed in as olivia").isVisible()).toBe(true);
    const matrix = page.locator("table.mx");
    expect(await matrix.isVisible()).toBe(true);
    expect(await matrix.locator("tbody tr[data-repo='api'] td[data-s]").count()).toBeGreaterThan(0);
    // Every cell says its status in a symbol and in words for assistive technology, not only in colour.
    const cell = matrix.locator("tbody tr[data-repo='api'] td[data-s] a").first();
    expect(await cell.getAttribute("aria-label")).toMatch(/^api, \d\.\d\.\d: (met|partial|gap|unknown|not applicable|attested)$/);
    expect(await cell.getAttribute("title")).toMatch(/^(met|partial|gap|unknown|not applicable|attested) — ./);
    expect((await cell.textContent())?.trim()).toMatch(/^[✓◐✗?–✎]$/);

    // The history: the change of 2.2.2 in api links to the assessment and the delivery that caused it.
    const claim222 = page.locator("details#claim-222");
    expect(await claim222.locator(".changes li", { hasText: "000000000002" }).textContent()).toMatch(/gap → .*partial after assessment #\d+ of acme\/api, caused by pull_request\.opened \(delivery 7f3c9a10-0000-4000-8000-000000000002\)/);
    expect(await claim222.locator(".changes li", { hasText: "000000000002" }).locator("a", { hasText: "check run" }).getAttribute("href")).toBe(`${sim.url}/acme/api/runs/9002`);

    await page.screenshot({ path: screenshotPath() });

    // Filter by principle: only 2.2's claims stay.
    await page.selectOption("#f-principle", "2.2");
    expect(await page.locator("details#claim-121").isVisible()).toBe(false);
    expect(await claim222.isVisible()).toBe(true);
    expect(await matrix.locator("thead th", { hasText: "1.2.1" }).isVisible()).toBe(false);
    await page.selectOption("#f-principle", "");
    // Filter by status: without "met", no met claim is listed.
    await page.getByRole("checkbox", { name: "met", exact: true }).uncheck();
    const metShown = await page.locator("details.claim[data-s='met']").evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).length);
    expect(metShown).toBe(0);
    await page.getByRole("checkbox", { name: "met", exact: true }).check();
    // Filter by repository: the matrix keeps only matching rows.
    await page.fill("#f-repo", "webs");
    expect(await matrix.locator("tbody tr[data-repo='api']").isVisible()).toBe(false);
    expect(await matrix.locator("tbody tr[data-repo='website']").isVisible()).toBe(true);
    expect(await page.locator("#f-count").textContent()).toContain("1 repository shown");
    await page.fill("#f-repo", "");

    // Open a claim from the matrix, by keyboard: the cell's link opens the claim's section.
    expect(await claim222.getAttribute("open")).toBeNull();
    await matrix.locator("tbody tr[data-repo='api'] td[data-p='2.2'] a").first().focus();
    const focused = await page.evaluate(() => document.activeElement?.getAttribute("href"));
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(`details${focused}`).getAttribute("open")).not.toBeNull();
    expect(await page.locator(`details${focused}`).getByText("Argument").isVisible()).toBe(true);

    // Printing: every claim's content is laid out, and Chromium renders a PDF.
    await page.emulateMedia({ media: "print" });
    const closedBodyVisible = await page.locator("details#claim-121 .body").evaluate((el) => (el as HTMLElement).checkVisibility());
    expect(closedBodyVisible).toBe(true);
    await page.emulateMedia({ media: "screen" });
    const pdf = await page.pdf({ format: "A4", printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    expect(pdf.length).toBeGreaterThan(50_000);
    await page.close();
  }, 60_000);

  it("shows names and reasons with markup as text, and its Content-Security-Policy stops injected scripts", async () => {
    // A repository name and a reason with markup in them: shown as text, never run.
    const api = (await store.assessments(42, "acme/api", 1))[0]!;
    await store.addRepositories(42, [{ id: 999, fullName: `acme/${HOSTILE_REPO}` }]);
    await recordEarlier({ ...api, repositoryFullName: `acme/${HOSTILE_REPO}`, results: api.results.map((r) => (r.claimId === "2.2.2" ? { ...r, status: "gap", reason: HOSTILE_REASON } : r)) }, 0, {}, 4);
    const page = await browser!.context.newPage();
    const response = await page.goto(`${app.url}/reports/acme`);
    const csp = response!.headers()["content-security-policy"]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toContain("unsafe-inline");
    expect(await page.locator("table.mx tbody th", { hasText: HOSTILE_REPO }).count()).toBe(1);
    expect(await page.getByText(HOSTILE_REASON).first().count()).toBe(1);
    const violations: string[] = [];
    await page.exposeFunction("reportViolation", (v: string) => violations.push(v));
    await page.evaluate(() => document.addEventListener("securitypolicyviolation", (e) => void (window as unknown as { reportViolation: (v: string) => void }).reportViolation(e.violatedDirective)));
    // What escaping would have let through, had it failed: an inline handler and an inline script.
    await page.evaluate(() => {
      document.body.insertAdjacentHTML("beforeend", `<img src="x" onerror="window.__pwned=3">`);
      const s = document.createElement("script");
      s.textContent = "window.__pwned = 4";
      document.body.append(s);
    });
    await expect.poll(() => violations.length).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.close();
  }, 30_000);

  it("signs out: the page is gone, and a copy of the old cookie no longer opens it", async () => {
    const page = await browser!.context.newPage();
    await page.goto(`${app.url}/reports/acme`);
    expect(page.url()).toBe(`${app.url}/reports/acme`);
    const before = (await browser!.context.cookies(app.url)).find((c) => c.name === SESSION_COOKIE)!;
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Signed out");
    expect((await browser!.context.cookies(app.url)).some((c) => c.name === SESSION_COOKIE)).toBe(false);
    await browser!.context.addCookies([before]);
    await page.goto(`${app.url}/reports/acme`);
    expect(page.url().startsWith(`${sim.url}/login/oauth/authorize?`)).toBe(true);
    await page.close();
  }, 30_000);

  it("refuses a member who is not an admin, and someone outside the organisation", async () => {
    for (const login of ["alice", "mallory"]) {
      await browser!.context.clearCookies();
      const page = await browser!.context.newPage();
      await signIn(page, login);
      expect(await page.locator("h1").textContent()).toBe("Not an organisation admin");
      expect(await page.content()).not.toContain("self-assessment evidence");
      expect((await browser!.context.cookies(app.url)).some((c) => c.name === SESSION_COOKIE)).toBe(false);
      await page.close();
    }
  }, 30_000);

  it("refuses a forged, an expired and another organisation's session cookie", async () => {
    const url = new URL(app.url);
    const expired = new BrowserSessions({ secret: SECRET, ttlMs: 3_600_000, now: () => new Date(NOW.getTime() - 2 * 3_600_000) }).issue("olivia", "acme", null).cookie;
    const otherOrg = new BrowserSessions({ secret: SECRET, ttlMs: 3_600_000, now: () => NOW }).issue("olivia", "other-org", null).cookie;
    const forged = new BrowserSessions({ secret: "another-secret-another-secret-0123456", ttlMs: 3_600_000, now: () => NOW }).issue("olivia", "acme", null).cookie;
    for (const value of [forged, expired, otherOrg, "not-even-sealed"]) {
      await browser!.context.clearCookies();
      await browser!.context.addCookies([{ name: SESSION_COOKIE, value, domain: url.hostname, path: "/", secure: true, httpOnly: true, sameSite: "Lax" }]);
      const page = await browser!.context.newPage();
      await page.goto(`${app.url}/reports/acme`);
      expect(page.url().startsWith(`${sim.url}/login/oauth/authorize?`)).toBe(true);
      await page.close();
    }
  }, 30_000);
});

describe.skipIf(HAS_CHROMIUM)("the HTML report in a browser", () => {
  // A skipped describe's body still runs to collect its tests: say it only when it is so.
  if (!HAS_CHROMIUM) process.stderr.write(`\n${SKIP_REASON}\n`);
  it.skip(SKIP_REASON, () => undefined);
});

function screenshotPath(): string {
  mkdirSync("docs/examples", { recursive: true });
  return "docs/examples/report.png";
}
