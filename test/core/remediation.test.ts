import { describe, expect, it } from "vitest";
import { CLAIMS } from "../../src/core/catalogue.js";
import { hasRemediation, whatWouldClose } from "../../src/core/remediation.js";

describe("what would close a check", () => {
  it("is known for every check of the catalogue", () => {
    expect(CLAIMS.flatMap((c) => c.checks.map((k) => k.id)).filter((id) => !hasRemediation(id))).toEqual([]);
    expect(whatWouldClose("no-such-check", { org: "acme" })).toBe("See the check's reason.");
  });

  it("links organisation settings and people pages where GitHub serves them", () => {
    expect(whatWouldClose("base-permission", { org: "acme" })).toContain("https://github.com/organizations/acme/settings/member_privileges");
    expect(whatWouldClose("owners-few", { org: "acme" })).toContain("https://github.com/orgs/acme/people?query=role%3Aowner");
  });

  it("links the repository's settings, or shows where they are in every repository", () => {
    expect(whatWouldClose("no-force-push", { org: "acme", repoUrl: "https://github.com/acme/api" })).toContain("https://github.com/acme/api/settings/branches");
    // Without a repository there is no page to link: the page is named, never a URL with a placeholder.
    expect(whatWouldClose("no-force-push", { org: "acme" })).toBe("Block force pushes and deletion of the default branch: each repository's `/settings/branches` page.");
    for (const claim of CLAIMS) for (const check of claim.checks) expect(whatWouldClose(check.id, { org: "acme" })).not.toMatch(/[{}]/);
  });
});
