import type pg from "pg";
import { withSessionLock } from "../store/postgres.js";

/*
 * One issue run per installation at a time across every replica. In one process the issue runs of
 * an installation are already one at a time (issue-run-queue.ts); replicas each have their own,
 * and two runs reading the same known issues at once would both open the issue neither had seen
 * yet (the organisation's summary issue, opened by whichever run comes first). On PostgreSQL a run
 * therefore holds the installation's advisory lock while it reads and writes.
 */

/** Runs `run` while no other replica runs an issue run of `installationId`. */
export type IssueRunLock = <T>(installationId: number, run: () => Promise<T>) => Promise<T>;

/** In one process nothing more is needed. */
export const inProcessIssueRuns: IssueRunLock = (_installationId, run) => run();

/**
 * The lock on a connection of `pool` held for the run (a session-level advisory lock goes with its
 * connection, so a replica that dies mid-run releases it). `pool` must be the lock's own: a run
 * holding one of its connections spends the content budget through another pool, and waiting runs
 * of other installations only wait for one of these.
 */
export function postgresIssueRuns(pool: pg.Pool): IssueRunLock {
  return (installationId, run) => withSessionLock(pool, `claimcheck:issue-run:${installationId}`, () => run());
}
