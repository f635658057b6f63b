import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runCli } from "../../src/cli.js";
import { startApp } from "./app-harness.js";
import { DEFAULT_DEMO_DIR, demoDirectory, withCentralRepository, writeDemoFiles } from "./demo-output.js";
import { sha } from "./model.js";
import { loadScenario } from "./scenario.js";
import { startSimulator } from "./server.js";
import { deliver, installationCreated, pullRequestOpened } from "./webhooks.js";

/*
 * `npm run demo`: the whole product with no GitHub account. A simulated organisation, the app
 * installed on it and receiving pull requests, then the CLI's organisation report; what the app
 * wrote to "GitHub" and the report are left as Markdown files in a directory the user names.
 */

/* eslint-disable no-console -- a command-line program: its output is the point */
const USAGE = `usage: npm run demo -- [--out DIR] [SCENARIO.yml]

Runs claimcheck against a simulated GitHub organisation (test/simulator/scenarios/acme.yml unless a
scenario file is given) and writes what it produced as Markdown files:
  DIR/check-runs/REPO.md   the check run the app published on a pull request in each repository
  DIR/issues/REPO-N.md     each gap issue and the evidence summary issue it opened
  DIR/report.md            the organisation's self-assessment report from \`claimcheck assess\`

options:
  --out DIR    where to write them (default ./${DEFAULT_DEMO_DIR}; created if missing, files in it replaced)
  -h, --help   show this help`;

let parsed: ReturnType<typeof parseArgs<{ options: { out: { type: "string" }; help: { type: "boolean"; short: "h" } }; allowPositionals: true }>>;
try {
  parsed = parseArgs({ options: { out: { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: true });
} catch (error) {
  console.error(`demo: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (parsed.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const scenarioFile = parsed.positionals[0] ?? fileURLToPath(new URL("./scenarios/acme.yml", import.meta.url));
let dir: string;
try {
  dir = demoDirectory(parsed.values.out ?? DEFAULT_DEMO_DIR);
} catch (error) {
  console.error(`demo: ${(error as Error).message}`);
  process.exit(2);
}

const sim = await startSimulator(withCentralRepository(loadScenario(scenarioFile)), { latencyMs: 5 });
console.log(`simulated GitHub for organisation "${sim.model.org.login}" at ${sim.url}: ${sim.model.repoList.length} repositories (${sim.model.repoList.map((r) => r.spec.name).join(", ")}), from ${relative(process.cwd(), scenarioFile)}`);

const app = await startApp({ githubUrl: sim.url, spaceWrites: false });
console.log(`claimcheck app listening for webhooks at ${app.webhookUrl}`);

const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const waitWithProgress = async (what: string) => {
  // Issue writes wait on GitHub's content-creation limit (80 a minute), as they would on GitHub.
  const timer = setInterval(() => console.log(`   … ${what}: ${sim.model.checkRuns.length} check runs, ${sim.model.issues.length} issues written so far (${seconds()})`), 10_000);
  await app.idle();
  clearInterval(timer);
};

console.log("\n1. installing the app: every repository is assessed, and gap issues are opened…");
await deliver(app.webhookUrl, app.secret, installationCreated(sim.model));
await waitWithProgress("assessing");

console.log("2. a pull request is opened in every repository: each gets a check run…");
for (const repo of sim.model.repoList) await deliver(app.webhookUrl, app.secret, pullRequestOpened(sim.model, repo, sha("demo", repo.spec.name)));
await waitWithProgress("checking pull requests");
for (const run of sim.model.checkRuns) {
  const output = run.output as { title?: string } | null;
  console.log(`   ${run.repo}@${run.head_sha.slice(0, 7)}: ${run.conclusion} — ${output?.title ?? ""}`);
}
const open = sim.model.issues.filter((i) => i.state === "open");
console.log(`   issues the app keeps open: ${open.length} (${sim.model.issues.filter((i) => i.repo.endsWith("/.github")).length} of them organisation-level, in ${sim.model.org.login}/.github)`);

const report = `${dir}/report.md`;
console.log(`\n3. the CLI assesses the organisation: claimcheck assess --org ${sim.model.org.login} --api-url ${sim.url} --out ${relative(process.cwd(), report)}`);
const code = await runCli(["assess", "--org", sim.model.org.login, "--api-url", sim.url, "--out", report], { out: (l) => console.log(`   ${l}`), err: (l) => console.log(`   ${l}`) }, { env: { GITHUB_TOKEN: "demo-token" } });

const files = writeDemoFiles(dir, sim.model.checkRuns, sim.model.issues);
const where = relative(process.cwd(), dir) || ".";
const perRepo = new Map<string, number>();
for (const issue of sim.model.issues) perRepo.set(issue.repo, (perRepo.get(issue.repo) ?? 0) + 1);
console.log(`
Where to look — Markdown files in ${where}/ (start with ${files.index}):
  ${relative(process.cwd(), report)}   the organisation's report (claimcheck assess exited ${code})
  ${where}/check-runs/   ${files.checkRuns.length} check runs, one per repository (${files.checkRuns.map((f) => f.split("/").at(-1)).join(", ")})
  ${where}/issues/       ${files.issues.length} issues (${[...perRepo].map(([repo, n]) => `${repo.split("/")[1]} ${n}`).join(", ")})
Requests the simulated GitHub served: ${sim.stats.rest} REST, ${sim.stats.graphql} GraphQL (${sim.stats.graphqlCost} points).`);
await app.stop();
await sim.stop();
