import { parseArgs } from "node:util";
import { generateScenario } from "./generate.js";
import { parseScenario } from "./scenario.js";
import { startSimulator } from "./server.js";
import { installationCreated, pullRequestOpened } from "./webhooks.js";
import { sha } from "./model.js";

/*
 * The simulator in a process of its own (hourly budgets unlimited, content creation's included: a benchmark measures the app, not the wait for a reset), so a benchmark can measure the app's memory without the
 * simulator's model in it. Started with `tsx test/simulator/sim-process.ts --repos N --latency MS`;
 * it prints one JSON line with its URL and answers commands on stdin, one JSON line each:
 * {"delivery":"installation"} and {"delivery":"pull_request","repo":i,"head":"…","number":n}
 * print the delivery to send; {"stop":true} ends it.
 */

/* eslint-disable no-console -- the parent reads this process's stdout */
const { values } = parseArgs({ options: { repos: { type: "string", default: "20" }, latency: { type: "string", default: "30" }, seed: { type: "string", default: "9" } } });
const sim = await startSimulator(parseScenario(generateScenario({ repos: Number(values.repos), seed: Number(values.seed) })), { latencyMs: Number(values.latency), primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 }, secondary: { contentPerHour: 1e9 } });
console.log(JSON.stringify({ url: sim.url, installation: sim.model.scenario.installation.id, repos: sim.model.repoList.length }));

let buffer = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  buffer += chunk;
  for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
    const line = buffer.slice(0, at);
    buffer = buffer.slice(at + 1);
    const command = JSON.parse(line) as { delivery?: string; repo?: number; head?: string; number?: number; stop?: boolean; stats?: boolean };
    if (command.stop) {
      void sim.stop().then(() => process.exit(0));
      return;
    }
    if (command.stats) console.log(JSON.stringify({ stats: { requests: sim.stats.requests, checkRuns: sim.model.checkRuns.length } }));
    else if (command.delivery === "installation") console.log(JSON.stringify({ delivery: installationCreated(sim.model) }));
    else if (command.delivery === "pull_request") console.log(JSON.stringify({ delivery: pullRequestOpened(sim.model, sim.model.repoList[command.repo ?? 0]!, command.head ?? sha("bench", 0), command.number) }));
  }
});
