import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { issueLinksOf } from "../../src/app/issue-links.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";
import { saveIssue } from "../../src/store/issue-records.js";
import type { Store } from "../../src/store/store.js";
import { dialects } from "../helpers/dialects.js";

describe.each(dialects("the issues a check run links to"))("issue links on $name", ({ open }) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.upsertInstallation(1, "acme", "Organization");
    await store.upsertInstallation(2, "other", "Organization");
  });
  afterEach(async () => await store.close());

  async function issue(installationId: number, kind: "gap" | "summary", claimId: string, scope: string, repository: string, issueNumber: number, state: "open" | "closed" = "open") {
    await saveIssue(store, { installationId, kind, claimId, scope, repository, issueNumber, issueUrl: `https://github.com/${repository}/issues/${issueNumber}`, state, status: "gap", evidenceKind: "gap:x", hash: "h", updatedAt: "2026-11-24T00:00:00.000Z" });
  }

  describe("the issues a check run links to", () => {
    it("this repository's and the organisation's open gap issues, and the summary, of this installation only", async () => {
      await issue(1, "gap", "2.2.2", "acme/api", "acme/api", 7);
      await issue(1, "gap", "1.3.2", "acme/api", "acme/api", 8, "closed");
      await issue(1, "gap", "1.2.3", "acme/web", "acme/web", 3);
      await issue(1, "gap", "2.1.5", "org", "acme/.github", 1);
      await issue(1, "summary", "summary", "org", "acme/.github", 2);
      await issue(2, "gap", "2.2.1", "org", "other/.github", 5);
      const links = await issueLinksOf(store, 1, "acme/api", "https://github.com/acme/api", DEFAULT_CONFIG);
      expect(links.gapIssues).toEqual({ "2.2.2": "https://github.com/acme/api/issues/7", "2.1.5": "https://github.com/acme/.github/issues/1" });
      expect(links.summaryIssue).toBe("https://github.com/acme/.github/issues/2");
      expect(links.repositoryIssues).toBe("https://github.com/acme/api/issues?q=is%3Aissue+is%3Aopen+label%3Acode-of-practice");
      expect(links.centralIssues).toBe("https://github.com/acme/.github/issues?q=is%3Aissue+is%3Aopen+label%3Acode-of-practice");
    });

    it("points at the central repository when issues are central, and links nothing when issues are off", async () => {
      const central = parseRepoConfig({ issues: { central: true, repository: "compliance" } });
      expect(central.ok).toBe(true);
      if (!central.ok) return;
      await issue(1, "gap", "2.2.2", "central", "acme/compliance", 4);
      const links = await issueLinksOf(store, 1, "acme/api", "https://github.com/acme/api", central.config);
      expect(links.gapIssues).toEqual({ "2.2.2": "https://github.com/acme/compliance/issues/4" });
      expect(links.repositoryIssues).toBe("https://github.com/acme/compliance/issues?q=is%3Aissue+is%3Aopen+label%3Acode-of-practice");
      const off = parseRepoConfig({ issues: { enabled: false } });
      expect(off.ok).toBe(true);
      if (off.ok) expect(await issueLinksOf(store, 1, "acme/api", "https://github.com/acme/api", off.config)).toEqual({});
    });
  });
});
