import { count, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { OrgEvidence } from "../../src/app/org-evidence.js";
import { PostgresOrgEvidence } from "../../src/app/org-evidence-postgres.js";
import { sharedLimits } from "../../src/app/shared-limits.js";
import * as schema from "../../src/store/schema-pg.js";
import { API, captureCheckRuns, mockInstallationToken } from "../helpers/github-api.js";
import { replicasForSuite, skipPostgres } from "../helpers/postgres.js";
import { testApp } from "../helpers/probot.js";
import { mockOrganisationEvidence, mockRepositoryEvidence } from "../helpers/scenario.js";
import { webhookExample } from "../helpers/webhooks.js";

/*
 * The app's limits: kept in the process without a database server, shared through PostgreSQL
 * with one. Two apps on one PostgreSQL stand for two replicas: the organisation evidence one read
 * serves the other's check run, and both check runs count against one content-creation budget.
 */

const OWNER = "Codertocat";
const REPO = "Hello-World";

describe("the app's limits without PostgreSQL", () => {
  it("are this process's own", () => {
    const limits = sharedLimits(null);
    expect(limits.contentBudgets).toBeUndefined();
    expect(limits.orgEvidence).toBeInstanceOf(OrgEvidence);
  });
});

describe.skipIf(skipPostgres("limits shared by replicas"))("the app's limits shared by replicas through PostgreSQL", () => {
  const target = replicasForSuite(3);

  it("serve one replica's organisation evidence to the other's check run and count both check runs in one budget", async () => {
    const [limitsA, limitsB] = target().replicas.map((pool) => sharedLimits(pool));
    expect(limitsA!.orgEvidence).toBeInstanceOf(PostgresOrgEvidence);
    const [a, b] = [await testApp({ limits: limitsA! }), await testApp({ limits: limitsB! })];
    try {
      const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
      const installationId = payload.installation.id;
      const runs = captureCheckRuns(OWNER, REPO, 2);

      mockInstallationToken(installationId);
      mockOrganisationEvidence(OWNER, { owners: ["mona"] });
      mockRepositoryEvidence(OWNER, REPO);
      await a.deliver("pull_request", payload);

      // The second replica's assessment asks GitHub about the repository only.
      mockInstallationToken(installationId);
      mockRepositoryEvidence(OWNER, REPO);
      await b.deliver("pull_request", payload);

      expect(nock.pendingMocks()).toEqual([]);
      expect(runs).toHaveLength(2);
      const [stored] = await b.store.assessments(installationId, `${OWNER}/${REPO}`);
      expect(stored!.findings.find((f) => f.id === "org.owners")).toMatchObject({ value: ["mona"] });
      const [writes] = await drizzle(target().pool, { schema }).select({ n: count() }).from(schema.contentWrites).where(eq(schema.contentWrites.installationId, installationId));
      expect(writes?.n).toBe(2);
    } finally {
      await Promise.all([a.store.close(), b.store.close()]);
    }
  });

  it("make every replica read the organisation's configuration file again after a push to it reached one of them", async () => {
    const [limitsA, limitsB] = target().replicas.map((pool) => sharedLimits(pool));
    const [a, b] = [await testApp({ limits: limitsA! }), await testApp({ limits: limitsB! })];
    try {
      const payload = webhookExample("pull_request", "opened", (p) => Boolean(p.installation) && !p.organization);
      const installationId = payload.installation.id + 1;
      const pr = { ...payload, installation: { ...payload.installation, id: installationId } };
      const push = { ...webhookExample("push", null), ref: "refs/heads/main", installation: pr.installation, repository: { ...payload.repository, name: ".github", full_name: `${OWNER}/.github`, default_branch: "main" } };
      const runs: ReturnType<typeof captureCheckRuns>[] = [];

      // The organisation's .github repository is one of the installation's, so its pushes reach the
      // replicas and its file may be kept between check runs.
      await a.store.upsertInstallation(installationId, OWNER, "Organization");
      await a.store.addRepositoriesInSlices(installationId, [{ id: 9_001, fullName: `${OWNER}/.github` }]);

      // Replica A reads the organisation's file (there is none), then serves it from its copy.
      mockInstallationToken(installationId);
      mockOrganisationEvidence(OWNER);
      mockRepositoryEvidence(OWNER, REPO);
      runs.push(captureCheckRuns(OWNER, REPO));
      await a.deliver("pull_request", pr);
      mockRepositoryEvidence(OWNER, REPO, { config: "run" });
      runs.push(captureCheckRuns(OWNER, REPO));
      await a.deliver("pull_request", pr);
      expect(nock.pendingMocks()).toEqual([]);

      // The push reaches replica B only; A's next check run reads the new file (and the organisation's evidence).
      await b.deliver("push", push);
      mockOrganisationEvidence(OWNER);
      mockRepositoryEvidence(OWNER, REPO, { config: "run" });
      nock(API).get(`/repos/${OWNER}/.github/contents/.github%2Fclaimcheck.yml`).reply(200, "mode: enforce\n", { "content-type": "application/vnd.github.v3.raw; charset=utf-8" });
      runs.push(captureCheckRuns(OWNER, REPO));
      await a.deliver("pull_request", pr);
      expect(nock.pendingMocks()).toEqual([]);
      // Enforcing now, as the new file says: the gaps fail the check.
      expect(runs.map((run) => run[0]?.conclusion)).toEqual(["neutral", "neutral", "failure"]);
    } finally {
      await Promise.all([a.store.close(), b.store.close()]);
    }
  });
});
