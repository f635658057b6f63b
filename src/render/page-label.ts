/*
 * Evidence links labelled with what the page they open shows ("branch protection", "merged pull
 * requests"), for the check run and the report alike: a column of links all called "evidence", or
 * named after finding ids, tells a reader nothing before they click.
 */

/** What a GitHub page shows, by the shape of its address: the label of an evidence link. */
const PAGES: readonly [RegExp, string][] = [
  [/\/settings\/branches$/, "branch protection"],
  [/\/settings\/rules$/, "rulesets"],
  [/\/settings\/actions$/, "Actions settings"],
  [/\/settings\/security_analysis$/, "security settings"],
  [/\/settings\/keys$/, "deploy keys"],
  [/\/settings\/access$/, "collaborators and teams"],
  [/\/settings\/environments$/, "environments"],
  [/\/settings\/installations$/, "installed apps"],
  [/\/settings\/member_privileges$/, "member privileges"],
  [/\/settings\/security$/, "organisation security settings"],
  [/\/network\/dependencies$/, "dependency graph"],
  [/\/security\/dependabot$/, "Dependabot alerts"],
  [/\/security\/secret-scanning$/, "secret scanning alerts"],
  [/\/pulls\?q=.*is%3Amerged/, "merged pull requests"],
  [/\/pulls\?q=.*is%3Aopen/, "open pull requests"],
  [/\/pulls(\?|$)/, "pull requests"],
  [/\/commits\/[^/]+$/, "default-branch commits"],
  [/\/tree\/[^/]+\/\.github\/workflows$/, "workflows"],
  [/\/blob\/[^/]+\/(?:\.github\/|docs\/)?CODEOWNERS$/, "CODEOWNERS"],
  [/\/tree\/[^/]+$/, "default-branch files"],
  [/\/people\?query=two-factor%3Adisabled$/, "members without 2FA"],
  [/\/people\?query=role%3Aowner$/, "owners"],
  [/\/people(\?|$)/, "members"],
  [/\/outside-collaborators$/, "outside collaborators"],
  [/\/issues\/\d+$/, "issue"],
];

/** The label for an evidence link: what the page shows, else the file it opens, else `fallback`. */
export function pageLabel(url: string, fallback: string): string {
  const path = url.replace(/^https?:\/\/[^/]+/, "");
  for (const [pattern, label] of PAGES) if (pattern.test(path)) return label;
  const file = /\/blob\/[^/]+\/(.+)$/.exec(path)?.[1];
  return file ? decodeURIComponent(file) : fallback;
}
