import type { AuditRow } from "./trail.js";

/** The exported columns: the event and its chain fields, so the trail can be re-verified elsewhere. */
export const EXPORT_COLUMNS = ["seq", "occurredAt", "recordedAt", "kind", "actor", "target", "repository", "before", "after", "source", "sourceId", "prevHash", "hash"] as const;

function exportRecord(row: AuditRow): Record<(typeof EXPORT_COLUMNS)[number], string | number | null> {
  return {
    seq: row.seq,
    occurredAt: row.occurredAt,
    recordedAt: row.recordedAt,
    kind: row.kind,
    actor: row.actor,
    target: row.target,
    repository: row.repository,
    before: row.before,
    after: row.after,
    source: row.source,
    sourceId: row.sourceId,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

export function toJsonLine(row: AuditRow): string {
  return JSON.stringify(exportRecord(row));
}

function csvField(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  // Quote anything a spreadsheet could misread; a leading formula character is neutralised too.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n']/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvHeader(): string {
  return EXPORT_COLUMNS.join(",");
}

export function toCsvLine(row: AuditRow): string {
  const record = exportRecord(row);
  return EXPORT_COLUMNS.map((c) => csvField(record[c])).join(",");
}

/** The export as lines, oldest first; the caller streams them to a file or stdout. */
export async function* exportLines(rows: AsyncIterable<AuditRow>, format: "jsonl" | "csv"): AsyncGenerator<string> {
  if (format === "csv") yield csvHeader();
  for await (const row of rows) yield format === "csv" ? toCsvLine(row) : toJsonLine(row);
}
