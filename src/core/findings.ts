import { z } from "zod";

/*
 * The finding catalogue: every fact claimcheck reads off GitHub, by stable id.
 * The ids and the shape of their values are a public interface of the JSON report,
 * so a value is validated against its schema before it is stored or judged.
 */

const strings = z.array(z.string());
const bool = z.boolean();
const count = z.number().int().nonnegative();
const permission = z.enum(["none", "read", "triage", "write", "maintain", "admin"]);

export const bypassActorSchema = z.object({
  ruleset: z.string(),
  actorType: z.string(),
  actorId: z.number().int().nullable(),
  bypassMode: z.string(),
});
export type BypassActor = z.infer<typeof bypassActorSchema>;

export const FINDINGS = {
  "repo.default-branch": { scope: "repo", value: z.string() },
  "repo.archived": { scope: "repo", value: bool },
  "repo.fork": { scope: "repo", value: bool },
  "repo.visibility": { scope: "repo", value: z.enum(["public", "private", "internal"]) },
  "branch-protection.pr-required": { scope: "repo", value: bool },
  "branch-protection.required-approvals": { scope: "repo", value: count },
  "branch-protection.dismiss-stale-reviews": { scope: "repo", value: bool },
  "branch-protection.code-owner-review": { scope: "repo", value: bool },
  "branch-protection.last-push-approval": { scope: "repo", value: bool },
  "branch-protection.required-checks": { scope: "repo", value: strings },
  "branch-protection.force-push-blocked": { scope: "repo", value: bool },
  "branch-protection.deletion-blocked": { scope: "repo", value: bool },
  "branch-protection.admins-enforced": { scope: "repo", value: bool },
  "branch-protection.signed-commits": { scope: "repo", value: bool },
  // Added by claimcheck beyond the minimum: who may skip the rules, and which rules apply from where.
  "branch-protection.bypass-actors": { scope: "repo", value: z.array(bypassActorSchema) },
  "branch-protection.sources": {
    scope: "repo",
    value: z.object({
      classic: bool,
      rulesets: z.array(z.object({ id: z.number().int(), name: z.string(), source: z.string(), enforcement: z.string() })),
    }),
  },
  "reviews.merged-prs": { scope: "repo", value: count },
  "reviews.independently-approved": { scope: "repo", value: count },
  "reviews.unreviewed": { scope: "repo", value: strings },
  "commits.direct-pushes": { scope: "repo", value: count },
  "commits.verified": { scope: "repo", value: z.object({ total: count, verified: count }) },
  "deps.manifests": {
    scope: "repo",
    value: z.array(
      z.object({
        ecosystem: z.string(),
        manifest: z.string(),
        lockfile: z.string().nullable(),
        // null: not known (lockfile truncated, binary, or outside the root and not read).
        integrity: bool.nullable(),
        // Added by claimcheck: where the manifest was seen, and why an answer is uncertain.
        seenIn: z.enum(["root", "dependency-graph"]),
        note: z.string().optional(),
      }),
    ),
  },
  "deps.ci-installs-locked": { scope: "repo", value: bool.nullable() },
  // Each dependency install found in a workflow that can run, with how it treats the lockfile.
  "deps.ci-installs": {
    scope: "repo",
    value: z.array(
      z.object({
        workflow: z.string(),
        command: z.string(),
        ecosystem: z.string(),
        kind: z.enum(["locked", "afresh", "unknown"]),
        reason: z.string().optional(),
        lockfiles: z.array(z.string()).optional(),
        withoutLockfile: z.enum(["afresh", "unknown"]).optional(),
        hashesIn: z.string().optional(),
      }),
    ),
  },
  "deps.new-dependency-prs": {
    scope: "repo",
    value: z.object({ merged: count, greenAndApproved: count, urls: strings }),
  },
  "deps.sbom-components": { scope: "repo", value: count.nullable() },
  "deps.update-tool": { scope: "repo", value: z.enum(["renovate", "dependabot", "both", "none"]) },
  "deps.update-prs": {
    scope: "repo",
    value: z.object({
      opened: count,
      merged: count,
      closedUnmerged: count,
      openOlderThanThreshold: count,
      medianHoursToMerge: z.number().nonnegative().nullable(),
    }),
  },
  "deps.vulnerability-alerts": {
    scope: "repo",
    value: z.object({
      enabled: bool,
      open: z.object({ critical: count, high: count, medium: count, low: count }),
      overdue: count,
      // Added by claimcheck: open alerts past the first page, whose severity and age were not read.
      unclassified: count.optional(),
    }),
  },
  "ci.workflows-on-pr": { scope: "repo", value: strings },
  /** Workflow files (`.github/workflows/*.yml|yaml`) on the default branch, whether or not they parsed. */
  "ci.workflow-files": { scope: "repo", value: strings },
  "ci.merged-with-checks": { scope: "repo", value: count },
  "ci.merged-green": { scope: "repo", value: count },
  "ci.merged-red-or-unchecked": { scope: "repo", value: strings },
  "ci.default-branch-success-rate": { scope: "repo", value: z.number().min(0).max(1).nullable() },
  "ci.default-branch-hours-to-green": { scope: "repo", value: z.number().nonnegative().nullable() },
  "ci.scheduled-workflows": { scope: "repo", value: strings },
  "actions.unpinned-uses": { scope: "repo", value: strings },
  "actions.default-token-permission": { scope: "repo", value: z.enum(["read", "write"]) },
  "actions.can-approve-prs": { scope: "repo", value: bool },
  "actions.dangerous-workflows": { scope: "repo", value: strings },
  "actions.workflows-without-permissions": { scope: "repo", value: strings },
  "codeowners.present": { scope: "repo", value: bool },
  "codeowners.covers-workflows": { scope: "repo", value: bool },
  "secrets.scanning": { scope: "repo", value: bool },
  "secrets.push-protection": { scope: "repo", value: bool },
  "org.2fa-required": { scope: "org", value: bool },
  "org.base-permission": { scope: "org", value: z.enum(["none", "read", "write", "admin"]) },
  "org.owners": { scope: "org", value: strings },
  "org.outside-collaborators-with-write": {
    scope: "org",
    value: z.array(z.object({ login: z.string(), repo: z.string(), permission })),
  },
  "org.members-without-2fa": { scope: "org", value: strings.nullable() },
  "access.individual-grants": {
    scope: "repo",
    value: z.array(z.object({ login: z.string(), permission })),
  },
  "access.last-review": {
    scope: "org",
    value: z.object({ closedAt: z.string(), closedBy: z.string(), issueUrl: z.string() }).nullable(),
  },
  "environments.unguarded": { scope: "repo", value: strings },
  // Added by claimcheck: every environment, so "none to guard" differs from "all guarded".
  "environments.names": { scope: "repo", value: strings },
  "deploy-keys.write": { scope: "repo", value: strings },
  // Added by claimcheck beyond the minimum, for the checks that need more than findings.md lists.
  "reviews.approved-on-final-commit": { scope: "repo", value: count },
  "reviews.bot-approved-only": { scope: "repo", value: strings },
  "reviews.approval-outdated": { scope: "repo", value: strings },
  "ci.test-workflows": { scope: "repo", value: strings },
  "ci.dependency-review-workflows": { scope: "repo", value: strings },
  "ci.invalid-workflows": { scope: "repo", value: z.array(z.object({ path: z.string(), error: z.string() })) },
  "ci.default-branch-runs": { scope: "repo", value: count },
  "deps.update-config": {
    scope: "repo",
    value: z.object({
      renovate: strings,
      dependabot: z
        .object({
          file: z.string(),
          /** Ecosystems with version updates (security-only entries are in `updates` only). */
          ecosystems: strings,
          updates: z.array(z.object({ ecosystem: z.string(), directories: strings, versionUpdates: bool, excludePaths: strings.optional() })).optional(),
        })
        .nullable(),
      automerge: bool,
      /** Renovate's `enabledManagers`; null when Renovate runs every manager (its default). */
      renovateManagers: strings.nullable().optional(),
      /** What the effective Renovate file (with the built-in presets it extends) switches off. */
      renovateRules: z
        .object({
          ignorePaths: strings,
          includePaths: strings.nullable(),
          disabledManagers: strings,
          disabledFiles: z.array(z.object({ managers: strings.nullable(), files: strings })),
        })
        .optional(),
      /** Files found but not usable: malformed, unreadable, or switched off. */
      problems: strings.optional(),
    }),
  },
  "deps.dependency-graph": {
    scope: "repo",
    value: z.object({ manifests: count, read: count, components: count, unparseable: strings }),
  },
  "deps.update-prs-by-bot": { scope: "repo", value: z.record(z.string(), count) },
  "deps.update-prs-merge-health": { scope: "repo", value: z.object({ merged: count, green: count, notGreen: strings }) },
  "codeowners.path": { scope: "repo", value: z.string().nullable() },
  "codeowners.errors": { scope: "repo", value: strings },
  "secrets.alerts": { scope: "repo", value: z.object({ open: count, overdue: count }) },
  "access.team-grants": { scope: "repo", value: z.array(z.object({ team: z.string(), permission })) },
  "org.sso-enforced": { scope: "org", value: bool },
  "org.outside-collaborators-inactive": { scope: "org", value: strings },
  "audit.events-in-window": { scope: "org", value: z.record(z.string(), count) },
  "audit.earliest-event": { scope: "org", value: z.string().nullable() },
  "audit.chain-verified": { scope: "org", value: bool },
  // Added by claimcheck: the trail's own properties, judged under 2.2.1, 2.2.3 and 2.2.4.
  "audit.chain-break": { scope: "org", value: z.string().nullable() },
  "audit.coverage": { scope: "org", value: z.object({ covered: strings, missing: strings }) },
  "audit.log-api": { scope: "org", value: z.object({ status: z.enum(["available", "unavailable", "not-checked"]), reason: z.string().nullable() }) },
  "audit.pruned": { scope: "org", value: bool },
  "audit.exportable": { scope: "org", value: z.object({ events: count, exported: count }) },
  "audit.access": { scope: "org", value: z.object({ httpRoutes: strings, adminProofRequired: bool }) },
  /** Windows in the evidence window when the app was down longer than GitHub keeps deliveries. */
  "audit.delivery-gaps": { scope: "org", value: z.array(z.object({ from: z.string(), until: z.string() })) },
} as const satisfies Record<string, { scope: "repo" | "org"; value: z.ZodType }>;

export type FindingId = keyof typeof FINDINGS;
export type FindingValue<K extends FindingId> = z.infer<(typeof FINDINGS)[K]["value"]>;
export const FINDING_IDS = Object.keys(FINDINGS) as FindingId[];

export function isFindingId(id: string): id is FindingId {
  return Object.hasOwn(FINDINGS, id);
}

/**
 * A fact read off GitHub, or the reason it could not be read (`value: null` with `error`).
 * Some findings have null as a real value (no CI runs to rate): those carry no error.
 */
export const findingSchema = z
  .object({
    id: z.string().refine(isFindingId, { message: "unknown finding id" }),
    scope: z.enum(["repo", "org"]),
    repo: z.string().optional(),
    value: z.unknown(),
    source: z.string(),
    url: z.string(),
    observedAt: z.string(),
    error: z.string().optional(),
  })
  .superRefine((finding, ctx) => {
    const id = finding.id as FindingId;
    const spec = FINDINGS[id];
    if (!spec) return;
    if (finding.scope !== spec.scope) {
      ctx.addIssue({ code: "custom", message: `${id} has scope ${spec.scope}`, path: ["scope"] });
    }
    if (finding.scope === "repo" && !finding.repo) {
      ctx.addIssue({ code: "custom", message: "a repository finding names its repository", path: ["repo"] });
    }
    // null is a value for some findings ("no runs"), and the mark of an unreadable one otherwise.
    if (finding.value === null && finding.error !== undefined) return;
    if (finding.value === null && !spec.value.safeParse(null).success) {
      ctx.addIssue({ code: "custom", message: "a finding without a value says why", path: ["error"] });
      return;
    }
    if (finding.error !== undefined) {
      ctx.addIssue({ code: "custom", message: "a finding with an error has no value", path: ["value"] });
      return;
    }
    const parsed = spec.value.safeParse(finding.value);
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", message: `value of ${id}: ${parsed.error.message}`, path: ["value"] });
    }
  });

export type Finding<K extends FindingId = FindingId> = {
  id: K;
  scope: "repo" | "org";
  repo?: string;
  value: FindingValue<K> | null;
  source: string;
  url: string;
  observedAt: string;
  error?: string;
};

/** A finding that could not be read (as opposed to one whose value is a real null). */
export function isUnreadable(finding: Pick<Finding, "value" | "error">): boolean {
  return finding.value === null && finding.error !== undefined;
}

export type Where = { source: string; url: string; observedAt: string; repo?: string };

/** Builds a finding whose value is checked against the catalogue at the moment it is made. */
export function observed<K extends FindingId>(id: K, value: FindingValue<K>, where: Where): Finding<K> {
  const spec = FINDINGS[id];
  const parsed = spec.value.safeParse(value);
  if (!parsed.success) {
    throw new Error(`finding ${id} has a value of the wrong shape: ${parsed.error.message}`);
  }
  return { id, scope: spec.scope, ...(where.repo ? { repo: where.repo } : {}), value, source: where.source, url: where.url, observedAt: where.observedAt };
}

/** A finding that could not be read, with the reason a person can act on. */
export function unreadable<K extends FindingId>(id: K, error: string, where: Where): Finding<K> {
  const spec = FINDINGS[id];
  return { id, scope: spec.scope, ...(where.repo ? { repo: where.repo } : {}), value: null, source: where.source, url: where.url, observedAt: where.observedAt, error };
}
