import { readTeamRepositories, type TeamRepositories } from "../collectors/team-repositories.js";
import type { RunReads } from "../collectors/types.js";
import type { GitHubClient } from "../github/client.js";

/*
 * What the repositories of one run read once between them. A run is recognised by its Octokit: an
 * organisation-wide run (the CLI's, an app backfill) assesses every repository through one, while
 * each webhook delivery gets its own. The first repository through an Octokit is assessed on its
 * own (one batched query, as a lone pull request's is); from the second on, within RUN_MAX_AGE_MS,
 * organisation-wide facts come from one read for all of them. An Octokit belongs to one
 * installation, so nothing read here reaches another.
 */

export const RUN_MAX_AGE_MS = 10 * 60 * 1000;

type Run = { startedAt: number; repositories: number; teams: Map<string, Promise<TeamRepositories>> };

const runs = new WeakMap<object, Run>();

/** The shared reads for this assessment, or null when it is the first (or only) of its Octokit. */
export function runReadsFor(client: GitHubClient, now: () => number = Date.now): RunReads | null {
  let run = runs.get(client.source);
  if (!run || now() - run.startedAt > RUN_MAX_AGE_MS) {
    run = { startedAt: now(), repositories: 0, teams: new Map() };
    runs.set(client.source, run);
  }
  run.repositories += 1;
  if (run.repositories < 2) return null;
  const shared = run;
  return {
    teamRepositories(org, at) {
      const key = org.toLowerCase();
      let read = shared.teams.get(key);
      if (!read) {
        // Charged to the repository that asked first: the run's total is what GitHub charged.
        read = readTeamRepositories(client, org, at);
        shared.teams.set(key, read);
      }
      return read;
    },
  };
}
