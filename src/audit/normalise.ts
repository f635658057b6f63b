/*
 * One normalised audit event per webhook that changes the build environment. Payloads are read
 * defensively: a field GitHub left out becomes null (or "unknown" for the target), never a crash,
 * so every delivery of a subscribed event is recorded.
 */

export type AuditEventInput = {
  kind: string;
  actor: string | null;
  target: string;
  repository: string | null;
  before: unknown;
  after: unknown;
  occurredAt: string;
};

type Payload = Record<string, unknown>;

function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const text = (value: unknown): string | null => (typeof value === "string" && value.length > 0 ? value : typeof value === "number" ? String(value) : null);

/** Files whose change alters how the software is built or who may change it. */
export function isBuildEnvironmentFile(path: string): boolean {
  return (
    path.startsWith(".github/workflows/") ||
    /^(\.github\/|docs\/)?CODEOWNERS$/.test(path) ||
    /^(\.github\/dependabot\.ya?ml|(\.github\/|\.gitlab\/)?renovate\.json5?|\.renovaterc(\.json5?)?)$/.test(path)
  );
}

/** The time an event happened, from the payload where it says, else when it was received. */
function occurredAt(payload: Payload, fallback: Date): string {
  for (const candidate of [
    at(payload, "head_commit", "timestamp"),
    at(payload, "rule", "updated_at"),
    at(payload, "repository_ruleset", "updated_at"),
  ]) {
    const t = text(candidate);
    if (t && !Number.isNaN(Date.parse(t))) return new Date(t).toISOString();
  }
  return fallback.toISOString();
}

function repositoryOf(payload: Payload): string | null {
  return text(at(payload, "repository", "full_name"));
}

type Extractor = (payload: Payload) => Omit<AuditEventInput, "kind" | "actor" | "occurredAt" | "repository"> | null;

const names = (list: unknown) => (Array.isArray(list) ? list.map((r) => text(at(r, "full_name")) ?? "unknown") : []);

const EXTRACTORS: Record<string, Extractor> = {
  branch_protection_rule: (p) => ({ target: `branch protection ${text(at(p, "rule", "name")) ?? "unknown"}`, before: at(p, "changes") ?? null, after: at(p, "rule") ?? null }),
  repository_ruleset: (p) => ({ target: `ruleset ${text(at(p, "repository_ruleset", "name")) ?? "unknown"}`, before: at(p, "changes") ?? null, after: at(p, "repository_ruleset") ?? null }),
  member: (p) => ({ target: `collaborator ${text(at(p, "member", "login")) ?? "unknown"}`, before: at(p, "changes") ?? null, after: { permission: at(p, "changes", "permission", "to") ?? null } }),
  membership: (p) => ({ target: `team ${text(at(p, "team", "name")) ?? "unknown"}: ${text(at(p, "member", "login")) ?? "unknown"}`, before: null, after: { scope: at(p, "scope") ?? null } }),
  organization: (p) => ({
    target: `organisation member ${text(at(p, "membership", "user", "login")) ?? text(at(p, "invitation", "login")) ?? "unknown"}`,
    before: at(p, "changes") ?? null,
    after: { role: at(p, "membership", "role") ?? null, state: at(p, "membership", "state") ?? null },
  }),
  team: (p) => ({ target: `team ${text(at(p, "team", "name")) ?? "unknown"}`, before: at(p, "changes") ?? null, after: { privacy: at(p, "team", "privacy") ?? null, permission: at(p, "team", "permission") ?? null } }),
  team_add: (p) => ({ target: `team ${text(at(p, "team", "name")) ?? "unknown"} given access`, before: null, after: { permission: at(p, "team", "permission") ?? null } }),
  repository: (p) => ({
    target: `repository ${text(at(p, "repository", "full_name")) ?? "unknown"}`,
    before: at(p, "changes") ?? null,
    after: { visibility: at(p, "repository", "visibility") ?? null, archived: at(p, "repository", "archived") ?? null, defaultBranch: at(p, "repository", "default_branch") ?? null },
  }),
  deploy_key: (p) => ({ target: `deploy key ${text(at(p, "key", "title")) ?? "unknown"}`, before: null, after: { readOnly: at(p, "key", "read_only") ?? null } }),
  public: (p) => ({ target: `repository ${text(at(p, "repository", "full_name")) ?? "unknown"}`, before: { visibility: "private" }, after: { visibility: "public" } }),
  installation: (p) => ({
    target: `claimcheck installation on ${text(at(p, "installation", "account", "login")) ?? "unknown"}`,
    before: null,
    after: { repositorySelection: at(p, "installation", "repository_selection") ?? null, repositories: names(at(p, "repositories")) },
  }),
  installation_repositories: (p) => ({
    target: `claimcheck coverage on ${text(at(p, "installation", "account", "login")) ?? "unknown"}`,
    before: null,
    after: { added: names(at(p, "repositories_added")), removed: names(at(p, "repositories_removed")) },
  }),
  push: (p) => {
    const branch = text(at(p, "repository", "default_branch"));
    if (!branch || at(p, "ref") !== `refs/heads/${branch}`) return null;
    const commits = Array.isArray(at(p, "commits")) ? (at(p, "commits") as unknown[]) : [];
    const touched = [...new Set(commits.flatMap((c) => ["added", "modified", "removed"].flatMap((k) => (Array.isArray(at(c, k)) ? (at(c, k) as unknown[]).filter((x): x is string => typeof x === "string") : []))))];
    const buildFiles = touched.filter(isBuildEnvironmentFile).sort();
    const forced = at(p, "forced") === true;
    if (!forced && buildFiles.length === 0) return null;
    return {
      target: forced ? `force push to ${branch}` : `build configuration on ${branch}`,
      before: { commit: text(at(p, "before")) },
      after: { commit: text(at(p, "after")), forced, files: buildFiles },
    };
  },
};

/** The webhook events the audit trail records (all their actions). */
export const AUDITED_EVENTS = Object.keys(EXTRACTORS);

/** A webhook as an audit event, or null when it changes nothing the trail records. */
export function normaliseWebhook(event: string, payload: Payload, receivedAt: Date): AuditEventInput | null {
  const extract = EXTRACTORS[event];
  if (!extract) return null;
  const body = extract(payload);
  if (!body) return null;
  const action = text(at(payload, "action"));
  return {
    kind: action ? `${event}.${action}` : event,
    actor: text(at(payload, "sender", "login")),
    repository: repositoryOf(payload),
    occurredAt: occurredAt(payload, receivedAt),
    ...body,
  };
}
