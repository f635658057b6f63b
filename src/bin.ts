#!/usr/bin/env node
import { boundHeapGrowth } from "./app/heap-policy.js";
import { runCli } from "./cli.js";
import { nodeRuntimeProblem } from "./store/node-runtime.js";

// Said once, up front, rather than as a database error of whichever command opens the store first.
const runtime = nodeRuntimeProblem(process.versions.node);
if (runtime) {
  process.stderr.write(`claimcheck: ${runtime}\n`);
  process.exit(2);
}

// As the app does: an organisation-wide run makes megabytes of garbage per repository, and with
// V8's default growth its heap (and RSS) grew far past what it kept alive between collections.
boundHeapGrowth();

// Progress rewrites one line of a terminal; piped or redirected stderr gets none.
const progress = process.stderr.isTTY ? (text: string) => process.stderr.write(`\r\x1b[K${text}`) : undefined;

// A report is written a piece at a time, waiting while standard output is full.
const write = (chunk: string) => (process.stdout.write(chunk) ? Promise.resolve() : new Promise<void>((resolve) => process.stdout.once("drain", () => resolve())));

const code = await runCli(process.argv.slice(2), { out: (line) => process.stdout.write(`${line}\n`), write, err: (line) => process.stderr.write(`${line}\n`), progress });
process.exitCode = code;
