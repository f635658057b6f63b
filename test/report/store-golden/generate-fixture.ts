import { gzipSync } from "node:zlib";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { runOrganisation, type RunOctokit } from "../../../src/assessment/run-organisation.js";
import { productionOctokit } from "../../simulator/app-harness.js";
import { generateScenario } from "../../simulator/generate.js";
import { parseScenario } from "../../simulator/scenario.js";
import { startSimulator } from "../../simulator/server.js";

/*
 * Writes assessments.json.gz beside this file: the assessments of a generated organisation of 20
 * repositories (seed 7) through the simulator, the input of the multi-repository byte-equality
 * test (store-golden.test.ts). Run once with `npx tsx test/report/store-golden/generate-fixture.ts`;
 * regenerating it changes that test's expected hashes, so do it only with a deliberate change of
 * what is collected.
 */

const sim = await startSimulator(parseScenario(generateScenario({ repos: 20, seed: 7 })), { latencyMs: 0, primary: { restPerHour: 1e9, graphqlPointsPerHour: 1e9 } });
const Octokit = productionOctokit(undefined, false);
const octokit = new Octokit({ auth: "fixture-token", baseUrl: sim.url, log: pino({ level: "silent" }) } as never) as unknown as RunOctokit;
const { assessment: run } = await runOrganisation({ octokit, org: sim.model.org.login, concurrency: 4 });
await sim.stop();
const out = fileURLToPath(new URL("./assessments.json.gz", import.meta.url));
writeFileSync(out, gzipSync(JSON.stringify(run)));
process.exit(0);
