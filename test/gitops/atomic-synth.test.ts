import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { AtomicSynth, MeshWarnings, WarningMode, ZeroTrustMesh } from '../../src';

/** Every file under a folder with its bytes, to compare outputs byte for byte. */
function snapshotFolder(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map(f => [f, fs.readFileSync(path.join(dir, f), 'base64')]));
}

function workdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-atomic-'));
}

function meshApp(build?: (chart: Chart) => void): App {
  const app = new App({ outdir: path.join(os.tmpdir(), 'unused') });
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  const chart = new Chart(app, 'mesh');
  new ZeroTrustMesh(chart, 'zero-trust');
  build?.(chart);
  return app;
}

describe('AtomicSynth', () => {
  test('writes one file per chart into the target and replaces what was there', () => {
    // GIVEN a previous output with a file the new synth no longer produces
    const out = path.join(workdir(), 'manifests');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'stale.k8s.yaml'), 'kind: Old\n');

    // WHEN
    const files = AtomicSynth.synth(meshApp(), { outdir: out });

    // THEN
    expect(files).toEqual(['mesh.k8s.yaml']);
    expect(fs.readdirSync(out)).toEqual(['mesh.k8s.yaml']);
    expect(fs.readFileSync(path.join(out, 'mesh.k8s.yaml'), 'utf8')).toContain('kind: PeerAuthentication');
    // nothing left beside it
    expect(fs.readdirSync(path.dirname(out))).toEqual(['manifests']);
  });

  test('a failing app leaves the previous output byte-identical and no staging folder', () => {
    // GIVEN a good first synth
    const out = path.join(workdir(), 'manifests');
    AtomicSynth.synth(meshApp(), { outdir: out });
    const before = snapshotFolder(out);

    // WHEN the next version of the app fails validation
    const broken = meshApp(chart => {
      const c = new Construct(chart, 'broken');
      c.node.addValidation({ validate: () => ['invalid weight 120: must be a number from 0 to 100'] });
    });

    // THEN
    expect(() => AtomicSynth.synth(broken, { outdir: out })).toThrow('[mesh/broken] invalid weight 120');
    expect(snapshotFolder(out)).toEqual(before);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['manifests']);
  });

  test('a warning in WarningMode.ERROR also keeps the previous output', () => {
    const out = path.join(workdir(), 'manifests');
    AtomicSynth.synth(meshApp(), { outdir: out });
    const before = snapshotFolder(out);

    const risky = meshApp(chart => MeshWarnings.of(chart).add('retries cannot fit in the timeout'));
    MeshWarnings.setMode(risky, WarningMode.ERROR);

    expect(() => AtomicSynth.synth(risky, { outdir: out })).toThrow('warning treated as an error');
    expect(snapshotFolder(out)).toEqual(before);
  });

  test('refuses two objects with the same kind, namespace and name, even in different charts', () => {
    const out = path.join(workdir(), 'manifests');
    AtomicSynth.synth(meshApp(), { outdir: out });
    const before = snapshotFolder(out);

    const clash = meshApp(chart => new ApiObject(chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'a' } }));
    new ApiObject(new Chart(clash, 'other', { namespace: 'a' }), 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });

    expect(() => AtomicSynth.synth(clash, { outdir: out })).toThrow(
      'duplicate object: mesh/settings and other/settings both define ConfigMap.core a/settings; the API server keeps only one of them, give one of them another name');
    expect(snapshotFolder(out)).toEqual(before);
  });

  test('a plain app.synth() refuses the same duplicates: the check is a validation of the app', () => {
    const clash = meshApp(chart => new ApiObject(chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'a' } }));
    new ApiObject(new Chart(clash, 'other', { namespace: 'a' }), 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
    expect(() => clash.synth()).toThrow('duplicate object: mesh/settings and other/settings both define ConfigMap.core a/settings');
    expect(() => Testing.synth(Chart.of(clash.node.findChild('other')))).toThrow('duplicate object: mesh/settings and other/settings');
  });

  test('under the cdk8s CLI, the files written are copied to the CLI\'s own output folder for it to list', () => {
    const dir = workdir();
    const out = path.join(dir, 'manifests');
    const cliOutdir = path.join(dir, '.cdk8s-cli');
    const previous = process.env.CDK8S_OUTDIR;
    process.env.CDK8S_OUTDIR = cliOutdir;
    try {
      const app = meshApp();
      (app as { outdir: string }).outdir = cliOutdir; // as App() reads CDK8S_OUTDIR
      expect(AtomicSynth.synth(app, { outdir: out })).toEqual(['mesh.k8s.yaml']);
      expect(fs.readdirSync(cliOutdir)).toEqual(['mesh.k8s.yaml']);
      expect(fs.readFileSync(path.join(cliOutdir, 'mesh.k8s.yaml'), 'utf8')).toBe(fs.readFileSync(path.join(out, 'mesh.k8s.yaml'), 'utf8'));
    } finally {
      if (previous === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = previous;
    }
  });

  test('refuses to replace the output with nothing', () => {
    const out = path.join(workdir(), 'manifests');
    AtomicSynth.synth(meshApp(), { outdir: out });
    const before = snapshotFolder(out);

    const empty = new App({ outdir: out });
    new Chart(empty, 'nothing');

    expect(() => AtomicSynth.synth(empty, { outdir: out })).toThrow(/holds no YAML documents; .*manifests was left as it was/);
    expect(() => AtomicSynth.synth(new App({ outdir: out }))).toThrow('the app synthesized no manifests');
    expect(snapshotFolder(out)).toEqual(before);
  });

  test('defaults to the app outdir and restores it afterwards', () => {
    const out = path.join(workdir(), 'dist');
    const app = new App({ outdir: out });
    new ApiObject(new Chart(app, 'one'), 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    expect(AtomicSynth.synth(app)).toEqual(['one.k8s.yaml']);
    expect(app.outdir).toBe(out);
    expect(fs.readdirSync(out)).toEqual(['one.k8s.yaml']);
  });

  test('two synths of the same app are byte-identical', () => {
    const first = path.join(workdir(), 'a');
    const second = path.join(workdir(), 'b');
    AtomicSynth.synth(meshApp(), { outdir: first });
    AtomicSynth.synth(meshApp(), { outdir: second });
    expect(snapshotFolder(second)).toEqual(snapshotFolder(first));
  });
});
