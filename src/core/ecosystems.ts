/*
 * Dependency manifests and the lockfiles that pin them, per ecosystem. A manifest is matched by
 * its file name anywhere in the tree; its lockfile is looked for beside it.
 */
export type Ecosystem = {
  ecosystem: string;
  manifests: readonly string[];
  lockfiles: readonly string[];
  /** The Dependabot `package-ecosystem` value that covers it. */
  dependabot: string;
  /** Other Dependabot `package-ecosystem` values that cover it too. */
  dependabotAlso?: readonly string[];
  /** Renovate managers that update it (any one enabled covers it). */
  renovate: readonly string[];
};

export const ECOSYSTEMS: readonly Ecosystem[] = [
  { ecosystem: "npm", manifests: ["package.json"], lockfiles: ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock"], dependabot: "npm", dependabotAlso: ["bun"], renovate: ["npm", "bun"] },
  { ecosystem: "go", manifests: ["go.mod"], lockfiles: ["go.sum"], dependabot: "gomod", renovate: ["gomod"] },
  { ecosystem: "cargo", manifests: ["Cargo.toml"], lockfiles: ["Cargo.lock"], dependabot: "cargo", renovate: ["cargo"] },
  { ecosystem: "pip", manifests: ["pyproject.toml", "requirements.txt", "requirements.in", "Pipfile", "setup.py"], lockfiles: ["poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "requirements.txt"], dependabot: "pip", dependabotAlso: ["uv"], renovate: ["pip_requirements", "pip-compile", "pip_setup", "pipenv", "poetry", "pep621", "setup-cfg"] },
  { ecosystem: "bundler", manifests: ["Gemfile"], lockfiles: ["Gemfile.lock"], dependabot: "bundler", renovate: ["bundler"] },
  { ecosystem: "maven", manifests: ["pom.xml"], lockfiles: [], dependabot: "maven", renovate: ["maven"] },
  { ecosystem: "gradle", manifests: ["build.gradle", "build.gradle.kts"], lockfiles: ["gradle.lockfile"], dependabot: "gradle", renovate: ["gradle"] },
  { ecosystem: "composer", manifests: ["composer.json"], lockfiles: ["composer.lock"], dependabot: "composer", renovate: ["composer"] },
  { ecosystem: "nuget", manifests: [".csproj", "packages.config", "Directory.Packages.props"], lockfiles: ["packages.lock.json"], dependabot: "nuget", renovate: ["nuget"] },
];

const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The ecosystem a path is a manifest of (".csproj" entries match by extension), if any. */
export function manifestEcosystem(path: string): Ecosystem | undefined {
  const name = baseName(path);
  return ECOSYSTEMS.find((e) => e.manifests.some((m) => (m.startsWith(".") ? name.endsWith(m) : name === m)));
}

/** GitHub Actions workflows, an ecosystem of their own for Dependabot and Renovate. */
export const ACTIONS_ECOSYSTEM: Ecosystem = { ecosystem: "github-actions", manifests: [], lockfiles: [], dependabot: "github-actions", renovate: ["github-actions"] };

/**
 * What each lockfile records about the integrity of what it pins: `hashes` when its format
 * stores a digest per package (whether a given file does is read from its text), `none` when
 * the format stores none, `binary` when it cannot be read as text.
 */
export const LOCKFILE_FORMATS: Readonly<Record<string, "hashes" | "none" | "binary">> = {
  "package-lock.json": "hashes",
  "npm-shrinkwrap.json": "hashes",
  "yarn.lock": "hashes",
  "pnpm-lock.yaml": "hashes",
  "bun.lock": "hashes",
  "bun.lockb": "binary",
  "go.sum": "hashes",
  "Cargo.lock": "hashes",
  "poetry.lock": "hashes",
  "uv.lock": "hashes",
  "Pipfile.lock": "hashes",
  "pdm.lock": "hashes",
  "requirements.txt": "hashes",
  "Gemfile.lock": "hashes",
  "gradle.lockfile": "none",
  "composer.lock": "hashes",
  "packages.lock.json": "hashes",
};

export function isManifestOrLockfile(path: string): boolean {
  const name = baseName(path);
  return manifestEcosystem(path) !== undefined || ECOSYSTEMS.some((e) => e.lockfiles.includes(name));
}
