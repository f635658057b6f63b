import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ASSESS_HELP } from "../../src/cli-assess.js";
import { AUDIT_HELP } from "../../src/cli-audit.js";
import { readEnv } from "../../src/config/env.js";
import { ADMIN_ONLY_ROUTES } from "../../src/report/route.js";
import { ACME } from "../e2e/helpers.js";
import { withCentralRepository } from "../simulator/demo-output.js";

/* The docs say what the program does; where a test can hold them to it, it does here. */

const doc = (path: string) => readFileSync(path, "utf8");
const optionsOf = (help: string) => [...new Set([...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!))];

describe("docs agree with the program", () => {
  it("deployment.md lists the start-up errors the app prints", () => {
    const deployment = doc("docs/deployment.md");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const cases: Record<string, string | undefined>[] = [
      { APP_ID: "abc" },
      { PRIVATE_KEY: "k" },
      { APP_ID: "1", WEBHOOK_SECRET: "s" },
      { APP_ID: "1", PRIVATE_KEY: "garbage", WEBHOOK_SECRET: "s" },
      { APP_ID: "1", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----", WEBHOOK_SECRET: "s" },
      { APP_ID: "1", PRIVATE_KEY: ec, WEBHOOK_SECRET: "s" },
      { APP_ID: "1", PRIVATE_KEY_PATH: "/nonexistent/app.pem", WEBHOOK_SECRET: "s" },
      { APP_ID: "1", PRIVATE_KEY: ec },
    ];
    for (const env of cases) {
      const outcome = readEnv(env);
      expect(outcome.ok, JSON.stringify(env)).toBe(false);
      if (!outcome.ok) expect(deployment, outcome.message).toContain(`\`${outcome.message}\``);
    }
  });

  it("report.md and the README describe every option of assess, and audit-trail.md every audit command option", () => {
    const report = doc("docs/report.md");
    const readme = doc("README.md");
    for (const option of optionsOf(ASSESS_HELP).filter((o) => o !== "--help")) {
      expect(report, option).toContain(`\`${option}`);
      expect(readme, option).toContain(`\`${option}`);
    }
    const audit = doc("docs/audit-trail.md");
    for (const option of optionsOf(AUDIT_HELP).filter((o) => o !== "--help")) expect(audit, option).toContain(option);
  });

  it("the exit codes read the same in the help, the README and report.md", () => {
    expect(ASSESS_HELP).toContain("exit codes: 0 assessed, 1 gaps found with --fail-on gap, 2 usage, credential or connection error,\n3 stopped by GitHub's rate limit");
    expect(doc("README.md")).toContain("Exit codes: 0 assessed, 1 gaps with `--fail-on gap`, 2 a usage, credential or connection error (one line\nsaying which), 3 stopped by GitHub's rate limit.");
    expect(doc("docs/report.md")).toContain("Exit codes: `0` assessed,\n`1` assessed with gaps under `--fail-on gap`, `2` a usage, credential or connection error (one line),\n`3` stopped by GitHub's rate limit");
  });

  it("audit-trail.md names the routes audit.access records", () => {
    for (const route of ADMIN_ONLY_ROUTES) expect(doc("docs/audit-trail.md")).toContain(route);
  });

  it("simulator.md and the README count the demo's repositories right", () => {
    const words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    const count = ACME.repositories.length;
    expect(doc("docs/simulator.md")).toContain(`| \`scenarios/acme.yml\` | ${words[count]![0]!.toUpperCase()}${words[count]!.slice(1)} repositories`);
    expect(doc("README.md")).toContain(`organisation (${words[withCentralRepository(ACME).repositories.length]} repositories, its \`.github\` among them)`);
  });

  it("no doc runs the CLI through npx, which would resolve the name in the public registry", () => {
    for (const path of ["README.md", "docs/report.md", "docs/deployment.md", "docs/audit-trail.md", "docs/simulator.md"]) {
      expect(doc(path), path).not.toMatch(/^\s*npx claimcheck/m);
    }
  });
});
