import { HistoryBuilder, type History, type HistoryAssessment } from "../report/history.js";
import { historyAssessmentsAfter, loadHistoryAssessments } from "../store/history.js";
import type { Store } from "../store/store.js";

/*
 * The history behind the HTML page, kept per installation between views: a view reads only the
 * assessments stored since the last one, instead of every assessment of the period. The entry is
 * built afresh when the repositories the installation covers change, when a longer period is asked
 * for, and once a day (so that old changes are let go).
 */

const REBUILD_AFTER_MS = 86_400_000;

type Entry = { builder: HistoryBuilder; lastId: number; since: number; builtAt: number; covered: string };

export class HistoryCache {
  private readonly entries = new Map<number, Entry>();

  constructor(
    private readonly store: Store,
    private readonly webUrl?: string,
  ) {}

  /** The history as of `until`; a first build reads the period a page at a time with the event loop free in between. */
  async history(installationId: number, until: Date, days: number): Promise<History> {
    const since = until.getTime() - days * 86_400_000;
    const covered = [...await this.store.repositoriesOf(installationId)].sort().join("\n");
    let entry = this.entries.get(installationId);
    if (!entry || entry.covered !== covered || since < entry.since || until.getTime() - entry.builtAt > REBUILD_AFTER_MS) {
      const rows = await loadHistoryAssessments(this.store, installationId, new Date(since), until);
      const builder = new HistoryBuilder(this.webUrl ? { webUrl: this.webUrl } : {});
      for (const a of rows.before.sort(byTime)) builder.add(a, false);
      for (const a of rows.during) builder.add(a, true);
      entry = { builder, lastId: maxId([...rows.before, ...rows.during]), since, builtAt: until.getTime(), covered };
      this.entries.set(installationId, entry);
    } else {
      const known = entry;
      const added = await historyAssessmentsAfter(this.store, installationId, known.lastId);
      // In id order; a view that ran while the store answered may have added some of them already.
      for (const a of added) {
        if (a.id <= known.lastId) continue;
        known.builder.add(a, true);
        known.lastId = a.id;
      }
    }
    return entry.builder.snapshot(until, days);
  }

  /** Forgets an installation (removed, or its data deleted). */
  forget(installationId: number): void {
    this.entries.delete(installationId);
  }
}

function maxId(rows: readonly HistoryAssessment[]): number {
  return rows.reduce((m, r) => Math.max(m, r.id), 0);
}

function byTime(a: HistoryAssessment, b: HistoryAssessment): number {
  return a.finishedAt.localeCompare(b.finishedAt) || a.id - b.id;
}
