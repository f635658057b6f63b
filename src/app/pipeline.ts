import { inProcessIssueRuns, type IssueRunLock } from "./issue-run-lock.js";
import type { Logger } from "pino";
import { assessRepository, type Assessment } from "../assessment/assess-repository.js";
import { runConfigOf } from "../config/config-cache.js";
import { CONFIG_PATH, loadRepoConfig, type ConfigReader } from "../config/load-repo-config.js";
import type { ConfigOutcome, RepoConfig } from "../config/repo-config.js";
import { GitHubClient, type OctokitLike } from "../github/client.js";
import type { AnswerCache } from "../github/conditional-cache.js";
import { findCheckRunOf, publishCheckRun } from "../publish/check-run.js";
import { decideConclusion, renderCheckRun, type IssueNotice } from "../render/check-run.js";
import { unavailableIssueRepositories } from "../store/issue-records.js";
import type { Store } from "../store/store.js";
import { COLLECTORS } from "../collectors/index.js";
import { auditFindings } from "../audit/evidence.js";
import { AuditTrail } from "../audit/trail.js";
import type { OrgEvidenceCache } from "./org-evidence.js";
import { collectorsToRefresh } from "./refresh.js";
import { accessReviewFindings } from "../issues/access-review-evidence.js";
import type { IssuePublisher } from "../publish/issues.js";
import { issueRunResults, publishRunIssues, StoredResults } from "./issue-events.js";
import { issueLinksOf } from "./issue-links.js";
import { IssueRunQueue } from "./issue-run-queue.js";

/** An installation's Octokit: reads through GitHubClient, config through the config plugin, writes through publishers. */
export type InstallationOctokit = OctokitLike & ConfigReader;

export type Target = { installationId: number; owner: string; repo: string };
export type Trigger = { name: string; deliveryId: string };

export type PipelineDeps = {
  store: Store;
  log: Logger;
  orgEvidence: OrgEvidenceCache;
  now?: () => Date;
  issues?: IssuePublisher;
  /** ETags of earlier REST answers, so unchanged settings come back as 304s GitHub does not charge for. */
  conditional?: AnswerCache;
  /** One issue run per installation across replicas (shared-limits.ts); this process's own queue is enough without it. */
  issueRuns?: IssueRunLock;
};

async function assess(deps: PipelineDeps, octokit: InstallationOctokit, target: Target, trigger: Trigger): Promise<{ assessment: Assessment; config: ConfigOutcome }> {
  const now = deps.now?.() ?? new Date();
  // Any event may be the first the store sees of an installation (installed while the app was
  // down, a store restored from backup): register it before anything refers to it.
  await deps.store.ensureInstallation(target.installationId, target.owner);
  const conditional = deps.conditional ? { cache: deps.conditional, scope: String(target.installationId) } : undefined;
  const client = new GitHubClient(octokit, conditional);
  // Organisation reads are shared by the installation's assessments and counted once, not against
  // each repository: its evidence, its teams, and the configuration files that are not the
  // repository's own (a run's Octokit carries a cache of its own for those, charged as before).
  const orgClient = new GitHubClient(octokit);
  const config = await readConfig(deps, octokit, client, target);
  const fromGitHub = await deps.orgEvidence.get(target.installationId, { client: orgClient, org: target.owner, config: config.config, now });
  const since = new Date(now.getTime() - config.config.windowDays * 86_400_000);
  const orgFindings = [...fromGitHub, ...(await auditFindings(deps.store, target.installationId, { now, since, org: target.owner })), ...(await accessReviewFindings(deps.store, target.installationId, { now, org: target.owner }))];
  const refresh = collectorsToRefresh(trigger.name.split(".")[0] ?? "");
  const previous = refresh ? (await deps.store.assessments(target.installationId, `${target.owner}/${target.repo}`, 1))[0] : undefined;
  const partial = refresh && previous?.inScope;
  const assessment = await assessRepository({
    client,
    owner: target.owner,
    name: target.repo,
    config: config.config,
    now,
    orgFindings,
    shared: { teamRepositories: (org, at) => deps.orgEvidence.teamRepositories(target.installationId, { client: orgClient, org, now: at }) },
    ...(partial ? { collectors: COLLECTORS.filter((c) => refresh.includes(c.id)), carriedOver: previous.findings } : {}),
  });
  return { assessment, config };
}

/** The repository's configuration, with the organisation's: through a run's reads when `octokit` is a run's, else through the installation's kept files. */
async function readConfig(deps: PipelineDeps, octokit: InstallationOctokit, client: GitHubClient, target: Target): Promise<ConfigOutcome> {
  const runConfig = runConfigOf(octokit);
  if (runConfig) return loadRepoConfig(client, target.owner, target.repo, runConfig);
  const conditional = deps.conditional ? { cache: deps.conditional, scope: String(target.installationId) } : undefined;
  return loadRepoConfig(client, target.owner, target.repo, await deps.orgEvidence.configReads(target.installationId, (repository) => receivesPushesOf(deps.store, target.installationId, repository)), new GitHubClient(octokit, conditional));
}

/** The repository's configuration as an assessment would read it (a job tried again after the assessment was stored, to queue its issues). */
export async function configOf(deps: PipelineDeps, octokit: InstallationOctokit, target: Target): Promise<RepoConfig> {
  return (await readConfig(deps, octokit, new GitHubClient(octokit), target)).config;
}

/**
 * Whether the installation hears of pushes to `repository` (`owner/repo`, lower case): it is one of
 * the installation's repositories, and the installation has not declined push events. Only then is
 * a configuration file read from it kept beyond this assessment (a push forgets it); a public
 * `.github` outside a selected-repositories installation is read afresh every time.
 */
async function receivesPushesOf(store: Store, installationId: number, repository: string): Promise<boolean> {
  const events = await store.installationEvents(installationId);
  if (events && !events.includes("push")) return false;
  return (await store.repositoriesOf(installationId)).some((fullName) => fullName.toLowerCase() === repository);
}

function problemsOf(config: ConfigOutcome) {
  return config.ok ? [] : config.problems;
}

/** A repository assessed in a run, for the issues published after it. */
export type Assessed = { assessmentId: number; fullName: string; config: RepoConfig };

/** Assesses a repository and stores the result (installation, protection changes): no check run. */
export async function reassess(deps: PipelineDeps, octokit: InstallationOctokit, target: Target, trigger: Trigger): Promise<Assessed> {
  const { assessment, config } = await assess(deps, octokit, target, trigger);
  const id = await deps.store.recordAssessment({ installationId: target.installationId, trigger: trigger.name, deliveryId: trigger.deliveryId, assessment, configProblems: problemsOf(config) });
  deps.log.info({ assessment: id, repo: `${target.owner}/${target.repo}`, trigger: trigger.name, requests: assessment.requests }, "repository assessed");
  return { assessmentId: id, fullName: `${target.owner}/${target.repo}`, config: config.config };
}

/**
 * Gap issues of the repositories a run assessed, then the summary issue. Called after the
 * assessments have given back their concurrency slots: issue writes wait on GitHub's
 * content-creation budget, and check runs of other pull requests must not wait behind them.
 * Nothing is read when no repository of the run has issues on; otherwise the newest results of
 * the organisation are read for the whole run, however many repositories it assessed, a page at a
 * time: once to plan the issues and gather the summary's facts, then again only the repositories
 * whose issues are written, a page of issues at a time (central issues keep every repository's
 * claim statuses instead, without findings).
 */
export async function publishIssues(deps: PipelineDeps, octokit: InstallationOctokit, installation: { installationId: number; org: string }, assessed: readonly Pick<Assessed, "fullName" | "config">[]): Promise<void> {
  if (!deps.issues) return;
  const enabled = assessed.filter((a) => a.config.issues.enabled).map((a) => ({ fullName: a.fullName, config: a.config }));
  if (enabled.length === 0) return;
  await issueRunsOf(deps, deps.issues).request(installation.installationId, { octokit, org: installation.org, assessed: enabled });
}

/* One queue per publisher (an app has one), so runs that have not started yet are merged (issue-run-queue.ts). */
const issueRuns = new WeakMap<IssuePublisher, IssueRunQueue<InstallationOctokit>>();

function issueRunsOf(deps: PipelineDeps, issues: IssuePublisher): IssueRunQueue<InstallationOctokit> {
  let queue = issueRuns.get(issues);
  if (!queue) {
    const lock = deps.issueRuns ?? inProcessIssueRuns;
    queue = new IssueRunQueue((installationId, request) => lock(installationId, async () => {
      const run = issues.newRun(installationId, request.org);
      if (!request.assessed.some((a) => a.config.issues.central)) {
        // Issues in each repository: planned from one pass over the store, written from a second over only the repositories they are about.
        await publishRunIssues(issues, deps.log, request.octokit, run, await StoredResults.open(deps.store, installationId), request.assessed);
        return;
      }
      const wanted = new Set(request.assessed.map((a) => a.fullName));
      const { latest, facts } = await issueRunResults(deps.store, installationId, wanted, true);
      await publishRunIssues(issues, deps.log, request.octokit, run, latest, request.assessed, facts);
    }));
    issueRuns.set(issues, queue);
  }
  return queue;
}

/** Repositories where the last attempt to write this repository's issues (or the central ones) failed. */
async function issueNotices(store: Store, target: Target, config: RepoConfig): Promise<IssueNotice[]> {
  if (!config.issues.enabled) return [];
  const relevant = new Set([`${target.owner}/${target.repo}`, `${target.owner}/${config.issues.repository ?? ".github"}`]);
  return (await unavailableIssueRepositories(store, target.installationId)).filter((r) => relevant.has(r.repository));
}

/**
 * Assesses a repository and publishes the check run on `headSha` for the delivery `trigger`: the
 * assessment is stored first, then published, then linked to its run. A job run again for the same
 * delivery (its replica lost, or GitHub failing, mid-way) finds what the attempt before it did: a
 * run already linked is not published again (its issues are still queued); a stored assessment
 * without one is looked for on GitHub by the delivery id the run carries, and linked if it was
 * published; only otherwise is the repository assessed and published again. One delivery never shows two check runs. A job this
 * process has given up (`given` aborted: handed back to the queue) stops before it publishes.
 */
export async function assessForCheckRun(deps: PipelineDeps, octokit: InstallationOctokit, target: Target, headSha: string, trigger: Trigger, given?: AbortSignal): Promise<(Assessed & { checkRunId: number }) | null> {
  const fullName = `${target.owner}/${target.repo}`;
  const earlier = await deps.store.checkRunAssessment(target.installationId, fullName, trigger.deliveryId, headSha);
  if (earlier && earlier.checkRunId !== null) {
    deps.log.info({ assessment: earlier.id, checkRun: earlier.checkRunId, repo: fullName, delivery: trigger.deliveryId }, "check run of this delivery already published");
    // Its issues are queued again: the attempt that published it may have died before queueing them.
    return { assessmentId: earlier.id, checkRunId: earlier.checkRunId, fullName, config: await configOf(deps, octokit, target) };
  }
  if (earlier) {
    const published = await findCheckRunOf(octokit, { owner: target.owner, repo: target.repo, headSha, externalId: trigger.deliveryId });
    if (published !== null) {
      await deps.store.attachCheckRun(target.installationId, earlier.id, published);
      await noteCheckRun(deps, target.installationId);
      deps.log.info({ assessment: earlier.id, checkRun: published, repo: fullName, delivery: trigger.deliveryId }, "check run of this delivery was published by an earlier attempt; linked, not published again");
      return { assessmentId: earlier.id, checkRunId: published, fullName, config: await configOf(deps, octokit, target) };
    }
  }
  const { assessment, config } = await assess(deps, octokit, target, trigger);
  const recent = await new AuditTrail(deps.store).latest(target.installationId, 10, fullName);
  const links = await issueLinksOf(deps.store, target.installationId, fullName, assessment.repo?.htmlUrl, config.config);
  const output = renderCheckRun(assessment, config, recent, await issueNotices(deps.store, target, config.config), links);
  const conclusion = decideConclusion(assessment, config);
  const detailsUrl = !config.ok && assessment.repo ? `${assessment.repo.htmlUrl}/blob/${assessment.repo.defaultBranch}/${CONFIG_PATH}` : undefined;
  // Stored before it is shown: the evidence is kept even if GitHub refuses the run, and an attempt
  // after this one knows to look for the run on GitHub before publishing.
  const assessmentId = await deps.store.recordAssessment({ installationId: target.installationId, trigger: trigger.name, deliveryId: trigger.deliveryId, headSha, assessment, configProblems: problemsOf(config), conclusion });
  // Given up by this process meanwhile (handed back as it stops): the replica that runs it now publishes.
  given?.throwIfAborted();
  const checkRunId = await publishCheckRun(octokit, { owner: target.owner, repo: target.repo, headSha, conclusion, output, detailsUrl, externalId: trigger.deliveryId });
  await deps.store.attachCheckRun(target.installationId, assessmentId, checkRunId);
  await noteCheckRun(deps, target.installationId);
  deps.log.info({ assessment: assessmentId, checkRun: checkRunId, repo: fullName, conclusion, requests: assessment.requests }, "check run published");
  return { assessmentId, checkRunId, fullName, config: config.config };
}

/**
 * Check runs spend the same content-creation budget as issues. The check run is out either way: a
 * budget that cannot count it (its database unreachable) must not fail the delivery.
 */
async function noteCheckRun(deps: PipelineDeps, installationId: number): Promise<void> {
  await deps.issues
    ?.budget(installationId)
    .note()
    .catch((error: unknown) => deps.log.warn({ installation: installationId, err: error instanceof Error ? error.message : String(error) }, "the check run could not be counted against the content-creation budget"));
}
