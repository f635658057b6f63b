import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCliCredentials, readEnv, readPrivateKey } from "../../src/config/env.js";

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const dir = mkdtempSync(join(tmpdir(), "claimcheck-env-"));
const keyFile = join(dir, "app.pem");
writeFileSync(keyFile, rsa);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readEnv", () => {
  it("starts in setup mode with no credentials, with defaults", () => {
    const outcome = readEnv({});
    expect(outcome).toMatchObject({ ok: true, setupMode: true, env: { DATABASE_URL: "file:./data/claimcheck.db", ASSESS_CONCURRENCY: 4 } });
    expect(readEnv({ APP_ID: "", PRIVATE_KEY: "" })).toMatchObject({ ok: true, setupMode: true });
  });

  it("runs with a full set of credentials, the key in every form Probot accepts", () => {
    expect(readEnv({ APP_ID: "123", PRIVATE_KEY: rsa, WEBHOOK_SECRET: "s" })).toMatchObject({ ok: true, setupMode: false });
    expect(readEnv({ APP_ID: "123", PRIVATE_KEY: rsa.replace(/\n/g, "\\n"), WEBHOOK_SECRET: "s" })).toMatchObject({ ok: true, setupMode: false });
    expect(readEnv({ APP_ID: "123", PRIVATE_KEY: Buffer.from(rsa).toString("base64"), WEBHOOK_SECRET: "s" })).toMatchObject({ ok: true, setupMode: false });
    expect(readEnv({ APP_ID: "123", PRIVATE_KEY_PATH: keyFile, WEBHOOK_SECRET: "s", GH_ORG: "my-org" })).toMatchObject({ ok: true, setupMode: false });
  });

  it.each([
    [{ APP_ID: "abc" }, "APP_ID"],
    [{ APP_ID: "1", WEBHOOK_SECRET: "s" }, "PRIVATE_KEY"],
    [{ APP_ID: "1", PRIVATE_KEY: rsa }, "WEBHOOK_SECRET"],
    [{ APP_ID: "1", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----", WEBHOOK_SECRET: "s" }, "PRIVATE_KEY"],
    [{ APP_ID: "1", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----", WEBHOOK_SECRET: "s" }, "PRIVATE_KEY"],
    [{ APP_ID: "1", PRIVATE_KEY: ec, WEBHOOK_SECRET: "s" }, "PRIVATE_KEY"],
    [{ APP_ID: "1", PRIVATE_KEY_PATH: join(dir, "missing.pem"), WEBHOOK_SECRET: "s" }, "PRIVATE_KEY_PATH"],
    [{ APP_ID: "1", PRIVATE_KEY_PATH: dir, WEBHOOK_SECRET: "s" }, "PRIVATE_KEY_PATH"],
    [{ PRIVATE_KEY: rsa }, "APP_ID"],
    [{ WEBHOOK_SECRET: "s" }, "APP_ID"],
    [{ ASSESS_CONCURRENCY: "0" }, "ASSESS_CONCURRENCY"],
    [{ ASSESS_CONCURRENCY: "lots" }, "ASSESS_CONCURRENCY"],
    [{ PORT: "70000" }, "PORT"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ GH_ORG: "-not-a-login" }, "GH_ORG"],
    [{ GH_ORG: "acme/api" }, "GH_ORG"],
    [{ WEBHOOK_PROXY_URL: "smee.io/abc" }, "WEBHOOK_PROXY_URL"],
  ])("names the bad variable in one line: %o", (env, name) => {
    const outcome = readEnv(env);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toMatch(new RegExp(`^claimcheck: environment variable ${name} `));
    expect(outcome.message).not.toContain("\n");
  });

  it("never echoes a secret's value", () => {
    for (const env of [{ APP_ID: "1", PRIVATE_KEY: "super-secret-key-material" }, { APP_ID: "1", PRIVATE_KEY: "super-secret-key-material", WEBHOOK_SECRET: "s" }]) {
      expect(JSON.stringify(readEnv(env))).not.toContain("super-secret-key-material");
    }
  });
});

describe("readPrivateKey", () => {
  it("reads the key Probot would use and says which variable is wrong", () => {
    expect(readPrivateKey({ PRIVATE_KEY_PATH: keyFile })).toEqual({ ok: true, privateKey: rsa });
    expect(readPrivateKey({ PRIVATE_KEY: "x", PRIVATE_KEY_PATH: keyFile })).toMatchObject({ ok: false, message: expect.stringMatching(/^claimcheck: environment variable PRIVATE_KEY is not a PEM private key/) });
    expect(readPrivateKey({ PRIVATE_KEY: ec })).toMatchObject({ ok: false, message: expect.stringContaining("a GitHub App's private key is RSA") });
  });
});

describe("readCliCredentials", () => {
  it("takes GITHUB_TOKEN first, else the app's credentials", () => {
    expect(readCliCredentials({ GITHUB_TOKEN: "ghp_abc", APP_ID: "1" })).toEqual({ ok: true, kind: "token", token: "ghp_abc" });
    expect(readCliCredentials({ APP_ID: "7", PRIVATE_KEY: rsa })).toEqual({ ok: true, kind: "app", appId: "7", privateKey: rsa });
  });

  it.each([
    [{ GITHUB_TOKEN: "ghp abc" }, "environment variable GITHUB_TOKEN is not a token"],
    [{ APP_ID: "seven", PRIVATE_KEY: rsa }, "environment variable APP_ID must be the numeric App ID"],
    [{ APP_ID: "7" }, "environment variable PRIVATE_KEY is required with APP_ID"],
    [{ APP_ID: "7", PRIVATE_KEY: "ghp_not_a_key" }, "environment variable PRIVATE_KEY is not a PEM private key"],
    [{ PRIVATE_KEY: rsa }, "environment variable APP_ID is required when PRIVATE_KEY is set"],
    [{}, "no credentials: set GITHUB_TOKEN, or APP_ID with PRIVATE_KEY or PRIVATE_KEY_PATH"],
  ])("answers %o with one line naming the variable", (env, message) => {
    const outcome = readCliCredentials(env);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message.startsWith(`claimcheck: ${message}`)).toBe(true);
    expect(outcome.message).not.toContain("\n");
    expect(outcome.message).not.toContain("BEGIN");
  });
});
