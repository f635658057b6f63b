import { createWriteStream, openSync } from "node:fs";
import { parseArgs } from "node:util";
import { exportLines } from "./audit/export.js";
import { ASSESS_SYNOPSIS, runAssess, type AssessDeps } from "./cli-assess.js";
import { HISTORY_SYNOPSIS, runHistory } from "./cli-history.js";
import { AuditTrail } from "./audit/trail.js";
import { readEnv } from "./config/env.js";
import { Store } from "./store/store.js";

/*
 * `claimcheck`: the command line around the same store and pipeline the app uses.
 * Exit codes: 0 done, 1 the answer is bad news (a broken chain), 2 usage or setup error.
 */

const USAGE = `usage:
${ASSESS_SYNOPSIS}
${HISTORY_SYNOPSIS}
  claimcheck audit verify --org ORG
  claimcheck audit export --org ORG [--since YYYY-MM-DD] [--format jsonl|csv] [--out FILE]

assess reads GitHub with GITHUB_TOKEN or the app's credentials (APP_ID with PRIVATE_KEY or PRIVATE_KEY_PATH);
audit reads the database named by DATABASE_URL (default file:./data/claimcheck.db).`;

class UsageError extends Error {}

function openStore(): Store {
  const env = readEnv(process.env);
  if (!env.ok) throw new UsageError(env.message);
  return Store.open(env.env.DATABASE_URL);
}

function installationOf(store: Store, org: string | undefined): number {
  if (!org) throw new UsageError("--org is required");
  const installation = store.installationByLogin(org);
  if (!installation) throw new UsageError(`no installation of claimcheck for organisation "${org}" in this database`);
  return installation.id;
}

function parseSince(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(`${value}${/^\d{4}-\d\d-\d\d$/.test(value) ? "T00:00:00Z" : ""}`);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--since: "${value}" is not a date (use YYYY-MM-DD)`);
  return date;
}

/** Streams lines to a new file (never overwriting one) or, without --out, to the output. */
async function writeAll(lines: Iterable<string>, out: string | undefined, io: CliIo): Promise<number> {
  let count = 0;
  if (!out) {
    for (const line of lines) {
      io.out(line);
      count += 1;
    }
    return count;
  }
  // Opening first makes "the file exists" a clear error before anything is written.
  const stream = createWriteStream(out, { fd: openSync(out, "wx") });
  const failed = new Promise<never>((_, reject) => stream.once("error", reject));
  for (const line of lines) {
    if (!stream.write(`${line}\n`)) await Promise.race([new Promise<void>((resolve) => stream.once("drain", () => resolve())), failed]);
    count += 1;
  }
  await Promise.race([new Promise<void>((resolve) => stream.end(() => resolve())), failed]);
  return count;
}

export type CliIo = { out: (line: string) => void; err: (line: string) => void; progress?: ((text: string) => void) | undefined };

export async function runCli(argv: string[], io: CliIo, deps: AssessDeps = {}): Promise<number> {
  if (argv[0] === "assess") return runAssess(argv.slice(1), io, deps);
  if (argv[0] === "history") return runHistory(argv.slice(1), io, deps);
  const [group, command, ...rest] = argv;
  try {
    if (group !== "audit" || (command !== "verify" && command !== "export")) throw new UsageError(group ? `unknown command: ${[group, command].filter(Boolean).join(" ")}` : "no command given");
    const { values } = parseArgs({
      args: rest,
      options: { org: { type: "string" }, since: { type: "string" }, format: { type: "string" }, out: { type: "string" } },
      strict: true,
    });
    if (command === "verify") {
      const store = openStore();
      try {
        const result = new AuditTrail(store).verify(installationOf(store, values.org));
        if (result.ok) {
          io.out(`audit trail of ${values.org} verified: ${result.checked} events from link ${result.fromSeq}, head ${result.headHash}`);
          return 0;
        }
        io.out(`audit trail of ${values.org} is BROKEN at link ${result.brokenAt.seq} (row ${result.brokenAt.id}): ${result.brokenAt.reason}; ${result.checked} links before it verified`);
        return 1;
      } finally {
        store.close();
      }
    }
    const format = values.format ?? "jsonl";
    if (format !== "jsonl" && format !== "csv") throw new UsageError(`--format must be jsonl or csv, not "${format}"`);
    const since = parseSince(values.since);
    const store = openStore();
    try {
      const trail = new AuditTrail(store);
      const installationId = installationOf(store, values.org);
      const count = await writeAll(exportLines(trail.events(installationId, since), format), values.out, io);
      if (values.out) io.err(`wrote ${format === "csv" ? count - 1 : count} events to ${values.out}`);
      return 0;
    } finally {
      store.close();
    }
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String((error as { code: unknown }).code).startsWith("ERR_PARSE_ARGS"))) {
      io.err(`claimcheck: ${error.message}`);
      io.err(USAGE);
      return 2;
    }
    io.err(`claimcheck: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}
