import { FINDING_IDS, type FindingId } from "../core/findings.js";

/*
 * Evidence references kept as numbers. A report of 10,000 repositories has about 650,000 of them;
 * as objects (six fields each) and as each claim's list of them they were the largest part of
 * the report's memory. A repository's references are now columns of numbers into a table of its
 * strings (the strings themselves shared between repositories where they repeat), and a claim's evidence is a view that makes each reference object only while
 * it is written (`ClaimEvidence`).
 */

export type EvidenceRef = { findingId: FindingId; repo: string | null; url: string; source: string; observedAt: string; error: string | null };

/** The strings of a repository's references, each kept once and numbered. */
export class TextTable {
  readonly texts: string[] = [];
  private readonly ids = new Map<string, number>();
  id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(text);
      this.ids.set(text, id);
    }
    return id;
  }
}

/** Numbers per reference in `DigestRefs.columns`. */
export const FIELDS = 5;
/** Where each field is among a reference's numbers: repository and error are one more than their text's number, 0 for none. */
export const REPO = 0;
export const URL = 1;
export const SOURCE = 2;
export const OBSERVED = 3;
export const ERROR = 4;

/** One repository's findings as evidence references, in the assessment's order. */
export type DigestRefs = {
  count: number;
  /** Each reference's finding id as its catalogue position (one past the catalogue for an id outside it). */
  positions: Uint16Array;
  /** `FIELDS` numbers per reference into `texts`. */
  columns: Uint16Array | Uint32Array;
  texts: readonly string[];
};

export const NO_REFS: DigestRefs = { count: 0, positions: new Uint16Array(0), columns: new Uint16Array(0), texts: [] };

/** The i-th reference as an object; only of a finding in the catalogue (one outside it is in no claim's evidence). */
function refAt(refs: DigestRefs, i: number): EvidenceRef {
  const { columns: c, texts } = refs;
  const at = i * FIELDS;
  const repo = c[at + REPO]!;
  const error = c[at + ERROR]!;
  const position = refs.positions[i]!;
  return {
    findingId: FINDING_IDS[position]!,
    repo: repo === 0 ? null : texts[repo - 1]!,
    url: texts[c[at + URL]!]!,
    source: texts[c[at + SOURCE]!]!,
    observedAt: texts[c[at + OBSERVED]!]!,
    error: error === 0 ? null : texts[error - 1]!,
  };
}

/** References read field by field, by their place (`k`, from 0 to `count`): a renderer's row. */
export interface RefsView {
  readonly count: number;
  /** Whether the reference names a repository. */
  named(k: number): boolean;
  findingId(k: number): string;
  url(k: number): string;
  observedAt(k: number): string;
}

/** A list of references as a `RefsView`. */
export class ListedRefs implements RefsView {
  constructor(private readonly list: readonly EvidenceRef[]) {}
  get count(): number {
    return this.list.length;
  }
  named(k: number): boolean {
    return this.list[k]!.repo !== null;
  }
  findingId(k: number): string {
    return this.list[k]!.findingId;
  }
  url(k: number): string {
    return this.list[k]!.url;
  }
  observedAt(k: number): string {
    return this.list[k]!.observedAt;
  }
}

/**
 * The references of one repository a claim reads, straight from the digest's columns: the
 * Markdown's rows at 10,000 repositories would otherwise make 650,000 reference objects. Refilled
 * for each row (`ClaimEvidence.readInto`).
 */
export class ColumnRefs implements RefsView {
  private refs: DigestRefs = NO_REFS;
  private picked = new Uint32Array(64);
  count = 0;
  fill(refs: DigestRefs, mask: Uint8Array): this {
    this.refs = refs;
    if (this.picked.length < refs.count) this.picked = new Uint32Array(refs.count);
    let n = 0;
    for (let i = 0; i < refs.count; i += 1) if (mask[refs.positions[i]!] === 1) this.picked[n++] = i;
    this.count = n;
    return this;
  }
  private field(k: number, field: number): number {
    return this.refs.columns[this.picked[k]! * FIELDS + field]!;
  }
  named(k: number): boolean {
    return this.field(k, REPO) !== 0;
  }
  findingId(k: number): string {
    return FINDING_IDS[this.refs.positions[this.picked[k]!]!]!;
  }
  url(k: number): string {
    return this.refs.texts[this.field(k, URL)]!;
  }
  observedAt(k: number): string {
    return this.refs.texts[this.field(k, OBSERVED)]!;
  }
}

/**
 * A claim's evidence: the organisation's references it reads, then each repository's (report
 * order) whose finding it reads, each in the repository's own finding order. Nothing is held per
 * reference: iterating makes each reference as it is reached.
 */
export class ClaimEvidence implements Iterable<EvidenceRef> {
  constructor(
    /** The organisation's references. */
    readonly org: readonly EvidenceRef[],
    /**
     * Each repository's references, in report order: a list of their own, shared by the claims'
     * views, never the list of digests the sentences were read from (their readings are kept
     * only while that list lives).
     */
    private readonly repositories: readonly DigestRefs[],
    /** Over catalogue positions: the findings the claim reads. */
    private readonly mask: Uint8Array,
    readonly length: number,
    /**
     * Whether each repository's references name it alone and no two repositories share a name:
     * the renderers then take a repository's references by its place (`readInto`) rather
     * than grouping every reference by name.
     */
    readonly byRepository: boolean,
  ) {}

  *[Symbol.iterator](): Iterator<EvidenceRef> {
    yield* this.org;
    for (let r = 0; r < this.repositories.length; r += 1) {
      const refs = this.repositories[r]!;
      for (let i = 0; i < refs.count; i += 1) if (this.mask[refs.positions[i]!] === 1) yield refAt(refs, i);
    }
  }

  /** The references of the i-th repository in scope (report order), into a view refilled for each. */
  readInto(at: number, view: ColumnRefs): ColumnRefs {
    return view.fill(this.repositories[at]!, this.mask);
  }
}
