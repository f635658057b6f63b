import { describe, expect, it } from "vitest";
import { BENCH_HELP, BenchUsageError, parseBenchArgs, STAGE_NAMES } from "./bench-args.js";

describe("npm run bench: its arguments", () => {
  it("answers --help and -h with the usage, naming every stage", () => {
    expect(parseBenchArgs(["--help"])).toBe("help");
    expect(parseBenchArgs(["-h"])).toBe("help");
    for (const stage of STAGE_NAMES) expect(BENCH_HELP).toContain(stage);
  });

  it.each([
    [["--sizes", "abc"], /--sizes must be a comma-separated list of whole numbers/],
    [["--sizes", "0"], /--sizes must be/],
    [["--latency", "-5"], /--latency|option/],
    [["--stages", "assess,fly"], /--stages takes assess, app, render, plan, audit, memory, replicas, not "fly"/],
    [["--audit-events", "many"], /--audit-events must be a whole number/],
    [["--memory-sizes", "1000,x"], /--memory-sizes must be/],
    [["--colour"], /Unknown option '--colour'/],
    [["--profile-app", ""], /--profile-app takes a directory/],
    [["--replicas", "0"], /--replicas must be a whole number from 1 to 16/],
    [["--replicas", "3", "--database-url", "mysql://db"], /--database-url takes a postgres:\/\/ URL/],
  ])("refuses %j with a message saying what is wrong", (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });

  it("runs the four regular stages by default; the long audit and memory stages only when named", () => {
    const args = parseBenchArgs([]);
    if (args === "help") throw new Error("unexpected help");
    expect(args.stages).toEqual(["assess", "app", "render", "plan"]);
    const named = parseBenchArgs(["--stages", "audit,memory", "--audit-events", "2000", "--memory-sizes", "10,20"]);
    if (named === "help") throw new Error("unexpected help");
    expect(named).toMatchObject({ stages: ["audit", "memory"], auditEvents: 2000, memorySizes: [10, 20] });
  });

  it("profiles the app process only when asked, into the directory given", () => {
    const plain = parseBenchArgs(["--stages", "app"]);
    const profiled = parseBenchArgs(["--stages", "app", "--profile-app", "profiles"]);
    if (plain === "help" || profiled === "help") throw new Error("unexpected help");
    expect(plain.profileApp).toBeNull();
    expect(profiled.profileApp).toBe("profiles");
    expect(BENCH_HELP).toContain("--profile-app");
  });

  it("makes three app passes unless two are asked for, and refuses any other number", () => {
    const plain = parseBenchArgs(["--stages", "app"]);
    const two = parseBenchArgs(["--stages", "app", "--app-passes", "2"]);
    if (plain === "help" || two === "help") throw new Error("unexpected help");
    expect(plain.appPasses).toBe(3);
    expect(two.appPasses).toBe(2);
    expect(() => parseBenchArgs(["--app-passes", "1"])).toThrow(/--app-passes/);
    expect(BENCH_HELP).toContain("--app-passes");
  });

  it("runs the replicas stage alone for --replicas, on --database-url or else TEST_DATABASE_URL", () => {
    const given = parseBenchArgs(["--replicas", "3", "--database-url", "postgres://db:5432/x"], {});
    const fromEnv = parseBenchArgs(["--replicas", "2"], { TEST_DATABASE_URL: "postgres://127.0.0.1:5432/test" });
    if (given === "help" || fromEnv === "help") throw new Error("unexpected help");
    expect(given).toMatchObject({ stages: ["replicas"], replicas: 3, databaseUrl: "postgres://db:5432/x" });
    expect(fromEnv).toMatchObject({ stages: ["replicas"], replicas: 2, databaseUrl: "postgres://127.0.0.1:5432/test" });
    // Without one it refuses before anything starts, saying how to give it.
    expect(() => parseBenchArgs(["--replicas", "3"], {})).toThrow(/set TEST_DATABASE_URL or pass --database-url/);
    expect(() => parseBenchArgs(["--stages", "replicas"], {})).toThrow(BenchUsageError);
    expect(parseBenchArgs(["--stages", "app"], {})).toMatchObject({ databaseUrl: null });
    expect(BENCH_HELP).toContain("--replicas N");
  });

  it("leaves the app's scheduling priority alone unless --app-priority raises it, by 1 to 20", () => {
    const plain = parseBenchArgs(["--stages", "app"]);
    const raised = parseBenchArgs(["--stages", "app", "--app-priority", "10"]);
    if (plain === "help" || raised === "help") throw new Error("unexpected help");
    expect(plain.appPriority).toBeNull();
    expect(raised.appPriority).toBe(10);
    for (const bad of ["0", "21", "-5", "high"]) expect(() => parseBenchArgs(["--app-priority", bad])).toThrow(/--app-priority|option/);
    expect(BENCH_HELP).toContain("--app-priority");
  });
});
