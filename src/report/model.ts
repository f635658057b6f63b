import type { OrgAssessment } from "../assessment/org-assessment.js";
import { CLAIMS, PRINCIPLES, type Coverage, type Scope } from "../core/catalogue.js";
import { FINDING_IDS, isUnreadable, type Finding, type FindingId } from "../core/findings.js";
import type { Status } from "../core/status.js";
import type { RequestCounts } from "../github/client.js";
import { LISTED } from "./facts.js";
import { whatWouldClose } from "../core/remediation.js";
import { crosswalkOf, type Crosswalk } from "./guidance.js";
import type { History } from "./history.js";
import { claimNarrative, claimSummary, type NarrativeContext } from "./narrative.js";
import { digestAssessment, findingMask, type RepositoryDigest, type RepositoryRow } from "./digest.js";
import { ClaimEvidence, OBSERVED, FIELDS, type EvidenceRef } from "./evidence.js";
import type { StatusList } from "./statuses.js";
import { rollUpClaims, type CheckRollUp, type ClaimRollUp, type RollUpOptions, type StatusCounts } from "./rollup.js";

/*
 * The self-assessment report as data: what both renderers (Markdown and JSON) show. Built from
 * one organisation-wide run, by pure functions.
 */

export const REPORT_SCHEMA_ID = "claimcheck/assessment@1";

/**
 * An exception the organisation accepted, with its reason. Configuration exceptions are read
 * here; others (such as gap issues closed as "not planned") are passed in by whoever holds them.
 */
export type ReportException = {
  claimId: string;
  checkId?: string | undefined;
  repo?: string | undefined;
  /** What is excepted: a login, a deploy key, a repository. */
  subject?: string | undefined;
  reason: string;
  url?: string | undefined;
  acceptedBy?: string | undefined;
  acceptedAt?: string | undefined;
  expiresAt?: string | undefined;
};

export type { EvidenceRef } from "./evidence.js";
export { ClaimEvidence } from "./evidence.js";
export { StatusList } from "./statuses.js";
export type Listed = { label: string; repo: string; findingId: FindingId; urls: string[] };
export type ToClose = { checkId: string; status: Status; action: string; repositories: string[] };
export type Unseen = { checkId: string; reason: string; repositories: string[] };

export type ClaimReport = {
  id: string;
  principle: string;
  text: string;
  status: Status;
  coverage: Coverage;
  scope: Scope;
  summary: string;
  narrative: string;
  counts: StatusCounts;
  checks: CheckRollUp[];
  /** Each repository's status of a repository claim, in report order (empty for an organisation claim). */
  repositories: StatusList;
  /**
   * The organisation's references the claim reads, then each repository's: made as they are
   * read, never held (src/report/evidence.ts). With `byRepository`, the i-th repository in scope
   * (report order, as in `repositories` of a repository claim) has `readInto(i, view)`.
   */
  evidence: ClaimEvidence;
  /** The earliest `observedAt` of `evidence` (null for none), worked out as it was gathered. */
  firstObserved: string | null;
  listed: Listed[];
  beyondGitHub: string | null;
  attested: { url: string; note?: string } | null;
  exceptions: ReportException[];
  toClose: ToClose[];
  unseen: Unseen[];
  crosswalk: Crosswalk;
};

export type ReportRepository = RepositoryRow;
export type ReportFinding = { id: string; scope: "repo" | "org"; repo: string | null; value: unknown; source: string; url: string; observedAt: string; error: string | null };

export type Report = {
  schema: typeof REPORT_SCHEMA_ID;
  org: string;
  generatedAt: string;
  window: { days: number; since: string; until: string };
  principles: { id: string; title: string }[];
  repositories: ReportRepository[];
  claims: ClaimReport[];
  /** The organisation's findings: the first of the JSON report's `findings`. */
  findings: ReportFinding[];
  /**
   * The repositories' findings, which follow them, repository by repository: read as the JSON
   * report is written, never held (asynchronously when they come from the store).
   */
  repositoryFindings: () => Iterable<ReportFinding> | AsyncIterable<ReportFinding>;
  requests: RequestCounts;
  /** How each claim moved over the stored assessments; null when the report was made without the store. */
  history: History | null;
};

export type ReportOptions = RollUpOptions & { exceptions?: readonly ReportException[]; history?: History };

function configExceptions(run: Pick<OrgAssessment, "config">): ReportException[] {
  const { outsideCollaborators, deployKeys } = run.config.exceptions;
  return [
    ...outsideCollaborators.map((login) => ({ claimId: "2.1.1", checkId: "outside-collaborators", subject: login, reason: "accepted in configuration (`exceptions.outsideCollaborators`)" })),
    ...deployKeys.map((key) => ({ claimId: "2.1.3", checkId: "deploy-keys-read-only", subject: key, reason: "accepted in configuration (`exceptions.deployKeys`)" })),
  ];
}

function refOf(f: Finding): EvidenceRef {
  return { findingId: f.id, repo: f.scope === "repo" ? (f.repo ?? null) : null, url: f.url, source: f.source, observedAt: f.observedAt, error: isUnreadable(f) ? (f.error ?? "not read") : null };
}

type Gathered = { evidence: ClaimEvidence; firstObserved: string | null };

/**
 * Every claim's evidence: the organisation's findings it reads, then each repository's references
 * it reads, in each repository's own finding order. One pass over the repositories counts each
 * claim's references and finds its earliest observation (each reference to the claims that read
 * its finding, rather than each claim scanning every repository's references); the references
 * themselves stay numbers in the digests until a renderer reads them.
 */
function evidenceOf(rollUps: readonly ClaimRollUp[], orgFindings: readonly Finding[], inScope: readonly RepositoryDigest[]): Gathered[] {
  const org = rollUps.map((r) => {
    const wanted = new Set<string>(r.findingIds);
    return orgFindings.filter((f) => wanted.has(f.id)).map(refOf);
  });
  const masks = rollUps.map((r) => findingMask(r.findingIds));
  const readers: number[][] = Array.from({ length: FINDING_IDS.length + 1 }, () => []);
  masks.forEach((mask, claimAt) => {
    for (let p = 0; p < mask.length; p += 1) if (mask[p] === 1) readers[p]!.push(claimAt);
  });
  const counts = org.map((refs) => refs.length);
  // The earliest observation by the number of its text: compared as text only when the number differs.
  const first = org.map((refs) => {
    let at: string | null = null;
    for (const e of refs) if (at === null || e.observedAt < at) at = e.observedAt;
    return at;
  });
  for (let at = 0; at < inScope.length; at += 1) {
    const { positions, columns, texts, count } = inScope[at]!.refs;
    for (let i = 0; i < count; i += 1) {
      const claimsReading = readers[positions[i]!]!;
      if (claimsReading.length === 0) continue;
      const observedAt = texts[columns[i * FIELDS + OBSERVED]!]!;
      for (let k = 0; k < claimsReading.length; k += 1) {
        const claimAt = claimsReading[k]!;
        counts[claimAt]! += 1;
        const earliest = first[claimAt]!;
        if (earliest === null || (earliest !== observedAt && observedAt < earliest)) first[claimAt] = observedAt;
      }
    }
  }
  // By repository when each repository's references are its own and no two repositories share a name.
  const byPosition = inScope.every((d) => d.ownRefs) && new Set(inScope.map((d) => d.name)).size === inScope.length;
  const refs = inScope.map((d) => d.refs);
  return rollUps.map((_, claimAt) => ({
    evidence: new ClaimEvidence(org[claimAt]!, refs, masks[claimAt]!, counts[claimAt]!, byPosition && org[claimAt]!.every((e) => e.repo === null)),
    firstObserved: first[claimAt]!,
  }));
}

function listedOf(rollUp: ClaimRollUp, inScope: readonly RepositoryDigest[]): Listed[] {
  const ids = rollUp.findingIds.filter((id) => LISTED[id] !== undefined);
  const listed: Listed[] = [];
  if (ids.length === 0) return listed;
  for (const d of inScope) {
    for (const id of ids) {
      const f = d.quoted.get(id);
      if (!f || isUnreadable(f) || f.value === null) continue;
      const spec = LISTED[id]!;
      const urls = spec.urls(f.value);
      if (urls.length > 0) listed.push({ label: spec.label, repo: d.name, findingId: id, urls });
    }
  }
  return listed;
}

/** The repositories of a check with either status, in report order: the walk ends at the last the counts say there are. */
function withStatus(check: CheckRollUp, a: Status, b: Status): string[] {
  const repos: string[] = [];
  let left = check.counts[a] + check.counts[b];
  const list = check.repositories;
  for (let i = 0; i < list.length && left > 0; i += 1) {
    const status = list.status(i);
    if (status === a || status === b) {
      repos.push(list.repo(i));
      left -= 1;
    }
  }
  return repos;
}

/** The shared remediation text, with a placeholder where it names one repository's settings. */
function toCloseOf(rollUp: ClaimRollUp, org: string): ToClose[] {
  return rollUp.checks
    .filter((c) => !c.supporting && (c.status === "gap" || c.status === "partial"))
    .map((c) => ({
      checkId: c.checkId,
      status: c.status,
      action: whatWouldClose(c.checkId, { org }),
      repositories: withStatus(c, "gap", "partial"),
    }));
}

function unseenOf(rollUp: ClaimRollUp): Unseen[] {
  return rollUp.checks.flatMap((c) => {
    if (c.level === "org") return c.status === "unknown" ? [{ checkId: c.checkId, reason: c.reason, repositories: [] }] : [];
    const byReason = new Map<string, string[]>();
    if (c.counts.unknown === 0) return [];
    const list = c.repositories;
    for (let i = 0; i < list.length; i += 1) {
      if (list.status(i) !== "unknown") continue;
      const repos = byReason.get(list.reason(i));
      if (repos) repos.push(list.repo(i));
      else byReason.set(list.reason(i), [list.repo(i)]);
    }
    return [...byReason].map(([reason, repositories]) => ({ checkId: c.checkId, reason, repositories }));
  });
}

/** A finding as the JSON report lists it. */
export function reportFinding(f: Finding): ReportFinding {
  return {
    id: f.id,
    scope: f.scope,
    repo: f.scope === "repo" ? (f.repo ?? null) : null,
    value: f.value,
    source: f.source,
    url: f.url,
    observedAt: f.observedAt,
    error: isUnreadable(f) ? (f.error ?? "not read") : null,
  };
}

/** The order of the report's repositories (and of their findings in the JSON report). */
export function byRepositoryName(a: { name: string }, b: { name: string }): number {
  return a.name.localeCompare(b.name);
}

/** A run's repository findings, repository by repository in report order. */
function* repositoryFindingsOf(run: OrgAssessment): Generator<ReportFinding> {
  for (const a of [...run.repositories].sort(byRepositoryName)) for (const f of a.findings) if (f.scope === "repo") yield reportFinding(f);
}

/** Pure: the report of one organisation-wide run held in memory. */
export function buildReport(run: OrgAssessment, options: ReportOptions = {}): Report {
  const claims = options.claims ?? CLAIMS;
  const digests = run.repositories.map((a) => digestAssessment(a, claims));
  return reportFromDigests(run, digests, { ...options, repositoryFindings: () => repositoryFindingsOf(run) });
}

export type DigestedReportOptions = ReportOptions & {
  /**
   * The repository findings of the JSON report, in report order, read when it is written (from
   * the store, a repository at a time); none when absent.
   */
  repositoryFindings?: () => Iterable<ReportFinding> | AsyncIterable<ReportFinding>;
};

/**
 * Pure: the report from the digests of a run's repositories (src/report/digest.ts), made against
 * the same claims, in any order. `run` gives everything else (its `repositories` are not read).
 */
export function reportFromDigests(run: Omit<OrgAssessment, "repositories">, digests: readonly RepositoryDigest[], options: DigestedReportOptions = {}): Report {
  const sorted = [...digests].sort(byRepositoryName);
  const inScope = sorted.filter((d) => d.row.inScope);
  const rollUps = rollUpClaims(run, inScope, options);
  const repositories = sorted.map((d) => d.row);
  const ctx: NarrativeContext = {
    org: run.org,
    windowDays: run.window.days,
    inScope,
    outOfScope: repositories.filter((r) => !r.inScope).map((r) => ({ name: r.name, reason: r.reason ?? "" })),
  };
  const exceptions = [...configExceptions(run), ...(options.exceptions ?? [])];
  const evidence = evidenceOf(rollUps, run.orgFindings, inScope);
  const claims = rollUps.map(
    (r, claimAt): ClaimReport => ({
      id: r.claim.id,
      principle: r.claim.principle,
      text: r.claim.text,
      status: r.status,
      coverage: r.claim.coverage,
      scope: r.claim.scope,
      summary: claimSummary(r, ctx),
      narrative: claimNarrative(r, ctx),
      counts: r.counts,
      checks: r.checks,
      repositories: r.repositories,
      evidence: evidence[claimAt]!.evidence,
      firstObserved: evidence[claimAt]!.firstObserved,
      listed: listedOf(r, inScope),
      beyondGitHub: r.claim.beyondGitHub ?? null,
      attested: r.attested,
      exceptions: exceptions.filter((e) => e.claimId === r.claim.id),
      toClose: toCloseOf(r, run.org),
      unseen: unseenOf(r),
      crosswalk: crosswalkOf(r.claim.id),
    }),
  );
  const principles = PRINCIPLES.filter((p) => claims.some((c) => c.principle === p.id)).map((p) => ({ id: p.id, title: p.title }));
  return {
    schema: REPORT_SCHEMA_ID,
    org: run.org,
    generatedAt: run.generatedAt,
    window: run.window,
    principles,
    repositories,
    claims,
    findings: run.orgFindings.map(reportFinding),
    repositoryFindings: options.repositoryFindings ?? (() => []),
    requests: run.requests,
    history: options.history ?? null,
  };
}

/** Whether any claim of the report is a gap (for `--fail-on gap`). */
export function hasGap(report: Report): boolean {
  return report.claims.some((c) => c.status === "gap");
}
