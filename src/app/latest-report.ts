import type { Assessment, RepoScope } from "../assessment/assess-repository.js";
import type { OrgAssessment } from "../assessment/org-assessment.js";
import type { RepoRef } from "../collectors/types.js";
import type { RepoConfig } from "../config/repo-config.js";
import { isUnreadable, type Finding } from "../core/findings.js";
import type { RequestCounts } from "../github/client.js";
import { acceptedExceptions } from "../issues/exceptions.js";
import { fromAcceptedException } from "../report/exceptions.js";
import { byRepositoryName, reportFinding, reportFromDigests, type Report, type ReportFinding } from "../report/model.js";
import { digestAssessment, Interner, type RepositoryDigest } from "../report/digest.js";
import { CLAIMS, type ClaimSpec } from "../core/catalogue.js";
import type { StoredAssessment, Store } from "../store/store.js";

/*
 * The latest report of one installation, from what the app has stored: the newest assessment of
 * each repository it covers. Every read is filtered by the installation id, so one
 * organisation's report is made only of that organisation's rows. The assessments are read a
 * page at a time and each is digested then dropped; the JSON report's findings are read again,
 * a page at a time, as it is written.
 */

function valueOf<T>(findings: readonly Finding[], id: Finding["id"]): T | undefined {
  const f = findings.find((x) => x.id === id);
  return f && !isUnreadable(f) ? (f.value as T) : undefined;
}

function repoRefOf(stored: StoredAssessment, owner: string, name: string): RepoRef | null {
  const archived = stored.findings.find((f) => f.id === "repo.archived");
  const defaultBranch = valueOf<string>(stored.findings, "repo.default-branch");
  if (!archived || isUnreadable(archived) || defaultBranch === undefined) return null;
  return {
    id: 0,
    owner,
    name,
    fullName: stored.repositoryFullName,
    defaultBranch,
    htmlUrl: archived.url,
    archived: archived.value === true,
    fork: valueOf<boolean>(stored.findings, "repo.fork") ?? false,
    visibility: valueOf<RepoRef["visibility"]>(stored.findings, "repo.visibility") ?? "private",
    securityAndAnalysis: null,
  };
}

function scopeOf(stored: StoredAssessment): RepoScope {
  if (stored.inScope) return { inScope: true };
  if (valueOf<boolean>(stored.findings, "repo.archived")) return { inScope: false, reason: "archived" };
  if (valueOf<boolean>(stored.findings, "repo.fork")) return { inScope: false, reason: "a fork" };
  return { inScope: false, reason: "excluded in configuration" };
}

/** A stored assessment as the assessment it was (the report and the CLI's copy to the app's database read it so). */
export function toAssessment(stored: StoredAssessment): Assessment {
  const [owner = "", name = stored.repositoryFullName] = stored.repositoryFullName.split("/");
  return {
    owner,
    name,
    repo: repoRefOf(stored, owner, name),
    scope: scopeOf(stored),
    findings: stored.findings,
    results: stored.results,
    requests: stored.requests,
    startedAt: stored.finishedAt,
    finishedAt: stored.finishedAt,
  };
}

/**
 * How many stored assessments are parsed at a time: a page is one query, and the only assessments
 * held. Small, so a page's parsed rows die young: 100 at a time pushed them into V8's old
 * generation and the process grew to 350 MB for a 2,000-repository report, 10 at a time to 215 MB
 * (and was faster).
 */
export const REPORT_PAGE = 10;

/** Gives the event loop a turn: webhooks keep being acknowledged while a large report is read. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Stored assessments by id, a page at a time, in the order of `ids`. */
export async function* storedPages(store: Store, installationId: number, ids: readonly number[], page = REPORT_PAGE): AsyncGenerator<StoredAssessment[]> {
  for (let at = 0; at < ids.length; at += page) {
    const slice = ids.slice(at, at + page);
    const byId = new Map((await store.assessmentsByIds(installationId, slice)).map((a) => [a.id, a]));
    yield slice.flatMap((id) => byId.get(id) ?? []);
  }
}

/**
 * The report's side of a set of stored assessments read a page at a time: each is digested
 * (src/report/digest.ts) and dropped, so what is held is the digests, never every finding. It
 * also keeps what the organisation run they add up to needs: the newest read, the newest
 * organisation findings, the requests.
 */
export class StoredDigests {
  readonly digests: RepositoryDigest[] = [];
  /** Each assessment's id and repository name, in the order read. */
  readonly read: { id: number; name: string }[] = [];
  readonly requests: RequestCounts = { rest: 0, graphql: 0, graphqlCost: 0 };
  private newest: string | null = null;
  private newestJudged: { finishedAt: string; orgFindings: Finding[] } | null = null;
  private newestOrgFindings: Finding[] = [];
  private readonly interner = new Interner();

  constructor(private readonly claims: readonly ClaimSpec[] = CLAIMS) {}

  add(stored: StoredAssessment): void {
    const assessment = toAssessment(stored);
    this.digests.push(digestAssessment(assessment, this.claims, this.interner));
    this.read.push({ id: stored.id, name: assessment.name });
    this.requests.rest += stored.requests.rest;
    this.requests.graphql += stored.requests.graphql;
    this.requests.graphqlCost += stored.requests.graphqlCost;
    // The first of the newest wins, as in a stable sort by time.
    if (this.newest === null || stored.finishedAt.localeCompare(this.newest) > 0) {
      this.newest = stored.finishedAt;
      this.newestOrgFindings = stored.findings.filter((f) => f.scope === "org");
    }
    if (stored.inScope && (this.newestJudged === null || stored.finishedAt.localeCompare(this.newestJudged.finishedAt) > 0)) {
      this.newestJudged = { finishedAt: stored.finishedAt, orgFindings: stored.findings.filter((f) => f.scope === "org") };
    }
  }

  /** The organisation run the stored assessments add up to (without its repositories), or null when none was read. */
  run(org: string, config: RepoConfig, now: Date): Omit<OrgAssessment, "repositories"> | null {
    if (this.newest === null) return null;
    const until = new Date(this.newest);
    return {
      org,
      generatedAt: now.toISOString(),
      window: { days: config.windowDays, since: new Date(until.getTime() - config.windowDays * 86_400_000).toISOString(), until: until.toISOString() },
      config,
      // Out-of-scope repositories are not judged, so they carry no organisation findings; the newest judged are the latest read.
      orgFindings: this.newestJudged?.orgFindings ?? this.newestOrgFindings,
      requests: { ...this.requests },
    };
  }

  /**
   * The repositories' findings for the JSON report, in report order, read again from the store a
   * page at a time when the report is written: never all held at once.
   */
  findings(store: Store, installationId: number): () => AsyncIterable<ReportFinding> {
    const ids = [...this.read].sort(byRepositoryName).map((r) => r.id);
    return async function* () {
      for (let at = 0; at < ids.length; at += REPORT_PAGE) {
        const slice = ids.slice(at, at + REPORT_PAGE);
        const byId = new Map((await store.findingsByIds(installationId, slice)).map((a) => [a.id, a.findings]));
        for (const id of slice) for (const f of byId.get(id) ?? []) if (f.scope === "repo") yield reportFinding(f);
      }
    };
  }
}

/** The latest report of an installation from its stored assessments, a page at a time; null when nothing is stored yet. */
export async function latestReport(store: Store, installationId: number, org: string, config: RepoConfig, now: Date): Promise<Report | null> {
  const digests = new StoredDigests();
  for await (const page of storedPages(store, installationId, (await store.latestAssessmentIds(installationId)).map((r) => r.id))) for (const stored of page) digests.add(stored);
  return reportOf(store, installationId, digests, org, config, now);
}

async function reportOf(store: Store, installationId: number, digests: StoredDigests, org: string, config: RepoConfig, now: Date): Promise<Report | null> {
  const run = digests.run(org, config, now);
  if (!run) return null;
  return reportFromDigests(run, digests.digests, { exceptions: (await acceptedExceptions(store, installationId, now)).map(fromAcceptedException), repositoryFindings: digests.findings(store, installationId) });
}

/**
 * `latestReport` for the HTTP route: a turn of the event loop between pages, so reading a large
 * organisation's report does not hold up webhook deliveries (GitHub gives each ten seconds).
 */
export async function latestReportYielding(store: Store, installationId: number, org: string, config: RepoConfig, now: Date, page = REPORT_PAGE): Promise<Report | null> {
  const digests = new StoredDigests();
  for await (const stored of storedPages(store, installationId, (await store.latestAssessmentIds(installationId)).map((r) => r.id), page)) {
    for (const a of stored) digests.add(a);
    await yieldToEventLoop();
  }
  return reportOf(store, installationId, digests, org, config, now);
}
