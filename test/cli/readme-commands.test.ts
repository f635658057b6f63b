import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/server.js";
import { ACME } from "../e2e/helpers.js";

/*
 * The README as a newcomer meets it, run for real: the set-up's `npm start` from a fresh build (it
 * compiles dist/ as `npm ci`'s prepare script does), then the README's CLI commands, word for word,
 * as subprocesses against the local simulator. The other points of a first hour (help, --out,
 * credentials, network failures) are checked on the same built entry points.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "dist/bin.js");
const MAIN = join(ROOT, "dist/main.js");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string>; bin: Record<string, string>; files: string[]; engines: { node: string }; private: boolean };

/** Credential variables blanked, so that a developer's own .env or shell cannot leak into a test. */
const NO_CREDENTIALS = { APP_ID: "", PRIVATE_KEY: "", PRIVATE_KEY_PATH: "", WEBHOOK_SECRET: "", GITHUB_TOKEN: "", GH_ORG: "", WEBHOOK_PROXY_URL: "", NODE_ENV: "" };

type Ran = { code: number | null; stdout: string; stderr: string };

function runProcess(command: string, args: string[], options: { cwd?: string; env?: Record<string, string>; until?: RegExp; whenReady?: () => Promise<void>; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...NO_CREDENTIALS, ...options.env }, detached: true });
    let stdout = "";
    let stderr = "";
    const stopGroup = () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      stopGroup();
      fail(new Error(`${command} ${args.join(" ")} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    let ready = false;
    const watch = () => {
      if (ready || !options.until || !options.until.test(stdout + stderr)) return;
      ready = true;
      void (options.whenReady?.() ?? Promise.resolve()).finally(stopGroup);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      watch();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      watch();
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const cli = (args: string[], env: Record<string, string> = {}, cwd?: string) => runProcess(process.execPath, [BIN, ...args], { env, ...(cwd ? { cwd } : {}) });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as { port: number };
  await new Promise<void>((closed) => server.close(() => closed()));
  return port;
}

function codeBlockAfter(heading: string): string[] {
  const section = README.slice(README.indexOf(heading));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block.split("\n").filter((line) => line.trim() !== "");
}

function oneLineError(ran: Ran): string {
  const lines = ran.stderr.trimEnd().split("\n");
  expect(ran.stderr, "no stack trace").not.toMatch(/^\s+at /m);
  return lines[0]!;
}

let sim: Simulator;
let work: string;
let started: Ran;
let port: number;
let firstPage = "";

beforeAll(async () => {
  // A fresh build: what `npm ci` leaves behind through the prepare script, made again by `npm start`.
  rmSync(join(ROOT, "dist"), { recursive: true, force: true });
  port = await freePort();
  started = await runProcess("npm", ["start"], {
    env: { PORT: String(port), DATABASE_URL: ":memory:" },
    until: /registration flow[\s\S]*install the app/,
    whenReady: async () => {
      firstPage = await (await fetch(`http://localhost:${port}/probot`)).text();
    },
    timeoutMs: 240_000,
  });
  sim = await startSimulator(ACME);
  work = mkdtempSync(join(tmpdir(), "claimcheck-readme-"));
  // The README's commands run in the checkout; here a directory whose dist/ is the checkout's.
  symlinkSync(join(ROOT, "dist"), join(work, "dist"));
}, 300_000);

afterAll(async () => {
  await sim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the README's set-up", () => {
  it("gives exactly two commands for a fresh machine: one runs the app, one passes the tests", () => {
    expect(codeBlockAfter("## Set up").map((line) => line.replace(/\s+#.*$/, ""))).toEqual(["npm ci && npm start", "npm ci && npm test"]);
    expect(pkg.scripts.prepare).toBe("npm run build");
    expect(pkg.scripts.start).toMatch(/node dist\/main\.js$/);
    expect(pkg.scripts.test).toBe("vitest run");
  });

  it("npm start builds the app and serves the registration flow with a readable banner", () => {
    expect(started.stderr).toContain("no APP_ID yet, so this serves the GitHub App registration flow");
    expect(started.stderr).toContain(`Open http://localhost:${port}`);
    expect(started.stderr).toContain("GH_ORG=your-org");
    // Probot's own multi-line welcome is replaced by the banner, and no Smee channel is attempted.
    expect(started.stdout).not.toContain("Welcome to Probot");
    expect(started.stdout + started.stderr).not.toMatch(/smee/i);
  });

  it("the registration page says how to register the app on an organisation", () => {
    expect(firstPage).toContain("Register GitHub App");
    expect(firstPage).toContain("to register it on yours, start it with GH_ORG=your-org");
    // Without GH_ORG the form posts to the personal account's settings, as the banner and the page say.
    expect(firstPage).toContain('action="https://github.com/settings/apps/new"');
  });

  it("leaves an executable CLI, packed with everything it needs and nothing for the registry", () => {
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
    expect(readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(pkg.bin).toEqual({ claimcheck: "dist/bin.js" });
    expect(pkg.files).toEqual(expect.arrayContaining(["dist", "migrations", "app.yml"]));
    expect(pkg.private).toBe(true);
    expect(pkg.engines.node).toMatch(/^>=20\./);
  });

  it("packs as it would be released: the built CLI (executable), migrations and manifest, no sources or tests", async () => {
    // --ignore-scripts: the build above is what `npm pack` would run through prepare.
    const ran = await runProcess("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"]);
    expect(ran.code).toBe(0);
    const files = (JSON.parse(ran.stdout) as { files: { path: string; mode: number }[] }[])[0]!.files;
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["dist/bin.js", "dist/main.js", "migrations/sqlite/meta/_journal.json", "migrations/postgres/meta/_journal.json", "app.yml", "package.json", "README.md"]));
    expect(paths.filter((p) => /^(src|test|docs)\/|\.map$|^\.env/.test(p))).toEqual([]);
    expect(files.find((f) => f.path === "dist/bin.js")!.mode & 0o111).not.toBe(0);
  });
});

it("with GH_ORG the registration flow registers the app on that organisation, and the banner says so", async () => {
  const orgPort = await freePort();
  let page = "";
  const ran = await runProcess(process.execPath, [MAIN], {
    env: { GH_ORG: "acme", PORT: String(orgPort), DATABASE_URL: ":memory:" },
    until: /registration flow[\s\S]*install the app/,
    whenReady: async () => {
      page = await (await fetch(`http://localhost:${orgPort}/probot`)).text();
    },
  });
  expect(ran.stderr).toContain('choose "Register GitHub App": the app will be registered on the organisation acme (GH_ORG).');
  expect(page).toContain('action="https://github.com/organizations/acme/settings/apps/new"');
});

it("mentions Smee only when a proxy URL is configured, and then names the package to install", async () => {
  const ran = await runProcess(process.execPath, [MAIN], { env: { WEBHOOK_PROXY_URL: "https://smee.io/example", PORT: String(await freePort()), DATABASE_URL: ":memory:" }, until: /registration flow[\s\S]*install the app[\s\S]*\n.*smee/ });
  expect(ran.stderr).toContain("WEBHOOK_PROXY_URL is set but the smee-client package is not installed: run `npm install --no-save smee-client` to receive webhooks through it (ignored until then)");
  expect(ran.stdout).not.toMatch(/smee/i);
});

describe("the README's CLI commands, as written", () => {
  const commands = codeBlockAfter("## Usage").filter((line) => !line.startsWith("export "));

  it("never go through npx, which would look the name up in the public registry", () => {
    expect(commands).toHaveLength(3);
    expect(README).not.toMatch(/^npx claimcheck/m);
    for (const command of commands) expect(command).toMatch(/^node dist\/bin\.js assess /);
  });

  it("run against GitHub (here the simulator, as GitHub Enterprise Server) and write the report", async () => {
    const env = { GITHUB_TOKEN: "ghp_readme", GHE_HOST: sim.url.replace("http://", ""), GHE_PROTOCOL: "http" };
    const results: Ran[] = [];
    for (const command of commands) results.push(await runProcess("sh", ["-c", command.replace(/my-org/g, "acme").replace(/\s+#.*$/, "")], { cwd: work, env }));
    expect(results.map((r) => r.code)).toEqual([0, 0, 1]);
    expect(readFileSync(join(work, "report.md"), "utf8")).toContain("# Software Security Code of Practice — self-assessment evidence for acme");
    expect(JSON.parse(readFileSync(join(work, "report.json"), "utf8"))).toMatchObject({ org: "acme", window: { days: 90 } });
    expect(results[1]!.stderr).toBe(`wrote the JSON report of acme to report.json\n`);
    expect(results[2]!.stdout).toContain("1 repository in scope.");
    expect(results[2]!.stderr).toMatch(/^claimcheck: gaps in /m);
  }, 120_000);
});

describe("help", () => {
  it.each([
    [["--help"], ["assess", "history", "audit", "exit codes", "--version"]],
    [["assess", "--help"], ["--org", "--repo", "--window", "--format", "--out", "--fail-on", "--api-url", "--store", "--rate-limit", "--help", "GITHUB_TOKEN", "APP_ID", "PRIVATE_KEY_PATH", "GHE_HOST", "DATABASE_URL", "exit codes"]],
    [["audit", "--help"], ["verify", "export", "--org", "--since", "--format", "--out", "--help", "DATABASE_URL", "exit codes"]],
    [["history", "--help"], ["--org", "--days", "--format", "--out", "--help", "DATABASE_URL", "exit codes"]],
  ])("claimcheck %j prints usage with every option described, exit 0", async (args, mentions) => {
    const ran = await cli(args);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toBe("");
    for (const mention of mentions) expect(ran.stdout).toContain(mention);
    // Every option line carries a description, not just its name.
    for (const line of ran.stdout.split("\n").filter((l) => /^ {2}-/.test(l))) expect(line.trim()).toMatch(/^\S+(?: \S+)*\s{2,}\S/);
  });
});

it("claimcheck --version prints the package's version", async () => {
  const ran = await cli(["--version"]);
  expect(ran.code).toBe(0);
  expect(ran.stdout).toBe(`claimcheck ${(pkg as unknown as { version: string }).version}\n`);
});

describe("--out is checked before anything is assessed", () => {
  it.each([
    ["a directory that does not exist", () => join(work, "missing", "report.md"), "the directory"],
    ["a path that is a directory", () => work, "is a directory"],
  ])("%s: one line, exit 2, no request to GitHub", async (_what, path, message) => {
    const before = sim.stats.requests;
    const ran = await cli(["assess", "--org", "acme", "--api-url", sim.url, "--out", path()], { GITHUB_TOKEN: "ghp_readme" });
    expect(ran.code).toBe(2);
    expect(oneLineError(ran)).toBe(`claimcheck: --out ${path()}: ${message === "is a directory" ? "is a directory; give a file name" : `the directory ${join(work, "missing")} does not exist`}`);
    expect(sim.stats.requests).toBe(before);
  });

  it.skipIf(process.getuid?.() === 0)("a directory that is not writable", async () => {
    const locked = join(work, "locked");
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const ran = await cli(["assess", "--org", "acme", "--api-url", sim.url, "--out", join(locked, "r.md")], { GITHUB_TOKEN: "ghp_readme" });
    expect(ran.code).toBe(2);
    expect(oneLineError(ran)).toBe(`claimcheck: --out ${join(locked, "r.md")}: the directory ${locked} is not writable`);
  });
});

describe("what GitHub is asked and how failures read", () => {
  it("a --repo that does not exist is a usage error naming it", async () => {
    const ran = await cli(["assess", "--org", "acme", "--repo", "api", "--repo", "no-such-repo", "--api-url", sim.url], { GITHUB_TOKEN: "ghp_readme" });
    expect(ran.code).toBe(2);
    expect(oneLineError(ran)).toBe("claimcheck: --repo no-such-repo: repository acme/no-such-repo not found, or not visible to these credentials");
    expect(ran.stdout).toBe("");
  });

  it("a refused connection is named as one, with the retries made, never as an HTTP status", async () => {
    const closed = await freePort();
    const ran = await cli(["assess", "--org", "acme", "--api-url", `http://127.0.0.1:${closed}`], { GITHUB_TOKEN: "ghp_readme" });
    expect(ran.code).toBe(2);
    expect(oneLineError(ran)).toBe(`claimcheck: could not read organisation "acme": connection refused to 127.0.0.1:${closed} (after 3 retries)`);
  }, 60_000);
});

describe("credentials are validated before anything starts", () => {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

  it.each([
    ["a malformed PRIVATE_KEY", { APP_ID: "12345", PRIVATE_KEY: "secret-looking-garbage", WEBHOOK_SECRET: "s" }, "claimcheck: environment variable PRIVATE_KEY is not a PEM private key (copy the whole .pem file, or its base64)"],
    ["a key that is not RSA", { APP_ID: "12345", PRIVATE_KEY: ec, WEBHOOK_SECRET: "s" }, "claimcheck: environment variable PRIVATE_KEY holds an ec key; a GitHub App's private key is RSA"],
    ["a PRIVATE_KEY_PATH that does not exist", { APP_ID: "12345", PRIVATE_KEY_PATH: "/nonexistent/app.pem", WEBHOOK_SECRET: "s" }, "claimcheck: environment variable PRIVATE_KEY_PATH names a file that cannot be read (no such file)"],
    ["an APP_ID that is not a number", { APP_ID: "claimcheck", PRIVATE_KEY: "x", WEBHOOK_SECRET: "s" }, "claimcheck: environment variable APP_ID must be the numeric App ID"],
    ["APP_ID without WEBHOOK_SECRET", { APP_ID: "12345", PRIVATE_KEY: ec }, "claimcheck: environment variable WEBHOOK_SECRET is required with APP_ID: webhooks must be verified"],
    ["a GH_ORG that is not a login", { GH_ORG: "acme/api" }, "claimcheck: environment variable GH_ORG must be an organisation login such as my-org (letters, digits and hyphens)"],
  ])("the app stops on %s: one line, exit 1, never the value", async (_what, env, message) => {
    const ran = await runProcess(process.execPath, [MAIN], { cwd: work, env: { ...env, PORT: String(await freePort()), DATABASE_URL: ":memory:" } });
    expect(ran.code).toBe(1);
    expect(oneLineError(ran)).toBe(message);
    expect(ran.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(ran.stdout + ran.stderr).not.toContain("secret-looking-garbage");
    expect(ran.stdout).not.toContain("Register");
  });

  it.each([
    [{ GITHUB_TOKEN: "two words" }, "claimcheck: environment variable GITHUB_TOKEN is not a token (it holds spaces or characters no GitHub token has)"],
    [{ APP_ID: "12345", PRIVATE_KEY: "secret-looking-garbage" }, "claimcheck: environment variable PRIVATE_KEY is not a PEM private key (copy the whole .pem file, or its base64)"],
    [{ PRIVATE_KEY_PATH: "/nonexistent/app.pem" }, "claimcheck: environment variable APP_ID is required when PRIVATE_KEY_PATH is set"],
  ])("the CLI stops on bad credentials %o: one line, exit 2", async (env, message) => {
    const ran = await cli(["assess", "--org", "acme", "--api-url", sim.url], env);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe(`${message}\n`);
    expect(ran.stderr).not.toContain("secret-looking-garbage");
  });
});

it("the database of --store is named when it cannot be opened", async () => {
  const file = join(work, "not-a-db");
  writeFileSync(file, "this is not SQLite");
  const ran = await cli(["assess", "--org", "acme", "--api-url", sim.url, "--store"], { GITHUB_TOKEN: "ghp_readme", DATABASE_URL: `file:${file}` });
  expect(ran.code).toBe(2);
  expect(oneLineError(ran)).toMatch(/^claimcheck: environment variable DATABASE_URL: the database could not be opened \(/);
  expect(existsSync(file)).toBe(true);
});
