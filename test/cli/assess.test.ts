import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli.js";
import { Store } from "../../src/store/store.js";
import { API, mockRepository } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";
import { freshPostgresStore, skipPostgres } from "../helpers/postgres.js";
import { mockOrganisationRun, mockOwnConfigFiles, mockRepositoryEvidence } from "../helpers/scenario.js";
import { schemaProblems } from "../report/schema-validator.js";

const NOW = new Date("2026-11-24T12:00:00Z");
const ORG = "octo-org";
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "claimcheck-assess-"));
});
afterEach(async () => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], env: Record<string, string | undefined> = { GITHUB_TOKEN: "ghp_test" }, progress?: (text: string) => void) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), progress }, { env, now: () => NOW, concurrency: 1 });
  return { code, out: out.join("\n"), err };
}

/** The access check the CLI makes before assessing. */
function mockOrgVisible(org = ORG, host = API): void {
  nock(host).get(`/orgs/${org}`).reply(200, { ...example("organization-full"), login: org });
}

function protectedBranch() {
  const protection = example("branch-protection");
  protection.enforce_admins.enabled = true;
  protection.allow_force_pushes.enabled = false;
  protection.allow_deletions.enabled = false;
  return protection;
}

/** A two-repository organisation: `api` protected, `docs` not. */
function mockSmallOrg(listed = true): void {
  mockOrgVisible();
  mockOrganisationRun(ORG, listed ? { repositories: ["api", "docs"] } : {});
  if (!listed) mockOwnConfigFiles(["api", "docs"]);
  // The organisation's `.github` configuration is read once for the run (mockOrganisationRun).
  // Their own files are read together, in one GraphQL query.
  mockRepositoryEvidence(ORG, "api", { protection: protectedBranch(), config: "skip" });
  mockRepositoryEvidence(ORG, "docs", { config: "skip" });
}

describe("claimcheck assess", () => {
  it("assesses a small organisation end to end and prints the Markdown report", async () => {
    mockSmallOrg();
    const progress: string[] = [];
    const result = await cli(["assess", "--org", ORG], { GITHUB_TOKEN: "ghp_test" }, (t) => progress.push(t));
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`# Software Security Code of Practice — self-assessment evidence for ${ORG}`);
    expect(result.out).toContain("2 repositories in scope.");
    expect(result.out).toContain("1 of 2 repositories requires a pull request before changes reach their default branch; `docs` does not.");
    expect(result.out).toMatch(/\| `docs` \| ❌ gap \|/);
    expect(progress.at(-2)).toMatch(new RegExp(`^assessing ${ORG}: 2/2 repositories, \\d+ REST \\+ \\d+ GraphQL requests, rate limit left [\\d,]+$`));
    expect(progress.at(-1)).toBe("");
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("prints JSON that validates against the schema, with every finding's source and time", async () => {
    mockSmallOrg();
    const result = await cli(["assess", "--org", ORG, "--format", "json", "--window", "30d"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out);
    expect(schemaProblems(report)).toEqual([]);
    expect(report).toMatchObject({ schema: "claimcheck/assessment@1", org: ORG, generatedAt: NOW.toISOString(), window: { days: 30, until: NOW.toISOString() } });
    expect(report.repositories.map((r: { name: string }) => r.name)).toEqual(["api", "docs"]);
    expect(report.findings).toContainEqual(expect.objectContaining({ id: "branch-protection.pr-required", scope: "repo", repo: `${ORG}/docs`, value: false, error: null, observedAt: NOW.toISOString() }));
    const claim = report.claims.find((c: { id: string }) => c.id === "2.2.2");
    expect(claim.repositories).toContainEqual({ repo: "docs", status: "gap", reason: expect.any(String) });
    expect(report.requests.rest).toBeGreaterThan(10);
  });

  it("exits 1 on a gap only with --fail-on gap, and writes the report to --out", async () => {
    mockOrgVisible();
    mockRepository(ORG, "docs");
    mockOrganisationRun(ORG);
    mockRepositoryEvidence(ORG, "docs");
    const out = join(dir, "report.md");
    const result = await cli(["assess", "--org", ORG, "--repo", "docs", "--fail-on", "gap", "--out", out]);
    expect(result.code).toBe(1);
    expect(result.err[0]).toBe(`wrote the Markdown report of ${ORG} to ${out}`);
    expect(result.err[1]).toMatch(/^claimcheck: gaps in .*2\.2\.2/);
    expect(readFileSync(out, "utf8")).toContain("1 repository in scope.");

    mockOrgVisible();
    mockRepository(ORG, "docs");
    mockOrganisationRun(ORG);
    mockRepositoryEvidence(ORG, "docs");
    expect((await cli(["assess", "--org", ORG, "--repo", "docs"])).code).toBe(0);
  });

  it("answers a rejected token with exit 2 and one line, at --api-url", async () => {
    nock("https://ghe.example.com/api/v3").get(`/orgs/${ORG}`).reply(401, { message: "Bad credentials" });
    const result = await cli(["assess", "--org", ORG, "--api-url", "https://ghe.example.com/api/v3"]);
    expect(result.code).toBe(2);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(/^claimcheck: GitHub rejected the credentials \(401 Bad credentials/);
    expect(result.out).toBe("");
  });

  it("reads GHE_HOST as Probot does, and names an organisation it cannot see", async () => {
    nock("https://github.example.com/api/v3").get(`/orgs/${ORG}`).reply(404, { message: "Not Found" });
    const result = await cli(["assess", "--org", ORG], { GITHUB_TOKEN: "ghp_test", GHE_HOST: "github.example.com" });
    expect(result.code).toBe(2);
    expect(result.err).toEqual([`claimcheck: organisation "${ORG}" not found, or not visible to these credentials`]);
  });

  it("without credentials exits 2 with one line", async () => {
    const result = await cli(["assess", "--org", ORG], {});
    expect(result.code).toBe(2);
    expect(result.err).toEqual(["claimcheck: no credentials: set GITHUB_TOKEN, or APP_ID with PRIVATE_KEY or PRIVATE_KEY_PATH"]);
  });

  it.each([
    [["assess"], "--org is required"],
    [["assess", "--org", ORG, "--format", "pdf"], "--format must be md, json or html"],
    [["assess", "--org", ORG, "--window", "3 months"], "--window must be a number of days"],
    [["assess", "--org", ORG, "--window", "400d"], "--window must be a number of days"],
    [["assess", "--org", ORG, "--fail-on", "partial"], '--fail-on accepts only "gap"'],
    [["assess", "--org", ORG, "--verbose"], "Unknown option"],
    [["assess", "--org", ORG, "--api-url", "not a url"], "--api-url"],
  ])("answers a usage error with exit 2 and a clear first line: %j", async (argv, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.err[0]).toContain(message);
  });

  /** `assess --store` against the database `url` names; `open` opens it again to look. */
  async function assessIntoStore(url: string, open: () => Promise<Store>): Promise<void> {
    const seeded = await open();
    await seeded.upsertInstallation(7, ORG, "Organization");
    await seeded.close();
    mockSmallOrg(false);
    mockRepository(ORG, "api");
    mockRepository(ORG, "docs");
    const result = await cli(["assess", "--org", ORG, "--repo", "api", "--repo", "docs", "--store", "--format", "json"], { GITHUB_TOKEN: "ghp_test", DATABASE_URL: url });
    expect(result.code).toBe(0);
    expect(result.err).toContain(`stored 2 repository assessments for ${ORG}`);
    const store = await open();
    expect(await store.assessments(7, `${ORG}/docs`)).toHaveLength(1);
    expect((await store.assessments(7, `${ORG}/api`))[0]?.trigger).toBe("cli.assess");
    await store.close();

    const missing = await cli(["assess", "--org", "other-org", "--store"], { GITHUB_TOKEN: "ghp_test", DATABASE_URL: url });
    expect(missing.code).toBe(2);
    expect(missing.err[0]).toContain('no installation of claimcheck for organisation "other-org"');
  }

  it("with --store records every repository assessment in the app's database", async () => {
    const db = join(dir, "claimcheck.db");
    await assessIntoStore(`file:${db}`, () => Store.open(db));
  });

  it.skipIf(skipPostgres("claimcheck assess --store on PostgreSQL"))("with --store records them in a PostgreSQL database too", async () => {
    const { databaseUrl, drop } = await freshPostgresStore();
    try {
      await assessIntoStore(databaseUrl, () => Store.open(databaseUrl));
    } finally {
      await drop();
    }
  });
});

/** Runs `test` against a server that accepts connections and never answers, as a stuck proxy would. */
async function withSilentServer(test: (port: number) => Promise<void>): Promise<void> {
  const { createServer } = await import("node:net");
  const sockets: import("node:net").Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  try {
    await test((server.address() as { port: number }).port);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((closed) => server.close(() => closed()));
  }
}

describe("claimcheck assess when GitHub does not answer", () => {
  it("names a timeout as one, with the retries made, after each request's deadline", async () => {
    await withSilentServer(async (port) => {
      const err: string[] = [];
      const code = await runCli(["assess", "--org", ORG, "--api-url", `http://127.0.0.1:${port}`], { out: () => undefined, err: (l) => err.push(l) }, { env: { GITHUB_TOKEN: "ghp_test" }, now: () => NOW, retryBaseMs: 1, requestTimeoutMs: 100 });
      expect(code).toBe(2);
      expect(err).toEqual([`claimcheck: could not read organisation "${ORG}": timed out waiting for 127.0.0.1:${port} (after 3 retries)`]);
    });
  });
});

describe("claimcheck assess with the app's own credentials", () => {
  const key = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

  it("names an organisation the app is not installed on", async () => {
    nock(API).get(`/orgs/${ORG}/installation`).reply(404, { message: "Not Found" });
    const result = await cli(["assess", "--org", ORG], { APP_ID: "12345", PRIVATE_KEY: key() });
    expect(result.code).toBe(2);
    expect(result.err).toEqual([`claimcheck: the app is not installed on ${ORG}`]);
  });

  it("keeps the request deadline and retries through Probot's Octokit", async () => {
    await withSilentServer(async (port) => {
      const err: string[] = [];
      const code = await runCli(["assess", "--org", ORG, "--api-url", `http://127.0.0.1:${port}`], { out: () => undefined, err: (l) => err.push(l) }, { env: { APP_ID: "12345", PRIVATE_KEY: key() }, now: () => NOW, retryBaseMs: 1, requestTimeoutMs: 100 });
      expect(code).toBe(2);
      expect(err).toEqual([`claimcheck: could not find the app's installation on ${ORG}: timed out waiting for 127.0.0.1:${port} (after 3 retries)`]);
    });
  });
});
