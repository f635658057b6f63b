import { describe, expect, it } from "vitest";
import { auditFindings } from "../../src/audit/evidence.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";
import type { Store } from "../../src/store/store.js";
import { dialects } from "../helpers/dialects.js";

const NOW = new Date("2026-11-24T12:00:00Z");
const SINCE = new Date("2026-08-26T12:00:00Z");

async function judge(store: Store, config = DEFAULT_CONFIG) {
  const results = evaluateClaims(await auditFindings(store, 1, { now: NOW, since: SINCE, org: "octo-org" }), config);
  return (claim: string, check: string) => results.find((r) => r.claimId === claim)!.checks.find((c) => c.checkId === check)!;
}

async function record(trail: AuditTrail, day: string, n = 1) {
  for (let i = 0; i < n; i += 1) {
    await trail.append(1, "webhook", `${day}-${i}`, { kind: "team.edited", actor: "octocat", target: "team core", repository: null, before: null, after: null, occurredAt: `${day}T10:00:00.000Z` });
  }
}

describe.each(dialects("audit trail evidence"))("audit trail evidence, on $name", ({ open }) => {
  it("is a gap with nothing recorded, and never met for an empty chain", async () => {
    const store = await open();
    const check = await judge(store);
    expect(check("2.2.1", "audit-trail-recording").status).toBe("gap");
    expect(check("2.2.4", "chain-verified").status).toBe("not_applicable");
    expect(check("2.2.3", "exportable").status).toBe("not_applicable");
    expect(check("2.2.1", "audit-coverage").status).toBe("unknown");
    await store.close();
  });

  it("reports recording, coverage from the installation's events, and retention still being built", async () => {
    const store = await open();
    await store.upsertInstallation(1, "octo-org", "Organization");
    await store.setInstallationEvents(1, ["branch_protection_rule", "repository_ruleset", "member", "push", "repository"]);
    await record(new AuditTrail(store), "2026-10-01", 3);
    const check = await judge(store);
    expect(check("2.2.1", "audit-trail-recording")).toMatchObject({ status: "met", reason: expect.stringContaining("recording since 2026-10-01, 3 events") });
    expect(check("2.2.1", "audit-coverage")).toMatchObject({ status: "partial", reason: expect.stringContaining("teams, deploy keys") });
    expect(check("2.2.3", "retention")).toMatchObject({ status: "partial", reason: expect.stringContaining("reached on 2027-11-05") });
    expect(check("2.2.3", "exportable").status).toBe("met");
    expect(check("2.2.4", "chain-verified").status).toBe("met");
    expect(check("2.2.4", "access-restricted").status).toBe("met");
    const shorter = parseRepoConfig({ audit: { retentionDays: 30 } }).config;
    expect((await judge(store, shorter))("2.2.3", "retention").status).toBe("met");
    await store.close();
  });

  it("does not call the trail recording when nothing reached it in the window", async () => {
    const store = await open();
    await store.upsertInstallation(1, "octo-org", "Organization");
    await record(new AuditTrail(store), "2026-01-10", 2);
    expect((await judge(store))("2.2.1", "audit-trail-recording")).toMatchObject({ status: "unknown", reason: expect.stringContaining("no event in the window") });
    await store.close();
  });
});
