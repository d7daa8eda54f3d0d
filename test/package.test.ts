// The package works in someone else's app: pack it, install the tarball into a fresh cdk8s
// TypeScript app, compile a small chart that uses the public API only, synthesize it, and run the
// package's `cdk8s-mesh analyze` command.
// The install resolves the peer dependencies from the npm registry, as a user's install does: an
// `--offline` install would need registry metadata (packuments) that `npm ci` never caches, so it
// passes only on a machine whose npm cache happens to be warm.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { compileLibrary } from './support/compiled-library';

const ROOT = path.resolve(__dirname, '..');

function installedVersion(pkg: string): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe' });
}

test('a fresh cdk8s app installs the packed tarball and synthesizes with the public API', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-consumer-'));

  // GIVEN the library compiled with jsii and packed exactly as it would be published
  compileLibrary();
  const tarball = path.join(work, run('npm', ['pack', '--pack-destination', work, '--silent'], ROOT).trim().split('\n').pop()!);
  const packed = run('tar', ['tzf', tarball], work).split('\n');
  expect(packed).toContain('package/lib/src/index.d.ts');
  // the cdk8s-mesh command, the compiled CLI it runs and the YAML parser it bundles
  expect(packed).toEqual(expect.arrayContaining(['package/bin/cdk8s-mesh', 'package/lib/src/cli/main.js', 'package/node_modules/yaml/package.json']));
  expect(packed.filter(f => /^package\/(src|test|examples|imports)\//.test(f))).toEqual([]);

  // AND a throwaway app that depends on it and on its peer dependencies, nothing else
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
    name: 'consumer',
    version: '1.0.0',
    private: true,
    dependencies: {
      'cdk8s-mesh': `file:${tarball}`,
      'cdk8s': installedVersion('cdk8s'),
      'cdk8s-plus-27': installedVersion('cdk8s-plus-27'),
      'constructs': installedVersion('constructs'),
    },
    devDependencies: { typescript: installedVersion('typescript') },
  }));
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'commonjs', target: 'ES2022', types: [], skipLibCheck: false, outDir: 'out' },
    files: ['main.ts'],
  }));
  fs.writeFileSync(path.join(app, 'main.ts'), [
    "import { App, Chart } from 'cdk8s';",
    "import { CanaryService, ZeroTrustMesh, ZeroTrustNamespace } from 'cdk8s-mesh';",
    "const app = new App(); const chart = new Chart(app, 'mesh');",
    "new ZeroTrustMesh(chart, 'zero-trust');",
    "const namespace = new ZeroTrustNamespace(chart, 'namespace', { name: 'web' });",
    "new CanaryService(chart, 'web', { namespace, name: 'web', port: 8080, stable: { version: 'v1', image: 'nginx:1.27' } });",
    'app.synth();',
  ].join('\n') + '\n');

  // WHEN it installs (from the registry where the cache lacks something), compiles and runs
  run('npm', ['install', '--prefer-online', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], app);
  run('npx', ['tsc', '-p', '.'], app);
  run('node', ['out/main.js'], app, { CDK8S_OUTDIR: path.join(app, 'dist') });

  // THEN
  const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(app, 'dist', 'mesh.k8s.yaml'), 'utf8')).map(d => d.toJSON());
  expect(docs.map(d => `${d.apiVersion} ${d.kind}`)).toEqual(expect.arrayContaining([
    'security.istio.io/v1 PeerAuthentication', 'apps/v1 Deployment', 'networking.istio.io/v1 VirtualService',
  ]));
  // peer dependencies resolved to the app's single copies, not to copies inside the package, which
  // brings only its bundled YAML parser
  expect(fs.readdirSync(path.join(app, 'node_modules', 'cdk8s-mesh', 'node_modules')).filter(d => d !== '.bin')).toEqual(['yaml']);

  // AND `npx cdk8s-mesh analyze` runs from the installed package, on what the app wrote and on a file of its own
  fs.writeFileSync(path.join(app, 'route.yaml'), [
    'apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata:', '  name: reviews', 'spec:', '  hosts: [reviews]',
    '  http:', '  - route:', '    - destination:', '        host: reviews', '',
  ].join('\n'));
  expect(run('npx', ['--no-install', 'cdk8s-mesh', 'analyze', '--output-threshold', 'Error', 'dist'], app)).toBe('\n');
  let failed: any;
  try {
    run('npx', ['--no-install', 'cdk8s-mesh', 'analyze', 'route.yaml'], app);
  } catch (e) {
    failed = e;
  }
  expect(failed?.status).toBe(79);
  expect(failed?.stdout).toBe('Error [IST0101] (VirtualService default/reviews route.yaml:10) Referenced host not found: "reviews"\n');
}, 300_000);
