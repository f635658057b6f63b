import type { Assessment, RepoScope } from "../assessment/assess-repository.js";
import type { OrgAssessment } from "../assessment/org-assessment.js";
import type { RepoRef } from "../collectors/types.js";
import type { RepoConfig } from "../config/repo-config.js";
import { isUnreadable, type Finding } from "../core/findings.js";
import type { RequestCounts } from "../github/client.js";
import { acceptedExceptions } from "../issues/exceptions.js";
import { fromAcceptedException } from "../report/exceptions.js";
import { buildReport, type Report } from "../report/model.js";
import type { StoredAssessment, Store } from "../store/store.js";

/*
 * The latest report of one installation, from what the app has stored: the newest assessment of
 * each repository it covers. Every read is filtered by the installation id, so one
 * organisation's report is made only of that organisation's rows.
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

/** Stored assessments read back by id (those one run recorded), as the report builds from them. */
export function assessmentsByIds(store: Store, installationId: number, ids: readonly number[]): Assessment[] {
  return ids.flatMap((id) => {
    const stored = store.assessmentById(installationId, id);
    return stored ? [toAssessment(stored)] : [];
  });
}

function toAssessment(stored: StoredAssessment): Assessment {
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

/** The organisation run the stored assessments add up to, or null when nothing is stored yet. */
export function storedOrgAssessment(store: Store, installationId: number, org: string, config: RepoConfig, now: Date): OrgAssessment | null {
  // Every repository with a stored assessment, however it was assessed, not only those listed at install.
  const latest = store.latestAssessmentIds(installationId).flatMap(({ id }) => store.assessmentById(installationId, id) ?? []);
  return orgAssessmentOf(latest, org, config, now);
}

function orgAssessmentOf(latest: StoredAssessment[], org: string, config: RepoConfig, now: Date): OrgAssessment | null {
  if (latest.length === 0) return null;
  const byTime = [...latest].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
  const newest = byTime[0]!;
  // Out-of-scope repositories are not judged, so they carry no organisation findings.
  const newestJudged = byTime.find((a) => a.inScope) ?? newest;
  const requests: RequestCounts = { rest: 0, graphql: 0, graphqlCost: 0 };
  for (const a of latest) {
    requests.rest += a.requests.rest;
    requests.graphql += a.requests.graphql;
    requests.graphqlCost += a.requests.graphqlCost;
  }
  const until = new Date(newest.finishedAt);
  return {
    org,
    generatedAt: now.toISOString(),
    window: { days: config.windowDays, since: new Date(until.getTime() - config.windowDays * 86_400_000).toISOString(), until: until.toISOString() },
    config,
    repositories: latest.map(toAssessment),
    // Organisation findings travel with every repository assessment; the newest are the latest read.
    orgFindings: newestJudged.findings.filter((f) => f.scope === "org"),
    requests,
  };
}

export function latestReport(store: Store, installationId: number, org: string, config: RepoConfig, now: Date): Report | null {
  const run = storedOrgAssessment(store, installationId, org, config, now);
  if (!run) return null;
  return buildReport(run, { exceptions: acceptedExceptions(store, installationId, now).map(fromAcceptedException) });
}

/** Gives the event loop a turn: webhooks keep being acknowledged while a large report is read. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * `latestReport` for the HTTP route: the stored assessments are read and parsed a slice at a
 * time with a turn of the event loop between slices, so reading a large organisation's report
 * does not hold up webhook deliveries (GitHub gives each ten seconds).
 */
export async function latestReportYielding(store: Store, installationId: number, org: string, config: RepoConfig, now: Date, slice = 100): Promise<Report | null> {
  const ids = store.latestAssessmentIds(installationId);
  const latest: StoredAssessment[] = [];
  for (let i = 0; i < ids.length; i += 1) {
    const stored = store.assessmentById(installationId, ids[i]!.id);
    if (stored) latest.push(stored);
    if ((i + 1) % slice === 0) await yieldToEventLoop();
  }
  const run = orgAssessmentOf(latest, org, config, now);
  if (!run) return null;
  await yieldToEventLoop();
  return buildReport(run, { exceptions: acceptedExceptions(store, installationId, now).map(fromAcceptedException) });
}
