import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AUDITED_EVENTS, normaliseWebhook } from "../../src/audit/normalise.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { dialects } from "../helpers/dialects.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { allWebhookExamples, webhookExample } from "../helpers/webhooks.js";
import { collect } from "../helpers/async-items.js";

const RECEIVED = new Date("2026-11-24T12:00:00Z");

describe("normaliseWebhook", () => {
  it.each(AUDITED_EVENTS)("normalises every %s example payload without crashing", (event) => {
    const examples = allWebhookExamples(event);
    for (const payload of examples) {
      const input = normaliseWebhook(event, payload, RECEIVED);
      if (event === "push") continue; // judged below: only default-branch force pushes and build-file changes are recorded
      expect(input, `${event}.${payload.action}`).not.toBeNull();
      expect(input!.kind.startsWith(event)).toBe(true);
      expect(input!.target.length).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(input!.occurredAt))).toBe(false);
    }
  });

  it("normalises a payload stripped of its optional fields", async () => {
    for (const event of AUDITED_EVENTS) {
      const input = normaliseWebhook(event, { action: "edited" }, RECEIVED);
      if (event === "push") expect(input).toBeNull();
      else expect(input).toMatchObject({ kind: `${event}.edited`, actor: null, occurredAt: RECEIVED.toISOString() });
    }
  });

  it("records a force push to the default branch and pushes changing build configuration, nothing else", async () => {
    const push = webhookExample("push", null, (p) => p.ref === `refs/heads/${p.repository?.default_branch}`);
    push.forced = false;
    push.commits = [{ added: [], modified: ["src/app.ts"], removed: [] }];
    expect(normaliseWebhook("push", push, RECEIVED)).toBeNull();
    push.commits = [{ added: [".github/workflows/release.yml"], modified: ["src/app.ts", "CODEOWNERS"], removed: ["renovate.json"] }];
    expect(normaliseWebhook("push", push, RECEIVED)).toMatchObject({ target: `build configuration on ${push.repository.default_branch}`, after: { files: [".github/workflows/release.yml", "CODEOWNERS", "renovate.json"], forced: false } });
    push.forced = true;
    push.commits = [];
    expect(normaliseWebhook("push", push, RECEIVED)).toMatchObject({ target: `force push to ${push.repository.default_branch}` });
    push.ref = "refs/heads/feature";
    expect(normaliseWebhook("push", push, RECEIVED)).toBeNull();
  });
});

describe.each(dialects("recording through the app"))("recording through the app on $name", ({ open }) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp({ store: await open() });
  });
  afterEach(async () => {
    await app.idle();
    await app.store.close();
  });

  it("records every example delivery of every audited event that carries an installation, once each", async () => {
    let expected = 0;
    let id = 0;
    for (const event of AUDITED_EVENTS.filter((e) => e !== "installation" && e !== "installation_repositories" && e !== "push")) {
      for (const payload of allWebhookExamples(event)) {
        const withInstallation = { ...payload, installation: { id: 77, node_id: "x" } };
        const delivery = `audit-${++id}`;
        await app.probot.receive({ id: delivery, name: event, payload: withInstallation } as never);
        await app.probot.receive({ id: delivery, name: event, payload: withInstallation } as never);
        expected += 1;
      }
    }
    const trail = new AuditTrail(app.store);
    expect((await collect(trail.events(77)))).toHaveLength(expected);
    expect(await trail.verify(77)).toMatchObject({ ok: true, checked: expected });
  });
});
