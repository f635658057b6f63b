import { buildHistory, DEFAULT_HISTORY_DAYS, type History } from "../report/history.js";
import { historyAssessments, loadHistoryAssessments } from "../store/history.js";
import type { Store } from "../store/store.js";

/** The history of one installation's claims over the `days` before `until`, from its stored assessments only. */
export async function storedHistory(store: Store, installationId: number, until: Date, days = DEFAULT_HISTORY_DAYS, webUrl?: string): Promise<History> {
  const since = new Date(until.getTime() - days * 86_400_000);
  const rows = await historyAssessments(store, installationId, since, until);
  return buildHistory({ ...rows, until, days, ...(webUrl ? { webUrl } : {}) });
}

/** The same, its assessments read a page at a time with the event loop free in between (the app's page). */
export async function loadStoredHistory(store: Store, installationId: number, until: Date, days = DEFAULT_HISTORY_DAYS, webUrl?: string): Promise<History> {
  const since = new Date(until.getTime() - days * 86_400_000);
  const rows = await loadHistoryAssessments(store, installationId, since, until);
  return buildHistory({ ...rows, until, days, ...(webUrl ? { webUrl } : {}) });
}
