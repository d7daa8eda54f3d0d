import { cdk8s, javascript } from 'projen';
import { UpdateSnapshot } from 'projen/lib/javascript';


const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-mesh',
  packageName: 'cdk8s-mesh',
  description: 'cdk8s constructs for a production Istio service mesh: tuned nodes, a sized control plane, zero trust, safe canaries and observability',
  keywords: ['cdk8s', 'istio', 'service-mesh', 'mtls', 'zero-trust', 'canary', 'flagger', 'argo-rollouts', 'kiali'],
  author: 'cdk8s-mesh developers',
  authorAddress: 'dev@example.com',
  repositoryUrl: 'https://github.com/cdk8s-mesh/cdk8s-mesh.git',
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
  ],
  // `cdk8s-mesh analyze` (src/cli) parses YAML with line numbers; cdk8s bundles `yaml` but does not
  // export it, so the package bundles its own copy (jsii supports bundled dependencies)
  bundledDeps: ['yaml@^2.9.1'],
  bin: { 'cdk8s-mesh': 'bin/cdk8s-mesh' },

  // No GitHub here: CI is .ci/run. Release automation can be switched on where it runs.
  github: false,
  release: false,
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
      coveragePathIgnorePatterns: ['/node_modules/', '/imports/', '/test/'],
    },
  },

  gitignore: ['/dist/', '.cdk8s-synth-*'],
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

// Synthesis time of a large mesh (figures in README.md); a benchmark, never a test.
project.addTask('bench', {
  description: 'Time the synthesis of a large mesh: npx projen bench [namespaces] [services per namespace]',
  exec: 'ts-node --transpile-only bench/synth-at-scale.ts',
  receiveArgs: true,
});

// The mesh analysis on 50,000 objects (figures in README.md, "Analysis"); a benchmark, never a test.
project.addTask('bench:analyze', {
  description: 'Time the mesh analysis of a large mesh: npx projen bench:analyze [objects]',
  exec: 'ts-node --transpile-only bench/analyze-at-scale.ts',
  receiveArgs: true,
});

project.synth();
