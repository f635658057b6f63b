import { describe, expect, it } from "vitest";
import { IssueRunQueue, type IssueRequest } from "../../src/app/issue-run-queue.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";

/** A run that stays open until the test lets it finish. */
function gatedWork() {
  const runs: { installationId: number; request: IssueRequest<string>; finish: (error?: Error) => void }[] = [];
  const work = (installationId: number, request: IssueRequest<string>) =>
    new Promise<void>((resolve, reject) => runs.push({ installationId, request, finish: (error) => (error ? reject(error) : resolve()) }));
  return { runs, work };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const repo = (fullName: string, windowDays = 90) => ({ fullName, config: { ...DEFAULT_CONFIG, windowDays } });

describe("issue runs of an installation", () => {
  it("merges every request made while a run writes into one waiting run, however many pull requests arrive", async () => {
    const { runs, work } = gatedWork();
    const queue = new IssueRunQueue(work);
    const first = queue.request(1, { octokit: "token-1", org: "acme", assessed: [repo("acme/a")] });
    await turn();
    expect(runs).toHaveLength(1);

    const later: Promise<void>[] = [];
    for (let i = 0; i < 200; i += 1) later.push(queue.request(1, { octokit: `token-${i + 2}`, org: "acme", assessed: [repo(`acme/r${i % 5}`, i + 1)] }));
    await turn();
    // Nothing more starts while the first run writes, and only one run waits.
    expect(runs).toHaveLength(1);
    expect(queue.waitingRuns).toBe(1);

    runs[0]!.finish();
    await first;
    await turn();
    expect(runs).toHaveLength(2);
    const merged = runs[1]!.request;
    expect(merged.assessed.map((a) => a.fullName).sort()).toEqual(["acme/r0", "acme/r1", "acme/r2", "acme/r3", "acme/r4"]);
    // The newest configuration of each repository and the newest client.
    expect(merged.assessed.find((a) => a.fullName === "acme/r4")!.config.windowDays).toBe(200);
    expect(merged.octokit).toBe("token-201");

    let settled = 0;
    for (const p of later) void p.then(() => (settled += 1));
    await turn();
    expect(settled).toBe(0);
    runs[1]!.finish();
    await Promise.all(later);
    expect(settled).toBe(200);
    expect(queue.waitingRuns).toBe(0);
  });

  it("runs installations independently", async () => {
    const { runs, work } = gatedWork();
    const queue = new IssueRunQueue(work);
    void queue.request(1, { octokit: "a", org: "one", assessed: [repo("one/x")] });
    void queue.request(2, { octokit: "b", org: "two", assessed: [repo("two/y")] });
    await turn();
    expect(runs.map((r) => [r.installationId, r.request.org, r.request.assessed.map((a) => a.fullName)])).toEqual([
      [1, "one", ["one/x"]],
      [2, "two", ["two/y"]],
    ]);
  });

  it("rejects the requests of a failed run with its error, and still starts the run that waited", async () => {
    const { runs, work } = gatedWork();
    const queue = new IssueRunQueue(work);
    const failing = queue.request(1, { octokit: "t", org: "acme", assessed: [repo("acme/a")] });
    await turn();
    const waiting = queue.request(1, { octokit: "t", org: "acme", assessed: [repo("acme/b")] });
    runs[0]!.finish(new Error("GitHub answered 502"));
    await expect(failing).rejects.toThrow("GitHub answered 502");
    await turn();
    expect(runs).toHaveLength(2);
    expect(runs[1]!.request.assessed.map((a) => a.fullName)).toEqual(["acme/b"]);
    runs[1]!.finish();
    await expect(waiting).resolves.toBeUndefined();
  });
});
