import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditFindings } from "../../src/audit/evidence.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { GAP_KIND, lostWindow } from "../../src/app/redelivery.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { CHECK_RUN_NAME } from "../../src/render/check-run.js";
import { scanState } from "../../src/store/delivery-records.js";
import { startApp, type RunningApp } from "../simulator/app-harness.js";
import { hookDeliveries, type HookDeliveries } from "../simulator/deliveries.js";
import { sha } from "../simulator/model.js";
import { startSimulator, type Simulator } from "../simulator/server.js";
import { installationCreated, pullRequestOpened } from "../simulator/webhooks.js";
import { ACME } from "../e2e/helpers.js";
import { collect } from "../helpers/async-items.js";
import { dialects } from "../helpers/dialects.js";
import type { Store } from "../../src/store/store.js";

/*
 * Webhooks GitHub could not deliver while the app was down are asked for again from the app's
 * own delivery list, once each; an outage longer than GitHub keeps deliveries is recorded in the
 * audit trail and named by 2.2.1.
 */

const DAY = 86_400_000;
let sim: Simulator;
let app: RunningApp;
let hooks: HookDeliveries;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
const INSTALLATION = ACME.installation.id;

describe.each(dialects("missed webhooks"))("missed webhooks on $name", ({ open }) => {
  let store: Store;
  beforeAll(async () => {
    offsetMs = 0;
    store = await open();
    sim = await startSimulator(ACME);
    app = await startApp({ githubUrl: sim.url, retryBaseMs: 5, spaceWrites: false, now: clock, sleep: async () => undefined, store });
    hooks = hookDeliveries(sim.model);
    hooks.clock = clock;
    hooks.target = { url: app.webhookUrl, secret: app.secret };
    await hooks.send(installationCreated(sim.model));
    await app.idle();
    // The app's first recovery run: nothing failed yet; it remembers how far it looked.
    expect(await app.recoverDeliveries()).toMatchObject({ failed: 0, requested: 0, gap: null });
  });

  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
    await store?.close();
  });

  it("asks GitHub to redeliver what failed while the app was down, and the check run appears", async () => {
    hooks.outage = true;
    const repo = sim.model.repos.get("api")!;
    const missed = await hooks.send(pullRequestOpened(sim.model, repo, sha("missed", "api")));
    expect(missed.status_code).toBe(0);
    hooks.outage = false;
    expect(sim.model.checkRuns.filter((r) => r.head_sha === sha("missed", "api"))).toHaveLength(0);

    const outcome = await app.recoverDeliveries();
    expect(outcome).toMatchObject({ failed: 1, requested: 1, refused: 0, left: 0, gap: null });
    await hooks.idle();
    await app.idle();
    const runs = sim.model.checkRuns.filter((r) => r.head_sha === sha("missed", "api"));
    expect(runs.map((r) => r.name)).toEqual([CHECK_RUN_NAME]);
    expect((await app.store.delivery(missed.guid))?.state).toBe("done");
    expect(hooks.list.filter((d) => d.guid === missed.guid).map((d) => d.redelivery)).toEqual([false, true]);
  });

  it("asks once per delivery, however often it runs", async () => {
    hooks.outage = true;
    const repo = sim.model.repos.get("payments")!;
    await hooks.send(pullRequestOpened(sim.model, repo, sha("twice", "payments")));
    hooks.outage = false;
    // GitHub is still failing to deliver (the app answers 503 behind a broken proxy, say): the redelivery fails too.
    const target = hooks.target;
    hooks.target = null;
    expect(await app.recoverDeliveries()).toMatchObject({ requested: 1 });
    await hooks.idle();
    hooks.target = target;
    const before = hooks.redeliveryRequests.length;
    expect(await app.recoverDeliveries()).toMatchObject({ requested: 0 });
    expect(await app.recoverDeliveries()).toMatchObject({ requested: 0 });
    expect(hooks.redeliveryRequests.length).toBe(before);
  });

  it("follows the cursor across pages and remembers how far it got", async () => {
    hooks.outage = true;
    const repo = sim.model.repos.get("infra")!;
    for (let i = 0; i < 3; i += 1) await hooks.send(pullRequestOpened(sim.model, repo, sha(`page-${i}`, "infra"), 900 + i));
    hooks.outage = false;
    // 150 successful deliveries after them: the failed ones are on the second page.
    for (let i = 0; i < 150; i += 1) expect((await hooks.send({ id: `ok-${i}`, name: "ping", payload: { zen: "Design for failure.", hook_id: 1 } })).status_code).toBe(200);
    const newestListed = Math.max(...hooks.list.map((d) => d.id));
    sim.resetStats();
    const outcome = await app.recoverDeliveries();
    expect(outcome).toMatchObject({ failed: 3, requested: 3, left: 0 });
    expect(sim.stats.byRoute["GET /app/hook/deliveries"]).toBe(2);
    await hooks.idle();
    await app.idle();
    expect((await scanState(app.store))?.newestSeenId).toBe(newestListed);
    // The next run reads only what came after: the three successful redeliveries.
    expect(await app.recoverDeliveries()).toMatchObject({ examined: 3, failed: 0, requested: 0 });
  });

  it("records the window it can no longer recover when it was down longer than GitHub keeps deliveries, and 2.2.1 says so", async () => {
    const aliveAt = (await scanState(app.store))!.aliveAt;
    // Down for five days; GitHub no longer lists what it failed to deliver in the first two.
    hooks.outage = true;
    offsetMs += DAY;
    await hooks.send(pullRequestOpened(sim.model, sim.model.repos.get("api")!, sha("lost", "api"), 990));
    offsetMs += 4 * DAY;
    hooks.outage = false;
    const outcome = await app.recoverDeliveries();
    // From the last time the app was seen alive to the oldest delivery GitHub still keeps.
    expect(outcome?.gap?.from).toBe(aliveAt);
    expect(Math.abs(Date.parse(outcome!.gap!.until) - (clock().getTime() - 3 * DAY))).toBeLessThan(5_000);
    expect(lostWindow(aliveAt, new Date(Date.parse(aliveAt) + 2 * DAY))).toBeNull();

    const recorded = (await collect(new AuditTrail(app.store).events(INSTALLATION))).filter((e) => e.kind === GAP_KIND);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.source).toBe("claimcheck");
    const findings = await auditFindings(app.store, INSTALLATION, { now: clock(), since: new Date(clock().getTime() - 90 * DAY), org: "acme" });
    expect(findings.find((f) => f.id === "audit.delivery-gaps")?.value).toEqual([outcome!.gap]);
    expect(Object.keys(findings.find((f) => f.id === "audit.events-in-window")?.value as object)).not.toContain(GAP_KIND);
    const claim = evaluateClaims(findings, DEFAULT_CONFIG).find((r) => r.claimId === "2.2.1")!;
    const recording = claim.checks.find((c) => c.checkId === "audit-trail-recording")!;
    expect(recording.status).toBe("partial");
    expect(recording.reason).toContain("may be missing");
    expect((await new AuditTrail(app.store).verify(INSTALLATION)).ok).toBe(true);
  });
});
