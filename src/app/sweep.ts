import type { Logger } from "pino";
import type { RepoConfig } from "../config/repo-config.js";
import type { Store } from "../store/store.js";
import { unfinishedBackfill } from "../store/backfill-records.js";
import type { RateBudgets } from "./rate-budget.js";
import { planSweep, type SweepPlan } from "./sweep-plan.js";

/*
 * Scheduled re-assessment: the thin runner around `planSweep`. Every tick, per installation, the
 * repositories whose evidence is due are queued for re-assessment as background repository jobs
 * (webhook work never waits behind them), within the hourly budgets less the webhook reserve;
 * REST reads go out with the ETags of earlier answers, so unchanged settings come back 304 and
 * cost no rate limit. The assessments read organisation evidence too, so it is refreshed on the
 * same cadence. Each job, whichever process runs it, then has its repository's issues updated.
 */

export const SWEEP_TICK_MS = 15 * 60 * 1000;
/** The trigger stored with a scheduled assessment. */
export const SCHEDULED_TRIGGER = "reassessment.scheduled";

/** `queued`: repository jobs queued this tick (one already waiting for a repository absorbs its new one). */
export type SweepOutcome = { installationId: number; plan: SweepPlan; queued: number; skipped?: string };

export type SweepDeps<O> = {
  store: Store;
  log: Logger;
  budgets: RateBudgets;
  now: () => Date;
  tickMs: number;
  /** The installation's Octokit, observed by its rate budget. */
  octokitFor: (installationId: number) => Promise<O>;
  /** The organisation's configuration (its `.github` repository's claimcheck.yml). */
  orgConfig: (octokit: O, org: string) => Promise<RepoConfig>;
  /** Asks GitHub for the budgets when none has been reported (free). */
  probe?: (octokit: O, installationId: number) => Promise<unknown>;
  /** Queues one repository's re-assessment as background work; false when a waiting job absorbed it. */
  reassess: (installationId: number, fullName: string) => Promise<boolean>;
};

/** One tick over every active installation; one installation's failure does not stop the others. */
export async function sweepOnce<O>(deps: SweepDeps<O>): Promise<SweepOutcome[]> {
  const outcomes: SweepOutcome[] = [];
  for (const installation of await deps.store.activeInstallations()) {
    try {
      outcomes.push(await sweepInstallation(deps, installation.id, installation.accountLogin));
    } catch (error) {
      deps.log.error({ installation: installation.id, err: error instanceof Error ? error.message : String(error) }, "scheduled re-assessment failed for installation");
    }
  }
  return outcomes;
}

async function sweepInstallation<O>(deps: SweepDeps<O>, installationId: number, org: string): Promise<SweepOutcome> {
  const empty = (skipped: string): SweepOutcome => ({ installationId, plan: { take: [], due: 0, deferred: 0, share: 0 }, queued: 0, skipped });
  // A backfill already reads every repository within the budgets: the sweep would only compete.
  if (await unfinishedBackfill(deps.store, installationId)) return empty("a backfill is under way");
  const known = new Map<string, string | null>((await deps.store.repositoriesOf(installationId)).map((name) => [name, null]));
  for (const [name, at] of await deps.store.lastAssessedAt(installationId)) known.set(name, at);
  if (known.size === 0) return empty("no repository known");
  const octokit = await deps.octokitFor(installationId);
  const config = await deps.orgConfig(octokit, org);
  const candidates = [...known].map(([fullName, lastAssessedAt]) => ({ fullName, lastAssessedAt }));
  await deps.budgets.of(installationId).refresh();
  const planFor = () => planSweep({ repositories: candidates, everyHours: config.reassessment.everyHours, now: deps.now(), tickMs: deps.tickMs, budget: deps.budgets.of(installationId).current() });
  let plan = planFor();
  const readings = deps.budgets.of(installationId).current();
  if (plan.due > 0 && (!readings.rest || !readings.graphql) && deps.probe) {
    await deps.probe(octokit, installationId);
    plan = planFor();
  }
  if (plan.take.length === 0) return { installationId, plan, queued: 0 };
  let queued = 0;
  for (const fullName of plan.take) if (await deps.reassess(installationId, fullName)) queued += 1;
  const fields = { installation: installationId, everyHours: config.reassessment.everyHours, due: plan.due, taken: plan.take.length, deferred: plan.deferred, queued };
  deps.log.info(fields, plan.deferred > 0 ? "scheduled re-assessment queued; the hourly budgets leave some due repositories for a later tick" : "scheduled re-assessment queued");
  return { installationId, plan, queued };
}
