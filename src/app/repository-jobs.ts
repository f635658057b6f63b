import type { Logger } from "pino";
import { z } from "zod";
import { statusOf } from "../github/client.js";
import { announced, configInterner, withRunConfig, type RunConfigCache } from "../config/config-cache.js";
import { repoConfigSchema, type RepoConfig } from "../config/repo-config.js";
import type { JobInfo, JobQueue, Lane, RetryPolicy } from "../queue/job-queue.js";
import { backfillOf, enqueueBackfillInSlices, repositoriesAssessedFor, settleRepository, stillPending, unfinishedBackfill } from "../store/backfill-records.js";
import type { Store } from "../store/store.js";
import { RUN_MAX_AGE_MS } from "../assessment/run-shared.js";
import type { Backfiller } from "./backfill.js";
import { assessForCheckRun, configOf, publishIssues, reassess, type Assessed, type InstallationOctokit, type PipelineDeps, type Trigger } from "./pipeline.js";
import { observeRateLimits, probeRateLimits, type RateBudgets } from "./rate-budget.js";
import { SCHEDULED_TRIGGER } from "./sweep.js";

/*
 * The app's work on repositories as jobs of the queue: data only (installation, repository,
 * head commit, trigger), so that whichever process takes a job off the queue can run it; each
 * asks Probot for the installation's Octokit. A job's follow-up — the repository's issues after
 * its assessment, a backfill's next batch after its last repository — is queued by the job
 * itself, never awaited by whoever queued it.
 *
 * Keys: a repository's own work is keyed by its full name (one job at a time per repository);
 * its issue writes by `issues:<full name>` in a lane of their own, so that neither a check run nor a
 * backfill's repositories wait for them (they wait on the installation's issue run); a backfill's
 * planning by `backfill:<installation id>` (one step at a time per installation).
 */

export const REPOSITORY_JOBS = {
  checkRun: "repository-check-run",
  reassess: "repository-reassessment",
  issues: "repository-issues",
  backfillBatch: "backfill-batch",
  backfillRepository: "backfill-repository",
} as const;

const triggerData = z.object({ name: z.string().min(1), deliveryId: z.string().min(1) });
const repositoryData = z.object({ installationId: z.number().int(), owner: z.string().min(1), repo: z.string().min(1), fullName: z.string().min(1), trigger: triggerData });
export const checkRunData = repositoryData.extend({ headSha: z.string().regex(/^[0-9a-f]{40}$/), onlyIfNew: z.boolean() });
const issuesData = z.object({ installationId: z.number().int(), org: z.string().min(1), assessed: z.array(z.object({ fullName: z.string().min(1), config: repoConfigSchema })).min(1) });
const backfillBatchData = z.object({ installationId: z.number().int() });
/** `batch`: the repositories planned with this one; the last of them to settle queues the next step. */
const backfillRepositoryData = repositoryData.extend({ batch: z.array(z.string().min(1)).min(1).max(1000) });

export type CheckRunData = z.infer<typeof checkRunData>;

/**
 * A check run's job is tried again when it failed or its replica was lost: the pull request would
 * otherwise never get its check run. Safe, because the pipeline finds what an earlier attempt for
 * the same delivery stored and published (pipeline.ts `assessForCheckRun`).
 */
const CHECK_RUN_RETRY: RetryPolicy = { limit: 3, delaySeconds: 10 };
/**
 * A webhook's reassessment (a setting changed) is tried again too; a retry finds the assessment an
 * earlier attempt stored for the delivery and does nothing. The scheduled sweep's is not retried by
 * the job: its next tick finds the repository still due.
 */
const REASSESS_RETRY: RetryPolicy = { limit: 2, delaySeconds: 30 };
/**
 * Issue writes are tried again: a retry plans from the store and lists on GitHub the repositories
 * whose issues it does not know, so an issue created by an attempt whose replica died before
 * storing it is found by its marker and adopted, not opened twice (publish/issues.ts).
 */
const ISSUES_RETRY: RetryPolicy = { limit: 2, delaySeconds: 60 };

/** Whether an attempt that failed is the job's last: only then is its delivery marked failed. */
function lastAttempt(info: JobInfo, policy: RetryPolicy): boolean {
  return info.attempt > policy.limit;
}

/** A planning step that failed (the store, a budget probe) is tried again, so the backfill does not stall until the next start. */
const BACKFILL_STEP_RETRY: RetryPolicy = { limit: 3, delaySeconds: 30 };
/**
 * A backfill's repository job is retried only when it never finished: its replica was lost holding
 * it (the queue's supervision failed it) or the store failed around it; an assessment that fails is counted, not
 * thrown. Without a retry the lost repository would stay pending, its batch would never be
 * settled, and no next step would be queued until a process started or maintenance looked. The
 * retry finds a repository another job settled meanwhile and does nothing, so none is assessed twice.
 */
const BACKFILL_REPOSITORY_RETRY: RetryPolicy = { limit: 3, delaySeconds: 5 };

export type RepositoryJobDeps = {
  queue: JobQueue;
  store: Store;
  log: Logger;
  pipeline: PipelineDeps;
  backfiller: Backfiller<Assessed>;
  budgets: RateBudgets;
  now: () => Date;
  /** The installation's Octokit, from Probot. */
  octokitFor: (installationId: number) => Promise<InstallationOctokit>;
};

/**
 * What this process remembers of a backfill it queued or stepped: the configuration reads shared
 * by its repositories (their own files read a hundred at a time), and what it assessed, for the
 * issues written when the backfill ends. Only an optimisation and the issues' configurations:
 * the backfill's progress is in the store.
 */
type BackfillRun = { configs: RunConfigCache; intern: (config: RepoConfig) => RepoConfig; assessed: Map<string, RepoConfig>; touchedAt: number; octokit?: Promise<InstallationOctokit> };

/**
 * A run this process has not touched for this long is forgotten: another replica finished the
 * backfill. Longer than a pause for the budgets to reset (an hour), so the process that
 * finishes a backfill still knows what it assessed before the pause.
 */
const FORGET_RUN_AFTER_MS = 2 * 60 * 60 * 1000;

/**
 * GitHub refused the request itself: the repository or commit is gone (404, 410: deleted,
 * renamed, transferred, force-pushed away) or the request is invalid (400, 422). The same request
 * again would be refused again; a rate limit (403, 429) or a server error (5xx) may pass later.
 */
const REFUSED_FOR_GOOD = new Set([400, 404, 410, 422]);

function refusedForGood(error: unknown): boolean {
  const status = statusOf(error);
  return status !== null && REFUSED_FOR_GOOD.has(status);
}

function splitName(fullName: string): { owner: string; repo: string } {
  const [owner, repo] = fullName.split("/") as [string, string];
  return { owner, repo };
}

function causeOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function defineRepositoryJobs(deps: RepositoryJobDeps) {
  const { queue, store, log, pipeline, backfiller, budgets } = deps;
  const runs = new Map<number, BackfillRun>();

  const observed = async (installationId: number) => {
    const octokit = await deps.octokitFor(installationId);
    observeRateLimits(octokit, budgets.of(installationId));
    return octokit;
  };

  /*
   * A run's repositories share one Octokit in this process: the assessment recognises a run by
   * its Octokit and reads organisation-wide facts (the teams' repositories) once for all of them
   * (assessment/run-shared.ts). A backfill's is kept with the run; the sweep's, per installation,
   * for as long as such a run lasts. Each webhook delivery still gets an Octokit of its own.
   */
  const background = new Map<number, { octokit: Promise<InstallationOctokit>; at: number }>();
  function backgroundOctokit(installationId: number): Promise<InstallationOctokit> {
    const now = Date.now();
    for (const [id, entry] of background) if (now - entry.at > RUN_MAX_AGE_MS) background.delete(id);
    let entry = background.get(installationId);
    if (!entry) {
      entry = { octokit: observed(installationId), at: now };
      background.set(installationId, entry);
      const made = entry;
      made.octokit.catch(() => background.get(installationId) === made && background.delete(installationId));
    }
    return entry.octokit;
  }
  function runOctokit(installationId: number, run: BackfillRun): Promise<InstallationOctokit> {
    if (!run.octokit) {
      const made = observed(installationId).then((octokit) => withRunConfig(octokit, run.configs));
      run.octokit = made;
      made.catch(() => run.octokit === made && delete run.octokit);
    }
    return run.octokit;
  }

  /** The repositories' issues, as a job of their own: issue writes wait on GitHub's content budget, and no check run waits for them. */
  async function issuesAfter(installationId: number, assessed: readonly Pick<Assessed, "fullName" | "config">[]): Promise<void> {
    for (const a of assessed) {
      if (!a.config.issues.enabled) continue;
      await queue.enqueueRepository(REPOSITORY_JOBS.issues, { installationId, repository: `issues:${a.fullName}`, lane: "issues" }, { installationId, org: splitName(a.fullName).owner, assessed: [{ fullName: a.fullName, config: a.config }] });
    }
  }

  /**
   * A kind of repository job whose run is an assessment (null: nothing to do), then its issues
   * queued — also when an earlier attempt did the assessment, since it may have died before
   * queueing them (issue writes find what was written). A failure of the last attempt, or one no
   * attempt can mend (GitHub refusing the request itself), is recorded, with its repository, on the
   * delivery the job came from (scheduled work has no delivery row: nothing changes); otherwise the
   * job fails, and is retried while `policy` allows.
   */
  function defineAssessing<S extends typeof repositoryData>(kind: string, schema: S, policy: RetryPolicy, assess: (job: z.infer<S>, info: JobInfo) => Promise<Pick<Assessed, "fullName" | "config"> | null>): void {
    queue.define(kind, {
      schema,
      retry: policy,
      run: async (job: z.infer<S>, info) => {
        let assessed: Pick<Assessed, "fullName" | "config"> | null;
        try {
          assessed = await assess(job, info);
        } catch (error) {
          const permanent = refusedForGood(error);
          if (permanent || lastAttempt(info, policy)) await store.finishDelivery(job.trigger.deliveryId, { ok: false, error: `${job.fullName}: ${causeOf(error)}` });
          if (!permanent) throw error;
          log.warn({ repo: job.fullName, delivery: job.trigger.deliveryId, status: statusOf(error), err: causeOf(error) }, "GitHub refused the request itself; not tried again");
          return;
        }
        if (assessed) await issuesAfter(job.installationId, [assessed]);
      },
    });
  }

  defineAssessing(REPOSITORY_JOBS.checkRun, checkRunData, CHECK_RUN_RETRY, async (job, info) => {
    const target = { installationId: job.installationId, owner: job.owner, repo: job.repo };
    const octokit = await deps.octokitFor(job.installationId);
    await store.ensureInstallation(target.installationId, target.owner);
    if (job.onlyIfNew && (await store.hasCheckRun(target.installationId, job.fullName, job.headSha))) {
      log.info({ repo: job.fullName, sha: job.headSha }, "check run already published for this commit");
      return null;
    }
    return assessForCheckRun(pipeline, octokit, target, job.headSha, job.trigger, info.signal);
  });

  defineAssessing(REPOSITORY_JOBS.reassess, repositoryData, REASSESS_RETRY, async (job, info) => {
    const scheduled = job.trigger.name === SCHEDULED_TRIGGER;
    // The sweep's retry is its next tick, which finds the repository still due.
    if (scheduled && info.attempt > 1) return null;
    const octokit = info.target?.lane === "background" ? await backgroundOctokit(job.installationId) : await observed(job.installationId);
    const target = { installationId: job.installationId, owner: job.owner, repo: job.repo };
    if (!scheduled && (await store.hasAssessmentFromDelivery(job.installationId, job.fullName, job.trigger.deliveryId))) {
      // A retry after the assessment was stored, or a second job for the delivery (its delivery job was tried again).
      log.info({ repo: job.fullName, delivery: job.trigger.deliveryId }, "reassessment of this delivery already stored");
      return { fullName: job.fullName, config: await configOf(pipeline, octokit, target) };
    }
    return reassess(pipeline, octokit, target, job.trigger);
  });

  queue.define(REPOSITORY_JOBS.issues, {
    schema: issuesData,
    retry: ISSUES_RETRY,
    run: async (job) => publishIssues(pipeline, await deps.octokitFor(job.installationId), { installationId: job.installationId, org: job.org }, job.assessed),
  });

  const batchTarget = (installationId: number) => ({ installationId, repository: `backfill:${installationId}`, lane: "background" as Lane, coalesce: "next" });

  /** The backfill's next planning step; one already waiting (or waiting out a pause) absorbs it. */
  function nextBackfillStep(installationId: number, delayMs?: number): Promise<boolean> {
    return queue.enqueueRepository(REPOSITORY_JOBS.backfillBatch, batchTarget(installationId), { installationId }, delayMs === undefined ? {} : { delayMs });
  }

  function runOf(installationId: number, repos: readonly string[]): BackfillRun {
    const now = Date.now();
    for (const [id, stale] of runs) if (now - stale.touchedAt > FORGET_RUN_AFTER_MS) runs.delete(id);
    let run = runs.get(installationId);
    if (!run) {
      run = { configs: announced(repos), intern: configInterner<RepoConfig>(), assessed: new Map(), touchedAt: now };
      runs.set(installationId, run);
    } else {
      for (const [owner, names] of byOwner(repos)) run.configs.expect(owner, names);
      run.touchedAt = now;
    }
    return run;
  }

  queue.define(REPOSITORY_JOBS.backfillBatch, {
    schema: backfillBatchData,
    retry: BACKFILL_STEP_RETRY,
    run: async ({ installationId }) => {
      const next = await backfiller.step(installationId, { probe: async () => probeRateLimits(await observed(installationId), budgets.of(installationId)) });
      if (next.kind === "paused") {
        await nextBackfillStep(installationId, next.waitMs);
        return;
      }
      if (next.kind === "finished") {
        const run = runs.get(installationId);
        runs.delete(installationId);
        if (!next.justFinished || !run || run.assessed.size === 0) return;
        const assessed = [...run.assessed].map(([fullName, config]) => ({ fullName, config }));
        await publishIssues(pipeline, await deps.octokitFor(installationId), { installationId, org: splitName(assessed[0]!.fullName).owner }, assessed);
        return;
      }
      const row = await backfillOf(store, installationId);
      if (!row) return;
      // A process that did not queue this backfill (a restart, another replica) shares reads within the batch.
      if (!runs.has(installationId)) runOf(installationId, next.repos);
      for (const fullName of next.repos) {
        const data: z.infer<typeof backfillRepositoryData> = { installationId, ...splitName(fullName), fullName, batch: next.repos, trigger: { name: row.trigger, deliveryId: row.deliveryId } };
        await queue.enqueueRepository(REPOSITORY_JOBS.backfillRepository, { installationId, repository: fullName, lane: "background", coalesce: "backfill" }, data);
      }
    },
  });

  queue.define(REPOSITORY_JOBS.backfillRepository, {
    schema: backfillRepositoryData,
    retry: BACKFILL_REPOSITORY_RETRY,
    run: async (job) => {
      const installationId = job.installationId;
      // Settled by a job that ran before this one (a step taken twice, or this job's first attempt
      // on a replica that died before it could queue the next step): never assessed again, but the
      // batch is still looked at, or a batch whose last repository was settled that way would end
      // the backfill's progress.
      const pending = (await stillPending(store, installationId, [job.fullName])).length > 0;
      if (pending && (await store.hasAssessmentFromDelivery(installationId, job.fullName, job.trigger.deliveryId))) {
        // Assessed for this backfill by a job whose replica died (killed) after storing the
        // assessment and before settling the repository; this is its retry, or another step's job
        // for it: settled now, not assessed a second time.
        await settleRepository(store, installationId, job.fullName, true, deps.now());
      } else if (pending) {
        const run = runOf(installationId, []);
        try {
          const assessed = await backfiller.settle(installationId, job.fullName, async () => reassess(pipeline, await runOctokit(installationId, run), { installationId, owner: job.owner, repo: job.repo }, job.trigger));
          run.assessed.set(assessed.fullName, run.intern(assessed.config));
        } catch (error) {
          // Counted as failed in the backfill's progress; the delivery says which and why.
          await store.finishDelivery(job.trigger.deliveryId, { ok: false, error: `${job.fullName}: ${causeOf(error)}` });
        }
      }
      if ((await stillPending(store, installationId, job.batch)).length === 0) await nextBackfillStep(installationId);
    },
  });

  return {
    /** A pull request's (or check suite's) check run on `headSha`. */
    checkRun: (data: CheckRunData) => queue.enqueueRepository(REPOSITORY_JOBS.checkRun, { installationId: data.installationId, repository: data.fullName, lane: "webhook" }, data),

    /**
     * One repository assessed again for `trigger`. Background work (the scheduled sweep) with the
     * same trigger coalesces: a job that has not started reads the repository afresh anyway.
     */
    reassess: (installationId: number, fullName: string, trigger: Trigger, lane: Lane) =>
      queue.enqueueRepository(REPOSITORY_JOBS.reassess, { installationId, repository: fullName, lane, ...(lane === "background" ? { coalesce: trigger.name } : {}) }, { installationId, ...splitName(fullName), fullName, trigger }),

    /** Queues `repos` in the installation's backfill (starting one, or joining the unfinished one) and its next step. */
    backfill: async (installationId: number, repos: readonly string[], trigger: Trigger) => {
      await enqueueBackfillInSlices(store, installationId, repos, trigger, deps.now());
      runOf(installationId, repos);
      await nextBackfillStep(installationId);
    },

    /** Of `repos`, those with no assessment stored for the delivery `deliveryId` or for the backfill it started or joined (its work tried again). */
    notAssessedFor: async (installationId: number, repos: readonly string[], deliveryId: string): Promise<string[]> => {
      const backfill = await backfillOf(store, installationId);
      const done = await repositoriesAssessedFor(store, installationId, backfill ? [deliveryId, backfill.deliveryId] : [deliveryId]);
      return repos.filter((fullName) => !done.has(fullName));
    },

    /** The unfinished backfill of an installation (a restart, a killed process) taken up where its progress in the store stands. */
    resumeBackfill: async (installationId: number) => {
      if (!(await unfinishedBackfill(store, installationId))) return;
      log.info({ installation: installationId }, "resuming an unfinished backfill");
      await nextBackfillStep(installationId);
    },
  };
}

function byOwner(fullNames: readonly string[]): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const fullName of fullNames) {
    const { owner, repo } = splitName(fullName);
    if (!owner || !repo) continue;
    const repos = owners.get(owner) ?? [];
    repos.push(repo);
    owners.set(owner, repos);
  }
  return owners;
}
