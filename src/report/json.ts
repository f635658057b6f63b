import { CROSSWALK_NOTE } from "./guidance.js";
import type { Report, ReportFinding } from "./model.js";

/*
 * The JSON report, schema `claimcheck/assessment@1` (docs/report-schema.json). Field names are a
 * public interface: users script against them. Keys are always present; absent values are null.
 */

/** A JSON array whose items are read only as it is written. */
class Streamed {
  constructor(readonly items: () => AsyncIterable<unknown>) {}
}

/** A JSON array whose items are made only as it is written (a claim's evidence), synchronously. */
class Made {
  constructor(readonly items: Iterable<unknown>) {}
  /** Inside what is stringified whole (a check's repositories). */
  toJSON(): unknown[] {
    return [...this.items];
  }
}

async function* allFindings(report: Report): AsyncGenerator<ReportFinding> {
  yield* report.findings;
  yield* report.repositoryFindings();
}

/** The JSON report as one object: every finding held at once (small reports and tests; `jsonChunks` for the rest). */
export async function reportJson(report: Report) {
  const findings: ReportFinding[] = [];
  for await (const f of allFindings(report)) findings.push(f);
  return shapeOf(report, findings, (items) => [...items]);
}

function shapeOf<F, L>(report: Report, findings: F, list: (items: Iterable<unknown>) => L) {
  return {
    schema: report.schema,
    org: report.org,
    generatedAt: report.generatedAt,
    window: report.window,
    repositories: report.repositories,
    claims: report.claims.map((c) => ({
      id: c.id,
      principle: c.principle,
      text: c.text,
      status: c.status,
      coverage: c.coverage,
      scope: c.scope,
      summary: c.summary,
      narrative: c.narrative,
      counts: c.counts,
      checks: c.checks.map((k) => ({
        id: k.checkId,
        judges: k.judges,
        supporting: k.supporting,
        level: k.level,
        status: k.status,
        reason: k.level === "org" ? k.reason : null,
        counts: k.counts,
        repositories: list(k.repositories),
      })),
      repositories: list(c.repositories),
      evidence: list(c.evidence),
      listed: c.listed,
      beyondGitHub: c.beyondGitHub,
      attested: c.attested ? { url: c.attested.url, note: c.attested.note ?? null } : null,
      exceptions: c.exceptions.map((e) => ({
        checkId: e.checkId ?? null,
        repo: e.repo ?? null,
        subject: e.subject ?? null,
        reason: e.reason,
        url: e.url ?? null,
        acceptedBy: e.acceptedBy ?? null,
        acceptedAt: e.acceptedAt ?? null,
        expiresAt: e.expiresAt ?? null,
      })),
      toClose: c.toClose,
      unseen: c.unseen,
      crosswalk: { ...c.crosswalk, note: CROSSWALK_NOTE },
    })),
    findings,
    requests: report.requests,
    history: report.history?.claims ?? [],
  };
}

/*
 * The report written a piece at a time, with the same text as `JSON.stringify(reportJson(report),
 * null, 2)` and a final newline: the report of a large organisation is longer than the longest
 * string V8 can hold, and its findings are read from the store as they are written. Arrays and
 * the objects near the top are written item by item; anything deeper (one finding, one check) is
 * stringified whole and indented to its place.
 */

const WHOLE_BELOW = 4;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** What `JSON.stringify` leaves out of an object (and writes as null in an array). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/** Where the streamed array goes: its items are read (asynchronously) by `jsonChunks`, not here. */
type StreamedAt = { streamed: Streamed; indent: string; depth: number };

function* pieces(value: unknown, indent: string, depth: number): Generator<string | StreamedAt> {
  if (value instanceof Streamed) {
    yield { streamed: value, indent, depth };
    return;
  }
  if ((Array.isArray(value) || value instanceof Made) && depth < WHOLE_BELOW) {
    const inner = `${indent}  `;
    let first = true;
    for (const item of value instanceof Made ? value.items : (value as unknown[])) {
      yield `${first ? "[" : ","}\n${inner}`;
      first = false;
      if (omitted(item)) yield "null";
      else yield* pieces(item, inner, depth + 1);
    }
    yield first ? "[]" : `\n${indent}]`;
    return;
  }
  if (isPlainObject(value) && depth < WHOLE_BELOW && typeof value.toJSON !== "function") {
    const inner = `${indent}  `;
    let first = true;
    for (const [key, item] of Object.entries(value)) {
      if (omitted(item)) continue;
      yield `${first ? "{" : ","}\n${inner}${JSON.stringify(key)}: `;
      first = false;
      yield* pieces(item, inner, depth + 1);
    }
    yield first ? "{}" : `\n${indent}}`;
    return;
  }
  const text = JSON.stringify(value, null, 2);
  yield indent === "" ? text : text.replace(/\n/g, `\n${indent}`);
}

/** An array's items written as `pieces` writes an array: the streamed findings, read as they are reached. */
async function* streamedPieces({ streamed, indent, depth }: StreamedAt): AsyncGenerator<string> {
  const inner = `${indent}  `;
  let first = true;
  for await (const item of streamed.items()) {
    yield `${first ? "[" : ","}\n${inner}`;
    first = false;
    if (omitted(item)) yield "null";
    // Only the top level holds a streamed array: an item's own pieces are all text.
    else for (const piece of pieces(item, inner, depth + 1)) if (typeof piece === "string") yield piece;
  }
  yield first ? "[]" : `\n${indent}]`;
}

/**
 * The JSON report in pieces of about `size` characters, findings read as they are reached. The
 * shape around them is written synchronously; only the findings' array waits for the store.
 */
export async function* jsonChunks(report: Report, size = 64 * 1024): AsyncGenerator<string> {
  let buffer = "";
  for (const piece of pieces(shapeOf(report, new Streamed(() => allFindings(report)), (items) => new Made(items)), "", 0)) {
    // The shape's text is added without an await: only the findings' array waits.
    if (typeof piece === "string") buffer += piece;
    else {
      for await (const text of streamedPieces(piece)) {
        buffer += text;
        if (buffer.length >= size) {
          yield buffer;
          buffer = "";
        }
      }
    }
    if (buffer.length >= size) {
      yield buffer;
      buffer = "";
    }
  }
  yield `${buffer}\n`;
}

/** The JSON report as one string: only for reports known to be small (tests, examples). */
export async function renderJson(report: Report): Promise<string> {
  let text = "";
  for await (const chunk of jsonChunks(report)) text += chunk;
  return text;
}
