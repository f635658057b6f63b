import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inProcessIssueRuns } from "../../src/app/issue-run-lock.js";
import { sharedLimits, type SharedLimits } from "../../src/app/shared-limits.js";
import { replicasForSuite, skipPostgres } from "../helpers/postgres.js";

/*
 * Issue runs of one installation, one at a time across replicas: two runs reading the known
 * issues at once would both open the issue neither has seen (the summary issue was opened twice by
 * three replicas, test/e2e/replicas.test.ts). Other installations' runs are not held up.
 */

/** A run that records when it started and ended, and waits for `release` before it ends. */
function recorder() {
  const events: string[] = [];
  const run = (name: string, release: Promise<void>) => async () => {
    events.push(`start ${name}`);
    await release;
    events.push(`end ${name}`);
    return name;
  };
  return { events, run };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe("issue runs in one process", () => {
  it("need nothing more than the process's own queue", async () => {
    expect(await inProcessIssueRuns(1, async () => "ran")).toBe("ran");
  });
});

describe.skipIf(skipPostgres("issue runs across replicas"))("issue runs across replicas on PostgreSQL", () => {
  const target = replicasForSuite(2);
  let limits: SharedLimits[] = [];
  beforeAll(() => {
    limits = target().replicas.map((pool) => sharedLimits(pool));
  });
  // Before the replicas' pools end (after-hooks run in the reverse of their order).
  afterAll(async () => {
    for (const l of limits) await l.close();
  });

  it("run one at a time for an installation, whichever replica runs them", async () => {
    const [a, b] = limits as [SharedLimits, SharedLimits];
    const { events, run } = recorder();
    let releaseFirst!: () => void;
    const first = a.issueRuns(7, run("a", new Promise<void>((resolve) => (releaseFirst = resolve))));
    await settle();
    const second = b.issueRuns(7, run("b", Promise.resolve()));
    await settle();
    // The other replica's run waits while the first holds the installation.
    expect(events).toEqual(["start a"]);
    releaseFirst();
    expect(await Promise.all([first, second])).toEqual(["a", "b"]);
    expect(events).toEqual(["start a", "end a", "start b", "end b"]);
  });

  it("do not hold up another installation's run, and let go of the lock when a run fails", async () => {
    const [a, b] = limits as [SharedLimits, SharedLimits];
    const { events, run } = recorder();
    let releaseFirst!: () => void;
    const first = a.issueRuns(8, run("a", new Promise<void>((resolve) => (releaseFirst = resolve))));
    await settle();
    expect(await b.issueRuns(9, run("other", Promise.resolve()))).toBe("other");
    releaseFirst();
    await first;
    await expect(a.issueRuns(8, () => Promise.reject(new Error("GitHub said no")))).rejects.toThrow("GitHub said no");
    expect(await b.issueRuns(8, run("after", Promise.resolve()))).toBe("after");
    expect(events).toEqual(["start a", "start other", "end other", "end a", "start after", "end after"]);
  });
});
