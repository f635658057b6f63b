import { describe, expect, it } from "vitest";
import { untrustedArrival } from "../../src/collectors/workflow-untrusted.js";
import { classifyInstall, classifyInstallAction, newJobInstallState, setsBundlerFrozen } from "../../src/collectors/workflow-installs.js";
import {
  commandsOf,
  effectiveArgv,
  isPinned,
  parseWorkflow,
  runsDependencyScan,
  runsTests,
  splitCommands,
  usesDependencyScan,
  type Step,
  type Workflow,
} from "../../src/collectors/workflow-parse.js";

const SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab";

function parsed(text: string): Workflow {
  const result = parseWorkflow(text);
  if (!result.ok) throw new Error(result.error);
  return result.workflow;
}

const command = (line: string) => {
  const [first] = commandsOf(line);
  if (!first) throw new Error(`no command in ${line}`);
  return first;
};
const step = (overrides: Partial<Step>): Step => ({ uses: null, run: null, with: {}, env: {}, ...overrides });

describe("parseWorkflow", () => {
  it("reads triggers in their three forms, and schedules only from cron entries", () => {
    expect(parsed("on: push\njobs: { a: { runs-on: x } }").events).toEqual(["push"]);
    expect(parsed("on: [push, pull_request]\njobs: { a: {} }").events).toEqual(["push", "pull_request"]);
    const w = parsed("on:\n  pull_request_target:\n    types: [opened]\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  a: {}\n");
    expect(w.events).toEqual(["pull_request_target", "schedule"]);
    expect(w.crons).toEqual(["0 3 * * 1"]);
    expect(parsed("on: { schedule: null }\njobs: { a: {} }").crons).toEqual([]);
  });

  it("reads `on` even where a YAML 1.1 directive makes it a boolean key", () => {
    expect(parsed("%YAML 1.1\n---\non: push\njobs: { a: {} }\n").events).toEqual(["push"]);
  });

  it("tells a permissions block that restricts from none and from write-all", () => {
    const w = parsed(
      ["on: push", "permissions: write-all", "jobs:", "  none: {}", "  empty:", "    permissions: {}", "  read:", "    permissions: read-all", "  scoped:", "    permissions:", "      contents: write"].join("\n"),
    );
    expect(w.permissions).toBe("write-all");
    expect(w.jobs.map((j) => [j.id, j.permissions])).toEqual([
      ["none", "absent"],
      ["empty", "restricted"],
      ["read", "restricted"],
      ["scoped", "restricted"],
    ]);
  });

  it("keeps steps' uses, run, with and env as strings, and a job's reusable workflow", () => {
    const w = parsed(
      ["on: push", "env: { A: 1 }", "jobs:", "  call:", "    uses: ./.github/workflows/reusable.yml", "  build:", "    env: { B: true }", "    steps:", `      - uses: actions/checkout@${SHA}`, "        with: { fetch-depth: 0, ref: main }", "      - run: npm ci", "      - just a string"].join("\n"),
    );
    expect(w.env).toEqual({ A: "1" });
    expect(w.jobs[0]).toMatchObject({ id: "call", uses: "./.github/workflows/reusable.yml", steps: [] });
    expect(w.jobs[1]!.env).toEqual({ B: "true" });
    expect(w.jobs[1]!.steps).toEqual([
      { uses: `actions/checkout@${SHA}`, run: null, with: { "fetch-depth": "0", ref: "main" }, env: {}, if: null, id: null },
      { uses: null, run: "npm ci", with: {}, env: {}, if: null, id: null },
    ]);
  });

  it("reads what decides whether a job runs and what its token can do", () => {
    const w = parsed(
      [
        "on:",
        "  pull_request:",
        "    branches: [main]",
        "    paths-ignore: ['**.md']",
        "    types: [opened, synchronize]",
        "  push:",
        "env: { TOKEN: '${{ secrets.NPM_TOKEN }}' }",
        "permissions: read-all",
        "jobs:",
        "  a:",
        "    if: false",
        "    needs: [b]",
        "    permissions: { contents: read, id-token: write }",
        "    steps: [{ if: \"github.event_name == 'push'\", id: x, run: make }]",
        "  b:",
        "    needs: c",
        "    uses: ./.github/workflows/called.yml",
        "    with: { ref: main }",
        "    secrets: inherit",
      ].join("\n"),
    );
    expect(w.triggers?.pull_request).toEqual({ branches: ["main"], branchesIgnore: null, paths: null, pathsIgnore: ["**.md"], types: ["opened", "synchronize"] });
    expect(w.writes).toBe(false);
    expect(w.envSecrets).toBe(true);
    expect(w.jobs[0]).toMatchObject({ if: false, needs: ["b"], writes: true, usesSecrets: false });
    expect(w.jobs[0]!.steps[0]).toMatchObject({ if: "github.event_name == 'push'", id: "x" });
    expect(w.jobs[1]).toMatchObject({ needs: ["c"], writes: null, with: { ref: "main" }, usesSecrets: true });
  });

  it.each([
    ["on: push\njobs: [", /^not valid YAML/],
    ["on: push\non: pull_request\njobs: { a: {} }", /^not valid YAML: Map keys must be unique/],
    ["on: push\njobs: { a: {} }\n---\non: push\n", /^not valid YAML/],
    ["- on: push", /^not a YAML mapping$/],
    ["", /^not a YAML mapping$/],
    ["jobs: { a: {} }", /no `on:` trigger/],
    ["on: push", /no `jobs:` mapping/],
    ["on: push\njobs: {}", /no `jobs:` mapping/],
    ["on: push\njobs: { a: 3 }", /job `a` is not a mapping/],
    ["a: &x [*x]", /^not valid YAML|not a YAML mapping|no `on:`/],
  ])("reports %j as an error, never throws", (text, error) => {
    const result = parseWorkflow(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.error).toMatch(error);
  });
});

describe("isPinned", () => {
  it.each([
    [`actions/checkout@${SHA}`, true],
    [`actions/checkout@${SHA.toUpperCase()}`, true],
    [`octo-org/tools/.github/workflows/build.yml@${SHA}`, true],
    ["./.github/actions/setup", true],
    [`docker://alpine@sha256:${"a".repeat(64)}`, true],
    ["actions/checkout@v4", false],
    ["actions/checkout@main", false],
    [`actions/checkout@${SHA.slice(0, 12)}`, false],
    ["actions/checkout", false],
    ["docker://alpine:3.19", false],
    [`docker://alpine@sha256:${"a".repeat(10)}`, false],
  ])("%s → %s", (uses, pinned) => {
    expect(isPinned(uses)).toBe(pinned);
  });
});

describe("shell commands", () => {
  it("splits on separators, joins continued lines, keeps quoted words and drops comments", () => {
    expect(splitCommands("cd web && npm ci --silent; npm test | tee out\n# npm install\nnpm run \\\n  build 'a b'")).toEqual([
      ["cd", "web"],
      ["npm", "ci", "--silent"],
      ["npm", "test"],
      ["tee", "out"],
      ["npm", "run", "build", "a b"],
    ]);
  });

  it("splits off inline variables and wrappers", () => {
    expect(commandsOf("BUNDLE_FROZEN=true sudo bundle install")).toEqual([{ env: { BUNDLE_FROZEN: "true" }, argv: ["bundle", "install"] }]);
    expect(commandsOf("if pytest; then echo ok; fi").map((c) => c.argv[0])).toEqual(["pytest", "echo", "fi"]);
  });

  it("sees through runners to the command they run", () => {
    expect(effectiveArgv(["python3", "-m", "pip", "install", "-r", "r.txt"])).toEqual(["pip", "install", "-r", "r.txt"]);
    expect(effectiveArgv(["bundle", "exec", "rspec"])).toEqual(["rspec"]);
    expect(effectiveArgv(["npx", "--yes", "jest", "--ci"])).toEqual(["jest", "--ci"]);
    expect(effectiveArgv(["uv", "run", "pytest"])).toEqual(["pytest"]);
    expect(effectiveArgv(["uv", "pip", "install", "."])).toEqual(["pip", "install", "."]);
    expect(effectiveArgv(["./gradlew", "test"])).toEqual(["gradle", "test"]);
  });
});

describe("runsTests", () => {
  it.each([
    "npm test",
    "npm run test:unit",
    "npm --prefix web test",
    "yarn test",
    "pnpm --filter api run test",
    "yarn workspace web test:e2e",
    "pytest -q",
    "python -m pytest tests/",
    "uv run pytest",
    "go test ./...",
    "cargo test --all",
    "cargo nextest run",
    "mvn -B verify",
    "./mvnw test",
    "./gradlew check",
    "gradle :app:test",
    "dotnet test --no-build",
    "bundle exec rspec",
    "bundle exec rake spec",
    "make test",
    "make -C backend unit-test",
    "npx jest --ci",
    "npx playwright test",
    "tox -e py312",
    "nx run-many -t test",
  ])("recognises %s", (line) => {
    expect(runsTests(command(line))).toBe(true);
  });

  it.each(["npm run build", "npm install test-utils", "yarn testing", "go vet ./...", "mvn -B package", "mvn -B verify -DskipTests", "make build", "echo npm test", "cargo build", "gradle build -x test"])(
    "does not count %s",
    (line) => {
      expect(runsTests(command(line))).toBe(false);
    },
  );
});

const installKind = (line: string, env: Record<string, string> = {}, state = newJobInstallState()) => classifyInstall(command(line), env, state)?.kind ?? null;

describe("classifyInstall", () => {
  it.each([
    ["npm ci", "locked"],
    ["npm clean-install", "locked"],
    ["npm install", "afresh"],
    ["npm i --no-audit", "afresh"],
    ["npm update", "afresh"],
    ["yarn install --frozen-lockfile", "locked"],
    ["yarn --immutable", "locked"],
    ["yarn install --pure-lockfile", "afresh"],
    ["yarn install --no-immutable", "afresh"],
    ["pnpm install", "locked"],
    ["pnpm install --frozen-lockfile", "locked"],
    ["pnpm install --no-frozen-lockfile", "afresh"],
    ["bun install --frozen-lockfile", "locked"],
    ["bun install", "afresh"],
    ["pip install --require-hashes -r requirements.txt", "locked"],
    ["pip install -r requirements.txt", "afresh"],
    ["pip install -c constraints.txt -e .", "afresh"],
    ["python -m pip install -rrequirements/dev.txt", "afresh"],
    ["pip install -e .[test]", "afresh"],
    ["pip install .", "afresh"],
    ["uv sync --locked", "locked"],
    ["uv sync --frozen", "locked"],
    ["uv sync", "afresh"],
    ["uv run pytest", "afresh"],
    ["uv run --locked pytest", "locked"],
    ["uv run --no-sync pytest", null],
    ["uv pip install -r requirements.txt", "afresh"],
    ["pipenv install --deploy", "locked"],
    ["pipenv install", "afresh"],
    ["pipenv sync", "locked"],
    ["pdm sync", "locked"],
    ["pdm install", "afresh"],
    ["poetry update", "afresh"],
    ["poetry lock", "afresh"],
    ["cargo build --locked", "locked"],
    ["cargo test --frozen", "locked"],
    ["cargo build --release", "afresh"],
    ["cargo clippy --all-targets", "afresh"],
    ["cargo update", "afresh"],
    ["go mod download", "locked"],
    ["go build ./...", "locked"],
    ["go test -race ./...", "locked"],
    ["go build -mod=mod ./...", "afresh"],
    ["go mod tidy", "afresh"],
    ["go get ./...", "afresh"],
    ["bundle install --frozen", "locked"],
    ["BUNDLE_FROZEN=true bundle install", "locked"],
    ["bundle install", "afresh"],
    ["bundle update", "afresh"],
    ["composer update", "afresh"],
    ["dotnet restore --locked-mode", "locked"],
    ["dotnet build -p:RestoreLockedMode=true", "locked"],
    ["mvn -B verify", "afresh"],
    ["./mvnw package -DskipTests", "afresh"],
    ["./gradlew build --write-locks", "afresh"],
  ])("%s → %s", (line, kind) => {
    expect(installKind(line)).toBe(kind);
  });

  it("names the one requirements file a pip install reads, whose hashes would make pip check them", () => {
    expect(classifyInstall(command("pip install -r ./requirements.txt"), {})).toMatchObject({ kind: "afresh", hashesIn: "requirements.txt" });
    expect(classifyInstall(command("pip install --requirement=requirements/ci.txt"), {})).toMatchObject({ hashesIn: "requirements/ci.txt" });
    expect(classifyInstall(command("pip install -r a.txt -r b.txt"), {})?.hashesIn).toBeUndefined();
    expect(classifyInstall(command("pip install -r requirements.txt -e ."), {})?.hashesIn).toBeUndefined();
  });

  it("leaves undecidable what depends on something not read, with the reason", () => {
    for (const line of ["yarn", "yarn install", "pip-sync requirements.txt"]) {
      const install = classifyInstall(command(line), {});
      expect(install?.kind, line).toBe("unknown");
      expect(install?.reason, line).toBeTruthy();
    }
  });

  it("makes installs that honour a lockfile only when there is one depend on it", () => {
    expect(classifyInstall(command("poetry install --no-root"), {})).toMatchObject({ ecosystem: "pip", kind: "locked", lockfiles: ["poetry.lock"], withoutLockfile: "afresh" });
    expect(classifyInstall(command("composer install --no-interaction"), {})).toMatchObject({ ecosystem: "composer", kind: "locked", lockfiles: ["composer.lock"], withoutLockfile: "afresh" });
    expect(classifyInstall(command("./gradlew test"), {})).toMatchObject({ ecosystem: "gradle", kind: "locked", lockfiles: ["gradle.lockfile"], withoutLockfile: "afresh" });
    // Locked mode can be set in a project file, which is not read.
    expect(classifyInstall(command("dotnet restore"), {})).toMatchObject({ ecosystem: "nuget", kind: "unknown", lockfiles: ["packages.lock.json"], withoutLockfile: "afresh" });
    expect(classifyInstall(command("dotnet test"), {})).toMatchObject({ ecosystem: "nuget", kind: "unknown" });
    expect(classifyInstall(command("dotnet test --no-restore"), {})).toBeNull();
  });

  it("names the ecosystem of every install", () => {
    expect(["npm ci", "pnpm i", "yarn --immutable", "bun ci"].map((l) => classifyInstall(command(l), {})?.ecosystem)).toEqual(["npm", "npm", "npm", "npm"]);
    expect(["pip install -r r.txt", "uv sync", "poetry install", "pipenv sync"].map((l) => classifyInstall(command(l), {})?.ecosystem)).toEqual(["pip", "pip", "pip", "pip"]);
    expect(["cargo test", "go test ./...", "bundle install", "composer install", "mvn test"].map((l) => classifyInstall(command(l), {})?.ecosystem)).toEqual(["cargo", "go", "bundler", "composer", "maven"]);
  });

  it.each(["npm install -g typescript", "npm install left-pad", "pip install pre-commit", "pip install --upgrade pip", "pnpm add zod", "cargo install cargo-deny --locked", "go install golang.org/x/tools/cmd/goimports@latest", "yarn build", "gem install bundler", "echo npm install", "mvn --version", "./gradlew --version"])(
    "%s is not a project install",
    (line) => {
      expect(installKind(line)).toBeNull();
    },
  );

  it("takes the environment into account", () => {
    expect(installKind("bundle install", { BUNDLE_FROZEN: "true" })).toBe("locked");
    expect(installKind("bundle install", { BUNDLE_DEPLOYMENT: "1" })).toBe("locked");
    expect(installKind("bundle install", {}, { bundlerFrozen: true, uvSynced: false })).toBe("locked");
    expect(installKind("go test ./...", { GOFLAGS: "-mod=mod" })).toBe("afresh");
    expect(installKind("yarn install", { YARN_ENABLE_IMMUTABLE_INSTALLS: "true" })).toBe("locked");
    expect(installKind("yarn install", { YARN_ENABLE_IMMUTABLE_INSTALLS: "false" })).toBe("afresh");
    expect(installKind("pip install -r requirements.txt", { PIP_REQUIRE_HASHES: "1" })).toBe("locked");
    expect(installKind("uv sync", { UV_LOCKED: "1" })).toBe("locked");
    expect(installKind("pnpm install", { npm_config_frozen_lockfile: "false" })).toBe("afresh");
    // After a locked `uv sync`, `uv run` finds the environment in step with uv.lock.
    expect(installKind("uv run pytest", {}, { bundlerFrozen: false, uvSynced: true })).toBeNull();
  });

  it("recognises the bundler settings that freeze later installs", () => {
    expect(setsBundlerFrozen(command("bundle config set --local frozen true"))).toBe(true);
    expect(setsBundlerFrozen(command("bundle config --local deployment 'true'"))).toBe(true);
    expect(setsBundlerFrozen(command("bundle config set frozen false"))).toBe(false);
    expect(setsBundlerFrozen(command("bundle config set path vendor"))).toBe(false);
  });

  it("recognises actions that install", () => {
    expect(classifyInstallAction({ uses: "ruby/setup-ruby@v1", with: { "bundler-cache": "true" } })).toMatchObject({ ecosystem: "bundler", kind: "locked", lockfiles: ["Gemfile.lock"] });
    expect(classifyInstallAction({ uses: "ruby/setup-ruby@v1", with: {} })).toBeNull();
    expect(classifyInstallAction({ uses: "pnpm/action-setup@v4", with: { run_install: "true" } })).toMatchObject({ kind: "locked" });
    expect(classifyInstallAction({ uses: "actions-rs/cargo@v1", with: { command: "build", args: "--release" } })).toMatchObject({ ecosystem: "cargo", kind: "afresh" });
    expect(classifyInstallAction({ uses: "actions-rs/cargo@v1", with: { command: "test", args: "--locked" } })).toMatchObject({ kind: "locked" });
    expect(classifyInstallAction({ uses: "actions/setup-node@v4", with: { cache: "npm" } })).toBeNull();
  });
});

describe("dependency scans", () => {
  it.each([
    [`actions/dependency-review-action@${SHA}`, {}, true],
    ["google/osv-scanner-action/osv-scanner-action@v2", {}, true],
    ["google/osv-scanner-action/.github/workflows/osv-scanner-reusable-pr.yml@v2", {}, true],
    ["snyk/actions/node@master", {}, true],
    ["aquasecurity/trivy-action@0.28.0", { "scan-type": "fs" }, true],
    ["aquasecurity/trivy-action@0.28.0", { "scan-type": "config" }, false],
    ["aquasecurity/trivy-action@0.28.0", { scanners: "secret,misconfig" }, false],
    ["anchore/scan-action@v6", {}, true],
    ["github/codeql-action/analyze@v3", {}, false],
    ["ossf/scorecard-action@v2", {}, false],
  ])("%s with %j → %s", (uses, withs, expected) => {
    expect(usesDependencyScan({ uses, with: withs as Record<string, string> })).toBe(expected);
  });

  it.each([
    ["npm audit --audit-level=high", true],
    ["npm audit signatures", false],
    ["yarn npm audit", true],
    ["osv-scanner --lockfile package-lock.json", true],
    ["snyk test", true],
    ["snyk monitor", false],
    ["trivy fs .", true],
    ["trivy fs --scanners misconfig .", false],
    ["trivy config .", false],
    ["grype dir:.", true],
    ["pip-audit -r requirements.txt", true],
    ["uvx pip-audit", true],
    ["cargo audit", true],
    ["cargo deny check", true],
    ["cargo deny check licenses", false],
    ["bundle exec bundler-audit check", true],
    ["govulncheck ./...", true],
    ["dotnet list package --vulnerable", true],
    ["npm ci", false],
  ])("%s → %s", (line, expected) => {
    expect(runsDependencyScan(command(line))).toBe(expected);
  });
});

describe("untrustedArrival", () => {
  const checkout = (withs: Record<string, string>) => step({ uses: `actions/checkout@${SHA}`, with: withs });
  const arrives = (s: Step, vars: Record<string, string> = {}, events = ["pull_request_target"]) => untrustedArrival(s, vars, events)?.certain ?? false;

  it.each([
    ["${{ github.event.pull_request.head.sha }}", true],
    ["${{ github.event.pull_request.head.ref }}", true],
    ["${{ github.head_ref }}", true],
    ["refs/pull/${{ github.event.pull_request.number }}/merge", true],
    ["refs/pull/${{ github.event.issue.number }}/head", true],
    ["${{ github.event.pull_request.merge_commit_sha }}", true],
    ["${{ github.event.workflow_run.head_sha }}", true],
    ["${{ fromJSON(steps.pr.outputs.result).head.sha }}", true],
    ["${{ github.event.pull_request.base.sha }}", false],
    ["main", false],
  ])("checkout ref %s → %s", (ref, expected) => {
    expect(arrives(checkout({ ref }))).toBe(expected);
  });

  it("is not a checkout of the head without a ref", () => {
    expect(untrustedArrival(checkout({}), {}, ["pull_request_target"])).toBeNull();
  });

  it("sees the contributor's fork as the repository, and a ref passed through a variable or an input", () => {
    expect(arrives(checkout({ repository: "${{ github.event.pull_request.head.repo.full_name }}" }))).toBe(true);
    expect(arrives(checkout({ ref: "${{ env.PR_SHA }}" }), { PR_SHA: "${{ github.event.pull_request.head.sha }}" })).toBe(true);
    expect(arrives(checkout({ ref: "${{ inputs.ref }}" }), { ref: "${{ github.event.pull_request.head.sha }}" })).toBe(true);
  });

  it("leaves a ref decided at run time undecided, not safe", () => {
    const found = untrustedArrival(checkout({ ref: "${{ steps.pr.outputs.sha }}" }), {}, ["issue_comment"]);
    expect(found).toMatchObject({ certain: false });
  });

  it("sees the pull request's code arrive by git, gh, a download or an artifact", () => {
    expect(arrives(step({ run: "gh pr checkout ${{ github.event.number }}" }))).toBe(true);
    expect(arrives(step({ run: "gh pr diff ${{ github.event.issue.number }} | git apply" }))).toBe(true);
    expect(arrives(step({ run: "git fetch origin pull/${{ github.event.number }}/head:pr && git checkout pr" }))).toBe(true);
    expect(arrives(step({ run: "git clone ${{ github.event.pull_request.head.repo.clone_url }} pr" }))).toBe(true);
    expect(arrives(step({ run: "gh repo clone ${{ github.event.pull_request.head.repo.full_name }}" }))).toBe(true);
    expect(arrives(step({ run: 'git checkout "$HEAD"' }), { HEAD: "${{ github.event.pull_request.head.sha }}" })).toBe(true);
    expect(arrives(step({ run: "curl -sL https://github.com/o/r/archive/${{ github.event.pull_request.head.sha }}.tar.gz | tar xz" }))).toBe(true);
    expect(arrives(step({ run: "gh run download ${{ github.event.workflow_run.id }} -n build" }), {}, ["workflow_run"])).toBe(true);
    expect(arrives(step({ uses: "actions/download-artifact@v4", with: { "run-id": "${{ github.event.workflow_run.id }}" } }), {}, ["workflow_run"])).toBe(true);
    expect(arrives(step({ uses: "dawidd6/action-download-artifact@v6", with: { workflow: "ci.yml" } }), {}, ["workflow_run"])).toBe(true);
    expect(arrives(step({ uses: "actions/github-script@v7", with: { script: "await github.rest.actions.downloadArtifact({})" } }), {}, ["workflow_run"])).toBe(true);
  });

  it("does not see code arrive where none does", () => {
    expect(arrives(step({ run: "echo ${{ github.event.pull_request.head.sha }}" }))).toBe(false);
    expect(arrives(step({ run: "git log -1" }))).toBe(false);
    expect(arrives(step({ uses: "actions/download-artifact@v4", with: { name: "dist" } }))).toBe(false);
  });
});
