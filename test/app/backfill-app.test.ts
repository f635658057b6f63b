import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { pino } from "pino";
import { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClaimcheckApp, type ClaimcheckApp } from "../../src/app/index.js";
import { backfillOf } from "../../src/store/backfill-records.js";
import type { Store } from "../../src/store/store.js";
import { dialects } from "../helpers/dialects.js";
import { API, mockInstallationToken } from "../helpers/github-api.js";
import { TestOctokit } from "../helpers/probot.js";
import { mockRepositoryEvidence } from "../helpers/scenario.js";
import { webhookExample } from "../helpers/webhooks.js";

/*
 * A small installation whose REST budget is nearly spent (the reserve for webhooks and check
 * runs is all that is left): its backfill pauses until GitHub's reset instead of sending
 * requests that would fail. The clock and the sleep are fakes; nothing waits.
 */

const NOW = new Date("2026-11-25T10:00:00Z");
const RESET = new Date("2026-11-25T10:20:00Z");
const epoch = (d: Date) => String(Math.floor(d.getTime() / 1000));
const limited = (remaining: number, reset: Date) => ({ "x-ratelimit-limit": "5000", "x-ratelimit-remaining": String(remaining), "x-ratelimit-used": String(5000 - remaining), "x-ratelimit-reset": epoch(reset), "x-ratelimit-resource": "core" });

/**
 * The configuration reads (repository, and the organisation `.github` once per run), answered
 * with the budget GitHub reports.
 */
function mockConfigReads(owner: string, repo: string, remaining: number, reset: Date, orgRead = true): void {
  nock(API).get(`/repos/${owner}/${repo}/contents/.github%2Fclaimcheck.yml`).reply(404, { message: "Not Found" }, limited(remaining, reset));
  if (orgRead) nock(API).get(`/repos/${owner}/.github/contents/.github%2Fclaimcheck.yml`).reply(404, { message: "Not Found" }, limited(remaining - 1, reset));
}

describe.each(dialects("installation backfill under a spent rate budget"))("installation backfill under a spent rate budget on $name", ({ open }) => {
  let store: Store;
  let now: Date;
  let sleeps: number[];
  let probot: Probot;
  let app: ClaimcheckApp;

  beforeEach(async () => {
    store = await open();
    now = NOW;
    sleeps = [];
    const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    probot = new Probot({ appId: 1, privateKey, Octokit: TestOctokit, log: pino({ level: "silent" }) });
    app = createClaimcheckApp({
      store,
      concurrency: 2,
      maintenanceIntervalMs: null,
      redeliveryIntervalMs: null,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now = new Date(now.getTime() + ms);
      },
    });
    await probot.load(app.app, { cwd: process.cwd(), addHandler: () => undefined });
  });
  afterEach(async () => await store.close());

  async function deliver(id: string, payload: Record<string, unknown>) {
    await probot.receive({ id, name: "installation_repositories", payload } as Parameters<Probot["receive"]>[0]);
    await app.jobs()?.idle();
  }

  it("assesses what the budget pays for, pauses until the reset, then finishes", async () => {
    const base = webhookExample("installation_repositories", "added");
    const installationId = base.installation.id as number;
    const repo = (name: string, id: number) => ({ ...base.repositories_added[0], id, name, full_name: `Codertocat/${name}` });

    // First delivery: one repository, whose answers report 1,012 REST requests left this window.
    mockInstallationToken(installationId);
    mockConfigReads("Codertocat", "First", 1013, RESET);
    mockRepositoryEvidence("Codertocat", "First", { config: "skip" });
    await deliver("first", { ...base, repositories_added: [repo("First", 101)] });

    // 12 left above the 1,000 reserve: one more repository (7 requests) now, the next after the reset.
    mockInstallationToken(installationId);
    mockConfigReads("Codertocat", "Second", 1005, RESET);
    mockRepositoryEvidence("Codertocat", "Second", { config: "skip" });
    const nextWindow = new Date(RESET.getTime() + 60 * 60_000);
    // The same run as Second's: the organisation's file is not read again.
    mockConfigReads("Codertocat", "Third", 4999, nextWindow, false);
    mockRepositoryEvidence("Codertocat", "Third", { config: "skip" });
    await deliver("second", { ...base, repositories_added: [repo("Second", 102), repo("Third", 103)] });

    expect(nock.pendingMocks().filter((m) => !m.includes("access_tokens"))).toEqual([]);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(RESET.getTime() - NOW.getTime());
    expect(sleeps[0]).toBeLessThanOrEqual(RESET.getTime() - NOW.getTime() + 2000);
    for (const name of ["First", "Second", "Third"]) {
      const [stored] = await store.assessments(installationId, `Codertocat/${name}`);
      expect(stored?.trigger).toBe("installation_repositories.added");
      // Nothing became unknown for want of budget: the quiet repository's protection claim is judged.
      expect(stored?.results.find((r) => r.claimId === "2.2.2")?.status).toBe("gap");
    }
    const third = (await store.assessments(installationId, "Codertocat/Third"))[0]!;
    expect(Date.parse(third.finishedAt)).toBeGreaterThanOrEqual(RESET.getTime());
    expect(await backfillOf(store, installationId)).toMatchObject({ state: "finished", total: 2, assessed: 2, failed: 0 });
    expect(await store.deliveryState("second")).toBe("done");
  });
});
