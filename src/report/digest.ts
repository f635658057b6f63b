import type { Assessment } from "../assessment/assess-repository.js";
import type { ClaimSpec } from "../core/catalogue.js";
import { FINDING_IDS, isUnreadable, type Finding, type FindingId } from "../core/findings.js";
import type { Status } from "../core/status.js";
import { FACT_FINDINGS, LISTED, type QuotedFinding } from "./facts.js";
import { statusCode } from "./statuses.js";
import { ERROR, FIELDS, NO_REFS, OBSERVED, REPO, SOURCE, TextTable, URL, type DigestRefs } from "./evidence.js";

/*
 * What the report keeps of one repository's assessment: its statuses per claim and check, its
 * findings as evidence references, and the values of only those findings the report's sentences
 * and lists quote. A repository is digested once, as it is read, and its assessment can then be
 * dropped: the report of a large organisation holds digests, never every finding's value (those
 * go to the JSON report straight from where they are stored).
 */

export type { RepoStatus } from "./statuses.js";

export type { EvidenceRef } from "./evidence.js";

export type RepositoryRow = { name: string; fullName: string; url: string; inScope: boolean; reason: string | null };

export type RepositoryDigest = {
  name: string;
  row: RepositoryRow;
  /**
   * The repository's status (its byte, `statusCode`) per claim of the catalogue digested
   * against, each followed by those of the claim's checks (`slotsOf`): one list, not a list per
   * claim, and no object per status (a report of 10,000 repositories has 630,000).
   */
  statuses: Uint8Array;
  /** Each slot's reason, beside its status. */
  reasons: string[];
  /** The repository's own findings as evidence references, in the assessment's order, as numbers (src/report/evidence.ts). */
  refs: DigestRefs;
  /** The value (or the reason it was not read) of the first repository finding of each id the report quotes (FACT_FINDINGS and LISTED). */
  quoted: QuotedFindings;
  /**
   * Whether every reference names this repository: the renderers then take a repository's
   * evidence rows by position rather than grouping every reference by name.
   */
  ownRefs: boolean;
};

/** Where each claim's status is among a digest's slots (its checks follow it), for a list of claims. */
const layouts = new WeakMap<readonly ClaimSpec[], Uint32Array>();

export function slotsOf(claims: readonly ClaimSpec[]): Uint32Array {
  let at = layouts.get(claims);
  if (!at) {
    at = new Uint32Array(claims.length + 1);
    for (let i = 0; i < claims.length; i += 1) at[i + 1] = at[i]! + 1 + claims[i]!.checks.length;
    layouts.set(claims, at);
  }
  return at;
}

/**
 * Repeated strings (reasons, sources, dates, URLs) kept once: a stored assessment parsed back
 * gives every repository its own copy of the same text.
 */
export class Interner {
  private readonly seen = new Map<string, string>();
  /** The finding id last seen at each place of a repository's findings, with its catalogue position (`positionOf`). */
  readonly idAt: ({ id: string; position: number | undefined } | undefined)[] = [];
  /** The text last kept for each slot of a digest (`slotsOf`): neighbouring repositories mostly give a slot the same reason. */
  private readonly bySlot: string[] = [];
  of(text: string): string {
    const known = this.seen.get(text);
    if (known !== undefined) return known;
    this.seen.set(text, text);
    return text;
  }
  /** `of`, compared first with the slot's last text: an equal string is cheaper to compare than to hash (a parsed one has no hash yet). */
  atSlot(slot: number, text: string): string {
    const last = this.bySlot[slot];
    if (last === text) return last;
    const kept = this.of(text);
    this.bySlot[slot] = kept;
    return kept;
  }
}

/** For an assessment held anyway: its strings are kept by it already, and looking each up costs time. */
const SAME = { of: (text: string) => text, atSlot: (_slot: number, text: string) => text };

const NOT_JUDGED = "not judged for this repository";

const QUOTED_IDS: readonly string[] = [...new Set<string>([...FACT_FINDINGS, ...Object.keys(LISTED)])];
const QUOTED = new Map<string, number>(QUOTED_IDS.map((id, i) => [id, i]));

/**
 * A repository's quoted findings, by their place in the list of quoted ids: only what the
 * sentences and lists read (value and error), not a map and a copy of each finding per
 * repository (at 10,000 repositories those were a third of the digests' memory).
 */
export class QuotedFindings {
  /** Each quoted id's value (undefined: no finding of that id), and beside it the reason it was not read. */
  private readonly values: unknown[] = [];
  private errors: (string | undefined)[] | undefined;
  get(id: FindingId): QuotedFinding | undefined {
    const i = QUOTED.get(id);
    if (i === undefined || !(i in this.values)) return undefined;
    const error = this.errors?.[i];
    // Made when read: at 10,000 repositories an object per quoted finding held was 300,000 objects.
    return error === undefined ? { value: this.values[i] as Finding["value"] } : { value: this.values[i] as Finding["value"], error };
  }
  /** Keeps the first finding of an id the report quotes; false for another id. */
  keep(f: Finding): boolean {
    const i = QUOTED.get(f.id);
    if (i === undefined) return false;
    if (!(i in this.values)) {
      this.values[i] = f.value;
      if (f.error !== undefined) (this.errors ??= [])[i] = f.error;
    }
    return true;
  }
}

function rowOf(a: Assessment): RepositoryRow {
  return {
    name: a.name,
    fullName: a.repo?.fullName ?? `${a.owner}/${a.name}`,
    url: a.repo?.htmlUrl ?? `https://github.com/${a.owner}/${a.name}`,
    inScope: a.scope.inScope,
    reason: a.scope.inScope ? null : a.scope.reason,
  };
}

/** Each finding id's position in the catalogue, for quick sets of ids (`findingMask`). */
const POSITION = new Map<string, number>(FINDING_IDS.map((id, i) => [id, i]));

/**
 * A finding id's catalogue position. Repositories list their findings in much the same order, so
 * the id at the same place in the previous repository is compared first: a parsed id is a new
 * string, cheaper to compare than to hash.
 */
function positionOf(id: string, at: number, interner: Interner | undefined): number | undefined {
  if (interner) {
    const last = interner.idAt[at];
    if (last !== undefined && last.id === id) return last.position;
  }
  const position = POSITION.get(id);
  if (interner) interner.idAt[at] = { id, position };
  return position;
}

/** The ids as a mask over catalogue positions (one more for ids outside it, never set): a claim's evidence picks each repository's references by position. */
export function findingMask(ids: Iterable<string>): Uint8Array {
  const mask = new Uint8Array(FINDING_IDS.length + 1);
  for (const id of ids) {
    const at = POSITION.get(id);
    if (at !== undefined) mask[at] = 1;
  }
  return mask;
}

/**
 * Pure: the digest of one repository's assessment against the claims of the report. With an
 * `interner` (a report built from stored assessments, each dropped once digested) its strings
 * are shared with the other repositories'.
 */
export function digestAssessment(a: Assessment, claims: readonly ClaimSpec[], interner?: Interner): RepositoryDigest {
  const intern = interner ?? SAME;
  const row = rowOf(a);
  if (!a.scope.inScope) return { name: a.name, row, statuses: new Uint8Array(0), reasons: [], refs: NO_REFS, quoted: new QuotedFindings(), ownRefs: true };
  const byClaim = new Map<string, Assessment["results"][number]>();
  for (const r of a.results) if (!byClaim.has(r.claimId)) byClaim.set(r.claimId, r);
  const statuses = new Uint8Array(slotsOf(claims)[claims.length]!);
  const reasons: string[] = [];
  const status = (s: { status: Status; reason: string } | undefined) => {
    statuses[reasons.length] = statusCode(s?.status ?? "unknown");
    reasons.push(intern.atSlot(reasons.length, s?.reason ?? NOT_JUDGED));
  };
  for (const claim of claims) {
    const result = byClaim.get(claim.id);
    status(result);
    // The last result of a check id counts, as it did when they were indexed in a map.
    for (const check of claim.checks) status(result?.checks.findLast((c) => c.checkId === check.id));
  }
  const positions = new Uint16Array(a.findings.length);
  // A repository numbers its own strings (its pages are its own; a table of every repository's would be looked up in a map of 100,000 addresses): fewer than 2^16 but for a giant.
  const columns = a.findings.length * FIELDS < 0xffff ? new Uint16Array(a.findings.length * FIELDS) : new Uint32Array(a.findings.length * FIELDS);
  let count = 0;
  const quoted = new QuotedFindings();
  const table = new TextTable();
  // Neighbouring findings mostly share their repository, page, source and time: those are not looked up again.
  let prev: Finding | undefined;
  let ownRefs = true;
  let checkedRepo: string | null = null;
  for (const f of a.findings) {
    if (f.scope !== "repo") continue;
    const at = count * FIELDS;
    const position = positionOf(f.id, count, interner);
    if (f.repo === undefined) {
      // A reference of no repository is shown with the organisation's.
      ownRefs = false;
    } else {
      columns[at + REPO] = prev && f.repo === prev.repo ? columns[at - FIELDS + REPO]! : table.id(intern.of(f.repo)) + 1;
      if (f.repo !== checkedRepo) {
        // As the renderers group references by repository: the name after the owner.
        ownRefs &&= f.repo.slice(f.repo.indexOf("/") + 1) === a.name;
        checkedRepo = f.repo;
      }
    }
    columns[at + URL] = prev && f.url === prev.url ? columns[at - FIELDS + URL]! : table.id(f.url);
    columns[at + SOURCE] = prev && f.source === prev.source ? columns[at - FIELDS + SOURCE]! : table.id(intern.of(f.source));
    columns[at + OBSERVED] = prev && f.observedAt === prev.observedAt ? columns[at - FIELDS + OBSERVED]! : table.id(intern.of(f.observedAt));
    if (isUnreadable(f)) columns[at + ERROR] = table.id(intern.of(f.error ?? "not read")) + 1;
    // An id outside the catalogue is in no claim's mask.
    positions[count++] = position ?? FINDING_IDS.length;
    prev = f;
    quoted.keep(f);
  }
  const refs: DigestRefs = { count, positions: positions.slice(0, count), columns: columns.slice(0, count * FIELDS), texts: table.texts };
  return { name: a.name, row, statuses, reasons, refs, quoted, ownRefs };
}
