/*
 * GitHub Actions expressions (`${{ … }}` and `if:` conditions), evaluated statically. Only what
 * is known before a run is given a value (the event being considered, the repository's name, the
 * base branch of a pull request to the default branch, literals); everything else is unknown,
 * and unknown propagates: `unknown && false` is known falsy, `unknown || true` known truthy, any
 * other use of an unknown is unknown. The semantics follow GitHub's documentation of expressions
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/expressions): loose equality
 * that coerces to numbers, case-insensitive string comparison, `&&`/`||` returning an operand,
 * and the falsy values `false`, `0`, `-0`, `""`, `null` and NaN.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value known before the run, or unknown (with its truthiness when that alone is known). */
export type Value = { known: true; value: Json } | { known: false; truthy?: boolean };

const UNKNOWN: Value = { known: false };
const known = (value: Json): Value => ({ known: true, value });

/** What is known about the run being considered. Context paths are lower-case (`github.event_name`). */
export type ExpressionContext = {
  values: Readonly<Record<string, Json>>;
  /** Whether the job has `needs:` (status functions then depend on other jobs' results). */
  hasNeeds: boolean;
};

export type Truth = "true" | "false" | "unknown";

class ParseError extends Error {}

type Token = { type: "num" | "str" | "id" | "op" | "end"; text: string; value?: Json };

const OPERATORS = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")", "[", "]", ".", ",", "*"];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === "'") {
      let text = "";
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new ParseError("unterminated string");
        if (source[j] === "'") {
          if (source[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += source[j];
        j += 1;
      }
      tokens.push({ type: "str", text, value: text });
      i = j + 1;
      continue;
    }
    const number = /^(0x[0-9a-f]+|-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)/i.exec(source.slice(i));
    if (number && (c !== "-" || tokens.length === 0 || tokens[tokens.length - 1]!.type === "op")) {
      tokens.push({ type: "num", text: number[0], value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i));
    if (id) {
      tokens.push({ type: "id", text: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new ParseError(`unexpected character \`${c}\``);
    tokens.push({ type: "op", text: op });
    i += op.length;
  }
  tokens.push({ type: "end", text: "" });
  return tokens;
}

type Node =
  | { kind: "literal"; value: Json }
  | { kind: "context"; path: string[]; dynamic: boolean }
  | { kind: "call"; name: string; args: Node[] }
  | { kind: "not"; operand: Node }
  | { kind: "binary"; op: string; left: Node; right: Node };

function parse(source: string): Node {
  const tokens = tokenize(source);
  let at = 0;
  const peek = () => tokens[at]!;
  const take = () => tokens[at++]!;
  const expect = (text: string) => {
    const t = take();
    if (t.text !== text) throw new ParseError(`expected \`${text}\``);
  };

  const primary = (): Node => {
    const t = take();
    if (t.type === "num" || t.type === "str") return { kind: "literal", value: t.value! };
    if (t.type === "op" && t.text === "(") {
      const inner = or();
      expect(")");
      return postfix(inner);
    }
    if (t.type === "op" && t.text === "!") return { kind: "not", operand: unary() };
    if (t.type !== "id") throw new ParseError(`unexpected \`${t.text || "end"}\``);
    const word = t.text.toLowerCase();
    if (word === "true" || word === "false") return { kind: "literal", value: word === "true" };
    if (word === "null") return { kind: "literal", value: null };
    if (peek().text === "(") {
      take();
      const args: Node[] = [];
      if (peek().text !== ")") {
        args.push(or());
        while (peek().text === ",") {
          take();
          args.push(or());
        }
      }
      expect(")");
      return postfix({ kind: "call", name: word, args });
    }
    return postfix({ kind: "context", path: [word], dynamic: false });
  };

  const postfix = (node: Node): Node => {
    let current = node;
    for (;;) {
      const t = peek();
      if (t.text === ".") {
        take();
        const name = take();
        if (name.type !== "id" && !(name.type === "op" && name.text === "*")) throw new ParseError("expected a property name");
        current = extend(current, name.text.toLowerCase());
      } else if (t.text === "[") {
        take();
        const index = or();
        expect("]");
        current = extend(current, index.kind === "literal" && typeof index.value === "string" ? index.value.toLowerCase() : null);
      } else return current;
    }
  };

  // A context path stays a path while its parts are known names; an index computed at run time makes it dynamic.
  const extend = (node: Node, part: string | null): Node => {
    if (node.kind === "context") return { kind: "context", path: part === null ? node.path : [...node.path, part], dynamic: node.dynamic || part === null };
    return { kind: "context", path: ["<value>"], dynamic: true };
  };

  const unary = (): Node => primary();

  const comparison = (): Node => {
    let left = unary();
    while (["==", "!=", "<", "<=", ">", ">="].includes(peek().text)) {
      const op = take().text;
      left = { kind: "binary", op, left, right: unary() };
    }
    return left;
  };
  const and = (): Node => {
    let left = comparison();
    while (peek().text === "&&") {
      take();
      left = { kind: "binary", op: "&&", left, right: comparison() };
    }
    return left;
  };
  const or = (): Node => {
    let left = and();
    while (peek().text === "||") {
      take();
      left = { kind: "binary", op: "||", left, right: and() };
    }
    return left;
  };

  const root = or();
  if (peek().type !== "end") throw new ParseError(`unexpected \`${peek().text}\``);
  return root;
}

const isFalsy = (v: Json) => v === false || v === 0 || v === "" || v === null || (typeof v === "number" && Number.isNaN(v));

function truthOf(v: Value): boolean | undefined {
  return v.known ? !isFalsy(v.value) : v.truthy;
}

function toNumber(v: Json): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  if (typeof v === "string") return v.trim() === "" ? 0 : Number(v);
  return Number.NaN;
}

function looseEquals(a: Json, b: Json): boolean {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b && (a === null || typeof a !== "object")) return a === b;
  if (typeof a === "object" || typeof b === "object") return a === b;
  return toNumber(a) === toNumber(b);
}

function compare(op: string, a: Json, b: Json): boolean {
  if (op === "==") return looseEquals(a, b);
  if (op === "!=") return !looseEquals(a, b);
  const [x, y] = typeof a === "string" && typeof b === "string" ? [a.toLowerCase(), b.toLowerCase()] : [toNumber(a), toNumber(b)];
  if (op === "<") return x < y;
  if (op === "<=") return x <= y;
  if (op === ">") return x > y;
  return x >= y;
}

const asString = (v: Json): string => (v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

function call(name: string, args: Value[], ctx: ExpressionContext): Value {
  switch (name) {
    case "always":
      return known(true);
    case "success":
      // Without `needs:`, nothing the job depends on can have failed.
      return ctx.hasNeeds ? UNKNOWN : known(true);
    case "failure":
      return ctx.hasNeeds ? UNKNOWN : known(false);
    case "cancelled":
      // Whether a job runs is judged for a run nobody cancels.
      return known(false);
  }
  if (!args.every((a) => a.known)) return UNKNOWN;
  const values = args.map((a) => (a as { value: Json }).value);
  switch (name) {
    case "contains": {
      const [haystack, needle] = values;
      if (Array.isArray(haystack)) return known(haystack.some((h) => looseEquals(h, needle ?? null)));
      return known(asString(haystack ?? null).toLowerCase().includes(asString(needle ?? null).toLowerCase()));
    }
    case "startswith":
      return known(asString(values[0] ?? null).toLowerCase().startsWith(asString(values[1] ?? null).toLowerCase()));
    case "endswith":
      return known(asString(values[0] ?? null).toLowerCase().endsWith(asString(values[1] ?? null).toLowerCase()));
    case "format":
      return known(asString(values[0] ?? null).replace(/\{(\d+)\}/g, (_m, i: string) => asString(values[Number(i) + 1] ?? null)));
    case "fromjson":
      try {
        return known(JSON.parse(asString(values[0] ?? null)) as Json);
      } catch {
        return UNKNOWN;
      }
    case "tojson":
      return known(JSON.stringify(values[0] ?? null));
    case "join": {
      const [list, sep] = values;
      return known(Array.isArray(list) ? list.map(asString).join(sep === undefined ? "," : asString(sep)) : asString(list ?? null));
    }
    default:
      // hashFiles() and anything newer depend on the run.
      return UNKNOWN;
  }
}

function evaluate(node: Node, ctx: ExpressionContext): Value {
  switch (node.kind) {
    case "literal":
      return known(node.value);
    case "context": {
      if (node.dynamic) return UNKNOWN;
      const key = node.path.join(".");
      return Object.hasOwn(ctx.values, key) ? known(ctx.values[key]!) : UNKNOWN;
    }
    case "call":
      return call(node.name, node.args.map((a) => evaluate(a, ctx)), ctx);
    case "not": {
      const truth = truthOf(evaluate(node.operand, ctx));
      return truth === undefined ? UNKNOWN : known(!truth);
    }
    case "binary": {
      const left = evaluate(node.left, ctx);
      if (node.op === "&&" || node.op === "||") {
        const lt = truthOf(left);
        const decidedByLeft = node.op === "&&" ? lt === false : lt === true;
        if (decidedByLeft) return left;
        const right = evaluate(node.right, ctx);
        if (lt !== undefined) return right; // the left operand passed control to the right one
        // Unknown left: the result is one of the two operands.
        const rt = truthOf(right);
        if (node.op === "&&" && rt === false) return { known: false, truthy: false };
        if (node.op === "||" && rt === true) return { known: false, truthy: true };
        return UNKNOWN;
      }
      const right = evaluate(node.right, ctx);
      if (!left.known || !right.known) return UNKNOWN;
      return known(compare(node.op, left.value, right.value));
    }
  }
}

const STATUS_FUNCTION = /\b(success|failure|always|cancelled)\s*\(/i;

/** Whether an `if:` names a status function (without one, GitHub adds `success() &&`). */
export function hasStatusFunction(condition: string): boolean {
  return STATUS_FUNCTION.test(condition);
}

/**
 * Pure: whether a job's or step's `if:` is true for a run, as GitHub evaluates it. GitHub reads
 * `if:` as an expression whether or not it is wrapped in `${{ }}`; a value that mixes `${{ }}`
 * with other text is a non-empty string after substitution, which is truthy. An expression this
 * parser cannot read is unknown, with the reason.
 */
export function conditionTruth(condition: string | boolean | number | null, ctx: ExpressionContext): { truth: Truth; error?: string } {
  if (condition === null) return { truth: "true" };
  if (typeof condition === "boolean") return { truth: condition ? "true" : "false" };
  if (typeof condition === "number") return { truth: condition === 0 || Number.isNaN(condition) ? "false" : "true" };
  const text = condition.trim();
  if (text === "") return { truth: "true" };
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(text);
  let source = text;
  if (whole && !whole[1]!.includes("}}")) source = whole[1]!;
  else if (text.includes("${{")) return { truth: "true" };
  try {
    const truth = truthOf(evaluate(parse(source), ctx));
    return { truth: truth === undefined ? "unknown" : truth ? "true" : "false" };
  } catch (error) {
    return { truth: "unknown", error: `\`${text}\` could not be read (${error instanceof Error ? error.message : String(error)})` };
  }
}
