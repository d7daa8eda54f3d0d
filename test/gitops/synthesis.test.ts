// AtomicSynth writes what cdk8s's own App.synth() writes, byte for byte (file names, document
// order, content), for every output type, though it validates and resolves the app only once.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { buildMesh } from '../../bench/mesh';
import { EXAMPLES } from '../../examples';
import { referenceApp } from '../../examples/app';
import * as lib from '../../src';
import { AtomicSynth, MeshWarnings, WarningMode } from '../../src';

/** Every file under a folder (recursively) with its content. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full); else out[path.relative(dir, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** The same app built twice: once written by cdk8s's App.synth(), once by AtomicSynth. */
function bothWays(build: (props: { outdir: string; yamlOutputType?: YamlOutputType }) => App, yamlOutputType?: YamlOutputType) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-synthesis-'));
  const cdk8s = build({ outdir: path.join(tmp, 'cdk8s'), yamlOutputType });
  MeshWarnings.setMode(cdk8s, WarningMode.COLLECT);
  cdk8s.synth();
  const atomic = build({ outdir: path.join(tmp, 'unused'), yamlOutputType });
  MeshWarnings.setMode(atomic, WarningMode.COLLECT);
  AtomicSynth.synth(atomic, { outdir: path.join(tmp, 'atomic') });
  return { cdk8s: files(path.join(tmp, 'cdk8s')), atomic: files(path.join(tmp, 'atomic')) };
}

/** Charts that depend on each other (nested charts, cross-chart construct dependencies): cdk8s numbers their files. */
function dependentCharts(props: { outdir: string; yamlOutputType?: YamlOutputType }): App {
  const app = new App(props);
  const base = new Chart(app, 'base');
  const config = new kplus.ConfigMap(base, 'config', { data: { a: '1' } });
  const apps = new Chart(app, 'apps', { namespace: 'apps' });
  const nested = new Chart(apps, 'nested');
  new ApiObject(nested, 'nested-object', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nested' } });
  const first = new ApiObject(apps, 'first', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first' } });
  const second = new ApiObject(apps, 'second', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second' } });
  first.addDependency(second);
  first.addDependency(config);
  const last = new Chart(app, 'last');
  new ApiObject(last, 'last-object', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'last' } });
  last.addDependency(apps);
  return app;
}

test('the reference example: the same files as App.synth()', () => {
  const { cdk8s, atomic } = bothWays(referenceApp);
  expect(Object.keys(atomic)).toEqual([
    'frontend.k8s.yaml', 'ingress.k8s.yaml', 'istio.k8s.yaml', 'mesh.k8s.yaml', 'nodes.k8s.yaml', 'orders.k8s.yaml', 'payments.k8s.yaml',
  ]);
  expect(atomic).toEqual(cdk8s);
});

test.each(EXAMPLES.filter(([name]) => name !== 'reference'))('the %s example: the same files as App.synth()', (_name, build) => {
  const { cdk8s, atomic } = bothWays(build);
  expect(Object.keys(atomic).length).toBeGreaterThan(0);
  expect(atomic).toEqual(cdk8s);
});

test('the benchmark\'s mesh (60 services in 3 namespaces, with calls and alerts): the same files as App.synth()', () => {
  const { cdk8s, atomic } = bothWays(props => buildMesh(lib, 60, props.outdir));
  expect(Object.keys(atomic)).toContain('team-2.k8s.yaml');
  expect(atomic).toEqual(cdk8s);
});

test.each([
  ['one file per chart', YamlOutputType.FILE_PER_CHART],
  ['one file per app', YamlOutputType.FILE_PER_APP],
  ['one file per resource', YamlOutputType.FILE_PER_RESOURCE],
  ['a folder per chart, a file per resource', YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE],
])('charts that depend on each other, %s: the same files, names and order as App.synth()', (_what, type) => {
  const { cdk8s, atomic } = bothWays(dependentCharts, type);
  expect(Object.keys(atomic).length).toBeGreaterThan(0);
  expect(atomic).toEqual(cdk8s);
});

test('dependent charts get the index cdk8s gives them, in dependency order', () => {
  const { atomic } = bothWays(dependentCharts);
  expect(Object.keys(atomic)).toEqual(['0000-apps-nested-c885be8e.k8s.yaml', '0001-base.k8s.yaml', '0002-apps.k8s.yaml', '0003-last.k8s.yaml']);
  // `second` before `first`, which depends on it
  expect(atomic['0002-apps.k8s.yaml'].indexOf('name: second')).toBeLessThan(atomic['0002-apps.k8s.yaml'].indexOf('name: first'));
});
