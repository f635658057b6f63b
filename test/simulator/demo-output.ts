import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { CheckRunRecord, IssueRecord } from "./model.js";
import { parseScenario, type Scenario } from "./scenario.js";

/*
 * What `npm run demo` leaves behind: the check runs, issues and report as Markdown files a person
 * opens in an editor or a Markdown viewer, in a directory of their choosing (by default
 * ./claimcheck-demo), never a temporary path they would have to fish out of the output.
 */

export const DEFAULT_DEMO_DIR = "claimcheck-demo";

/** GitHub organisations keep community files and the profile in `.github`; claimcheck writes organisation-level issues there. */
export function withCentralRepository(scenario: Scenario): Scenario {
  if (scenario.repositories.some((r) => r.name.toLowerCase() === ".github")) return scenario;
  const [central] = parseScenario({ org: { login: scenario.org.login }, repositories: [{ name: ".github", files: { "profile/README.md": `# ${scenario.org.login}\n` } }] }).repositories;
  return { ...scenario, repositories: [...scenario.repositories, central!] };
}

/** Prepares the output directory: created when missing; an existing file in its place is an error. */
export function demoDirectory(path: string): string {
  const dir = resolve(path);
  try {
    if (!statSync(dir).isDirectory()) throw new Error(`--out ${path}: is a file, not a directory`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(join(dir, "check-runs"), { recursive: true });
  mkdirSync(join(dir, "issues"), { recursive: true });
  return dir;
}

/** A repository name as a visible file name: `.github` would be a hidden file, so it becomes `dot-github`. */
const fileName = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^\./, "dot-");

export function checkRunMarkdown(run: CheckRunRecord): string {
  const output = (run.output ?? {}) as { title?: string; summary?: string; text?: string };
  return [
    `**${run.name}** on \`${run.repo}\` at \`${run.head_sha.slice(0, 7)}\` — conclusion \`${run.conclusion ?? run.status}\``,
    "",
    `## ${output.title ?? ""}`,
    "",
    output.summary ?? "",
    "",
    "<details><summary>Details</summary>",
    "",
    output.text ?? "",
    "",
    "</details>",
    "",
  ].join("\n");
}

export function issueMarkdown(issue: IssueRecord): string {
  const comments = issue.comments.flatMap((c, i) => [`### Comment ${i + 1}`, "", c, ""]);
  return [`# ${issue.title}`, "", `\`${issue.repo}#${issue.number}\` · ${issue.state} · labels: ${issue.labels.map((l) => `\`${l}\``).join(", ") || "none"}`, "", issue.body, "", ...comments].join("\n");
}

export type WrittenFiles = { index: string; checkRuns: string[]; issues: string[] };

/** Writes every check run (the latest per repository) and every issue; returns the paths, relative to `cwd`. */
export function writeDemoFiles(dir: string, checkRuns: readonly CheckRunRecord[], issues: readonly IssueRecord[], cwd = process.cwd()): WrittenFiles {
  const latest = new Map<string, CheckRunRecord>();
  for (const run of checkRuns) latest.set(run.repo, run);
  const checkRunFiles = [...latest.values()].map((run) => {
    const file = join(dir, "check-runs", `${fileName(run.repo.split("/")[1] ?? run.repo)}.md`);
    writeFileSync(file, checkRunMarkdown(run));
    return relative(cwd, file);
  });
  const issueFiles = issues.map((issue) => {
    const file = join(dir, "issues", `${fileName(issue.repo.split("/")[1] ?? issue.repo)}-${issue.number}.md`);
    writeFileSync(file, issueMarkdown(issue));
    return relative(cwd, file);
  });
  const index = join(dir, "index.md");
  const runs = [...latest.values()];
  writeFileSync(
    index,
    [
      "# What claimcheck produced in the demo",
      "",
      "- [The organisation's self-assessment report](report.md) (`claimcheck assess`)",
      "",
      "## Check runs, one per repository",
      "",
      ...runs.map((run, i) => `- [\`${run.repo}\`](${relative(dir, join(cwd, checkRunFiles[i]!))}): ${(run.output as { title?: string } | null)?.title ?? ""}`),
      "",
      "## Issues",
      "",
      ...issues.map((issue, i) => `- [\`${issue.repo}#${issue.number}\`](${relative(dir, join(cwd, issueFiles[i]!))}) (${issue.state}): ${issue.title}`),
      "",
    ].join("\n"),
  );
  return { index: relative(cwd, index), checkRuns: checkRunFiles, issues: issueFiles };
}
