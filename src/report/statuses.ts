import { STATUSES, type Status } from "../core/status.js";

/*
 * Repositories' statuses of one claim or check, as one byte each beside the reason: a report of
 * 10,000 repositories has 630,000 of them, and as objects they were a sixth of its memory. An
 * object is made only when a renderer asks for one (`at`, iteration).
 */

export type RepoStatus = { repo: string; status: Status; reason: string };

/** A status's byte (its place in `STATUSES`), found by comparison: a parsed status is a new string, cheaper to compare than to hash. */
export function statusCode(status: Status): number {
  for (let i = 0; i < STATUSES.length; i += 1) if (STATUSES[i] === status) return i;
  throw new Error(`not a status: ${String(status)}`);
}

export class StatusList implements Iterable<RepoStatus> {
  static readonly EMPTY = new StatusList([], new Uint8Array(0), []);

  /** A list of the given statuses (tests, reports put together by hand). */
  static of(statuses: readonly RepoStatus[]): StatusList {
    return new StatusList(
      statuses.map((s) => s.repo),
      Uint8Array.from(statuses, (s) => statusCode(s.status)),
      statuses.map((s) => s.reason),
    );
  }

  constructor(
    /** The repositories' names, in report order (shared by every list of a report). */
    private readonly repos: readonly string[],
    private readonly codes: Uint8Array,
    private readonly reasons: readonly string[],
  ) {}

  get length(): number {
    return this.codes.length;
  }

  repo(i: number): string {
    return this.repos[i]!;
  }

  status(i: number): Status {
    return STATUSES[this.codes[i]!]!;
  }

  reason(i: number): string {
    return this.reasons[i]!;
  }

  at(i: number): RepoStatus {
    return { repo: this.repos[i]!, status: STATUSES[this.codes[i]!]!, reason: this.reasons[i]! };
  }

  *[Symbol.iterator](): Iterator<RepoStatus> {
    for (let i = 0; i < this.codes.length; i += 1) yield this.at(i);
  }

  map<T>(fn: (status: RepoStatus, i: number) => T): T[] {
    const out = new Array<T>(this.codes.length);
    for (let i = 0; i < this.codes.length; i += 1) out[i] = fn(this.at(i), i);
    return out;
  }

  /** As the JSON report writes it: a list of objects. */
  toJSON(): RepoStatus[] {
    return this.map((s) => s);
  }
}
