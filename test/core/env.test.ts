import { describe, expect, it } from "vitest";
import { readEnv } from "../../src/config/env.js";

describe("readEnv", () => {
  it("starts in setup mode with no credentials, with defaults", () => {
    const outcome = readEnv({});
    expect(outcome).toMatchObject({ ok: true, setupMode: true, env: { DATABASE_URL: "file:./data/claimcheck.db", ASSESS_CONCURRENCY: 4 } });
  });

  it("runs with a full set of credentials", () => {
    expect(readEnv({ APP_ID: "123", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----", WEBHOOK_SECRET: "s" })).toMatchObject({ ok: true, setupMode: false });
    expect(readEnv({ APP_ID: "123", PRIVATE_KEY_PATH: "key.pem", WEBHOOK_SECRET: "s" })).toMatchObject({ ok: true, setupMode: false });
  });

  it.each([
    [{ APP_ID: "abc" }, "APP_ID"],
    [{ APP_ID: "1", WEBHOOK_SECRET: "s" }, "PRIVATE_KEY"],
    [{ APP_ID: "1", PRIVATE_KEY: "k" }, "WEBHOOK_SECRET"],
    [{ ASSESS_CONCURRENCY: "0" }, "ASSESS_CONCURRENCY"],
    [{ ASSESS_CONCURRENCY: "lots" }, "ASSESS_CONCURRENCY"],
    [{ PORT: "70000" }, "PORT"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
  ])("names the bad variable in one line: %o", (env, name) => {
    const outcome = readEnv(env);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toMatch(new RegExp(`^claimcheck: environment variable ${name} `));
    expect(outcome.message).not.toContain("\n");
  });

  it("never echoes a secret's value", () => {
    const outcome = readEnv({ APP_ID: "1", PRIVATE_KEY: "super-secret-key-material" });
    expect(JSON.stringify(outcome)).not.toContain("super-secret-key-material");
  });
});
