import { DEFAULT_RESERVE_FRACTION, MEASURED_COST, planBackfill, type CostPerRepository } from "../../src/app/backfill-plan.js";
import { BENCH_HELP, BenchUsageError, parseBenchArgs, type BenchArgs } from "./bench-args.js";
import { appStage } from "./bench-app.js";
import { assessStage, type AssessOutcome } from "./bench-assess.js";
import { printFigures, type BenchStage, type Figure, type StageContext } from "./bench-figures.js";
import { renderStage } from "./bench-render.js";
import { replicasStage } from "./bench-replicas.js";
import { auditStage, memoryStage } from "./bench-history-stages.js";

/*
 * `npm run bench [-- --help]`: claimcheck measured against the local GitHub simulator, each figure
 * printed beside its target. Stages are modules (bench-*.ts) returning figures; a new stage is one
 * line in `stagesFor`. Progress goes to stderr, the table to stdout. Never a test.
 */

/* eslint-disable no-console -- a command-line program: its output is the point */

let args: BenchArgs;
try {
  const parsed = parseBenchArgs(process.argv.slice(2));
  if (parsed === "help") {
    console.log(BENCH_HELP);
    process.exit(0);
  }
  args = parsed;
} catch (error) {
  if (!(error instanceof BenchUsageError)) throw error;
  console.error(`bench: ${error.message}`);
  console.error("bench: npm run bench -- --help lists the options");
  process.exit(2);
}

const started = Date.now();
const progress = (line: string) => console.error(`[bench +${Math.round((Date.now() - started) / 1000)} s] ${line}`);
const ctx: StageContext = { latencyMs: args.latencyMs, concurrency: args.concurrency, relaxed: args.relaxed, profileApp: args.profileApp, appPriority: args.appPriority, progress };

/*
 * The backfill scheduler's verdict for 10,000 repositories under the hourly budgets GitHub gives
 * one installation (GraphQL scales like REST, up to 12,500 points; 10,000 on Enterprise Cloud),
 * from a fresh window: a dry plan, no simulation.
 */
function planStage(outcome: AssessOutcome): BenchStage {
  return {
    name: "backfill plan",
    run: async () => {
      const cost: CostPerRepository = outcome.cost ?? MEASURED_COST;
      const now = new Date();
      const fresh = (limit: number) => ({ limit, remaining: limit, resetAt: new Date(now.getTime() + 3_600_000) });
      progress(`plan: 10,000 repositories at ${cost.rest} REST + ${cost.graphql} points each (${outcome.cost ? "measured above" : "the recorded figure"}), ${DEFAULT_RESERVE_FRACTION * 100} % of each limit reserved`);
      return ([[5_000, 5_000], [12_500, 12_500], [15_000, 10_000]] as const).map(([rest, graphql]): Figure => {
        const plan = planBackfill({ pending: 10_000, cost, budget: { rest: fresh(rest), graphql: fresh(graphql) }, now, secondsPerRepository: outcome.secondsPerRepository });
        const hours = (plan.finishAt.getTime() - now.getTime()) / 3_600_000;
        return { name: `backfill of 10,000 at ${rest.toLocaleString("en-GB")} REST / ${graphql.toLocaleString("en-GB")} points an hour`, measured: `${plan.perWindow} a window (${plan.boundBy}-bound), ${plan.batches.length} windows, ${hours.toFixed(1)} h`, target: "planned on reported limits", met: null };
      });
    },
  };
}

function stagesFor(a: BenchArgs): BenchStage[] {
  const outcome: AssessOutcome = { cost: null, secondsPerRepository: 0 };
  const all: Record<string, BenchStage> = {
    assess: assessStage(a.sizes, outcome),
    app: appStage(a.backfillSize, a.appPasses),
    render: renderStage(a.renderSizes),
    plan: planStage(outcome),
    audit: auditStage(a.auditEvents),
    memory: memoryStage(a.memorySizes),
    replicas: replicasStage(a.replicas, a.databaseUrl, a.backfillSize),
  };
  return a.stages.map((s) => all[s]!);
}

const figures: Figure[] = [];
for (const stage of stagesFor(args)) {
  progress(`stage: ${stage.name}`);
  try {
    figures.push(...(await stage.run(ctx)));
  } catch (error) {
    progress(`stage ${stage.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    figures.push({ name: stage.name, measured: "failed", target: "—", met: false, note: error instanceof Error ? error.message : String(error) });
  }
}
progress(`done in ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`\nclaimcheck benchmark (${args.latencyMs} ms a request, concurrency ${args.concurrency}, ${args.relaxed ? "relaxed" : "production"} throttle; Node ${process.version})\n`);
printFigures(figures, console.log);
process.exit(figures.some((f) => f.measured === "failed") ? 1 : 0);
