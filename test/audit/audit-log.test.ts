import nock from "nock";
import { describe, expect, it } from "vitest";
import { pollAuditLog, recordedByWebhook } from "../../src/audit/audit-log.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { dialects } from "../helpers/dialects.js";
import { API } from "../helpers/github-api.js";
import { testClient } from "../helpers/collect.js";
import { ghecSpec } from "../helpers/openapi-examples.js";
import { collect } from "../helpers/async-items.js";

/** The Enterprise Cloud description's own audit-log example entries. */
function auditLogExample(): Record<string, any>[] {
  return structuredClone((ghecSpec().components.examples["audit-log"] as { value: Record<string, any>[] }).value);
}

const NOW = new Date("2026-11-24T12:00:00Z");

describe.each(dialects("organisation audit log"))("organisation audit log, on $name", ({ open }) => {
  it("records entries after the stored cursor, once, and keeps the cursor", async () => {
    const store = await open();
    const trail = new AuditTrail(store);
    const entries = auditLogExample();
    nock(API)
      .get("/orgs/octo-org/audit-log")
      .query({ per_page: "100", order: "asc", include: "all" })
      .reply(200, entries, { link: `<${API}/orgs/octo-org/audit-log?per_page=100&after=MS4yNQ%3D%3D>; rel="next"` });
    nock(API).get("/orgs/octo-org/audit-log").query({ per_page: "100", order: "asc", include: "all", after: "MS4yNQ==" }).reply(200, []);
    const client = testClient();
    const outcome = await pollAuditLog(client, store, trail, 1, "octo-org", NOW);
    expect(outcome).toEqual({ status: "available", recorded: entries.length, skippedAsDuplicate: 0 });
    expect(client.counts.rest).toBe(2);
    expect(await store.auditLogSource(1)).toMatchObject({ status: "available", cursor: "MS4yNQ==" });
    expect((await collect(trail.events(1))).map((e) => e.kind)).toEqual(entries.map((e) => `audit-log:${e.action}`));

    nock(API).get("/orgs/octo-org/audit-log").query({ per_page: "100", order: "asc", include: "all", after: "MS4yNQ==" }).reply(200, entries);
    await pollAuditLog(testClient(), store, trail, 1, "octo-org", NOW);
    expect((await collect(trail.events(1)))).toHaveLength(entries.length);
    expect((await trail.verify(1)).ok).toBe(true);
    await store.close();
  });

  it.each([
    [404, "Not Found"],
    [403, "Resource not accessible by integration"],
  ])("says once, plainly, that the plan or permission lacks the API (%i)", async (status, message) => {
    const store = await open();
    nock(API).get("/orgs/octo-org/audit-log").query(true).reply(status, { message });
    const outcome = await pollAuditLog(testClient(), store, new AuditTrail(store), 1, "octo-org", NOW);
    expect(outcome.status).toBe("unavailable");
    expect(await store.auditLogSource(1)).toMatchObject({ status: "unavailable", reason: expect.stringContaining("Enterprise Cloud") });
    await store.close();
  });

  it("does not record twice a change a webhook already recorded", async () => {
    const entry = { "@timestamp": Date.parse("2026-11-24T10:00:30Z"), _document_id: "x", action: "protected_branch.update", actor: "octocat", repo: "octo-org/api" };
    const webhook = { kind: "branch_protection_rule.edited", actor: "octocat", repository: "octo-org/api", occurredAt: "2026-11-24T10:00:00.000Z" };
    expect(recordedByWebhook(entry, [webhook])).toBe(true);
    expect(recordedByWebhook({ ...entry, actor: "mallory" }, [webhook])).toBe(false);
    expect(recordedByWebhook({ ...entry, "@timestamp": Date.parse("2026-11-24T11:00:00Z") }, [webhook])).toBe(false);
    expect(recordedByWebhook({ ...entry, action: "org.update_actions_settings" }, [webhook])).toBe(false);
  });
});
