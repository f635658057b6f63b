/**
 * Where the running app serves an installation's latest report. Every route listed here answers
 * only a caller who proves admin rights on the organisation (see src/app/report-route.ts and its
 * tests); the audit evidence of claim 2.2.4 names them.
 */
export const REPORT_ROUTE = "/reports/{org}";
export const ADMIN_ONLY_ROUTES: readonly string[] = [REPORT_ROUTE];
