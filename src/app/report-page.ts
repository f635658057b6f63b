import type { RepoConfig } from "../config/repo-config.js";
import { DEFAULT_HISTORY_DAYS } from "../report/history.js";
import { contentSecurityPolicy } from "../report/html-assets.js";
import { renderHtml } from "../report/html.js";
import type { Store } from "../store/store.js";
import type { Session } from "./browser-session.js";
import { latestReport } from "./latest-report.js";
import { SIGN_OUT_PATH, type BrowserReportDeps } from "./oauth-routes.js";
import { loadStoredHistory } from "./stored-history.js";
import type { HistoryCache } from "./history-cache.js";

/*
 * The HTML report of one organisation for its signed-in admin: the latest stored report and its
 * history, read only from the rows of that organisation's installation.
 */

export type ReportPageDeps = {
  store: Store;
  configFor: (installationId: number, org: string) => Promise<RepoConfig>;
  now?: () => Date;
  webUrl?: string;
  historyDays?: number;
  /** Keeps each installation's history between views; without it every view reads the whole period. */
  history?: HistoryCache;
};

export function reportPage(deps: ReportPageDeps): BrowserReportDeps["page"] {
  return async (org: string, session: Session) => {
    const installation = await deps.store.installationByLogin(org);
    if (!installation || installation.removedAt !== null) return { status: 404, title: "Not installed", text: `claimcheck is not installed on ${org}.` };
    const now = deps.now?.() ?? new Date();
    const config = await deps.configFor(installation.id, installation.accountLogin);
    const report = await latestReport(deps.store, installation.id, installation.accountLogin, config, now);
    if (!report) return { status: 404, title: "No assessment yet", text: `claimcheck has stored no assessment of ${org} yet.` };
    const days = deps.historyDays ?? DEFAULT_HISTORY_DAYS;
    const history = deps.history ? await deps.history.history(installation.id, now, days) : await loadStoredHistory(deps.store, installation.id, now, days, deps.webUrl);
    const html = renderHtml({ ...report, history }, { session: { login: session.login, signOutPath: SIGN_OUT_PATH } });
    return { status: 200, html, csp: contentSecurityPolicy("header") };
  };
}
