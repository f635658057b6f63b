import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/*
 * The scenario file: a synthetic organisation as a person would describe it. Dates are relative
 * ("days ago") so a scenario stays true whenever it is run; the model turns it into the concrete
 * objects GitHub would show.
 */

const checks = z.enum(["success", "failure", "pending", "none"]);

const pullRequest = z.object({
  author: z.string().default("alice"),
  state: z.enum(["merged", "open", "closed"]).default("merged"),
  /** When it was opened. */
  daysAgo: z.number().nonnegative().default(3),
  /** Merged or closed this many hours after it was opened. */
  hoursOpen: z.number().nonnegative().default(4),
  /** Accounts that approved the final commit. */
  approvals: z.array(z.string()).default([]),
  /** Accounts that approved an earlier commit only. */
  staleApprovals: z.array(z.string()).default([]),
  /** Further reviews after the approvals above, in submission order ("renovate[bot]" reviews as an app). */
  reviews: z
    .array(
      z.object({
        by: z.string(),
        state: z.enum(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]),
        /** The commit reviewed: the head that merged, or the pull request's first commit. */
        on: z.enum(["head", "first"]).default("head"),
        afterMerge: z.boolean().default(false),
      }),
    )
    .default([]),
  /** The branch it was opened against, when not the default branch. */
  base: z.string().optional(),
  /** How the head commit's checks ended. */
  checks: checks.default("success"),
  files: z.array(z.string()).default(["src/index.ts"]),
  title: z.string().optional(),
  /** Shorthand for this many such pull requests, one a day further back each. */
  count: z.number().int().positive().default(1),
});
export type PullRequestSpec = z.infer<typeof pullRequest>;

const protection = z.object({
  requiredApprovals: z.number().int().nonnegative().default(1),
  dismissStaleReviews: z.boolean().default(true),
  codeOwnerReviews: z.boolean().default(false),
  lastPushApproval: z.boolean().default(false),
  requiredChecks: z.array(z.string()).default([]),
  enforceAdmins: z.boolean().default(true),
  allowForcePushes: z.boolean().default(false),
  allowDeletions: z.boolean().default(false),
  requiredSignatures: z.boolean().default(false),
  /** Without a pull-request requirement at all (only other rules). */
  pullRequests: z.boolean().default(true),
});
export type ProtectionSpec = z.infer<typeof protection>;

const ruleset = z.object({
  id: z.number().int().positive().optional(),
  name: z.string(),
  enforcement: z.enum(["active", "evaluate", "disabled"]).default("active"),
  rules: z.array(z.object({ type: z.string(), parameters: z.record(z.string(), z.unknown()).optional() })),
  bypassActors: z.array(z.object({ actor_id: z.number().int().nullable(), actor_type: z.string(), bypass_mode: z.string().default("always") })).default([]),
});
export type RulesetSpec = z.infer<typeof ruleset>;

const repository = z.object({
  name: z.string(),
  defaultBranch: z.string().default("main"),
  visibility: z.enum(["public", "private", "internal"]).default("private"),
  archived: z.boolean().default(false),
  fork: z.boolean().default(false),
  protection: protection.nullable().default(null),
  rulesets: z.array(ruleset).default([]),
  /** Files on the default branch, by path. */
  files: z.record(z.string(), z.string()).default({}),
  /** GitHub's state of a workflow file, by path, when not `active` (e.g. `disabled_manually`). */
  workflowStates: z.record(z.string(), z.string()).default({}),
  pullRequests: z.array(pullRequest).default([]),
  /** Commits pushed straight to the default branch. */
  directPushes: z.array(z.object({ daysAgo: z.number().nonnegative(), checks: checks.default("success"), signed: z.boolean().default(false) })).default([]),
  /** How default-branch checks ended on merge commits, when not like their pull request's. */
  mainChecks: checks.optional(),
  workflowPermissions: z.object({ default_workflow_permissions: z.enum(["read", "write"]), can_approve_pull_request_reviews: z.boolean() }).default({ default_workflow_permissions: "read", can_approve_pull_request_reviews: false }),
  collaborators: z.array(z.object({ login: z.string(), permission: z.enum(["read", "triage", "write", "maintain", "admin"]) })).default([]),
  /** Dependabot alerts on, and the open ones. */
  vulnerabilityAlerts: z.boolean().default(true),
  dependabotAlerts: z.array(z.object({ severity: z.enum(["CRITICAL", "HIGH", "MODERATE", "LOW"]), daysAgo: z.number().nonnegative().default(1) })).default([]),
  secretScanning: z.boolean().default(false),
  deployKeys: z.array(z.object({ title: z.string(), readOnly: z.boolean().default(true) })).default([]),
});
export type RepositorySpec = z.infer<typeof repository>;

export const scenarioSchema = z.object({
  org: z.object({
    login: z.string(),
    id: z.number().int().positive().default(1000),
    /** Fields of GET /orgs/{org} beyond the identity (base permission, 2FA, ...). */
    settings: z.record(z.string(), z.unknown()).default({}),
    /** `twoFactor: false`: the member has not enabled two-factor authentication (GitHub's `filter=2fa_disabled` lists them). */
    members: z.array(z.object({ login: z.string(), role: z.enum(["admin", "member"]).default("member"), twoFactor: z.boolean().default(true) })).default([]),
    outsideCollaborators: z.array(z.string()).default([]),
    teams: z.array(z.object({ slug: z.string(), name: z.string().optional(), members: z.array(z.string()).default([]), repos: z.record(z.string(), z.string()).default({}) })).default([]),
    rulesets: z.array(ruleset).default([]),
    /** Whether the plan offers the audit-log API (Enterprise Cloud). */
    auditLog: z.boolean().default(false),
  }),
  installation: z
    .object({ id: z.number().int().positive().default(42), appId: z.number().int().positive().default(1), appSlug: z.string().default("claimcheck") })
    .default({ id: 42, appId: 1, appSlug: "claimcheck" }),
  repositories: z.array(repository),
});
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.infer<typeof scenarioSchema>;

export function parseScenario(input: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid scenario: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** A scenario from a .yml/.yaml/.json file. */
export function loadScenario(file: string): Scenario {
  const text = readFileSync(file, "utf8");
  return parseScenario(file.endsWith(".json") ? JSON.parse(text) : parseYaml(text));
}
