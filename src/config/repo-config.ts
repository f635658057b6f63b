import { z } from "zod";
import { CLAIMS } from "../core/catalogue.js";

/*
 * `.github/claimcheck.yml`: a repository's own settings, or the organisation's defaults in its
 * `.github` repository. Unknown keys are errors, not silently ignored: a misspelt threshold
 * that quietly kept its default would make a report claim more than the user agreed to.
 */

const rate = z.number().min(0).max(1);
const positiveInt = z.number().int().positive();

export const thresholdsSchema = z.strictObject({
  requiredApprovals: positiveInt.default(1),
  reviewedMergeRate: rate.default(0.95),
  ciOnPrsRate: rate.default(0.9),
  redMergeMaxRate: rate.default(0.05),
  hoursToGreen: z.number().positive().default(24),
  defaultBranchGreenRate: rate.default(0.9),
  updatePrsGreenRate: rate.default(1),
  updatePrMedianDaysToMerge: z.number().positive().default(14),
  updatePrMaxOpenDays: positiveInt.default(30),
  vulnerabilityAlertMaxDays: positiveInt.default(30),
  secretAlertMaxDays: positiveInt.default(7),
  maxOwners: positiveInt.default(5),
  teamBasedAccessRate: rate.default(0.8),
  verifiedCommitRate: rate.default(0.95),
});

const outsideClaimIds = CLAIMS.filter((c) => c.coverage === "outside").map((c) => c.id);

const attestedEvidenceSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  note: z.string().max(2000).optional(),
});

const login = z.string().min(1).max(100);

export const repoConfigSchema = z.strictObject({
  mode: z.enum(["report", "enforce"]).default("report"),
  windowDays: positiveInt.max(365).default(90),
  exclude: z.array(z.string().min(1)).default([]),
  thresholds: thresholdsSchema.prefault({}),
  /** Logins whose pull requests are dependency updates (matched without a trailing "[bot]"). */
  updateBots: z.array(login).default(["renovate", "dependabot"]),
  audit: z.strictObject({ retentionDays: positiveInt.max(3650).default(400) }).prefault({}),
  /** Accepted exceptions that checks name instead of counting as gaps. */
  exceptions: z
    .strictObject({
      outsideCollaborators: z.array(login).default([]),
      deployKeys: z.array(z.string().min(1)).default([]),
      /** Days an issue closed as "not planned" stays an accepted exception before claimcheck asks again. */
      expireAfterDays: positiveInt.max(3650).default(180),
    })
    .prefault({}),
  /** Gap issues and the evidence summary issue. */
  issues: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Where organisation-level issues go (a repository name of the organisation); the org's `.github` when unset. */
      repository: z.string().regex(/^[A-Za-z0-9_.-]+$/, "a repository name of the organisation, without the owner").optional(),
      /** Every gap issue in the central repository, one per claim listing the affected repositories. */
      central: z.boolean().default(false),
      maxOpenPerRun: positiveInt.max(100).default(10),
    })
    .prefault({}),
  /** Plan issue writes and log them without writing anything to GitHub. */
  dryRun: z.boolean().default(false),
  accessReview: z
    .strictObject({
      everyDays: positiveInt.max(365).default(90),
      graceDays: positiveInt.max(365).default(14),
    })
    .prefault({}),
  /** Scheduled re-assessment: every repository is read again at least this often, events or not. */
  reassessment: z.strictObject({ everyHours: positiveInt.max(720).default(24) }).prefault({}),
  evidence: z
    .record(z.string(), attestedEvidenceSchema)
    .default({})
    .superRefine((evidence, ctx) => {
      for (const claimId of Object.keys(evidence)) {
        if (!outsideClaimIds.includes(claimId)) {
          ctx.addIssue({
            code: "custom",
            path: [claimId],
            message: `evidence can be supplied only for claims GitHub cannot show (${outsideClaimIds.join(", ")})`,
          });
        }
      }
    }),
});

export type RepoConfig = z.infer<typeof repoConfigSchema>;
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const DEFAULT_CONFIG: RepoConfig = repoConfigSchema.parse({});

export type ConfigProblem = { path: string; message: string };

/** `sharedReadAt`: when the oldest of the files not the repository's own was read, if kept from an earlier assessment. */
export type ConfigOutcome =
  | { ok: true; config: RepoConfig; files: string[]; sharedReadAt?: string }
  | { ok: false; config: RepoConfig; files: string[]; problems: ConfigProblem[]; sharedReadAt?: string };

function pathOf(segments: readonly PropertyKey[]): string {
  if (segments.length === 0) return "(top level)";
  // Claim ids contain dots, so such keys are quoted to keep the path unambiguous.
  return segments
    .map((s, i) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z_][\w-]*$/.test(String(s)) ? `${i ? "." : ""}${String(s)}` : `["${String(s)}"]`))
    .join("");
}

/**
 * Validates raw configuration. On any problem the defaults are used for the assessment and every
 * problem is returned by key path, so the check run can name exactly what to fix.
 */
export function parseRepoConfig(raw: unknown, files: string[] = []): ConfigOutcome {
  const input = raw ?? {};
  const parsed = repoConfigSchema.safeParse(input);
  if (parsed.success) return { ok: true, config: parsed.data, files };
  const problems: ConfigProblem[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({ path: pathOf([...issue.path, key]), message: "unknown key" });
      }
    } else {
      problems.push({ path: pathOf(issue.path), message: issue.message });
    }
  }
  return { ok: false, config: DEFAULT_CONFIG, files, problems };
}
