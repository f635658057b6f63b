import type { Logger } from "pino";
import { z } from "zod";
import { loadRepoConfig, type ConfigReader } from "../config/load-repo-config.js";
import type { RepoConfig } from "../config/repo-config.js";
import { GitHubClient, type OctokitLike } from "../github/client.js";
import { untickedEntries } from "../issues/access-review.js";
import { parseMarker } from "../issues/marker.js";
import { SummaryFacts, type RepositoryResults, type ResultsSource } from "../issues/subjects.js";
import type { IssuePublisher, IssueRun } from "../publish/issues.js";
import {
  accessReviewByNumber,
  endException,
  issueByNumber,
  forEachLatestAssessment,
  issueRows,
  latestAssessmentHeads,
  loadLatestAssessments,
  recordAccessReviewClosed,
  recordException,
  updateIssue,
  type LatestHead,
} from "../store/issue-records.js";
import type { Store, StoredAssessment } from "../store/store.js";

/*
 * People's decisions on claimcheck's issues, from `issues` webhooks: closed as not planned is an
 * accepted exception (who, when, the closing comment); closed as completed asks for fresh evidence
 * (reopened once if the gap remains); reopened ends an exception; an edit that removed the hidden
 * marker gets it written back. claimcheck's own writes come back as events from a bot and are ignored.
 */

const login = z.string().min(1);
export const issueEventPayload = z.looseObject({
  action: z.string(),
  installation: z.looseObject({ id: z.number().int().positive() }),
  repository: z.looseObject({ name: z.string().min(1), full_name: z.string().min(1), owner: z.looseObject({ login }) }),
  issue: z.looseObject({
    number: z.number().int().positive(),
    html_url: z.string(),
    state: z.string().optional(),
    state_reason: z.string().nullable().optional(),
    body: z.string().nullable().optional(),
    closed_at: z.string().nullable().optional(),
  }),
  sender: z.looseObject({ login, type: z.string() }),
});
export type IssueEventPayload = z.infer<typeof issueEventPayload>;

export type IssueEventOutcome = {
  /** What the event did, for the log and tests. */
  did: "ignored" | "exception-recorded" | "closed-by-person" | "reopened" | "exception-ended" | "marker-restore" | "access-review-closed" | "access-review-reopened";
  /**
   * A repository to assess again, so a person's "completed" is checked against fresh evidence:
   * the installation's teams' map is read afresh for it too (team grants come from there).
   */
  reassess?: string;
  /** The issue concerned organisation evidence: read it afresh rather than from the run's cache. */
  orgEvidence?: boolean;
};

export type IssueEventDeps = { store: Store; log: Logger; now: () => Date };

const commentsSchema = z.array(z.looseObject({ body: z.string().nullable().optional(), created_at: z.string(), user: z.looseObject({ login: z.string() }).nullable() }));

/** The comment a person left when closing (GitHub posts it just before the close), if any. */
async function closingComment(client: GitHubClient, payload: IssueEventPayload, closedAt: Date): Promise<string | null> {
  const since = new Date(closedAt.getTime() - 10 * 60_000).toISOString();
  const { data } = await client.rest(
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    { owner: payload.repository.owner.login, repo: payload.repository.name, issue_number: payload.issue.number, since, per_page: 100 },
    commentsSchema,
  );
  const byCloser = (data ?? []).filter((c) => c.user?.login === payload.sender.login && Date.parse(c.created_at) <= closedAt.getTime() + 60_000 && c.body);
  return byCloser.at(-1)?.body?.trim() || null;
}

async function configOf(octokit: OctokitLike & ConfigReader, payload: IssueEventPayload): Promise<RepoConfig> {
  return (await loadRepoConfig(new GitHubClient(octokit), payload.repository.owner.login, payload.repository.name)).config;
}

/** The repository to assess again for an issue's scope: the repository itself, else the newest assessed one. */
async function repositoryFor(store: Store, installationId: number, scope: string): Promise<string | undefined> {
  if (scope.includes("/")) return scope;
  // Only the small columns: parsing every repository's stored findings to pick one held the event loop for seconds at 10,000.
  return (await latestAssessmentHeads(store, installationId))
    .filter((a) => a.inScope)
    .sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0]?.repositoryFullName;
}

const currentIssue = z.looseObject({ state: z.string(), closed_at: z.string().nullable() });

/**
 * Whether the issue on GitHub is still as the event left it: closed at the event's time for a
 * close, open for a reopen. An event's job tried again (its first attempt failed, or its replica
 * was lost) can come after a later event on the same issue was handled; applying it then would undo
 * the person's later decision, so a retry first asks GitHub. Edits are written back whatever came later.
 */
export async function stillAsTheEventLeftIt(octokit: OctokitLike, payload: IssueEventPayload): Promise<boolean> {
  if (payload.action !== "closed" && payload.action !== "reopened") return true;
  const { data } = await new GitHubClient(octokit).rest(
    "GET /repos/{owner}/{repo}/issues/{issue_number}",
    { owner: payload.repository.owner.login, repo: payload.repository.name, issue_number: payload.issue.number },
    currentIssue,
  );
  if (!data) return false;
  if (payload.action === "reopened") return data.state === "open";
  return data.state === "closed" && data.closed_at !== null && payload.issue.closed_at != null && Date.parse(data.closed_at) === Date.parse(payload.issue.closed_at);
}

export async function onIssueEvent(deps: IssueEventDeps, payload: IssueEventPayload, octokit: OctokitLike & ConfigReader): Promise<IssueEventOutcome> {
  const installationId = payload.installation.id;
  const repository = payload.repository.full_name;
  const person = payload.sender.type === "User";
  const now = deps.now();
  const closedAt = payload.issue.closed_at ? new Date(payload.issue.closed_at) : now;

  const review = await accessReviewByNumber(deps.store, installationId, repository, payload.issue.number);
  if (review) {
    if (payload.action === "closed") {
      await recordAccessReviewClosed(deps.store, review.id, {
        closedAt: closedAt.toISOString(),
        closedBy: person ? payload.sender.login : null,
        stateReason: person ? (payload.issue.state_reason ?? "completed") : "closed by an app",
        unticked: untickedEntries(payload.issue.body),
      });
      return { did: "access-review-closed", orgEvidence: true };
    }
    if (payload.action === "reopened") {
      await recordAccessReviewClosed(deps.store, review.id, { closedAt: null, closedBy: null, stateReason: null, unticked: null });
      return { did: "access-review-reopened", orgEvidence: true };
    }
    return { did: "ignored" };
  }

  const marker = parseMarker(payload.issue.body);
  const row =
    await issueByNumber(deps.store, installationId, repository, payload.issue.number) ??
    (marker ? (await issueRows(deps.store, installationId, marker.kind === "summary" ? "summary" : "gap")).find((r) => r.claimId === marker.claim && r.scope === marker.scope && r.repository === repository) : undefined);
  if (!row || row.kind !== "gap" || !person) return { did: "ignored" };

  switch (payload.action) {
    case "closed": {
      if (payload.issue.state_reason === "not_planned") {
        const config = await configOf(octokit, payload);
        const comment = await closingComment(new GitHubClient(octokit), payload, closedAt).catch((error: unknown) => {
          deps.log.warn({ issue: payload.issue.html_url, err: error instanceof Error ? error.message : String(error) }, "closing comment could not be read");
          return null;
        });
        await recordException(deps.store, {
          installationId,
          claimId: row.claimId,
          scope: row.scope,
          issueUrl: row.issueUrl,
          acceptedBy: payload.sender.login,
          acceptedAt: closedAt.toISOString(),
          reason: comment ?? "closed as not planned, without a comment",
          expiresAt: new Date(closedAt.getTime() + config.exceptions.expireAfterDays * 86_400_000).toISOString(),
          evidenceKind: row.evidenceKind,
        });
        await updateIssue(deps.store, row.id, { state: "closed", closedBy: "person", stateReason: "not_planned", updatedAt: now.toISOString() });
        return { did: "exception-recorded" };
      }
      await updateIssue(deps.store, row.id, { state: "closed", closedBy: "person", stateReason: payload.issue.state_reason ?? "completed", updatedAt: now.toISOString() });
      const again = await repositoryFor(deps.store, installationId, row.scope);
      return { did: "closed-by-person", ...(again ? { reassess: again } : {}), orgEvidence: !row.scope.includes("/") };
    }
    case "reopened":
      await updateIssue(deps.store, row.id, { state: "open", closedBy: null, stateReason: null, updatedAt: now.toISOString() });
      await endException(deps.store, installationId, row.claimId, row.scope, now, `reopened by @${payload.sender.login}`);
      return { did: "exception-ended" };
    case "edited":
      if (marker) return { did: "ignored" };
      // Without its marker the issue could not be found again by listing: write the body back.
      await updateIssue(deps.store, row.id, { hash: "edited", updatedAt: now.toISOString() });
      return { did: "marker-restore" };
    default:
      return { did: "ignored" };
  }
}

/**
 * The issues of one run: gap issues of the repositories it assessed, grouped by their issue
 * settings (usually one group: the organisation's), then the summary issue. Never fails the
 * assessments it follows.
 */
export async function publishRunIssues(issues: IssuePublisher, log: Logger, octokit: OctokitLike, run: IssueRun, latest: readonly RepositoryResults[] | StoredResults, assessed: readonly { fullName: string; config: RepoConfig }[], facts?: SummaryFacts): Promise<void> {
  const groups = new Map<string, { config: RepoConfig; repositories: Set<string> }>();
  for (const a of assessed) {
    const key = JSON.stringify([a.config.issues, a.config.exceptions, a.config.dryRun]);
    const group = groups.get(key) ?? { config: a.config, repositories: new Set<string>() };
    group.repositories.add(a.fullName);
    groups.set(key, group);
  }
  for (const { config, repositories } of groups.values()) {
    run.config = config;
    try {
      await issues.publishGaps(octokit, run, latest, repositories);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      run.failures.push(message);
      log.error({ installation: run.installationId, repositories: repositories.size, err: message }, "gap issues could not be published");
    }
  }
  try {
    await issues.publishSummary(octokit, run, latest instanceof StoredResults ? await latest.summaryFacts() : (facts ?? latest));
  } catch (error) {
    run.failures.push(error instanceof Error ? error.message : String(error));
  }
  log.info({ installation: run.installationId, ...issues.report(run) }, "issue writes of the assessment run");
}

function resultsOf(a: StoredAssessment): RepositoryResults {
  return { fullName: a.repositoryFullName, inScope: a.inScope, results: a.results, findings: a.findings, finishedAt: a.finishedAt };
}

/**
 * The installation's newest results as an issue run in each repository reads them: the small
 * columns read once when it starts, the whole results a page at a time when asked and let go after
 * each is visited (`publishGaps` plans from one pass and reads again only the repositories it
 * writes issues for). The summary issue's facts are gathered on the first pass over every
 * repository, so the run reads each repository once for both.
 */
export class StoredResults implements ResultsSource {
  private facts: SummaryFacts | null = null;

  private constructor(
    private readonly store: Store,
    private readonly installationId: number,
    private readonly heads: readonly LatestHead[],
    readonly newest: string | undefined,
  ) {}

  static async open(store: Store, installationId: number): Promise<StoredResults> {
    const heads = await latestAssessmentHeads(store, installationId);
    let newest: LatestHead | undefined;
    for (const h of heads) if (h.inScope && (!newest || h.finishedAt > newest.finishedAt)) newest = h;
    return new StoredResults(store, installationId, heads, newest?.repositoryFullName);
  }

  async forEach(visit: (r: RepositoryResults) => void | Promise<void>): Promise<void> {
    const facts = this.facts ? null : new SummaryFacts();
    await forEachLatestAssessment(
      this.store,
      this.installationId,
      async (a) => {
        const r = resultsOf(a);
        facts?.add(r);
        await visit(r);
      },
      this.heads,
    );
    if (facts) this.facts = facts;
  }

  async forSome(fullNames: ReadonlySet<string>, visit: (r: RepositoryResults) => void | Promise<void>): Promise<void> {
    const heads = this.heads.filter((h) => fullNames.has(h.repositoryFullName));
    await forEachLatestAssessment(this.store, this.installationId, (a) => visit(resultsOf(a)), heads);
  }

  /** What the summary issue says, from a pass of its own when no pass over every repository was made. */
  async summaryFacts(): Promise<SummaryFacts> {
    if (!this.facts) await this.forEach(() => undefined);
    return this.facts ?? new SummaryFacts();
  }
}

/** The newest results of every repository of the installation: one store read, parsed a few rows at a time. */
export async function latestResults(store: Store, installationId: number): Promise<RepositoryResults[]> {
  return (await loadLatestAssessments(store, installationId)).map(resultsOf);
}

/**
 * What one issue run needs of the newest results, in one pass over the store a page at a time:
 * the summary's facts, gathered from every repository as its page is parsed and then let go; whole
 * results only of the repositories whose gap issues the run writes (`wanted`) and of the newest one
 * in scope (the organisation's claims are judged on it). With `central`, one issue per claim lists
 * every repository, so every repository's claim results are kept, without findings or evidence
 * links, which a central issue does not show. The app reads this way for runs with central
 * issues; runs with issues in each repository read through `StoredResults` instead, which keeps
 * none whole beyond a page of the issues being written.
 */
export async function issueRunResults(store: Store, installationId: number, wanted: ReadonlySet<string>, central: boolean): Promise<{ latest: RepositoryResults[]; facts: SummaryFacts }> {
  const heads = await latestAssessmentHeads(store, installationId);
  let newest: (typeof heads)[number] | undefined;
  for (const h of heads) if (h.inScope && (!newest || h.finishedAt > newest.finishedAt)) newest = h;
  const facts = new SummaryFacts();
  const latest: RepositoryResults[] = [];
  await forEachLatestAssessment(
    store,
    installationId,
    (a) => {
      const r = resultsOf(a);
      facts.add(r);
      if (wanted.has(r.fullName) || a.id === newest?.id) latest.push(r);
      else if (central) latest.push({ ...r, findings: [], results: r.results.map((c) => ({ ...c, checks: c.checks.map((k) => ({ ...k, evidence: [] })) })) });
    },
    heads,
  );
  return { latest, facts };
}
