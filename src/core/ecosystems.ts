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
};

export const ECOSYSTEMS: readonly Ecosystem[] = [
  { ecosystem: "npm", manifests: ["package.json"], lockfiles: ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock"], dependabot: "npm" },
  { ecosystem: "go", manifests: ["go.mod"], lockfiles: ["go.sum"], dependabot: "gomod" },
  { ecosystem: "cargo", manifests: ["Cargo.toml"], lockfiles: ["Cargo.lock"], dependabot: "cargo" },
  { ecosystem: "pip", manifests: ["pyproject.toml", "requirements.txt", "requirements.in", "Pipfile", "setup.py"], lockfiles: ["poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "requirements.txt"], dependabot: "pip" },
  { ecosystem: "bundler", manifests: ["Gemfile"], lockfiles: ["Gemfile.lock"], dependabot: "bundler" },
  { ecosystem: "maven", manifests: ["pom.xml"], lockfiles: [], dependabot: "maven" },
  { ecosystem: "gradle", manifests: ["build.gradle", "build.gradle.kts"], lockfiles: ["gradle.lockfile"], dependabot: "gradle" },
  { ecosystem: "composer", manifests: ["composer.json"], lockfiles: ["composer.lock"], dependabot: "composer" },
  { ecosystem: "nuget", manifests: [".csproj", "packages.config", "Directory.Packages.props"], lockfiles: ["packages.lock.json"], dependabot: "nuget" },
];

const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The ecosystem a path is a manifest of (".csproj" entries match by extension), if any. */
export function manifestEcosystem(path: string): Ecosystem | undefined {
  const name = baseName(path);
  return ECOSYSTEMS.find((e) => e.manifests.some((m) => (m.startsWith(".") ? name.endsWith(m) : name === m)));
}

export function isManifestOrLockfile(path: string): boolean {
  const name = baseName(path);
  return manifestEcosystem(path) !== undefined || ECOSYSTEMS.some((e) => e.lockfiles.includes(name));
}
