import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../../src/cli.js";
import { startApp } from "./app-harness.js";
import { sha } from "./model.js";
import { loadScenario } from "./scenario.js";
import { startSimulator } from "./server.js";
import { deliver, installationCreated, pullRequestOpened } from "./webhooks.js";

/*
 * `npm run demo`: the whole product with no GitHub account. A simulated organisation, the app
 * installed on it and receiving pull requests, then the CLI's organisation report.
 */

/* eslint-disable no-console -- a command-line program: its output is the point */
const scenarioFile = process.argv[2] ?? fileURLToPath(new URL("./scenarios/acme.yml", import.meta.url));
const sim = await startSimulator(loadScenario(scenarioFile), { latencyMs: 5 });
console.log(`simulated GitHub for organisation "${sim.model.org.login}" at ${sim.url} (${sim.model.repoList.length} repositories, from ${scenarioFile})`);

const app = await startApp({ githubUrl: sim.url, spaceWrites: false });
console.log(`claimcheck app listening for webhooks at ${app.webhookUrl}`);

console.log("\n1. installing the app: every repository is assessed…");
await deliver(app.webhookUrl, app.secret, installationCreated(sim.model));
await app.idle();

console.log("2. a pull request is opened in every repository: each gets a check run…");
for (const repo of sim.model.repoList) await deliver(app.webhookUrl, app.secret, pullRequestOpened(sim.model, repo, sha("demo", repo.spec.name)));
await app.idle();
for (const run of sim.model.checkRuns) {
  const output = run.output as { title?: string; summary?: string } | null;
  console.log(`   check run #${run.id} on ${run.repo}@${run.head_sha.slice(0, 7)}: ${run.conclusion} — ${output?.title ?? ""}`);
}
console.log(`   issues opened by the app: ${sim.model.issues.length}`);
for (const issue of sim.model.issues.slice(0, 10)) console.log(`   - ${issue.repo}#${issue.number}: ${issue.title}`);

const dir = mkdtempSync(join(tmpdir(), "claimcheck-demo-"));
const report = join(dir, "report.md");
console.log(`\n3. the CLI assesses the organisation: claimcheck assess --org ${sim.model.org.login} --api-url ${sim.url} --out ${report}`);
const code = await runCli(["assess", "--org", sim.model.org.login, "--api-url", sim.url, "--out", report], { out: (l) => console.log(`   ${l}`), err: (l) => console.log(`   ${l}`) }, { env: { GITHUB_TOKEN: "demo-token" } });

const checkRunsFile = join(dir, "check-runs.md");
const { writeFileSync } = await import("node:fs");
writeFileSync(checkRunsFile, sim.model.checkRuns.map((r) => `# ${r.repo} @ ${r.head_sha}\n\n${JSON.stringify(r.output, null, 2)}\n`).join("\n"));
console.log(`\nWhere to look:
  organisation report (CLI):     ${report}
  check runs the app published:  ${checkRunsFile}
  requests GitHub would have served: ${sim.stats.rest} REST, ${sim.stats.graphql} GraphQL (${sim.stats.graphqlCost} points)
CLI exit code ${code}.`);
await app.stop();
await sim.stop();
