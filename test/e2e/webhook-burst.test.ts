import { describe, expect, it } from "vitest";
import { AuditTrail } from "../../src/audit/trail.js";
import type { RunningApp } from "../simulator/app-harness.js";
import { sha } from "../simulator/model.js";
import type { Simulator } from "../simulator/server.js";
import { deliverAll, pullRequestOpened, repositoryEdited, type Delivery } from "../simulator/webhooks.js";
import { ACME, appForSuite } from "./helpers.js";
import { collect } from "../helpers/async-items.js";
import { dialects } from "../helpers/dialects.js";

/*
 * A burst of signed deliveries, some of them sent twice as GitHub does on redelivery: every one
 * acknowledged, each unique delivery processed exactly once.
 */

let sim: Simulator;
let app: RunningApp;

describe.each(dialects("a burst of deliveries"))("a burst of deliveries on $name", ({ open }) => {
  appForSuite(open, ACME, (started) => ({ sim, app } = started));

  it("acknowledges 2,000 deliveries and processes each unique one once", async () => {
    const repos = sim.model.repoList;
    // Under GitHub's 80-a-minute content-creation limit: one check run per pull-request delivery.
    const pullRequests: Delivery[] = Array.from({ length: 10 }, (_, i) => pullRequestOpened(sim.model, repos[i % repos.length]!, sha("burst", i), 100 + i));
    const settings: Delivery[] = Array.from({ length: 1_890 }, (_, i) => repositoryEdited(sim.model, repos[i % repos.length]!));
    const unique = [...pullRequests, ...settings].sort((a, b) => a.id.localeCompare(b.id));
    const redelivered = [...pullRequests.slice(0, 5), ...settings.slice(0, 95)];
    const burst = [...unique, ...redelivered];
    expect(burst).toHaveLength(2_000);

    const rssBefore = process.memoryUsage().rss;
    const results = await deliverAll(app.webhookUrl, app.secret, burst, 64);
    await app.idle();

    expect(results.filter((r) => r.status < 200 || r.status >= 300)).toEqual([]);
    // Every audited delivery is in the trail once, keyed by its delivery id.
    const recorded = (await collect(new AuditTrail(app.store).events(ACME.installation.id))).filter((e) => e.kind === "repository.edited");
    expect(recorded).toHaveLength(settings.length);
    // Every pull request got exactly one check run, on its own head commit.
    const heads = sim.model.checkRuns.map((r) => r.head_sha).sort();
    expect(heads).toEqual(pullRequests.map((d) => (d.payload.pull_request as { head: { sha: string } }).head.sha).sort());
    for (const d of pullRequests) expect(await app.store.deliveryState(d.id)).toBe("done");
    expect(sim.stats.secondary.content).toBe(0);
    // Bounded: the burst leaves no per-delivery state in memory beyond the store.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  }, 60_000);
});
