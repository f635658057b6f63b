import type { ApplicationFunction, Context, Probot } from "probot";
import { AUDITED_EVENTS, normaliseWebhook } from "../audit/normalise.js";
import { AuditTrail } from "../audit/trail.js";
import { AuditSummaries } from "../audit/summary.js";
import type { Logger } from "pino";
import { z } from "zod";
import type { Store } from "../store/store.js";
import { healthHandler } from "./health.js";
import { Readiness } from "./readiness.js";
import { guardProbotWebhooks } from "./webhook-guard.js";
import { IssuePublisher } from "../publish/issues.js";
import { issueEventPayload, onIssueEvent, stillAsTheEventLeftIt } from "./issue-events.js";
import { githubAdminCheck, installationConfig, reportHandler } from "./report-route.js";
import { BrowserSessions } from "./browser-session.js";
import { browserReport, oauthRoutes, type BrowserSignInConfig } from "./oauth-routes.js";
import { reportPage } from "./report-page.js";
import { HistoryCache } from "./history-cache.js";
import { apiBaseUrl } from "../cli-auth.js";
import { BACKGROUND_BATCH_FACTOR, InProcessQueue } from "../queue/in-process.js";
import { yieldToEventLoop } from "../core/event-loop.js";
import { NO_RETRY, scheduledData, type JobQueue, type RetryPolicy } from "../queue/job-queue.js";
import { MAINTENANCE_INTERVAL_MS, orgConfig, runMaintenance } from "./maintenance.js";
import { recoverMissedDeliveries, REDELIVERY_INTERVAL_MS, type RedeliveryOutcome } from "./redelivery.js";
import { SCHEDULED_TRIGGER, sweepOnce, SWEEP_TICK_MS, type SweepOutcome } from "./sweep.js";
import { sharedLimits, type SharedLimits } from "./shared-limits.js";
import {
  checkRunPayload,
  checkSuitePayload,
  describeIssues,
  installationAccountPayload,
  installationPayload,
  installationRepositoriesPayload,
  pullRequestPayload,
  pushPayload,
  repositoryEventPayload,
  type ListedRepo,
} from "./payloads.js";
import { StoredAnswerCache } from "../store/conditional-answers.js";
import { unfinishedBackfill } from "../store/backfill-records.js";
import type { Assessed, InstallationOctokit, PipelineDeps } from "./pipeline.js";
import { Backfiller, systemClock, type BackfillOptions } from "./backfill.js";
import { observeRateLimits, probeRateLimits } from "./rate-budget.js";
import { checkRunData, defineRepositoryJobs } from "./repository-jobs.js";
import { ORG_EVIDENCE_EVENTS, REASSESSED_AFTER_AUDIT } from "./refresh.js";

export type AppDeps = {
  store: Store;
  /** What carries the app's work; by default the in-process queue on `store` (one process). */
  queue?: JobQueue;
  concurrency?: number;
  now?: () => Date;
  maintenanceIntervalMs?: number | null;
  /** How often failed webhook deliveries are looked for and redelivered (also once at start); null: never on a timer. */
  redeliveryIntervalMs?: number | null;
  /** How often the scheduled re-assessment looks for due repositories; null: never on a timer. */
  sweepIntervalMs?: number | null;
  sleep?: (ms: number) => Promise<void>;
  backfill?: BackfillOptions;
  browser?: BrowserSignInConfig | undefined;
  /** Limits shared by every replica (PostgreSQL); by default this process's own. */
  limits?: SharedLimits;
};
/**
 * `sweep`: one scheduled re-assessment tick now (what the timer runs).
 */
export type ClaimcheckApp = { app: ApplicationFunction; readiness: Readiness; jobs: () => JobQueue | undefined; sweep: () => Promise<SweepOutcome[]>; recoverDeliveries: () => Promise<RedeliveryOutcome | null> };

type AnyContext = Context;

/**
 * A webhook delivery's work, by the kind the queue knows it by: data only, so any process can run
 * it. Each queues repository jobs (repository-jobs.ts), which do the assessments.
 */
export const DELIVERY_JOBS = { checkRun: "check-run", reassess: "reassess-repositories", issueEvent: "issue-event" } as const;
const triggerData = z.object({ name: z.string().min(1), deliveryId: z.string().min(1) });
const checkRunJob = checkRunData;
const reassessJob = z.object({ installationId: z.number().int(), event: z.string().min(1), repos: z.array(z.string().min(1)), trigger: triggerData });
const issueEventJob = z.object({ payload: issueEventPayload, trigger: triggerData });

/**
 * A delivery's job is tried again when it failed or its replica was lost before it finished: the
 * delivery was acknowledged, so GitHub will not send it again. Each is safe to run twice: the jobs
 * it queues find what an earlier attempt did (repository-jobs.ts), and a person's decision on an
 * issue is recorded once however often it is read (issue-records.ts `recordException`).
 */
const DELIVERY_RETRY: RetryPolicy = { limit: 3, delaySeconds: 5 };

/** The app's periodic jobs, by the kind the queue knows them by. */
export const SCHEDULED_JOBS = { maintenance: "maintenance", sweep: "reassessment-sweep", redelivery: "redelivery" } as const;

/*
 * Handlers only wire events to the pipeline: validate the payload fields used, claim the
 * delivery, and queue the work for the repository it concerns.
 */
export function createClaimcheckApp(deps: AppDeps): ClaimcheckApp {
  let jobs: JobQueue | undefined;
  let sweep: (() => Promise<SweepOutcome[]>) | undefined;
  let recover: (() => Promise<RedeliveryOutcome | null>) | undefined;

  const readiness = new Readiness();
  const app: ApplicationFunction = (probot: Probot, { addHandler }) => {
    const log = probot.log.child({ name: "claimcheck" });
    const concurrency = deps.concurrency ?? 4;
    const queue: JobQueue = deps.queue ?? new InProcessQueue(deps.store, log, concurrency, deps.sleep ? { sleep: deps.sleep } : {});
    jobs = queue;
    const limits = deps.limits ?? sharedLimits(null, log, { clock: () => (deps.now?.() ?? new Date()).getTime() });
    const budgets = limits.rateBudgets;
    // Batches of a few times the background lane's concurrency: planned on fresh budget readings, and work for the same repository never waits long behind them.
    const backfiller = new Backfiller<Assessed>({ store: deps.store, log, budgets, clock: { now: deps.now ?? systemClock.now, sleep: deps.sleep ?? systemClock.sleep }, options: { maxBatch: BACKGROUND_BATCH_FACTOR * concurrency, ...deps.backfill } });
    const orgEvidence = limits.orgEvidence;
    const issues = new IssuePublisher({ store: deps.store, log, ...(deps.now ? { now: deps.now } : {}), ...(limits.contentBudgets ? { budgets: limits.contentBudgets } : {}) });
    const pipeline: PipelineDeps = { store: deps.store, log, orgEvidence, issues, conditional: new StoredAnswerCache(deps.store), issueRuns: limits.issueRuns, ...(deps.now ? { now: deps.now } : {}) };
    guardProbotWebhooks(probot);
    // A long audit trail (first start after an upgrade) is summarised in slices, off the webhook path.
    void catchUpAuditSummaries(deps.store, log);
    addHandler(healthHandler(deps.store, readiness));
    const verifyAdmin = githubAdminCheck(deps.browser ? deps.browser.apiUrl : apiBaseUrl(undefined, process.env));
    const configFor = installationConfig(probot);
    const sessions = deps.browser ? new BrowserSessions({ secret: deps.browser.sessionSecret, ttlMs: deps.browser.sessionTtlMs, ...(deps.now ? { now: deps.now } : {}) }) : null;
    if (deps.browser && sessions) addHandler(oauthRoutes({ config: deps.browser, sessions, verifyAdmin, log }));
    const page = sessions ? { sessions, log, page: reportPage({ store: deps.store, configFor, history: new HistoryCache(deps.store, deps.browser?.webUrl), ...(deps.now ? { now: deps.now } : {}), ...(deps.browser ? { webUrl: deps.browser.webUrl } : {}) }) } : null;
    addHandler(reportHandler({ store: deps.store, log, verifyAdmin, configFor, ...(deps.now ? { now: deps.now } : {}), browser: browserReport(page) }));
    // Periodic work goes through the queue's schedules: in one process a timer each; on the
    // PostgreSQL queue, once per period across replicas.
    const octokitFor = async (id: number) => (await probot.auth(id)) as unknown as InstallationOctokit;
    const repositories = defineRepositoryJobs({ queue, store: deps.store, log, pipeline, backfiller, budgets, now: () => deps.now?.() ?? new Date(), octokitFor });
    // A restart left repositories of an installation's backfill unassessed: maintenance resumes it.
    const resumeBackfill = (installationId: number) => void repositories.resumeBackfill(installationId).catch((error: unknown) => log.error({ installation: installationId, err: causeOf(error) }, "unfinished backfill could not be resumed"));
    queue.define(SCHEDULED_JOBS.maintenance, { schema: scheduledData, retry: NO_RETRY, run: () => runMaintenance({ store: deps.store, log, octokitFor, issues, resumeBackfill }) });
    if (deps.maintenanceIntervalMs !== null) queue.schedule(SCHEDULED_JOBS.maintenance, deps.maintenanceIntervalMs ?? MAINTENANCE_INTERVAL_MS);

    const sweepTickMs = deps.sweepIntervalMs ?? SWEEP_TICK_MS;
    sweep = () =>
      sweepOnce<InstallationOctokit>({
        store: deps.store,
        log,
        budgets,
        now: () => deps.now?.() ?? new Date(),
        tickMs: sweepTickMs,
        octokitFor: async (id) => {
          const octokit = (await probot.auth(id)) as unknown as InstallationOctokit;
          observeRateLimits(octokit, budgets.of(id));
          return octokit;
        },
        orgConfig,
        probe: (octokit, id) => probeRateLimits(octokit, budgets.of(id)),
        reassess: (installationId, fullName) => repositories.reassess(installationId, fullName, { name: SCHEDULED_TRIGGER, deliveryId: `scheduled-${installationId}` }, "background"),
      });
    const sweepNow = sweep;
    queue.define(SCHEDULED_JOBS.sweep, { schema: scheduledData, retry: NO_RETRY, run: async () => void (await sweepNow()) });
    if (deps.sweepIntervalMs !== null) queue.schedule(SCHEDULED_JOBS.sweep, sweepTickMs);

    // Deliveries GitHub could not make while the app was down or restarting: asked for again.
    recover = async () => {
      try {
        const appOctokit = (await probot.auth()) as unknown as InstallationOctokit;
        const outcome = await recoverMissedDeliveries({ store: deps.store, log, octokit: appOctokit, now: () => deps.now?.() ?? new Date(), sleep: deps.sleep ?? systemClock.sleep });
        if (outcome.failed > 0 || outcome.gap) log.info(outcome, "failed webhook deliveries recovered");
        return outcome;
      } catch (error) {
        log.error({ err: causeOf(error) }, "failed webhook deliveries could not be listed or redelivered");
        return null;
      }
    };
    const recoverNow = recover;
    queue.define(SCHEDULED_JOBS.redelivery, { schema: scheduledData, retry: NO_RETRY, run: async () => void (await recoverNow()) });
    if (deps.redeliveryIntervalMs !== null) queue.schedule(SCHEDULED_JOBS.redelivery, deps.redeliveryIntervalMs ?? REDELIVERY_INTERVAL_MS, { atStart: true });
    queue.start().then(
      () => {
        readiness.started();
        void resumeBackfills();
      },
      (error: unknown) => {
        readiness.failed();
        log.error({ err: causeOf(error) }, "the job queue could not start: this process answers /readyz with 503");
      },
    );

    function parse<S extends z.ZodType>(context: AnyContext, schema: S): z.infer<S> | null {
      const parsed = schema.safeParse(context.payload);
      if (parsed.success) return parsed.data;
      log.warn({ delivery: context.id, event: context.name, problems: describeIssues(parsed.error) }, "webhook payload lacks fields claimcheck needs; ignored");
      return null;
    }

    const octokitOf = (context: AnyContext) => context.octokit as unknown as InstallationOctokit;
    const trigger = (context: AnyContext) => ({ name: `${context.name}.${(context.payload as { action?: string }).action ?? ""}`.replace(/\.$/, ""), deliveryId: context.id });

    // Backfills a killed or restarted process left unfinished, finished by whichever process starts next.
    async function resumeBackfills(): Promise<void> {
      try {
        for (const installation of await deps.store.activeInstallations()) if (await unfinishedBackfill(deps.store, installation.id)) resumeBackfill(installation.id);
      } catch (error) {
        log.error({ err: causeOf(error) }, "unfinished backfills could not be looked for");
      }
    }

    function checkRunFor(context: AnyContext, payload: { installation: { id: number }; repository: { owner: { login: string }; name: string; full_name: string } }, headSha: string, onlyIfNew: boolean): Promise<boolean> {
      const data: z.infer<typeof checkRunJob> = { installationId: payload.installation.id, owner: payload.repository.owner.login, repo: payload.repository.name, fullName: payload.repository.full_name, headSha, onlyIfNew, trigger: trigger(context) };
      return queue.enqueueDelivery(DELIVERY_JOBS.checkRun, { id: context.id, event: context.name, installationId: data.installationId }, data);
    }

    queue.define(DELIVERY_JOBS.checkRun, { schema: checkRunJob, retry: DELIVERY_RETRY, run: async (job) => void (await repositories.checkRun(job)) });

    function reassessAll(context: AnyContext, installationId: number, repos: string[]): Promise<boolean> {
      const data: z.infer<typeof reassessJob> = { installationId, event: context.name, repos, trigger: trigger(context) };
      return queue.enqueueDelivery(DELIVERY_JOBS.reassess, { id: context.id, event: context.name, installationId }, data);
    }

    queue.define(DELIVERY_JOBS.reassess, {
      schema: reassessJob,
      retry: DELIVERY_RETRY,
      run: async ({ installationId, event, repos, trigger: cause }, info) => {
        const installing = event === "installation" || event === "installation_repositories";
        // Tried again: queued again, since an attempt can fail between two slices of a large
        // installation, less what is already assessed (a repository still pending is not queued
        // twice: the store ignores it).
        const todo = info.attempt > 1 ? await repositories.notAssessedFor(installationId, repos, cause.deliveryId) : repos;
        if (todo.length === 0) return repositories.resumeBackfill(installationId);
        // Before anything that can fail: the installation's repositories, so what it keeps, changed.
        if (installing) await orgEvidence.forget(installationId);
        // Installing on a large organisation, or an organisation ruleset changing every repository:
        // a backfill, in batches the hourly budgets pay for, each repository a background job.
        if (installing || repos.length > 1) return repositories.backfill(installationId, todo, cause);
        // One repository's change is webhook work.
        for (const fullName of todo) await repositories.reassess(installationId, fullName, cause, "webhook");
      },
    });

    const trail = new AuditTrail(deps.store);
    // Recorded before the delivery is acknowledged, in one transaction keyed by the delivery id:
    // a delivery GitHub sends again after a crash is recorded exactly once.
    probot.on(AUDITED_EVENTS as Extract<Parameters<Probot["on"]>[0], unknown[]>, async (context) => {
      const installationId = (context.payload as { installation?: { id?: unknown } }).installation?.id;
      if (typeof installationId !== "number") {
        log.warn({ delivery: context.id, event: context.name }, "audit event without an installation; not attributable, not recorded");
        return;
      }
      // Forgotten first: an append that fails, or a delivery already recorded, still says the kept evidence may be stale.
      if (ORG_EVIDENCE_EVENTS.has(context.name)) await orgEvidence.forget(installationId);
      const input = normaliseWebhook(context.name, context.payload as Record<string, unknown>, deps.now?.() ?? new Date());
      if (!input) return;
      const { recorded, seq } = await trail.append(installationId, "webhook", context.id, input);
      log.info({ delivery: context.id, kind: input.kind, seq, recorded }, recorded ? "audit event recorded" : "audit event already recorded");
      if (!recorded) return;
      const repository = (context.payload as { repository?: { full_name?: unknown } }).repository?.full_name;
      if (REASSESSED_AFTER_AUDIT.has(context.name) && typeof repository === "string") await reassessAll(context, installationId, [repository]);
    });

    // A configuration file the installation's assessments share may have changed: read it again.
    probot.on("push", async (context) => {
      const parsed = pushPayload.safeParse(context.payload);
      if (!parsed.success) return;
      const { installation, ref, repository } = parsed.data;
      if (ref === `refs/heads/${repository.default_branch}`) await orgEvidence.forgetConfigOf(installation.id, repository.owner.login, repository.name);
    });

    probot.on(["installation.created", "installation.new_permissions_accepted"], async (context) => {
      const payload = parse(context, installationAccountPayload);
      if (!payload) return;
      const account = payload.installation.account;
      await deps.store.upsertInstallation(payload.installation.id, account?.login ?? "unknown", account?.type ?? "unknown");
      if (payload.installation.events) await deps.store.setInstallationEvents(payload.installation.id, payload.installation.events);
    });

    probot.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"], async (context) => {
      const payload = parse(context, pullRequestPayload);
      if (payload) await checkRunFor(context, payload, payload.pull_request.head.sha, context.payload.action === "synchronize");
    });

    probot.on(["check_suite.requested", "check_suite.rerequested"], async (context) => {
      const payload = parse(context, checkSuitePayload);
      if (payload) await checkRunFor(context, payload, payload.check_suite.head_sha, context.payload.action === "requested");
    });

    probot.on("check_run.rerequested", async (context) => {
      const payload = parse(context, checkRunPayload);
      if (payload) await checkRunFor(context, payload, payload.check_run.head_sha, false);
    });

    probot.on("installation.created", async (context) => {
      // Every handler of a delivery starts in the same turn of the event loop; validating 10,000
      // repositories is this one's own turn, not added to the audit trail's and the others'.
      await yieldToEventLoop();
      const payload = parse(context, installationPayload);
      if (!payload) return;
      const account = payload.installation.account;
      await deps.store.upsertInstallation(payload.installation.id, account?.login ?? "unknown", account?.type ?? "unknown");
      const repos = payload.repositories ?? (await listInstallationRepositories(octokitOf(context)));
      await deps.store.addRepositoriesInSlices(payload.installation.id, repos.map((r) => ({ id: r.id, fullName: r.full_name })));
      await reassessAll(context, payload.installation.id, repos.map((r) => r.full_name));
    });

    probot.on("installation.deleted", async (context) => {
      const payload = parse(context, installationPayload);
      if (!payload) return;
      await deps.store.markInstallationRemoved(payload.installation.id);
      await orgEvidence.forget(payload.installation.id);
    });

    probot.on(["installation_repositories.added", "installation_repositories.removed"], async (context) => {
      const payload = parse(context, installationRepositoriesPayload);
      if (!payload) return;
      const account = payload.installation.account;
      await deps.store.upsertInstallation(payload.installation.id, account?.login ?? "unknown", account?.type ?? "unknown");
      await deps.store.addRepositoriesInSlices(payload.installation.id, payload.repositories_added.map((r) => ({ id: r.id, fullName: r.full_name })));
      await deps.store.removeRepositories(payload.installation.id, payload.repositories_removed.map((r) => r.id));
      if (payload.repositories_added.length > 0) await reassessAll(context, payload.installation.id, payload.repositories_added.map((r) => r.full_name));
    });

    // People's decisions on claimcheck's issues; "completed" is checked against fresh evidence.
    probot.on(["issues.closed", "issues.reopened", "issues.edited"], async (context) => {
      const payload = parse(context, issueEventPayload);
      if (!payload) return;
      const installationId = payload.installation.id;
      await queue.enqueueDelivery(DELIVERY_JOBS.issueEvent, { id: context.id, event: context.name, installationId }, { payload, trigger: trigger(context) });
    });

    queue.define(DELIVERY_JOBS.issueEvent, {
      schema: issueEventJob,
      retry: DELIVERY_RETRY,
      run: async ({ payload, trigger: cause }, info) => {
        const installationId = payload.installation.id;
        const octokit = await octokitFor(installationId);
        if (info.attempt > 1 && !(await stillAsTheEventLeftIt(octokit, payload))) {
          log.info({ delivery: info.delivery?.id, issue: payload.issue.html_url, action: payload.action }, "issue event tried again after the issue changed on GitHub: a later event decides");
          return;
        }
        const outcome = await onIssueEvent({ store: deps.store, log, now: () => deps.now?.() ?? new Date() }, payload, octokit);
        log.info({ delivery: info.delivery?.id, issue: payload.issue.html_url, did: outcome.did }, "issue event handled");
        if (outcome.orgEvidence) await orgEvidence.forget(installationId);
        // A gap closed as completed is checked on a fresh teams' map, not the one kept for the hour.
        else if (outcome.reassess) await orgEvidence.forgetTeams(installationId);
        if (outcome.reassess) await repositories.reassess(installationId, outcome.reassess, cause, "webhook");
      },
    });

    probot.on(["branch_protection_rule", "repository_ruleset"], async (context) => {
      const payload = parse(context, repositoryEventPayload);
      if (!payload) return;
      // An organisation-level ruleset changes every repository it targets.
      if (payload.repository) await deps.store.ensureInstallation(payload.installation.id, payload.repository.owner.login);
      const repos = payload.repository ? [payload.repository.full_name] : await deps.store.repositoriesOf(payload.installation.id);
      await reassessAll(context, payload.installation.id, repos);
    });
  };

  return { app, readiness, jobs: () => jobs, sweep: async () => (sweep ? sweep() : []), recoverDeliveries: async () => (recover ? recover() : null) };
}

/** An error's own message and, when it wraps one, its cause: the log line must name what actually failed. */
export function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && !error.message.includes(cause.message) ? `${error.message}: ${cause.message}` : error.message;
}

async function catchUpAuditSummaries(store: Store, log: Logger): Promise<void> {
  const summaries = new AuditSummaries(store);
  for (const installation of await store.activeInstallations()) {
    try {
      await summaries.catchUp(installation.id);
    } catch (error) {
      log.error({ installation: installation.id, err: causeOf(error) }, "audit trail summary could not be brought up to date");
    }
  }
}

async function listInstallationRepositories(octokit: InstallationOctokit): Promise<ListedRepo[]> {
  const repos: ListedRepo[] = [];
  for (let page = 1; ; page += 1) {
    const { data } = await octokit.request("GET /installation/repositories", { per_page: 100, page });
    const list = (data as { repositories?: unknown }).repositories;
    if (!Array.isArray(list)) throw new Error("GitHub's answer to GET /installation/repositories had no repositories list");
    for (const r of list) {
      const parsed = installationPayload.shape.repositories.unwrap().element.safeParse(r);
      if (parsed.success) repos.push(parsed.data);
    }
    if (list.length < 100) return repos;
  }
}
