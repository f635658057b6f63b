/** Small helpers that keep generated sentences plain and consistent. */

const MAX_NAMED = 10;

/** "`a`, `b` and `c`", or the first ten and how many more. */
export function names(list: readonly string[], max = MAX_NAMED): string {
  const shown = list.slice(0, max).map((n) => `\`${n}\``);
  const more = list.length - shown.length;
  if (more > 0) return `${shown.join(", ")} and ${more} more`;
  if (shown.length <= 1) return shown.join("");
  return `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`;
}

export function quantity(n: number, singular: string, plural: string): string {
  return `${n.toLocaleString("en-GB")} ${n === 1 ? singular : plural}`;
}

/** One decimal place; never shown as 100% while something is missing, nor 0% while something is there. */
export function percent(part: number, whole: number): string {
  if (whole === 0) return "—";
  let value = Math.round((part / whole) * 1000) / 10;
  if (part < whole && value >= 100) value = 99.9;
  if (part > 0 && value <= 0) value = 0.1;
  return `${value.toFixed(1)}%`;
}

/** A plural verb phrase ("require a pull request") made to agree with a count ("1 of 3 requires …"). */
export function agree(phrase: string, count: number): string {
  if (count !== 1) return phrase;
  const [verb = "", ...rest] = phrase.split(" ");
  const singular = verb === "have" ? "has" : verb === "do" ? "does" : /(s|sh|ch|x)$/.test(verb) ? `${verb}es` : /[^aeiou]y$/.test(verb) ? `${verb.slice(0, -1)}ies` : `${verb}s`;
  return [singular, ...rest].join(" ");
}

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

/** A sentence and what follows it, with one full stop: remediation texts end with their own. */
export function withoutFullStop(text: string): string {
  return text.replace(/\.\s*$/, "");
}
