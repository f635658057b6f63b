import type { Model, Repo } from "./model.js";
import type { RestAnswer, RestRequest } from "./rest.js";

/*
 * GET /repos/{owner}/{repo}/actions/workflows: every workflow file on the default branch as GitHub
 * lists it, with its state (`active` unless the scenario's `workflowStates` says otherwise, e.g.
 * `disabled_manually`). Only `.yml`/`.yaml` files directly in .github/workflows are workflows.
 */

const WORKFLOW_FILE = /^\.github\/workflows\/[^/]+\.ya?ml$/;

export function workflowList(_model: Model, repo: Repo, req: RestRequest): RestAnswer {
  const paths = Object.keys(repo.spec.files).filter((p) => WORKFLOW_FILE.test(p)).sort();
  const workflows = paths.map((path, i) => {
    const id = repo.id * 100 + i;
    return {
      id,
      node_id: `W_${id}`,
      name: path.slice(path.lastIndexOf("/") + 1),
      path,
      state: repo.spec.workflowStates[path] ?? "active",
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
      url: `https://api.github.com/repos/${repo.fullName}/actions/workflows/${id}`,
      html_url: `https://github.com/${repo.fullName}/blob/${repo.spec.defaultBranch}/${path}`,
      badge_url: `https://github.com/${repo.fullName}/workflows/${id}/badge.svg`,
    };
  });
  const perPage = Math.min(100, Math.max(1, Number(req.query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(req.query.get("page") ?? 1) || 1);
  return { status: 200, body: { total_count: workflows.length, workflows: workflows.slice((page - 1) * perPage, page * perPage) } };
}
