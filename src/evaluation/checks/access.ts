import type { CheckJudge, Verdict } from "../types.js";
import { listSome, rateVerdict } from "./rates.js";

/*
 * Principle 2.1: who may reach the build environment, with what credentials. Organisation findings
 * are read once per run; repository findings per repository. Exceptions in configuration are named
 * in the reason, never silently dropped.
 */

const WRITE = new Set(["write", "maintain", "admin"]);
const lower = (items: readonly string[]) => new Set(items.map((i) => i.toLowerCase()));

export const basePermission: CheckJudge = {
  claimId: "2.1.1",
  checkId: "base-permission",
  needs: ["org.base-permission"],
  judge(view) {
    const base = view.value("org.base-permission");
    if (base === "none" || base === "read") return { status: "met", reason: `organisation members get \`${base}\` on every repository by default; more must be granted` };
    return { status: "gap", reason: `every organisation member gets \`${base}\` on every repository by default (Settings → Member privileges → Base permissions)` };
  },
};

export const ownersFew: CheckJudge = {
  claimId: "2.1.1",
  checkId: "owners-few",
  needs: ["org.owners"],
  judge(view, thresholds) {
    const owners = view.value("org.owners");
    const max = thresholds.maxOwners;
    // Every organisation has an owner: an empty list means GitHub did not show them.
    if (owners.length === 0) return { status: "unknown", reason: "GitHub listed no organisation owner, which cannot be the whole picture" };
    const named = `${owners.length} owner${owners.length === 1 ? "" : "s"}: ${listSome(owners, 10)}`;
    if (owners.length <= max) return { status: "met", reason: `${named} (at most ${max} configured)` };
    return { status: "gap", reason: `${named}, more than the ${max} configured (\`thresholds.maxOwners\`)` };
  },
};

export const teamBasedAccess: CheckJudge = {
  claimId: "2.1.1",
  checkId: "team-based-access",
  needs: ["access.individual-grants"],
  uses: ["access.team-grants", "org.base-permission"],
  judge(view, thresholds) {
    const individual = view.value("access.individual-grants").filter((g) => WRITE.has(g.permission));
    const base = view.maybe("org.base-permission");
    // A base permission of write or admin hands every member write access to this repository, outside any team.
    const grants = base.value === "write" || base.value === "admin" ? [...individual.map((g) => `${g.login} (${g.permission})`), `every organisation member (base permission \`${base.value}\`)`] : individual.map((g) => `${g.login} (${g.permission})`);
    const teams = view.maybe("access.team-grants");
    const teamWrite = teams.value?.filter((g) => WRITE.has(g.permission)) ?? [];
    const teamNote = teamWrite.length > 0 ? `; through teams: ${listSome(teamWrite.map((t) => `${t.team} (${t.permission})`))}` : "";
    if (grants.length === 0) {
      if (base.value === null) return { status: "unknown", reason: `no person is granted write or admin access directly, but whether every member gets it through the organisation's base permission could not be read: ${base.reason}${teamNote}` };
      return { status: "met", reason: `no person is granted write or admin access to this repository directly, and the base permission is \`${base.value}\`${teamNote}` };
    }
    const people = listSome(grants);
    if (teams.value === null) return { status: "unknown", reason: `granted outside teams: ${people}; the teams with access could not be read: ${teams.reason}` };
    return rateVerdict(teamWrite.length, teamWrite.length + grants.length, thresholds.teamBasedAccessRate, (rate) => `${rate} of write/admin grants go to teams; granted outside teams: ${people}${teamNote}`);
  },
};

export const outsideCollaborators: CheckJudge = {
  claimId: "2.1.1",
  checkId: "outside-collaborators",
  needs: ["org.outside-collaborators-with-write"],
  judge(view, _thresholds, config) {
    const grants = view.value("org.outside-collaborators-with-write");
    const allowed = lower(config.exceptions.outsideCollaborators);
    const excepted = grants.filter((g) => allowed.has(g.login.toLowerCase()));
    const breaches = grants.filter((g) => !allowed.has(g.login.toLowerCase()));
    const exceptedNote = excepted.length > 0 ? `; excepted in configuration: ${listSome(excepted.map((g) => `${g.login} on ${g.repo} (${g.permission})`))}` : "";
    if (breaches.length === 0) return { status: "met", reason: `no outside collaborator holds write or admin access${excepted.length > 0 ? " other than those excepted" : ""}${exceptedNote}` };
    return {
      status: "gap",
      reason: `outside collaborators with write or admin access: ${listSome(breaches.map((g) => `${g.login} on ${g.repo} (${g.permission})`))} (add accepted ones to \`exceptions.outsideCollaborators\`)${exceptedNote}`,
    };
  },
};

export const ssoEnforced: CheckJudge = {
  claimId: "2.1.2",
  checkId: "sso-enforced",
  needs: ["org.sso-enforced"],
  judge(view) {
    return view.value("org.sso-enforced")
      ? { status: "met", reason: "SAML single sign-on is required for the organisation" }
      : { status: "gap", reason: "SAML single sign-on is not required for the organisation" };
  },
};

export const deployKeysReadOnly: CheckJudge = {
  claimId: "2.1.3",
  checkId: "deploy-keys-read-only",
  needs: ["deploy-keys.write"],
  judge(view, _thresholds, config) {
    const write = view.value("deploy-keys.write");
    const allowed = new Set(config.exceptions.deployKeys);
    // An exception names one key by its title; a second write key given the same title is not the key that was accepted.
    const repeated = new Set(write.filter((t, i) => write.indexOf(t) !== i));
    const excepted = write.filter((t) => allowed.has(t) && !repeated.has(t));
    const breaches = write.filter((t) => !allowed.has(t) || repeated.has(t));
    const exceptedNote = excepted.length > 0 ? `; excepted in configuration: ${listSome(excepted)}` : "";
    const repeatedNote = [...repeated].some((t) => allowed.has(t)) ? ` (more than one write key is titled ${listSome([...repeated].filter((t) => allowed.has(t)))}: an exception accepts one key, not every key given its title)` : "";
    if (breaches.length === 0) return { status: "met", reason: `no deploy key can push${excepted.length > 0 ? " other than those excepted" : ""}${exceptedNote}` };
    return { status: "gap", reason: `deploy keys with write access: ${listSome([...new Set(breaches)])}${repeatedNote} (make them read-only, or add accepted ones to \`exceptions.deployKeys\`)${exceptedNote}` };
  },
};

/** A refused alerts read (403/404) is the permission the catalogue makes the alert part depend on; any other failure is not. */
const refused = (reason: string) => /HTTP 40[34]\b/.test(reason);

export const secretScanning: CheckJudge = {
  claimId: "2.1.4",
  checkId: "secret-scanning",
  needs: ["secrets.scanning"],
  uses: ["secrets.push-protection", "secrets.alerts"],
  judge(view, thresholds): Verdict {
    if (!view.value("secrets.scanning")) return { status: "gap", reason: "secret scanning is off (Settings → Code security)" };
    const push = view.maybe("secrets.push-protection");
    if (push.value === null) return { status: "unknown", reason: `secret scanning is on; push protection could not be read: ${push.reason}` };
    if (!push.value) return { status: "partial", reason: "secret scanning is on, but push protection is off: a secret is found only after it was pushed" };
    const alerts = view.maybe("secrets.alerts");
    const days = thresholds.secretAlertMaxDays;
    if (alerts.value === null) {
      if (refused(alerts.reason)) return { status: "met", reason: `secret scanning and push protection are on; open alerts are not visible to the app (${alerts.reason})` };
      return { status: "unknown", reason: `secret scanning and push protection are on; open alerts could not be read: ${alerts.reason}` };
    }
    const { open, overdue } = alerts.value;
    if (overdue > 0) return { status: "partial", reason: `secret scanning and push protection are on, but ${overdue} open alert${overdue === 1 ? " is" : "s are"} older than ${days} days (\`thresholds.secretAlertMaxDays\`)` };
    return { status: "met", reason: `secret scanning and push protection are on; ${open === 0 ? "no open alert" : `${open} open alert${open === 1 ? "" : "s"}, none older than ${days} days`}` };
  },
};

export const environmentSecretsGuarded: CheckJudge = {
  claimId: "2.1.4",
  checkId: "environment-secrets-guarded",
  needs: ["environments.unguarded"],
  uses: ["environments.names"],
  judge(view) {
    const unguarded = view.value("environments.unguarded");
    const names = view.maybe("environments.names").value;
    if (unguarded.length > 0) {
      const all = names !== null && names.length === unguarded.length;
      return { status: all ? "gap" : "partial", reason: `deployment environments without required reviewers or a deployment branch policy: ${listSome(unguarded)}` };
    }
    if (names !== null && names.length === 0) return { status: "not_applicable", reason: "the repository has no deployment environment" };
    return { status: "met", reason: `every deployment environment requires reviewers or a deployment branch policy${names ? `: ${listSome(names)}` : ""}` };
  },
};

export const org2faRequired: CheckJudge = {
  claimId: "2.1.5",
  checkId: "org-2fa-required",
  needs: ["org.2fa-required"],
  judge(view) {
    return view.value("org.2fa-required")
      ? { status: "met", reason: "the organisation requires two-factor authentication of every member and outside collaborator" }
      : { status: "gap", reason: "the organisation does not require two-factor authentication (Settings → Authentication security)" };
  },
};

export const membersWithout2fa: CheckJudge = {
  claimId: "2.1.5",
  checkId: "members-without-2fa",
  needs: ["org.members-without-2fa"],
  judge(view) {
    const without = view.value("org.members-without-2fa");
    if (without === null) return { status: "unknown", reason: "GitHub did not show which members lack two-factor authentication" };
    if (without.length === 0) return { status: "met", reason: "every organisation member has two-factor authentication enabled" };
    return { status: "gap", reason: `members without two-factor authentication: ${listSome(without, 10)}` };
  },
};

export const staleOutsideAccess: CheckJudge = {
  claimId: "2.1.6",
  checkId: "stale-outside-access",
  needs: ["org.outside-collaborators-inactive"],
  judge(view, _thresholds, config) {
    const inactive = view.value("org.outside-collaborators-inactive");
    if (inactive.length === 0) return { status: "met", reason: "every outside collaborator contributed to the organisation in the window (or there is none)" };
    const excepted = lower(config.exceptions.outsideCollaborators);
    const note = inactive.some((l) => excepted.has(l.toLowerCase())) ? " (an exception for write access does not exempt a collaborator from review)" : "";
    return { status: "gap", reason: `outside collaborators with no contribution in the window: ${listSome(inactive, 10)}; review whether they still need access${note}` };
  },
};

export const accessJudges = [
  basePermission,
  ownersFew,
  teamBasedAccess,
  outsideCollaborators,
  ssoEnforced,
  deployKeysReadOnly,
  secretScanning,
  environmentSecretsGuarded,
  org2faRequired,
  membersWithout2fa,
  staleOutsideAccess,
];
