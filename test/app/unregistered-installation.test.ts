import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mockInstallationToken } from "../helpers/github-api.js";
import { mockRepositoryEvidence } from "../helpers/scenario.js";
import { dialects } from "../helpers/dialects.js";
import { testApp, type TestApp } from "../helpers/probot.js";
import { webhookExample } from "../helpers/webhooks.js";

/*
 * Deliveries that arrive before the installation is known to the store (the app was installed
 * while it was down, or the store was restored from an older backup) must register what they
 * need instead of failing on a foreign key after the whole assessment.
 */
describe.each(dialects("events for an installation the store has not registered"))("events for an installation the store has not registered, on $name", ({ open }) => {
  let app: TestApp;
  beforeEach(async () => {
    // Retries without their waits: the delivery's state is what is left once they are spent.
    app = await testApp({ store: await open(), sleep: async () => undefined });
  });
  afterEach(async () => {
    await app.idle();
    await app.store.close();
  });

  const cases: [string, string, (p: Record<string, any>) => boolean][] = [
    ["deploy_key", "created", () => true],
    ["member", "added", (p) => Boolean(p.installation)],
    ["team_add", "", (p) => Boolean(p.installation)],
  ];

  for (const [event, action, pick] of cases) {
    it(`${event} registers the installation and stores the reassessment`, async () => {
      const payload = webhookExample(event, action || null, pick);
      payload.installation ??= { id: 4242, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" };
      const installationId = payload.installation.id as number;
      const [owner, repo] = (payload.repository.full_name as string).split("/") as [string, string];
      expect(await app.store.activeInstallations()).toEqual([]);
      mockInstallationToken(installationId);
      mockRepositoryEvidence(owner, repo);

      await app.deliver(event, payload, `${event}-unregistered`);

      expect(await app.store.deliveryState(`${event}-unregistered`)).toBe("done");
      expect(await app.store.activeInstallations()).toEqual([{ id: installationId, accountLogin: owner }]);
      expect(await app.store.assessments(installationId, `${owner}/${repo}`)).toHaveLength(1);
      expect(nock.pendingMocks()).toEqual([]);
    });
  }

  it("a failed delivery keeps its real cause, not only a count", async () => {
    const payload = webhookExample("deploy_key", "created");
    payload.installation = { id: 4243, node_id: "x" };
    const [owner, repo] = (payload.repository.full_name as string).split("/") as [string, string];
    mockInstallationToken(4243);
    mockRepositoryEvidence(owner, repo);
    const record = vi.spyOn(app.store, "recordAssessment").mockImplementation(() => {
      throw new Error("database or disk is full");
    });
    await app.deliver("deploy_key", payload, "fails");
    // Tried again twice (a webhook's reassessment), then recorded as failed.
    expect(record).toHaveBeenCalledTimes(3);
    const delivery = await app.store.delivery("fails");
    expect(delivery?.state).toBe("failed");
    expect(delivery?.error).toContain(`${owner}/${repo}`);
    expect(delivery?.error).toContain("database or disk is full");
  });
});
