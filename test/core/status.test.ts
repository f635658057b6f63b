import { describe, expect, it } from "vitest";
import { claimStatusFromChecks, rollUpRepositories, STATUSES, type CheckStatus, type Status } from "../../src/core/status.js";
import { seeded } from "../helpers/random.js";

/*
 * The expectations below are written out by hand from the catalogue's rules, not computed:
 *
 *   claim from its checks: any check gap and none met → gap; a mix → partial; all met (or
 *   not_applicable) → met; a check unknown never becomes met — the claim is then at best partial,
 *   and unknown if nothing else was seen; all not_applicable → not_applicable; empty → unknown.
 *
 *   organisation from its repositories: met when every in-scope repository meets it, partial when
 *   some do, gap when none do; not_applicable repositories are ignored; no repositories →
 *   not_applicable; all unknown → unknown; unknown never yields met.
 */

const CHECK_STATUSES: readonly CheckStatus[] = ["met", "partial", "gap", "not_applicable", "unknown"];

// M = met, P = partial, G = gap, N = not_applicable, U = unknown: every non-empty subset, 31 rows.
const CLAIM_TABLE: ReadonlyArray<readonly [readonly CheckStatus[], CheckStatus]> = [
  // one status
  [["met"], "met"],
  [["partial"], "partial"],
  [["gap"], "gap"],
  [["not_applicable"], "not_applicable"],
  [["unknown"], "unknown"],
  // two statuses
  [["met", "partial"], "partial"],
  [["met", "gap"], "partial"],
  [["met", "not_applicable"], "met"],
  [["met", "unknown"], "partial"],
  [["partial", "gap"], "gap"],
  [["partial", "not_applicable"], "partial"],
  [["partial", "unknown"], "partial"],
  [["gap", "not_applicable"], "gap"],
  [["gap", "unknown"], "gap"],
  [["not_applicable", "unknown"], "unknown"],
  // three statuses
  [["met", "partial", "gap"], "partial"],
  [["met", "partial", "not_applicable"], "partial"],
  [["met", "partial", "unknown"], "partial"],
  [["met", "gap", "not_applicable"], "partial"],
  [["met", "gap", "unknown"], "partial"],
  [["met", "not_applicable", "unknown"], "partial"],
  [["partial", "gap", "not_applicable"], "gap"],
  [["partial", "gap", "unknown"], "gap"],
  [["partial", "not_applicable", "unknown"], "partial"],
  [["gap", "not_applicable", "unknown"], "gap"],
  // four statuses
  [["met", "partial", "gap", "not_applicable"], "partial"],
  [["met", "partial", "gap", "unknown"], "partial"],
  [["met", "partial", "not_applicable", "unknown"], "partial"],
  [["met", "gap", "not_applicable", "unknown"], "partial"],
  [["partial", "gap", "not_applicable", "unknown"], "gap"],
  // all five
  [["met", "partial", "gap", "not_applicable", "unknown"], "partial"],
];

/** Every ordering of a list (at most 5! = 120 here). */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** Every sequence of `length` items drawn (with repetition) from `alphabet`. */
function sequences<T>(alphabet: readonly T[], length: number): T[][] {
  if (length === 0) return [[]];
  return sequences(alphabet, length - 1).flatMap((prefix) => alphabet.map((s) => [...prefix, s]));
}


describe("claimStatusFromChecks", () => {
  it("the table covers each of the 31 non-empty subsets of the five check statuses exactly once", () => {
    const keys = CLAIM_TABLE.map(([set]) => [...set].sort().join("+"));
    expect(CLAIM_TABLE).toHaveLength(31);
    expect(new Set(keys).size).toBe(31);
    for (const [set] of CLAIM_TABLE) {
      expect(new Set(set).size).toBe(set.length);
      for (const s of set) expect(CHECK_STATUSES).toContain(s);
    }
  });

  it("is unknown for a claim without checks", () => {
    expect(claimStatusFromChecks([])).toBe("unknown");
  });

  it.each(CLAIM_TABLE.map(([set, expected]) => ({ set, expected, label: set.join(" + ") })))("$label → $expected", ({ set, expected }) => {
    expect(claimStatusFromChecks(set)).toBe(expected);
  });

  it.each(CLAIM_TABLE.map(([set, expected]) => ({ set, expected, label: set.join(" + ") })))(
    "$label → $expected in every order and with repeated checks",
    ({ set, expected }) => {
      for (const order of permutations(set)) {
        expect(claimStatusFromChecks(order), order.join(",")).toBe(expected);
        // Each status repeated: several checks with the same status weigh as one.
        const doubled = order.flatMap((s) => [s, s]);
        expect(claimStatusFromChecks(doubled), doubled.join(",")).toBe(expected);
        // Only the first repeated: counts do not matter, only which statuses were seen.
        const skewed = [order[0]!, order[0]!, order[0]!, ...order];
        expect(claimStatusFromChecks(skewed), skewed.join(",")).toBe(expected);
      }
    },
  );

  it("never answers met when a check is unknown (every sequence of up to 5 checks)", () => {
    let withUnknown = 0;
    for (let length = 1; length <= 5; length += 1) {
      for (const statuses of sequences(CHECK_STATUSES, length)) {
        if (!statuses.includes("unknown")) continue;
        withUnknown += 1;
        const result = claimStatusFromChecks(statuses);
        expect(result, statuses.join(",")).not.toBe("met");
        // At best partial: an unknown check leaves the claim unknown, partial or gap.
        expect(["unknown", "partial", "gap"], statuses.join(",")).toContain(result);
      }
    }
    // 5^n - 4^n sequences of length n contain an unknown: 1 + 9 + 61 + 369 + 2101.
    expect(withUnknown).toBe(2541);
  });

  it("never answers met when a check is unknown (random long inputs)", () => {
    const next = seeded(20261124);
    for (let run = 0; run < 2000; run += 1) {
      const length = 1 + Math.floor(next() * 40);
      const statuses = Array.from({ length }, () => CHECK_STATUSES[Math.floor(next() * CHECK_STATUSES.length)]!);
      statuses.splice(Math.floor(next() * (length + 1)), 0, "unknown");
      expect(claimStatusFromChecks(statuses), statuses.join(",")).not.toBe("met");
    }
  });

  it("answers met only when every check is met or not applicable, and at least one is met", () => {
    for (let length = 1; length <= 5; length += 1) {
      for (const statuses of sequences(CHECK_STATUSES, length)) {
        const isMet = claimStatusFromChecks(statuses) === "met";
        const allMetOrNa = statuses.every((s) => s === "met" || s === "not_applicable") && statuses.includes("met");
        expect(isMet, statuses.join(",")).toBe(allMetOrNa);
      }
    }
  });

  it("does not modify its input", () => {
    const input: CheckStatus[] = ["unknown", "met", "gap"];
    const copy = [...input];
    claimStatusFromChecks(Object.freeze(input));
    expect(input).toEqual(copy);
  });
});

// Every subset of the five statuses a repository can have besides not_applicable (32 rows,
// the empty one included); not_applicable is added to each of them by the next test.
const ROLLUP_TABLE: ReadonlyArray<readonly [readonly Status[], Status]> = [
  [[], "not_applicable"],
  // one status
  [["met"], "met"],
  [["partial"], "partial"],
  [["gap"], "gap"],
  [["unknown"], "unknown"],
  [["attested"], "attested"],
  // two statuses
  [["met", "partial"], "partial"],
  [["met", "gap"], "partial"],
  [["met", "unknown"], "partial"],
  // attested is evidence supplied, not met as read off GitHub: with a met repository it is not "every repository meets it".
  [["met", "attested"], "partial"],
  [["partial", "gap"], "partial"],
  [["partial", "unknown"], "partial"],
  [["partial", "attested"], "partial"],
  [["gap", "unknown"], "gap"],
  [["gap", "attested"], "partial"],
  [["unknown", "attested"], "partial"],
  // three statuses
  [["met", "partial", "gap"], "partial"],
  [["met", "partial", "unknown"], "partial"],
  [["met", "partial", "attested"], "partial"],
  [["met", "gap", "unknown"], "partial"],
  [["met", "gap", "attested"], "partial"],
  [["met", "unknown", "attested"], "partial"],
  [["partial", "gap", "unknown"], "partial"],
  [["partial", "gap", "attested"], "partial"],
  [["partial", "unknown", "attested"], "partial"],
  [["gap", "unknown", "attested"], "partial"],
  // four statuses
  [["met", "partial", "gap", "unknown"], "partial"],
  [["met", "partial", "gap", "attested"], "partial"],
  [["met", "partial", "unknown", "attested"], "partial"],
  [["met", "gap", "unknown", "attested"], "partial"],
  [["partial", "gap", "unknown", "attested"], "partial"],
  // all five
  [["met", "partial", "gap", "unknown", "attested"], "partial"],
];

describe("rollUpRepositories", () => {
  it("the table covers each of the 32 subsets of the statuses other than not_applicable exactly once", () => {
    const keys = ROLLUP_TABLE.map(([set]) => [...set].sort().join("+"));
    expect(ROLLUP_TABLE).toHaveLength(32);
    expect(new Set(keys).size).toBe(32);
    for (const [set] of ROLLUP_TABLE) expect(set).not.toContain("not_applicable");
  });

  it("is not_applicable for an organisation without repositories, or with none in scope", () => {
    expect(rollUpRepositories([])).toBe("not_applicable");
    expect(rollUpRepositories(["not_applicable"])).toBe("not_applicable");
    expect(rollUpRepositories(["not_applicable", "not_applicable", "not_applicable"])).toBe("not_applicable");
  });

  it.each(ROLLUP_TABLE.filter(([set]) => set.length > 0).map(([set, expected]) => ({ set, expected, label: set.join(" + ") })))("$label → $expected", ({ set, expected }) => {
    expect(rollUpRepositories(set)).toBe(expected);
  });

  it.each(ROLLUP_TABLE.filter(([set]) => set.length > 0).map(([set, expected]) => ({ set, expected, label: set.join(" + ") })))(
    "$label → $expected whatever the order, repetition and number of not_applicable repositories",
    ({ set, expected }) => {
      for (const order of permutations(set)) {
        expect(rollUpRepositories(order), order.join(",")).toBe(expected);
        expect(rollUpRepositories([...order, ...order]), `${order.join(",")} twice`).toBe(expected);
        for (let at = 0; at <= order.length; at += 1) {
          const withNa = [...order.slice(0, at), "not_applicable" as const, ...order.slice(at)];
          expect(rollUpRepositories(withNa), withNa.join(",")).toBe(expected);
        }
        expect(rollUpRepositories(["not_applicable", ...order, "not_applicable", "not_applicable"])).toBe(expected);
      }
    },
  );

  it("real-world shapes", () => {
    expect(rollUpRepositories(["met", "met", "met"])).toBe("met");
    expect(rollUpRepositories(["met", "met", "not_applicable"])).toBe("met");
    expect(rollUpRepositories(["met", "met", "gap"])).toBe("partial");
    expect(rollUpRepositories(["gap", "gap", "not_applicable"])).toBe("gap");
    expect(rollUpRepositories(["unknown", "unknown"])).toBe("unknown");
    expect(rollUpRepositories(["unknown", "not_applicable"])).toBe("unknown");
    expect(rollUpRepositories(["met", "met", "met", "unknown"])).toBe("partial");
    expect(rollUpRepositories(["attested", "attested"])).toBe("attested");
  });

  it("never answers met when a repository is unknown (every sequence of up to 5 repositories)", () => {
    let withUnknown = 0;
    for (let length = 1; length <= 5; length += 1) {
      for (const statuses of sequences(STATUSES, length)) {
        if (!statuses.includes("unknown")) continue;
        withUnknown += 1;
        expect(rollUpRepositories(statuses), statuses.join(",")).not.toBe("met");
        expect(rollUpRepositories(statuses), statuses.join(",")).not.toBe("attested");
      }
    }
    // 6^n - 5^n sequences of length n contain an unknown: 1 + 11 + 91 + 671 + 4651.
    expect(withUnknown).toBe(5425);
  });

  it("answers met only when every in-scope repository is met", () => {
    for (let length = 1; length <= 5; length += 1) {
      for (const statuses of sequences(STATUSES, length)) {
        const inScope = statuses.filter((s) => s !== "not_applicable");
        const everyMet = inScope.length > 0 && inScope.every((s) => s === "met");
        expect(rollUpRepositories(statuses) === "met", statuses.join(",")).toBe(everyMet);
      }
    }
  });
});
