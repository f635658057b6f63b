import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { storedHistory } from "./app/stored-history.js";
import { DEFAULT_HISTORY_DAYS } from "./report/history.js";
import { historyJson, renderHistoryHtml, renderHistoryMarkdown } from "./report/history-render.js";
import { Store } from "./store/store.js";
import { checkOutPath, UsageError, wantsHelp, type CliCommand } from "./cli-common.js";

/*
 * `claimcheck history`: how each claim's status moved over the last N days, from the assessments
 * the app stored for one organisation (nothing is read from GitHub).
 * Exit codes: 0 printed, 2 usage or setup error.
 */

export const HISTORY_SYNOPSIS = "  claimcheck history --org ORG [--days 90] [--format md|json|html] [--out FILE]";

const HISTORY_USAGE = `usage:
${HISTORY_SYNOPSIS}

Reads the database named by DATABASE_URL (default file:./data/claimcheck.db).`;

export const HISTORY_HELP = `usage:
${HISTORY_SYNOPSIS}

Shows how each claim's status moved, from the assessments the app stored for an organisation
(nothing is read from GitHub).

options:
  --org ORG              the organisation (its installation of the app must be in the database)
  --days N               how many days back, 1 to 365 (default ${DEFAULT_HISTORY_DAYS})
  --format md|json|html  Markdown (default), JSON, or a standalone HTML page
  --out FILE             write to FILE instead of standard output (replaced if it exists)
  -h, --help             show this help

environment:
  DATABASE_URL           the app's database: a SQLite file (default file:./data/claimcheck.db)
                         or a PostgreSQL server (postgres://user@host:5432/database)

exit codes: 0 printed, 2 usage or setup error.`;

class HistoryUsageError extends Error {}

export type HistoryIo = { out: (line: string) => void; err: (line: string) => void };
export type HistoryDeps = { env?: Record<string, string | undefined>; now?: () => Date };

function parseDays(value: string | undefined): number {
  if (value === undefined) return DEFAULT_HISTORY_DAYS;
  const days = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > 365) throw new HistoryUsageError(`--days must be a whole number of days from 1 to 365, not "${value}"`);
  return days;
}

export async function runHistory(args: string[], io: HistoryIo, deps: HistoryDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  let store: Store | undefined;
  try {
    if (wantsHelp(args)) {
      io.out(HISTORY_HELP);
      return 0;
    }
    const { values } = parseArgs({ args, options: { org: { type: "string" }, days: { type: "string" }, format: { type: "string" }, out: { type: "string" } }, strict: true });
    const org = values.org;
    if (!org) throw new HistoryUsageError("--org is required");
    const days = parseDays(values.days);
    const format = values.format ?? "md";
    if (format !== "md" && format !== "json" && format !== "html") throw new HistoryUsageError(`--format must be md, json or html, not "${format}"`);
    if (values.out !== undefined) checkOutPath(values.out);
    store = await Store.open(env.DATABASE_URL ?? "file:./data/claimcheck.db");
    const installation = await store.installationByLogin(org);
    if (!installation) throw new HistoryUsageError(`no installation of claimcheck for organisation "${org}" in this database`);
    const history = await storedHistory(store, installation.id, deps.now?.() ?? new Date(), days);
    const text = format === "json" ? `${JSON.stringify(historyJson(installation.accountLogin, history), null, 2)}\n` : format === "html" ? renderHistoryHtml(installation.accountLogin, history) : renderHistoryMarkdown(installation.accountLogin, history);
    if (values.out) {
      writeFileSync(values.out, text);
      io.err(`wrote the history of ${installation.accountLogin} to ${values.out}`);
    } else {
      io.out(text.replace(/\n$/, ""));
    }
    return 0;
  } catch (error) {
    if (error instanceof HistoryUsageError || error instanceof UsageError || (error instanceof TypeError && "code" in error && String((error as { code: unknown }).code).startsWith("ERR_PARSE_ARGS"))) {
      io.err(`claimcheck: ${error.message}`);
      io.err(HISTORY_USAGE);
      return 2;
    }
    io.err(`claimcheck: ${error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : String(error)}`);
    return 2;
  } finally {
    await store?.close();
  }
}

export const historyCommand: CliCommand<HistoryDeps> = {
  name: "history",
  summary: "show how each claim's status moved, from the assessments the app stored",
  help: HISTORY_HELP,
  run: runHistory,
};
