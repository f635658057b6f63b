import { assessCommand, type AssessDeps } from "./cli-assess.js";
import { auditCommand } from "./cli-audit.js";
import { historyCommand } from "./cli-history.js";
import { wantsHelp, type CliCommand, type CliIo } from "./cli-common.js";
import { VERSION } from "./version.js";

/*
 * `claimcheck`: the command line around the same store and pipeline the app uses. Each command is
 * its own module; this file only finds the command and prints the overview.
 * Exit codes: 0 done, 1 the answer is bad news (gaps under --fail-on, a broken chain), 2 usage or setup error.
 */

export type { CliIo } from "./cli-common.js";
export type CliDeps = AssessDeps;

/** The commands, in the order `claimcheck --help` lists them. A new command is one more entry. */
export const COMMANDS: readonly CliCommand<CliDeps>[] = [assessCommand, historyCommand, auditCommand as CliCommand<CliDeps>];

export const OVERVIEW = `usage: claimcheck COMMAND [options]

Evidence for the UK Software Security Code of Practice self-assessment, read from GitHub.

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join("\n")}

Run \`claimcheck COMMAND --help\` for a command's options, \`claimcheck --version\` for the version.
exit codes: 0 done, 1 bad news (gaps with --fail-on gap, a broken audit chain), 2 usage, credential or connection error.`;

export async function runCli(argv: string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V") {
    io.out(`claimcheck ${VERSION}`);
    return 0;
  }
  if (name === undefined || name === "help" || (name.startsWith("-") && wantsHelp([name]))) {
    if (name === undefined) {
      io.err("claimcheck: no command given");
      io.err(OVERVIEW);
      return 2;
    }
    const topic = name === "help" ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.out(topic ? topic.help : OVERVIEW);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`claimcheck: unknown command: ${name}`);
    io.err(OVERVIEW);
    return 2;
  }
  return command.run(rest, io, deps);
}
