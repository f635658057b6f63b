import { createWriteStream, openSync } from "node:fs";
import { parseArgs } from "node:util";
import { exportLines } from "./audit/export.js";
import { AuditTrail } from "./audit/trail.js";
import { checkOutPath, isParseArgsError, reasonOf, UsageError, wantsHelp, type CliCommand, type CliIo } from "./cli-common.js";
import { databaseUrlOf } from "./config/env.js";
import { Store } from "./store/store.js";

/*
 * `claimcheck audit verify|export`: the audit trail in the app's database, checked or exported.
 * Exit codes: 0 done, 1 the chain is broken, 2 usage or setup error.
 */

export const AUDIT_HELP = `usage:
  claimcheck audit verify --org ORG
  claimcheck audit export --org ORG [--since YYYY-MM-DD] [--format jsonl|csv] [--out FILE]

Checks or exports claimcheck's hash-chained audit trail of an organisation, from the app's database.

commands:
  verify              recompute every link of the chain; exit 1 if it is broken, naming the first bad link
  export              print the recorded events, oldest first

options:
  --org ORG           the organisation (its installation of the app must be in the database)
  --since YYYY-MM-DD  export: only events recorded on or after this date (UTC)
  --format jsonl|csv  export: one JSON object per line (default) or CSV with a header row
  --out FILE          export: write to FILE instead of standard output; FILE must not exist
  -h, --help          show this help

environment:
  DATABASE_URL        the app's database: a SQLite file (default file:./data/claimcheck.db)
                      or a PostgreSQL server (postgres://user@host:5432/database)

exit codes: 0 done, 1 the chain is broken (verify), 2 usage or setup error.`;

async function openStore(): Promise<Store> {
  const url = databaseUrlOf(process.env);
  try {
    return await Store.open(url);
  } catch (error) {
    throw new Error(`environment variable DATABASE_URL: the database could not be opened (${reasonOf(error)})`);
  }
}

async function installationOf(store: Store, org: string): Promise<number> {
  const installation = await store.installationByLogin(org);
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
async function writeAll(lines: AsyncIterable<string>, out: string | undefined, io: CliIo): Promise<number> {
  let count = 0;
  if (!out) {
    for await (const line of lines) {
      io.out(line);
      count += 1;
    }
    return count;
  }
  let fd: number;
  try {
    // "wx": an existing export is never overwritten, even one created since the check.
    fd = openSync(out, "wx");
  } catch (error) {
    throw new Error(`could not write ${out}: ${reasonOf(error)}`);
  }
  const stream = createWriteStream(out, { fd });
  const failed = new Promise<never>((_, reject) => stream.once("error", (error) => reject(new Error(`could not write ${out}: ${reasonOf(error)}`))));
  // A write error while the next lines are read from the store is seen at the next race, not lost as unhandled.
  failed.catch(() => undefined);
  for await (const line of lines) {
    if (!stream.write(`${line}\n`)) await Promise.race([new Promise<void>((resolve) => stream.once("drain", () => resolve())), failed]);
    count += 1;
  }
  await Promise.race([new Promise<void>((resolve) => stream.end(() => resolve())), failed]);
  return count;
}

async function runAudit(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (wantsHelp(args)) {
      io.out(AUDIT_HELP);
      return 0;
    }
    if (command !== "verify" && command !== "export") throw new UsageError(command ? `unknown command: audit ${command}` : "audit needs a command: verify or export");
    const { values } = parseArgs({
      args: rest,
      options: { org: { type: "string" }, since: { type: "string" }, format: { type: "string" }, out: { type: "string" } },
      strict: true,
    });
    const org = values.org;
    if (!org) throw new UsageError("--org is required");
    if (command === "verify") {
      const store = await openStore();
      try {
        const result = await new AuditTrail(store).verify(await installationOf(store, org));
        if (result.ok) {
          io.out(`audit trail of ${org} verified: ${result.checked} ${result.checked === 1 ? "event" : "events"} from link ${result.fromSeq}, head ${result.headHash}`);
          return 0;
        }
        io.out(`audit trail of ${org} is BROKEN at link ${result.brokenAt.seq} (row ${result.brokenAt.id}): ${result.brokenAt.reason}; ${result.checked} links before it verified`);
        return 1;
      } finally {
        await store.close();
      }
    }
    const format = values.format ?? "jsonl";
    if (format !== "jsonl" && format !== "csv") throw new UsageError(`--format must be jsonl or csv, not "${format}"`);
    const since = parseSince(values.since);
    if (values.out !== undefined) checkOutPath(values.out, { mustNotExist: true });
    const store = await openStore();
    try {
      const trail = new AuditTrail(store);
      const installationId = await installationOf(store, org);
      const count = await writeAll(exportLines(trail.events(installationId, since), format), values.out, io);
      const events = format === "csv" ? count - 1 : count;
      if (values.out) io.err(`wrote ${events} ${events === 1 ? "event" : "events"} to ${values.out}`);
      return 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err(`claimcheck: ${error.message}`);
      io.err(AUDIT_HELP.split("\n\n")[0]!);
      io.err("Run `claimcheck audit --help` for every option.");
      return 2;
    }
    io.err(`claimcheck: ${error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : String(error)}`);
    return 2;
  }
}

export const auditCommand: CliCommand<unknown> = {
  name: "audit",
  summary: "verify or export the audit trail recorded by the app",
  help: AUDIT_HELP,
  run: (args, io) => runAudit(args, io),
};
