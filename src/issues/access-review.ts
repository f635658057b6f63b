import type { Finding, FindingId, FindingValue } from "../core/findings.js";
import { link } from "../render/markdown.js";
import { contentHash, ISSUE_LABEL, renderMarker } from "./marker.js";
import type { RenderedIssue } from "./gap-issue.js";
import type { RepositoryResults } from "./subjects.js";

export const ACCESS_REVIEW_LABEL = "access-review";

type Listed<T> = { items: T[] } | { missing: string };

/** Who can change the build environment, from the newest assessments: the list a reviewer confirms. */
export type AccessSnapshot = {
  org: string;
  takenAt: string;
  owners: Listed<string>;
  outsideCollaborators: Listed<{ login: string; repo: string; permission: string; inactive: boolean }>;
  individualGrants: Listed<{ repo: string; login: string; permission: string }>;
  adminTeams: Listed<{ repo: string; team: string; permission: string }>;
  deployKeys: Listed<{ repo: string; title: string }>;
};

function read<K extends FindingId>(findings: readonly Finding[], id: K): { value: FindingValue<K> } | { missing: string } {
  const f = findings.find((x) => x.id === id);
  if (!f) return { missing: `${id} was not collected` };
  if (f.value === null) return { missing: f.error ?? `${id} has no value` };
  return { value: f.value as FindingValue<K> };
}

function perRepository<K extends FindingId, T>(latest: readonly RepositoryResults[], id: K, map: (value: FindingValue<K>, repo: string) => T[]): Listed<T> {
  const items: T[] = [];
  const missing: string[] = [];
  for (const r of latest.filter((x) => x.inScope)) {
    const got = read(r.findings, id);
    if ("missing" in got) missing.push(`${r.fullName}: ${got.missing}`);
    else items.push(...map(got.value, r.fullName));
  }
  if (items.length === 0 && missing.length > 0) return { missing: missing.join("; ") };
  return { items };
}

const WRITE = new Set(["write", "maintain", "admin"]);

export function accessSnapshot(org: string, latest: readonly RepositoryResults[], takenAt: string): AccessSnapshot {
  const newest = [...latest].filter((r) => r.inScope).sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0];
  const orgFindings = newest?.findings.filter((f) => f.scope === "org") ?? [];
  const owners = read(orgFindings, "org.owners");
  const outside = read(orgFindings, "org.outside-collaborators-with-write");
  const inactive = read(orgFindings, "org.outside-collaborators-inactive");
  const inactiveSet = new Set("value" in inactive ? inactive.value : []);
  return {
    org,
    takenAt,
    owners: "value" in owners ? { items: [...owners.value].sort() } : owners,
    outsideCollaborators: "value" in outside ? { items: outside.value.map((o) => ({ ...o, inactive: inactiveSet.has(o.login) })) } : outside,
    individualGrants: perRepository(latest, "access.individual-grants", (v, repo) => v.filter((g) => WRITE.has(g.permission)).map((g) => ({ repo, login: g.login, permission: g.permission }))),
    adminTeams: perRepository(latest, "access.team-grants", (v, repo) => v.filter((g) => g.permission === "admin").map((g) => ({ repo, team: g.team, permission: g.permission }))),
    deployKeys: perRepository(latest, "deploy-keys.write", (v, repo) => v.map((title) => ({ repo, title }))),
  };
}

function section<T>(title: string, listed: Listed<T>, item: (t: T) => string): string[] {
  const lines = ["", `### ${title}`, ""];
  if ("missing" in listed) return [...lines, `_Not read: ${listed.missing}. Review this list on GitHub directly._`];
  if (listed.items.length === 0) return [...lines, "_None._"];
  return [...lines, ...listed.items.map((t) => `- [ ] ${item(t)}`)];
}

const repoLink = (repo: string) => link(repo, `https://github.com/${repo}/settings/access`);

/** The access review issue: every entry a task the reviewer ticks to confirm, or removes. */
export function renderAccessReview(snapshot: AccessSnapshot, options: { everyDays: number; graceDays: number; dueAt: string }): RenderedIssue {
  const content = [
    `Every ${options.everyDays} days claimcheck asks a person to review who can change the build environment of ${link(snapshot.org, `https://github.com/orgs/${snapshot.org}`)} (Code of Practice claim 2.1.6).`,
    "",
    `**Tick each entry that still has a legitimate need; remove the access of the others on GitHub and leave them unticked. Then close this issue as completed** by ${options.dueAt.slice(0, 10)} (${options.graceDays} days). Who closed it, when, and what stayed unticked are kept as the evidence for check \`access-review-done\`. Closing it as not planned does not count as a review.`,
    ...section("Organisation owners", snapshot.owners, (login) => `@${login} — owner`),
    ...section("Write or admin access granted to people individually", snapshot.individualGrants, (g) => `@${g.login} — ${g.permission} on ${repoLink(g.repo)}`),
    ...section("Teams with admin access", snapshot.adminTeams, (t) => `team \`${t.team}\` — admin on ${repoLink(t.repo)}`),
    ...section("Outside collaborators with write or admin", snapshot.outsideCollaborators, (o) => `@${o.login} — ${o.permission} on ${repoLink(o.repo)}${o.inactive ? " — **no activity in the evidence window**" : ""}`),
    ...section("Deploy keys with write access", snapshot.deployKeys, (k) => `deploy key “${k.title}” on ${link(k.repo, `https://github.com/${k.repo}/settings/keys`)}`),
    "",
    "---",
    "",
    `Snapshot of the evidence read up to ${snapshot.takenAt.slice(0, 16).replace("T", " ")} UTC. Access through teams other than admin teams is reviewed on each team's page; build systems outside GitHub need their own review.`,
  ].join("\n");
  const hash = contentHash(content);
  const body = `${content}\n\n${renderMarker({ kind: "access-review", claim: "2.1.6", scope: snapshot.takenAt.slice(0, 10), hash })}\n`;
  return { title: `Access review for the build environment — ${snapshot.takenAt.slice(0, 10)}`, body, hash, labels: [ISSUE_LABEL, ACCESS_REVIEW_LABEL, "principle:2.1"] };
}

/** The task-list entries left unticked in an access review body. */
export function untickedEntries(body: string | null | undefined): string[] {
  return (body ?? "").split(/\r?\n/).flatMap((line) => {
    const m = /^\s*[-*] \[ \] (.+)$/.exec(line);
    return m?.[1] ? [m[1].trim()] : [];
  });
}

/** Whether a new review is due: none yet, or the newest opened at least `everyDays` ago and closed. */
export function accessReviewDue(latest: { openedAt: string; closedAt: string | null } | undefined, everyDays: number, now: Date): boolean {
  if (!latest) return true;
  if (latest.closedAt === null) return false;
  return now.getTime() - Date.parse(latest.openedAt) >= everyDays * 86_400_000;
}
