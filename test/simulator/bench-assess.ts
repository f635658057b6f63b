import { pino } from "pino";
import { runOrganisation, type RunOctokit } from "../../src/assessment/run-organisation.js";
import { RunConfigCache, withRunConfig } from "../../src/config/config-cache.js";
import type { CostPerRepository } from "../../src/app/backfill-plan.js";
import { productionOctokit } from "./app-harness.js";
import type { BenchStage, Figure } from "./bench-figures.js";
import { mb } from "./bench-figures.js";
import { busyScenario, generateScenario } from "./generate.js";
import { parseScenario } from "./scenario.js";
import { startSimulator } from "./server.js";
import { parse } from "graphql";
import { COLLECTORS } from "../../src/collectors/index.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { connectionRequests } from "./graphql.js";
import { assessRepository } from "../../src/assessment/assess-repository.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { GitHubClient, type OctokitLike } from "../../src/github/client.js";
import type { StageContext } from "./bench-figures.js";

/** What GitHub's cost formula charges each collector's fragment, exactly, from the documents alone. */
export function fragmentCosts(): Figure[] {
  const variables = { owner: "o", name: "n", branch: "main", qualifiedBranch: "refs/heads/main", since: "2026-01-01T00:00:00Z" };
  const rows = COLLECTORS.flatMap((c) => (c.repositoryFragment ? [{ id: c.id, requests: connectionRequests(parse(buildRepositoryQuery([c.repositoryFragment])), variables) }] : []));
  const points = (n: number) => Math.max(1, Math.round(n / 100));
  const alone = connectionRequests(parse(buildRepositoryQuery(COLLECTORS.flatMap((c) => (c.repositoryFragment ? [c.repositoryFragment] : [])))), variables);
  // Within a run, fragments leave out what the run reads once (the organisation's teams).
  const inRun = connectionRequests(parse(buildRepositoryQuery(COLLECTORS.flatMap((c) => { const f = c.runFragment ?? c.repositoryFragment; return f ? [f] : []; }))), variables);
  return [
    {
      name: "batched repository query: connection requests (points = requests / 100, rounded)",
      measured: `${inRun} → ${points(inRun)} points in a run; ${alone} → ${points(alone)} alone`,
      target: "≤ 3 points",
      met: points(inRun) <= 3,
      note: rows.map((r) => `${r.id} ${r.requests}`).join(", "),
    },
  ];
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Issue 15's busy repository: 100 pull requests merged in the window and their 100 merge commits
 * (`busyScenario`), in a run of `repos` such repositories and alone. Per repository, exact: what
 * its own assessment was charged. A run's shared reads (every repository's own configuration, the
 * organisation's teams) are charged to the repository that asked first, and the first repository
 * of a run is assessed as a lone one, so the median is the typical repository's cost.
 */
async function busyRepositoryFigure(ctx: StageContext, repos = 20): Promise<Figure> {
  ctx.progress(`assess: ${repos} repositories with 100 merged pull requests and 100 commits each`);
  const sim = await startSimulator(parseScenario(busyScenario({ repos, mergedPullRequests: 100 })), { latencyMs: ctx.latencyMs, primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 } });
  try {
    const Octokit = productionOctokit(undefined, !ctx.relaxed);
    const octokit = new Octokit({ auth: "bench-token", baseUrl: sim.url, log: pino({ level: "silent" }) } as never) as unknown as RunOctokit;
    const run = await runOrganisation({ octokit: withRunConfig(octokit, new RunConfigCache()), org: sim.model.org.login, concurrency: ctx.concurrency });
    const assessed = run.assessment.repositories;
    const points = median(assessed.map((a) => a.requests.graphqlCost));
    const rest = median(assessed.map((a) => a.requests.rest));
    const queries = median(assessed.map((a) => a.requests.graphql));
    const merged = assessed.map((a) => a.findings.find((f) => f.id === "reviews.merged-prs")?.value);
    const alone = await assessRepository({ client: new GitHubClient(octokit as unknown as OctokitLike), owner: sim.model.org.login, name: assessed[0]!.name, config: DEFAULT_CONFIG });
    const total = (key: "rest" | "graphqlCost") => assessed.reduce((n, a) => n + a.requests[key], 0) / assessed.length;
    return {
      name: "repository with 100 merged pull requests and 100 commits in the window: REST / GraphQL / points (median in a run)",
      measured: `${rest} / ${queries} / ${points}; alone ${alone.requests.graphqlCost} points`,
      target: "≤ 6 REST, ≤ 3 points",
      met: rest <= 6 && points <= 3 && merged.every((m) => m === 100),
      note: `${repos} such repositories in a run; run average ${total("rest").toFixed(2)} REST and ${total("graphqlCost").toFixed(2)} points a repository, the run's shared reads included; merged pull requests read ${[...new Set(merged)].join(", ")}`,
    };
  } finally {
    await sim.stop();
  }
}

/*
 * Full assessments of synthetic organisations the way `claimcheck assess` runs them (the
 * organisation's configuration shared by the run): requests and GraphQL points per repository,
 * exact, and wall time. The simulator shares this process, so RSS here includes its model.
 */

export type AssessOutcome = { cost: CostPerRepository | null; secondsPerRepository: number };

export function assessStage(sizes: readonly number[], outcome: AssessOutcome): BenchStage {
  return {
    name: "full assessment",
    async run(ctx) {
      const figures: Figure[] = [...fragmentCosts(), await busyRepositoryFigure(ctx)];
      for (const size of sizes) {
        ctx.progress(`assess: simulating an organisation of ${size} repositories`);
        const sim = await startSimulator(parseScenario(generateScenario({ repos: size, seed: 7 })), { latencyMs: ctx.latencyMs, primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 } });
        const Octokit = productionOctokit(undefined, !ctx.relaxed);
        const octokit = new Octokit({ auth: "bench-token", baseUrl: sim.url, log: pino({ level: "silent" }) } as never) as unknown as RunOctokit;
        let peak = process.memoryUsage().rss;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
        const started = Date.now();
        let last = started;
        try {
          await runOrganisation({
            octokit: withRunConfig(octokit, new RunConfigCache()),
            org: sim.model.org.login,
            concurrency: ctx.concurrency,
            onProgress: ({ done, total }) => {
              if (Date.now() - last < 10_000) return;
              last = Date.now();
              ctx.progress(`assess: ${size}: ${done}/${total} after ${Math.round((Date.now() - started) / 1000)} s`);
            },
          });
        } finally {
          clearInterval(sampler);
          await sim.stop();
        }
        const wall = (Date.now() - started) / 1000;
        const s = sim.stats;
        const per = (n: number) => n / size;
        outcome.cost = { rest: Math.ceil(per(s.rest) * 10) / 10, graphql: Math.ceil(per(s.graphqlCost) * 10) / 10 };
        outcome.secondsPerRepository = wall / size;
        ctx.progress(`assess: ${size} done in ${wall.toFixed(1)} s; unknown routes ${JSON.stringify(s.unknownRoutes)}; unmodelled fields ${JSON.stringify(s.unmodelledFields)}`);
        figures.push({
          name: `full assessment, ${size.toLocaleString("en-GB")} repositories: REST / GraphQL / points per repository`,
          measured: `${per(s.rest).toFixed(2)} / ${per(s.graphql).toFixed(2)} / ${per(s.graphqlCost).toFixed(2)}`,
          target: "≤ 6 REST, ≤ 3 points",
          met: per(s.rest) <= 6 && per(s.graphqlCost) <= 3,
          note: `wall ${wall.toFixed(1)} s at ${ctx.latencyMs} ms a request, concurrency ${ctx.concurrency}, ${ctx.relaxed ? "relaxed" : "production"} throttle; peak RSS ${mb(peak)} with the simulator in the same process`,
        });
      }
      return figures;
    },
  };
}
