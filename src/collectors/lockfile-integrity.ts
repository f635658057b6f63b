import { parse as parseYaml } from "yaml";

/*
 * Whether a lockfile records a digest for every package it pins from a registry, read from its
 * text per format. Entries that are not fetched from a registry (workspace members, local paths,
 * links, git checkouts pinned by commit) carry no digest in any format and are not counted.
 * A file that cannot be parsed gives no answer rather than a guess.
 */

export type Integrity = { integrity: boolean | null; note?: string };

type Tally = { hashed: number; missing: number; missingExamples: string[] };

const tally = (): Tally => ({ hashed: 0, missing: 0, missingExamples: [] });

function count(t: Tally, hashed: boolean, name: string): void {
  if (hashed) t.hashed += 1;
  else {
    t.missing += 1;
    if (t.missingExamples.length < 3) t.missingExamples.push(name);
  }
}

function verdict(t: Tally): Integrity {
  if (t.missing > 0) {
    return { integrity: false, note: `${t.missing} of ${t.hashed + t.missing} registry packages have no hash (e.g. ${t.missingExamples.join(", ")})` };
  }
  // Nothing recognised proves nothing: the format may have changed, or the file may pin nothing.
  if (t.hashed === 0) return { integrity: null, note: "no registry package was recognised in it, so whether it records hashes is not known" };
  return { integrity: true };
}

const unparsed = (why: string): Integrity => ({ integrity: null, note: `could not be parsed: ${why}` });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const message = (e: unknown) => (e instanceof Error ? e.message.split("\n")[0]! : String(e));

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: message(e) };
  }
}

const isRemote = (resolved: unknown) => typeof resolved !== "string" || /^https?:/.test(resolved);

function npmLock(text: string): Integrity {
  const parsed = parseJson(text);
  if (!parsed.ok || !isObject(parsed.value)) return unparsed(parsed.ok ? "not a JSON object" : parsed.error);
  const t = tally();
  const { packages, dependencies } = parsed.value;
  if (isObject(packages)) {
    for (const [key, entry] of Object.entries(packages)) {
      // Only paths under node_modules are installed packages; the rest are the project and its workspaces.
      if (!key.includes("node_modules/") || !isObject(entry) || entry.link === true || entry.inBundle === true) continue;
      if (!isRemote(entry.resolved)) continue;
      count(t, typeof entry.integrity === "string" && entry.integrity !== "", key.slice(key.lastIndexOf("node_modules/") + 13));
    }
    return verdict(t);
  }
  const walk = (deps: unknown) => {
    if (!isObject(deps)) return;
    for (const [name, entry] of Object.entries(deps)) {
      if (!isObject(entry)) continue;
      if (entry.bundled !== true && isRemote(entry.resolved) && !String(entry.version ?? "").startsWith("file:")) count(t, typeof entry.integrity === "string" && entry.integrity !== "", name);
      walk(entry.dependencies);
    }
  };
  walk(dependencies);
  return verdict(t);
}

/** Top-level blocks of an indentation-structured file (yarn.lock): header line and body lines. */
function blocks(text: string): { header: string; body: string[] }[] {
  const out: { header: string; body: string[] }[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    if (!/^\s/.test(line)) out.push({ header: line, body: [] });
    else out.at(-1)?.body.push(line.trim());
  }
  return out;
}

function yarnLock(text: string): Integrity {
  const t = tally();
  for (const { header, body } of blocks(text)) {
    if (header.startsWith("__metadata")) continue;
    const field = (name: string) => body.find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}:`));
    const resolution = field("resolution") ?? field("resolved") ?? "";
    if (/@(workspace|link|portal|file):/.test(resolution) || body.includes("linkType: soft")) continue;
    const resolved = field("resolved");
    if (resolved !== undefined && !/^"?https?:/.test(resolved.slice("resolved ".length))) continue;
    if (field("resolution") === undefined && resolved === undefined) continue;
    // yarn 1 before 1.10 kept a sha1 digest in the URL fragment instead of an `integrity` field.
    const hashed = field("integrity") !== undefined || field("checksum") !== undefined || /#[0-9a-f]{40}"?$/.test(resolved ?? "");
    count(t, hashed, header.replace(/:$/, "").split(",")[0]!.replace(/"/g, ""));
  }
  return verdict(t);
}

function pnpmLock(text: string): Integrity {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: -1 });
  } catch (e) {
    return unparsed(message(e));
  }
  if (!isObject(doc)) return unparsed("not a YAML mapping");
  const t = tally();
  const packages = isObject(doc.packages) ? doc.packages : {};
  for (const [name, entry] of Object.entries(packages)) {
    const resolution = isObject(entry) && isObject(entry.resolution) ? entry.resolution : {};
    if (resolution.type === "directory" || typeof resolution.commit === "string") continue;
    count(t, typeof resolution.integrity === "string" && resolution.integrity !== "", name);
  }
  return verdict(t);
}

function bunLock(text: string): Integrity {
  const t = tally();
  const start = text.search(/"packages"\s*:\s*\{/);
  if (start < 0) return verdict(t);
  // bun writes one package per line: "name": ["name@version", "registry", {...}, "sha512-..."],
  for (const line of text.slice(start).split(/\r?\n/).slice(1)) {
    const entry = /^\s*"[^"]+"\s*:\s*\[\s*"([^"]+)"/.exec(line);
    if (!entry) continue;
    const id = entry[1]!;
    if (/@(workspace|link|file|root):|@(github|git\+)/.test(id)) continue;
    count(t, /"sha(512|384|256|1)-/.test(line), id);
  }
  return verdict(t);
}

function goSum(text: string): Integrity {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const t = tally();
  for (const line of lines) count(t, / h1:\S+$/.test(line.trim()), line.split(" ")[0] ?? line);
  return verdict(t);
}

/** `[[package]]` blocks of a TOML lockfile, each as its text up to the next table header of another kind. */
function tomlPackages(text: string): string[] {
  return text
    .split(/^\[\[package\]\]\s*$/m)
    .slice(1)
    .map((block) => block.split(/^\[(?!\[?package[.\]])/m)[0]!);
}

const tomlName = (block: string) => /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1] ?? "?";

function cargoLock(text: string): Integrity {
  const t = tally();
  // Cargo.lock version 1 kept checksums in a [metadata] table, one key per registry package.
  const legacy = new Set([...text.matchAll(/^"checksum (\S+) (\S+) \(registry\+[^)]*\)"\s*=\s*"[0-9a-f]+"/gm)].map((m) => `${m[1]} ${m[2]}`));
  for (const block of tomlPackages(text)) {
    const source = /^source\s*=\s*"([^"]*)"/m.exec(block)?.[1];
    if (!source || source.startsWith("git+")) continue;
    const version = /^version\s*=\s*"([^"]+)"/m.exec(block)?.[1] ?? "";
    count(t, /^checksum\s*=\s*"[0-9a-f]+"/m.test(block) || legacy.has(`${tomlName(block)} ${version}`), tomlName(block));
  }
  return verdict(t);
}

function poetryLock(text: string): Integrity {
  const t = tally();
  const metaFiles = /^\[metadata\.files\]\s*$/m.exec(text);
  if (metaFiles) {
    // Poetry before 1.2: hashes listed per package name under [metadata.files].
    const section = text.slice(metaFiles.index).split(/^\[(?!metadata\.files\])/m)[0]!;
    for (const m of section.matchAll(/^"?([\w.-]+)"?\s*=\s*\[([^\]]*)\]/gm)) count(t, /sha256:/.test(m[2]!), m[1]!);
    return verdict(t);
  }
  for (const block of tomlPackages(text)) {
    const sourceType = /^\[package\.source\][\s\S]*?^type\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (sourceType === "directory" || sourceType === "git") continue;
    count(t, /hash\s*=\s*"sha256:[0-9a-f]+"/.test(block), tomlName(block));
  }
  return verdict(t);
}

function uvOrPdmLock(text: string): Integrity {
  const t = tally();
  for (const block of tomlPackages(text)) {
    const source = /^source\s*=\s*\{([^}]*)\}/m.exec(block)?.[1] ?? "";
    if (/\b(editable|virtual|directory|path|git)\s*=/.test(source) || /^(editable|path|git|revision)\s*=/m.test(block)) continue;
    count(t, /hash\s*=\s*"sha256:[0-9a-f]+"/.test(block), tomlName(block));
  }
  return verdict(t);
}

function pipfileLock(text: string): Integrity {
  const parsed = parseJson(text);
  if (!parsed.ok || !isObject(parsed.value)) return unparsed(parsed.ok ? "not a JSON object" : parsed.error);
  const t = tally();
  for (const section of ["default", "develop"]) {
    const deps = parsed.value[section];
    if (!isObject(deps)) continue;
    for (const [name, entry] of Object.entries(deps)) {
      if (!isObject(entry) || "git" in entry || "path" in entry || "file" in entry || entry.editable === true) continue;
      count(t, Array.isArray(entry.hashes) && entry.hashes.length > 0, name);
    }
  }
  return verdict(t);
}

type Requirement = { line: string; pinned: boolean; hashed: boolean };

/** Requirement lines of a pip requirements file, continuation lines joined. */
export function requirementLines(text: string): { requirements: Requirement[]; includes: boolean } {
  const joined = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const requirements: Requirement[] = [];
  let includes = false;
  for (const raw of joined) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line === "") continue;
    if (/^(-r|--requirement|-e|--editable)\b/.test(line)) {
      includes = true;
      continue;
    }
    if (line.startsWith("-")) continue;
    const spec = line.split(/\s--/)[0]!.trim();
    requirements.push({ line, pinned: /^[\w.\-[\], ]+===?\s*[\w.+!-]+\s*(;.*)?$/.test(spec), hashed: /--hash[=\s]+\w+:[0-9a-f]+/.test(line) });
  }
  return { requirements, includes };
}

/** A requirements file is a lockfile when it pins every requirement to one version and includes nothing else. */
export function isPinnedRequirements(text: string): boolean {
  const { requirements, includes } = requirementLines(text);
  return !includes && requirements.length > 0 && requirements.every((r) => r.pinned);
}

function requirementsTxt(text: string): Integrity {
  const t = tally();
  for (const r of requirementLines(text).requirements) count(t, r.hashed, r.line.split(/[=<>~!;\s[]/)[0]!);
  return verdict(t);
}

function gemfileLock(text: string): Integrity {
  const gem = /^GEM\s*$[\s\S]*?^\s{2}specs:\s*$([\s\S]*?)^\S/m.exec(`${text}\nEND`);
  const specs = gem ? [...gem[1]!.matchAll(/^ {4}(\S+) \(([^)]+)\)\s*$/gm)].map((m) => `${m[1]} (${m[2]})`) : [];
  const checksums = /^CHECKSUMS\s*$([\s\S]*?)(^\S|(?![\s\S]))/m.exec(text);
  const summed = new Set(checksums ? [...checksums[1]!.matchAll(/^ {2}(\S+ \([^)]+\)) sha256=[0-9a-f]+/gm)].map((m) => m[1]!) : []);
  const t = tally();
  for (const spec of specs) count(t, summed.has(spec), spec);
  if (!checksums && specs.length > 0) return { integrity: false, note: "no CHECKSUMS section (Bundler 2.6 or later records one)" };
  return verdict(t);
}

function composerLock(text: string): Integrity {
  const parsed = parseJson(text);
  if (!parsed.ok || !isObject(parsed.value)) return unparsed(parsed.ok ? "not a JSON object" : parsed.error);
  const t = tally();
  for (const section of ["packages", "packages-dev"]) {
    const list = parsed.value[section];
    if (!Array.isArray(list)) continue;
    for (const pkg of list) {
      if (!isObject(pkg)) continue;
      const dist = isObject(pkg.dist) ? pkg.dist : null;
      if (!dist || dist.type === "path") continue;
      count(t, typeof dist.shasum === "string" && dist.shasum !== "", String(pkg.name ?? "?"));
    }
  }
  return verdict(t);
}

function nugetLock(text: string): Integrity {
  const parsed = parseJson(text);
  if (!parsed.ok || !isObject(parsed.value)) return unparsed(parsed.ok ? "not a JSON object" : parsed.error);
  const t = tally();
  const frameworks = isObject(parsed.value.dependencies) ? parsed.value.dependencies : {};
  for (const deps of Object.values(frameworks)) {
    if (!isObject(deps)) continue;
    for (const [name, entry] of Object.entries(deps)) {
      if (!isObject(entry) || entry.type === "Project") continue;
      count(t, typeof entry.contentHash === "string" && entry.contentHash !== "", name);
    }
  }
  return verdict(t);
}

const READERS: Readonly<Record<string, (text: string) => Integrity>> = {
  "package-lock.json": npmLock,
  "npm-shrinkwrap.json": npmLock,
  "yarn.lock": yarnLock,
  "pnpm-lock.yaml": pnpmLock,
  "bun.lock": bunLock,
  "go.sum": goSum,
  "Cargo.lock": cargoLock,
  "poetry.lock": poetryLock,
  "uv.lock": uvOrPdmLock,
  "pdm.lock": uvOrPdmLock,
  "Pipfile.lock": pipfileLock,
  "requirements.txt": requirementsTxt,
  "Gemfile.lock": gemfileLock,
  "composer.lock": composerLock,
  "packages.lock.json": nugetLock,
};

/** Pure: the integrity a lockfile's text shows; `null` for a format claimcheck does not read. */
export function lockfileIntegrity(name: string, text: string): Integrity {
  const read = READERS[name];
  if (!read) return { integrity: null, note: `${name} is not a format claimcheck reads` };
  try {
    return read(text);
  } catch (e) {
    return unparsed(message(e));
  }
}
