import type { Assessment } from "../assessment/assess-repository.js";
import type { ClaimSpec } from "../core/catalogue.js";
import { FINDING_IDS, isUnreadable, type Finding, type FindingId } from "../core/findings.js";
import type { Status } from "../core/status.js";
import { FACT_FINDINGS, LISTED } from "./facts.js";

/*
 * What the report keeps of one repository's assessment: its statuses per claim and check, its
 * findings as evidence references, and the values of only those findings the report's sentences
 * and lists quote. A repository is digested once, as it is read, and its assessment can then be
 * dropped: the report of a large organisation holds digests, never every finding's value (those
 * go to the JSON report straight from where they are stored).
 */

export type RepoStatus = { repo: string; status: Status; reason: string };

export type EvidenceRef = { findingId: FindingId; repo: string | null; url: string; source: string; observedAt: string; error: string | null };

export type RepositoryRow = { name: string; fullName: string; url: string; inScope: boolean; reason: string | null };

export type RepositoryDigest = {
  name: string;
  row: RepositoryRow;
  /** Per claim of the catalogue digested against (by position): the repository's status and reason. */
  claims: RepoStatus[];
  /** Per claim, per check of that claim (by position). */
  checks: RepoStatus[][];
  /** The repository's own findings as evidence references, in the assessment's order. */
  refs: EvidenceRef[];
  /** Each reference's finding id as its catalogue position (`findingMask`). */
  positions: Uint16Array;
  /** The first repository finding of each id the report quotes (FACT_FINDINGS and LISTED), value included. */
  quoted: ReadonlyMap<FindingId, Finding>;
};

/**
 * Repeated strings (reasons, sources, dates, URLs) kept once: a stored assessment parsed back
 * gives every repository its own copy of the same text.
 */
export class Interner {
  private readonly seen = new Map<string, string>();
  of(text: string): string {
    const known = this.seen.get(text);
    if (known !== undefined) return known;
    this.seen.set(text, text);
    return text;
  }
}

/** For an assessment held anyway: its strings are kept by it already, and looking each up costs time. */
const SAME = { of: (text: string) => text };

const NOT_JUDGED = "not judged for this repository";

const QUOTED = new Set<string>([...FACT_FINDINGS, ...Object.keys(LISTED)]);

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
  if (!a.scope.inScope) return { name: a.name, row, claims: [], checks: [], refs: [], positions: new Uint16Array(0), quoted: new Map() };
  const byClaim = new Map<string, Assessment["results"][number]>();
  for (const r of a.results) if (!byClaim.has(r.claimId)) byClaim.set(r.claimId, r);
  const status = (s: { status: Status; reason: string } | undefined): RepoStatus => ({ repo: a.name, status: s?.status ?? "unknown", reason: intern.of(s?.reason ?? NOT_JUDGED) });
  const claimStatuses: RepoStatus[] = [];
  const checkStatuses: RepoStatus[][] = [];
  for (const claim of claims) {
    const result = byClaim.get(claim.id);
    claimStatuses.push(status(result));
    // The last result of a check id counts, as it did when they were indexed in a map.
    checkStatuses.push(claim.checks.map((check) => status(result?.checks.findLast((c) => c.checkId === check.id))));
  }
  const refs: EvidenceRef[] = [];
  const positions: number[] = [];
  const quoted = new Map<FindingId, Finding>();
  // A repository's pages are its own: shared within it, not looked up among every repository's.
  const urls = interner ? new Map<string, string>() : undefined;
  const urlOf = (url: string) => {
    if (!urls) return url;
    const known = urls.get(url);
    if (known !== undefined) return known;
    urls.set(url, url);
    return url;
  };
  // Neighbouring findings mostly share their repository, page, source and time: those are not looked up again.
  let prev: EvidenceRef | undefined;
  for (const f of a.findings) {
    if (f.scope !== "repo") continue;
    const position = POSITION.get(f.id);
    const ref: EvidenceRef = {
      // The catalogue's own string for a known id.
      findingId: position === undefined ? f.id : FINDING_IDS[position]!,
      repo: f.repo === undefined ? null : prev && f.repo === prev.repo ? prev.repo : intern.of(f.repo),
      url: prev && f.url === prev.url ? prev.url : urlOf(f.url),
      source: prev && f.source === prev.source ? prev.source : intern.of(f.source),
      observedAt: prev && f.observedAt === prev.observedAt ? prev.observedAt : intern.of(f.observedAt),
      error: isUnreadable(f) ? intern.of(f.error ?? "not read") : null,
    };
    refs.push(ref);
    // An id outside the catalogue is in no claim's mask.
    positions.push(position ?? FINDING_IDS.length);
    prev = ref;
    // Kept with the shared strings: the finding's own copies would stay with it.
    if (QUOTED.has(f.id) && !quoted.has(f.id)) quoted.set(f.id, { ...f, ...(ref.repo === null ? {} : { repo: ref.repo }), url: ref.url, source: ref.source, observedAt: ref.observedAt } as Finding);
  }
  return { name: a.name, row, claims: claimStatuses, checks: checkStatuses, refs, positions: Uint16Array.from(positions), quoted };
}
