// What `npm publish` uploads: the files `npm pack --dry-run` lists, checked against an allow-list.
// In: the compiled library with its types, the jsii assembly, README, LICENSE and API.md.
// Out: tests, examples, bench, scripts, TypeScript sources (src/, imports/), local files.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { compileLibrary } from './support/compiled-library';

const ROOT = path.resolve(__dirname, '..');

/** The only paths the tarball may hold (package/ prefix removed). */
const ALLOWED = [
  /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^API\.md$/, /^\.jsii$/,
  /^lib\/(src|imports)\/.+\.(js|d\.ts)$/,
  // the `cdk8s-mesh` command (package.json `bin`) and the YAML parser it bundles (`bundledDependencies`)
  /^bin\/cdk8s-mesh$/, /^node_modules\/yaml\//,
];

let packed: string[];

beforeAll(() => {
  // GIVEN the library compiled with jsii
  compileLibrary();
  // WHEN npm lists what it would pack
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: ROOT, encoding: 'utf8' }));
  packed = pack.files.map((f: { path: string }) => f.path).sort();
}, 120_000);

test('the tarball holds every compiled module with its declarations, the jsii assembly and the docs', () => {
  // THEN
  expect(packed).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'API.md', '.jsii']));
  const modules = [...sources('src'), ...sources('imports')].map(f => f.replace(/\.ts$/, ''));
  expect(modules.length).toBeGreaterThan(10);
  for (const module of modules) {
    expect(packed).toEqual(expect.arrayContaining([`lib/${module}.js`, `lib/${module}.d.ts`]));
  }
});

test('the tarball holds nothing else: no tests, examples, sources or local files', () => {
  // THEN every file is on the allow-list
  expect(packed.filter(f => !ALLOWED.some(re => re.test(f)))).toEqual([]);
  // AND, named for a readable failure, what must stay out
  const out = /^(test|examples|bench|scripts|src|imports|projenrc|dist|coverage|test-reports|\.ci|\.github|\.projen)\/|^(cdk8s\.yaml|tsconfig.*\.json|\.projenrc\.ts|\.npmignore|\.gitignore)$/;
  expect(packed.filter(f => out.test(f))).toEqual([]);
  expect(packed.filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
});

/** TypeScript sources under a folder of the repository, relative to the root (no declarations). */
function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap(e => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}
