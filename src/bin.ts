#!/usr/bin/env node
import { runCli } from "./cli.js";
import { nodeRuntimeProblem } from "./store/node-runtime.js";

// Said once, up front, rather than as a database error of whichever command opens the store first.
const runtime = nodeRuntimeProblem(process.versions.node);
if (runtime) {
  process.stderr.write(`claimcheck: ${runtime}\n`);
  process.exit(2);
}

// Progress rewrites one line of a terminal; piped or redirected stderr gets none.
const progress = process.stderr.isTTY ? (text: string) => process.stderr.write(`\r\x1b[K${text}`) : undefined;

// A report is written a piece at a time, waiting while standard output is full.
const write = (chunk: string) => (process.stdout.write(chunk) ? Promise.resolve() : new Promise<void>((resolve) => process.stdout.once("drain", () => resolve())));

const code = await runCli(process.argv.slice(2), { out: (line) => process.stdout.write(`${line}\n`), write, err: (line) => process.stderr.write(`${line}\n`), progress });
process.exitCode = code;
