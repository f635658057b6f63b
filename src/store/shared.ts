import { z } from "zod";
import { findingSchema, type Finding } from "../core/findings.js";
import { statusSchema } from "../core/status.js";
import type { Assessment } from "../assessment/assess-repository.js";
import type { ConfigProblem } from "../config/repo-config.js";
import type { ClaimResult } from "../evaluation/types.js";
import type * as schema from "./schema.js";

/*
 * What both dialects' stores share: the rows they read and write are the same shape (schema.ts and
 * schema-pg.ts describe the same tables), validated the same way on the way in and out.
 */

/** Rows written between two turns of the event loop by the `…InSlices` writers: a few milliseconds of work. */
export const ROWS_PER_SLICE = 500;

const evidenceLinkSchema = z.object({ findingId: z.string(), url: z.string(), source: z.string() });
const checkResultSchema = z.object({
  claimId: z.string(),
  checkId: z.string(),
  status: statusSchema.exclude(["attested"]),
  reason: z.string(),
  supporting: z.boolean(),
  evidence: z.array(evidenceLinkSchema),
});
const claimResultSchema = z.object({
  claimId: z.string(),
  principle: z.string(),
  status: statusSchema,
  reason: z.string(),
  checks: z.array(checkResultSchema),
  attested: z.object({ url: z.string(), note: z.string().optional() }).optional(),
});
const requestCountsSchema = z.object({ rest: z.number().int(), graphql: z.number().int(), graphqlCost: z.number(), notModified: z.number().int().optional() });
const configProblemSchema = z.object({ path: z.string(), message: z.string() });

export type AssessmentRow = typeof schema.assessments.$inferSelect;

export type StoredAssessment = {
  id: number;
  installationId: number;
  repositoryFullName: string;
  trigger: string;
  headSha: string | null;
  finishedAt: string;
  inScope: boolean;
  findings: Finding[];
  results: ClaimResult[];
  configProblems: ConfigProblem[];
  requests: z.infer<typeof requestCountsSchema>;
  checkRunId: number | null;
  conclusion: string | null;
};

export type AssessmentRecord = {
  installationId: number;
  trigger: string;
  deliveryId?: string | undefined;
  headSha?: string | undefined;
  assessment: Assessment;
  configProblems: ConfigProblem[];
  checkRunId?: number | undefined;
  conclusion?: string | undefined;
};

/** A stored row, its JSON columns validated again on the way out. */
export function storedAssessment(row: AssessmentRow): StoredAssessment {
  return {
    id: row.id,
    installationId: row.installationId,
    repositoryFullName: row.repositoryFullName,
    trigger: row.trigger,
    headSha: row.headSha,
    finishedAt: row.finishedAt,
    inScope: row.inScope,
    findings: z.array(findingSchema).parse(JSON.parse(row.findings)) as Finding[],
    results: z.array(claimResultSchema).parse(JSON.parse(row.results)) as ClaimResult[],
    configProblems: z.array(configProblemSchema).parse(JSON.parse(row.configProblems)),
    requests: requestCountsSchema.parse(JSON.parse(row.requests)),
    checkRunId: row.checkRunId,
    conclusion: row.conclusion,
  };
}


/** The row an assessment is stored as, its JSON columns validated before they are written. */
export function assessmentRow(record: AssessmentRecord): Omit<typeof schema.assessments.$inferInsert, "id"> {
  const a = record.assessment;
  return {
    installationId: record.installationId,
    repositoryFullName: `${a.owner}/${a.name}`,
    repositoryId: a.repo?.id ?? null,
    trigger: record.trigger,
    deliveryId: record.deliveryId ?? null,
    headSha: record.headSha ?? null,
    startedAt: a.startedAt,
    finishedAt: a.finishedAt,
    inScope: a.scope.inScope,
    findings: JSON.stringify(z.array(findingSchema).parse(a.findings)),
    results: JSON.stringify(z.array(claimResultSchema).parse(a.results)),
    configProblems: JSON.stringify(z.array(configProblemSchema).parse(record.configProblems)),
    requests: JSON.stringify(requestCountsSchema.parse(a.requests)),
    checkRunId: record.checkRunId ?? null,
    conclusion: record.conclusion ?? null,
  };
}

/** A stored assessment's findings alone, validated as ever. */
export function findingsOf(row: { id: number; findings: string }): { id: number; findings: Finding[] } {
  return { id: row.id, findings: z.array(findingSchema).parse(JSON.parse(row.findings)) as Finding[] };
}

/**
 * What every store offers, whichever database it is on. Each method acts for one installation
 * and reads or writes only that installation's rows (deliveries belong to the app).
 */
export interface StoreContract {
  readonly dialect: "sqlite" | "postgres";
  close(): Promise<void>;
  healthy(): Promise<boolean>;
  upsertInstallation(id: number, accountLogin: string, accountType: string): Promise<void>;
  installationByLogin(login: string): Promise<{ id: number; accountLogin: string; removedAt: string | null } | undefined>;
  setInstallationEvents(id: number, events: string[]): Promise<void>;
  installationEvents(id: number): Promise<string[] | null>;
  auditLogSource(installationId: number): Promise<AuditLogSourceRow | undefined>;
  setAuditLogSource(installationId: number, value: { status: "available" | "unavailable"; reason?: string | null; cursor?: string | null; checkedAt: Date }): Promise<void>;
  activeInstallations(): Promise<{ id: number; accountLogin: string }[]>;
  ensureInstallation(id: number, accountLogin: string): Promise<void>;
  markInstallationRemoved(id: number, at?: Date): Promise<void>;
  addRepositories(installationId: number, repos: readonly { id: number; fullName: string }[]): Promise<void>;
  addRepositoriesInSlices(installationId: number, repos: readonly { id: number; fullName: string }[]): Promise<void>;
  removeRepositories(installationId: number, ids: number[], at?: Date): Promise<void>;
  recordAssessment(record: AssessmentRecord): Promise<number>;
  latestAssessmentIds(installationId: number): Promise<{ id: number; repositoryFullName: string }[]>;
  lastAssessedAt(installationId: number): Promise<Map<string, string>>;
  assessmentById(installationId: number, id: number): Promise<StoredAssessment | undefined>;
  assessmentsByIds(installationId: number, ids: readonly number[]): Promise<StoredAssessment[]>;
  findingsByIds(installationId: number, ids: readonly number[]): Promise<{ id: number; findings: Finding[] }[]>;
  assessments(installationId: number, repositoryFullName: string, limit?: number): Promise<StoredAssessment[]>;
  hasCheckRun(installationId: number, repositoryFullName: string, headSha: string): Promise<boolean>;
  /** Whether an assessment of the repository was stored for this delivery (a backfill's, whose repository job is tried again after its replica died). */
  hasAssessmentFromDelivery(installationId: number, repositoryFullName: string, deliveryId: string): Promise<boolean>;
  /**
   * The assessment stored for the check run a delivery asked for on a commit, and the check run
   * that shows it (null: stored, but not known to be published: its job was lost or failed between
   * storing it and GitHub's answer). A row with a check run comes first, then the newest.
   */
  checkRunAssessment(installationId: number, repositoryFullName: string, deliveryId: string, headSha: string): Promise<{ id: number; checkRunId: number | null } | undefined>;
  /** Links a stored assessment to the check run that shows it. */
  attachCheckRun(installationId: number, assessmentId: number, checkRunId: number): Promise<void>;
  repositoriesOf(installationId: number): Promise<string[]>;
  claimDelivery(deliveryId: string, event: string, installationId: number | null, at?: Date): Promise<boolean>;
  finishDelivery(deliveryId: string, outcome: { ok: true } | { ok: false; error: string }, at?: Date): Promise<void>;
  delivery(deliveryId: string): Promise<{ state: string; error: string | null; event: string } | undefined>;
  deliveryState(deliveryId: string): Promise<string | undefined>;
}

export type AuditLogSourceRow = typeof schema.auditLogSources.$inferSelect;

/** How a store is opened: `checkpoints` (SQLite only; PostgreSQL checkpoints on its server) for the app's process. */
export type OpenOptions = { checkpoints?: { inBackground: true; onError: (message: string) => void } };
