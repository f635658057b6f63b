import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/*
 * SQLite in WAL mode appends each commit to the write-ahead log and, once the log passes its
 * threshold, copies it into the database file and syncs both to disk: a checkpoint, run by
 * whichever commit crossed the threshold. better-sqlite3 is synchronous, so that commit held the
 * app's only JavaScript thread for the checkpoint's writes and two fsyncs — tens of milliseconds on
 * a busy disk, every few assessments of a backfill, while webhooks waited. Here a worker thread
 * with a connection of its own checkpoints the log every second instead (PASSIVE: it never waits
 * for, nor blocks, the app's readers and writers), and the app's connection keeps a much higher
 * threshold of its own only as a backstop, for a worker that fell behind or stopped.
 */

/** How often the worker checkpoints: at a backfill's write rate the log stays a few megabytes. */
export const CHECKPOINT_INTERVAL_MS = 1000;
/**
 * The app's own connection checkpoints only past this many pages of log (SQLite's default is 1,000,
 * 4 MB): 64 MB, which the worker's checkpoints every second keep the log well below.
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 16_000;

export type WalCheckpointer = {
  /** Checkpoints once more and resolves when the worker and its connection are closed. */
  stop(): Promise<void>;
  /** Checkpoints the worker has run (for tests). */
  checkpoints(): Promise<number>;
};

/**
 * The worker's code, plain CommonJS evaluated as a script: it runs under Node alone whether the
 * app runs compiled, under tsx or under a test runner, and loads the same SQLite driver the app
 * resolved (passed as a path), so both connections share one SQLite library and its file locks.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
let checkpoints = 0;
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    checkpoints += 1;
  } catch (error) {
    parentPort.postMessage({ type: "error", message: String(error && error.message || error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message === "count") parentPort.postMessage({ type: "count", checkpoints });
  if (message === "stop") {
    clearInterval(timer);
    checkpoint();
    db.close();
    parentPort.postMessage({ type: "stopped" });
    parentPort.close();
  }
});
`;

/**
 * Starts checkpointing the database at `path` (a file, in WAL mode, already open and migrated by
 * the caller) from a worker thread. `onError` hears a checkpoint that failed; the backstop then
 * still bounds the log.
 */
export function startWalCheckpointer(path: string, onError: (message: string) => void, intervalMs = CHECKPOINT_INTERVAL_MS): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, intervalMs } });
  // Never what keeps the process alive: a process that is otherwise done exits.
  worker.unref();
  const waiting = new Map<string, (message: { type: string; checkpoints?: number }) => void>();
  let exited = false;
  worker.on("message", (message: { type: string; message?: string; checkpoints?: number }) => {
    if (message.type === "error") onError(message.message ?? "unknown error");
    waiting.get(message.type)?.(message);
    waiting.delete(message.type);
  });
  worker.on("error", (error) => onError(error.message));
  const exit = new Promise<void>((resolve) => worker.once("exit", () => {
    exited = true;
    for (const resolveWaiting of waiting.values()) resolveWaiting({ type: "exit" });
    waiting.clear();
    resolve();
  }));
  const ask = (question: string, answer: string) => (exited ? Promise.resolve({ type: "exit" } as { type: string; checkpoints?: number }) : new Promise<{ type: string; checkpoints?: number }>((resolve) => {
    waiting.set(answer, resolve);
    worker.postMessage(question);
  }));
  return {
    async stop() {
      await ask("stop", "stopped");
      await exit;
    },
    async checkpoints() {
      return (await ask("count", "count")).checkpoints ?? 0;
    },
  };
}
