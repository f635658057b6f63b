import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.js";
import { observed, unreadable, type Finding, type FindingId, type FindingValue } from "../../src/core/findings.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";

const AT = "2026-11-24T12:00:00.000Z";
const REPO = { repo: "octo-org/api", source: "test", url: "https://github.com/octo-org/api", observedAt: AT };
const ORG = { source: "test", url: "https://github.com/orgs/octo-org", observedAt: AT };

function seen<K extends FindingId>(id: K, value: FindingValue<K>): Finding {
  return observed(id, value, id.startsWith("org.") ? ORG : REPO);
}
function hidden(id: FindingId, reason: string): Finding {
  return unreadable(id, reason, id.startsWith("org.") ? ORG : REPO);
}

function check(findings: Finding[], claim: string, id: string, config: RepoConfig = DEFAULT_CONFIG) {
  const result = evaluateClaims(findings, config).find((r) => r.claimId === claim)!;
  return result.checks.find((c) => c.checkId === id)!;
}

const config = (raw: unknown) => {
  const outcome = parseRepoConfig(raw);
  expect(outcome.ok).toBe(true);
  return outcome.config;
};

describe("2.1.1 roles", () => {
  it("judges the base permission, and never reads a hidden one as none", () => {
    expect(check([seen("org.base-permission", "read")], "2.1.1", "base-permission").status).toBe("met");
    expect(check([seen("org.base-permission", "write")], "2.1.1", "base-permission").status).toBe("gap");
    const unseen = check([hidden("org.base-permission", "GitHub did not disclose default_repository_permission")], "2.1.1", "base-permission");
    expect(unseen).toMatchObject({ status: "unknown", reason: expect.stringContaining("did not disclose") });
  });

  it("counts owners against the configured maximum, and an empty list is unknown", () => {
    const owners = ["a", "b", "c", "d", "e", "f"];
    expect(check([seen("org.owners", owners)], "2.1.1", "owners-few")).toMatchObject({ status: "gap", reason: expect.stringContaining("more than the 5") });
    expect(check([seen("org.owners", owners)], "2.1.1", "owners-few", config({ thresholds: { maxOwners: 6 } })).status).toBe("met");
    expect(check([seen("org.owners", [])], "2.1.1", "owners-few").status).toBe("unknown");
  });

  it("rates grants to teams against grants to people", () => {
    const people = seen("access.individual-grants", [{ login: "mona", permission: "admin" }]);
    const teams = (n: number) => seen("access.team-grants", Array.from({ length: n }, (_, i) => ({ team: `t${i}`, permission: "write" as const })));
    expect(check([people, teams(4)], "2.1.1", "team-based-access").status).toBe("met");
    expect(check([people, teams(1)], "2.1.1", "team-based-access")).toMatchObject({ status: "partial", reason: expect.stringContaining("mona (admin)") });
    expect(check([people, teams(0)], "2.1.1", "team-based-access").status).toBe("gap");
    expect(check([seen("access.individual-grants", []), teams(0), seen("org.base-permission", "read")], "2.1.1", "team-based-access").status).toBe("met");
  });

  it("counts a base permission of write as access outside teams, and never meets with the base permission unseen", () => {
    const none = seen("access.individual-grants", []);
    const teams = seen("access.team-grants", [{ team: "core", permission: "write" }]);
    const everyone = check([none, teams, seen("org.base-permission", "write")], "2.1.1", "team-based-access");
    expect(everyone.status).not.toBe("met");
    expect(everyone.reason).toContain("every organisation member (base permission `write`)");
    const unseen = check([none, teams, hidden("org.base-permission", "GitHub did not disclose default_repository_permission")], "2.1.1", "team-based-access");
    expect(unseen).toMatchObject({ status: "unknown", reason: expect.stringContaining("did not disclose") });
  });

  it("is unknown when people hold grants and the teams could not be read", () => {
    const result = check([seen("access.individual-grants", [{ login: "mona", permission: "write" }]), hidden("access.team-grants", "GitHub did not answer repository.acc_owner")], "2.1.1", "team-based-access");
    expect(result).toMatchObject({ status: "unknown", reason: expect.stringContaining("acc_owner") });
  });

  it("names outside collaborators with write access, except those excepted", () => {
    const grants = seen("org.outside-collaborators-with-write", [
      { login: "Contractor", repo: "octo-org/api", permission: "write" },
      { login: "auditor", repo: "octo-org/web", permission: "admin" },
    ]);
    expect(check([grants], "2.1.1", "outside-collaborators")).toMatchObject({ status: "gap", reason: expect.stringContaining("Contractor on octo-org/api") });
    const oneExcepted = check([grants], "2.1.1", "outside-collaborators", config({ exceptions: { outsideCollaborators: ["contractor"] } }));
    expect(oneExcepted).toMatchObject({ status: "gap", reason: expect.stringContaining("auditor on octo-org/web") });
    expect(oneExcepted.reason).toContain("excepted in configuration: Contractor");
    const both = check([grants], "2.1.1", "outside-collaborators", config({ exceptions: { outsideCollaborators: ["contractor", "auditor"] } }));
    expect(both).toMatchObject({ status: "met", reason: expect.stringContaining("other than those excepted") });
  });

  it("never rolls the claim up to met with a check unread", () => {
    const findings = [seen("org.base-permission", "read"), seen("org.owners", ["a"]), seen("access.individual-grants", []), seen("access.team-grants", []), hidden("org.outside-collaborators-with-write", "HTTP 403")];
    const claim = evaluateClaims(findings, DEFAULT_CONFIG).find((r) => r.claimId === "2.1.1")!;
    expect(claim.status).toBe("partial");
  });
});

describe("2.1.2 SSO", () => {
  it("is unknown, naming what would show it, when GitHub does not say SSO is required", () => {
    const reason = "SAML SSO is configured on the organisation, but GitHub's API does not say whether it is required";
    expect(check([hidden("org.sso-enforced", reason)], "2.1.2", "sso-enforced")).toMatchObject({ status: "unknown", reason: expect.stringContaining("does not say") });
  });
});

describe("2.1.3 deploy keys", () => {
  it("is a gap for a deploy key with write access, met once it is excepted", () => {
    const keys = seen("deploy-keys.write", ["release bot"]);
    expect(check([keys], "2.1.3", "deploy-keys-read-only")).toMatchObject({ status: "gap", reason: expect.stringContaining("release bot") });
    expect(check([keys], "2.1.3", "deploy-keys-read-only", config({ exceptions: { deployKeys: ["release bot"] } })).status).toBe("met");
    expect(check([seen("deploy-keys.write", [])], "2.1.3", "deploy-keys-read-only").status).toBe("met");
  });

  it("does not let an exception for one key's title cover a second write key given the same title", () => {
    const keys = seen("deploy-keys.write", ["release bot", "release bot"]);
    const c = check([keys], "2.1.3", "deploy-keys-read-only", config({ exceptions: { deployKeys: ["release bot"] } }));
    expect(c.status).toBe("gap");
    expect(c.reason).toContain("more than one write key is titled release bot");
  });
});

describe("2.1.4 credentials", () => {
  const on = [seen("secrets.scanning", true), seen("secrets.push-protection", true)];

  it("is met with scanning, push protection and no overdue alert", () => {
    expect(check([...on, seen("secrets.alerts", { open: 2, overdue: 0 })], "2.1.4", "secret-scanning").status).toBe("met");
    expect(check([...on, seen("secrets.alerts", { open: 2, overdue: 1 })], "2.1.4", "secret-scanning")).toMatchObject({ status: "partial", reason: expect.stringContaining("older than 7 days") });
  });

  it("judges scanning alone where the alerts permission is refused, but not on other failures", () => {
    const refused = hidden("secrets.alerts", "HTTP 403: Resource not accessible by integration (GET /repos/{owner}/{repo}/secret-scanning/alerts)");
    expect(check([...on, refused], "2.1.4", "secret-scanning")).toMatchObject({ status: "met", reason: expect.stringContaining("not visible to the app") });
    const failed = hidden("secrets.alerts", "HTTP 502: Bad Gateway (GET /repos/{owner}/{repo}/secret-scanning/alerts)");
    expect(check([...on, failed], "2.1.4", "secret-scanning").status).toBe("unknown");
  });

  it("never reads undisclosed settings as off or on", () => {
    const undisclosed = hidden("secrets.scanning", "GitHub did not disclose security_and_analysis");
    expect(check([undisclosed, seen("secrets.push-protection", true)], "2.1.4", "secret-scanning").status).toBe("unknown");
    const pushHidden = hidden("secrets.push-protection", "GitHub did not disclose security_and_analysis");
    expect(check([seen("secrets.scanning", true), pushHidden, seen("secrets.alerts", { open: 0, overdue: 0 })], "2.1.4", "secret-scanning").status).toBe("unknown");
  });

  it("is a gap with scanning off and partial without push protection", () => {
    expect(check([seen("secrets.scanning", false), seen("secrets.push-protection", false)], "2.1.4", "secret-scanning").status).toBe("gap");
    expect(check([seen("secrets.scanning", true), seen("secrets.push-protection", false)], "2.1.4", "secret-scanning").status).toBe("partial");
  });

  it("names environments without reviewers or branch policies", () => {
    const names = seen("environments.names", ["production", "staging"]);
    expect(check([names, seen("environments.unguarded", ["staging"])], "2.1.4", "environment-secrets-guarded")).toMatchObject({ status: "partial", reason: expect.stringContaining("staging") });
    expect(check([names, seen("environments.unguarded", ["production", "staging"])], "2.1.4", "environment-secrets-guarded").status).toBe("gap");
    expect(check([names, seen("environments.unguarded", [])], "2.1.4", "environment-secrets-guarded").status).toBe("met");
    expect(check([seen("environments.names", []), seen("environments.unguarded", [])], "2.1.4", "environment-secrets-guarded").status).toBe("not_applicable");
    expect(check([hidden("environments.names", "x"), hidden("environments.unguarded", "HTTP 403")], "2.1.4", "environment-secrets-guarded").status).toBe("unknown");
  });
});

describe("2.1.5 multi-factor", () => {
  it("is met only when 2FA is required and nobody lacks it", () => {
    const claim = (findings: Finding[]) => evaluateClaims(findings, DEFAULT_CONFIG).find((r) => r.claimId === "2.1.5")!;
    expect(claim([seen("org.2fa-required", true), seen("org.members-without-2fa", [])]).status).toBe("met");
    expect(claim([seen("org.2fa-required", false), seen("org.members-without-2fa", ["mona"])]).status).toBe("gap");
    const ownersOnly = hidden("org.members-without-2fa", "HTTP 422: GitHub lets only organisation owners list members without two-factor authentication");
    expect(claim([seen("org.2fa-required", true), ownersOnly]).status).toBe("partial");
    expect(check([hidden("org.2fa-required", "GitHub did not disclose two_factor_requirement_enabled")], "2.1.5", "org-2fa-required").status).toBe("unknown");
  });
});

describe("2.1.6 stale outside access", () => {
  it("names inactive outside collaborators, excepted or not", () => {
    const inactive = seen("org.outside-collaborators-inactive", ["contractor"]);
    expect(check([inactive], "2.1.6", "stale-outside-access")).toMatchObject({ status: "gap", reason: expect.stringContaining("contractor") });
    const excepted = check([inactive], "2.1.6", "stale-outside-access", config({ exceptions: { outsideCollaborators: ["contractor"] } }));
    expect(excepted).toMatchObject({ status: "gap", reason: expect.stringContaining("does not exempt") });
    expect(check([seen("org.outside-collaborators-inactive", [])], "2.1.6", "stale-outside-access").status).toBe("met");
    expect(check([hidden("org.outside-collaborators-inactive", "the activity of x could not be established")], "2.1.6", "stale-outside-access").status).toBe("unknown");
  });

  it("leaves the access review to its own evidence", () => {
    expect(check([], "2.1.6", "access-review-done").reason).toBe("not collected yet");
  });
});
