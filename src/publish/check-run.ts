import { z } from "zod";
import type { CheckRunOutput, Conclusion } from "../render/check-run.js";
import { CHECK_RUN_NAME } from "../render/check-run.js";

type ChecksClient = {
  request: (route: string, params: Record<string, unknown>) => Promise<{ data: unknown }>;
};

export type CheckRunRequest = {
  owner: string;
  repo: string;
  headSha: string;
  conclusion: Conclusion;
  output: CheckRunOutput;
  /**
   * The delivery the check run answers, kept by GitHub as the run's `external_id` ("a reference for
   * the run on the integrator's system", REST: Create a check run): a job tried again after its
   * replica was lost between GitHub creating the run and the store recording it finds the run by it
   * (`findCheckRunOf`) instead of publishing a second one.
   */
  externalId: string;
  detailsUrl?: string | undefined;
  completedAt?: Date;
};

/** The only code that creates check runs. Returns the new check run's id. */
export async function publishCheckRun(octokit: ChecksClient, request: CheckRunRequest): Promise<number> {
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
    owner: request.owner,
    repo: request.repo,
    name: CHECK_RUN_NAME,
    head_sha: request.headSha,
    external_id: request.externalId,
    status: "completed",
    conclusion: request.conclusion,
    completed_at: (request.completedAt ?? new Date()).toISOString(),
    ...(request.detailsUrl ? { details_url: request.detailsUrl } : {}),
    output: request.output.text ? request.output : { title: request.output.title, summary: request.output.summary },
    // Not sent again by Octokit's retries: a 5xx or a dropped connection can come after GitHub made
    // the run, and only the job's retry looks for it (by `external_id`) before publishing again.
    request: { retries: 0 },
  });
  const id = (data as { id?: unknown } | null)?.id;
  if (typeof id !== "number") throw new Error("GitHub's answer to creating a check run had no id");
  return id;
}

const listedRuns = z.object({
  total_count: z.number().int().min(0),
  check_runs: z.array(z.looseObject({ id: z.number().int(), name: z.string(), external_id: z.string().nullable().optional() })),
});

/** A commit holds few of claimcheck's runs (one per delivery that asked); more pages than this is not an answer to trust. */
const MAX_PAGES = 10;

/**
 * The id of the check run claimcheck published on `headSha` for `externalId` (its delivery), or
 * null when there is none. Every run of that name on the commit is looked at (`filter=all`, not only
 * the latest: a later delivery's run may have followed it). REST: List check runs for a Git reference.
 */
export async function findCheckRunOf(octokit: ChecksClient, target: { owner: string; repo: string; headSha: string; externalId: string }): Promise<number | null> {
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner: target.owner, repo: target.repo, ref: target.headSha, check_name: CHECK_RUN_NAME, filter: "all", per_page: 100, page });
    const parsed = listedRuns.safeParse(data);
    if (!parsed.success) throw new Error(`GitHub's answer to listing the check runs of ${target.headSha} was not a list of check runs (${parsed.error.issues[0]?.message ?? "invalid"})`);
    const found = parsed.data.check_runs.find((run) => run.name === CHECK_RUN_NAME && run.external_id === target.externalId);
    if (found) return found.id;
    if (parsed.data.check_runs.length < 100 || page * 100 >= parsed.data.total_count) return null;
  }
  // Not known either way: publishing could make a second run, not publishing could lose it.
  throw new Error(`more than ${MAX_PAGES * 100} check runs named ${CHECK_RUN_NAME} on ${target.headSha}: could not tell whether this delivery's was published`);
}
