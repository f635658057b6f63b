import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/*
 * What every `claimcheck` command shares: how it talks to the terminal, its usage errors (exit 2,
 * one line, then the command's usage), and the check of an output file made before any work starts.
 */

export type CliIo = {
  out: (line: string) => void;
  /**
   * Standard output a piece at a time, resolved when it may take more: a large report is written
   * so, never held as one string. Without it, a report is given to `out` whole.
   */
  write?: ((chunk: string) => Promise<void>) | undefined;
  err: (line: string) => void;
  /** Live progress; given only when stderr is a terminal. An empty text clears it. */
  progress?: ((text: string) => void) | undefined;
};

/** A mistake in how the command was called: printed with the command's usage, exit 2. */
export class UsageError extends Error {}

/** A command of the CLI: `claimcheck NAME …`. Adding one is adding an entry to the table in cli.ts. */
export type CliCommand<Deps> = {
  name: string;
  /** One line for `claimcheck --help`. */
  summary: string;
  /** The full `claimcheck NAME --help` text: synopsis and every option. */
  help: string;
  run: (args: string[], io: CliIo, deps: Deps) => Promise<number>;
};

export function isParseArgsError(error: unknown): error is TypeError {
  return error instanceof TypeError && "code" in error && String((error as { code: unknown }).code).startsWith("ERR_PARSE_ARGS");
}

export function wantsHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

/**
 * Proves `--out FILE` can be written before anything is assessed or read: a run of several minutes
 * must not end in "cannot write". `mustNotExist` is for outputs that are never overwritten.
 */
export function checkOutPath(path: string, options: { mustNotExist?: boolean } = {}): void {
  if (path.trim() === "") throw new UsageError("--out needs a file name");
  const full = resolve(path);
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new UsageError(`--out ${path}: ${reasonOf(error)}`);
  }
  if (existing?.isDirectory()) throw new UsageError(`--out ${path}: is a directory; give a file name`);
  if (existing && options.mustNotExist) throw new UsageError(`--out ${path}: the file already exists (it is never overwritten)`);
  if (existing) {
    try {
      accessSync(full, constants.W_OK);
    } catch {
      throw new UsageError(`--out ${path}: the file is not writable`);
    }
    return;
  }
  const dir = dirname(full);
  let parent: ReturnType<typeof statSync>;
  try {
    parent = statSync(dir);
  } catch {
    throw new UsageError(`--out ${path}: the directory ${dir} does not exist`);
  }
  if (!parent.isDirectory()) throw new UsageError(`--out ${path}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`--out ${path}: the directory ${dir} is not writable`);
  }
}

/** An operating-system error in words, without the stack or the syscall noise. */
export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const words: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    ENOENT: "no such file or directory",
    EISDIR: "is a directory",
    ENOSPC: "no space left on the device",
    EROFS: "read-only file system",
    EEXIST: "the file already exists",
    ENOTDIR: "a part of the path is not a directory",
  };
  if (code && words[code]) return words[code];
  return error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : String(error);
}
