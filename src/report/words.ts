/** Small helpers that keep generated sentences plain and consistent. */

const MAX_NAMED = 10;

/** "`a`, `b` and `c`", or the first ten and how many more. */
export function names(list: readonly string[], max = MAX_NAMED): string {
  return namesOf(list.slice(0, max), list.length);
}

/** `names` of a list of which only the first names are at hand (as many as are shown) and its length. */
export function namesOf(first: readonly string[], total: number): string {
  const shown = first.map((n) => `\`${n}\``);
  const more = total - shown.length;
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

/** A sentence and what follows it, with one full stop: remediation texts end with their own. */
export function withoutFullStop(text: string): string {
  return text.replace(/\.\s*$/, "");
}
