import type { CheckRunOutput, Conclusion } from "../render/check-run.js";
import { CHECK_RUN_NAME } from "../render/check-run.js";

type ChecksWriter = {
  request: (route: string, params: Record<string, unknown>) => Promise<{ data: unknown }>;
};

export type CheckRunRequest = {
  owner: string;
  repo: string;
  headSha: string;
  conclusion: Conclusion;
  output: CheckRunOutput;
  detailsUrl?: string | undefined;
  completedAt?: Date;
};

/** The only code that creates check runs. Returns the new check run's id. */
export async function publishCheckRun(octokit: ChecksWriter, request: CheckRunRequest): Promise<number> {
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
    owner: request.owner,
    repo: request.repo,
    name: CHECK_RUN_NAME,
    head_sha: request.headSha,
    status: "completed",
    conclusion: request.conclusion,
    completed_at: (request.completedAt ?? new Date()).toISOString(),
    ...(request.detailsUrl ? { details_url: request.detailsUrl } : {}),
    output: request.output.text ? request.output : { title: request.output.title, summary: request.output.summary },
  });
  const id = (data as { id?: unknown } | null)?.id;
  if (typeof id !== "number") throw new Error("GitHub's answer to creating a check run had no id");
  return id;
}
