// The example app is what `npm run synth` writes: every file it emits must validate strictly.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { expectValidDocuments } from './support';
import { referenceApp } from '../examples/app';
import { WarningMode, MeshWarnings } from '../src';

test('the example app synthesizes one valid YAML file per chart', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-example-'));
  const app = referenceApp({ outdir });
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  app.synth();

  const files = fs.readdirSync(outdir).sort();
  expect(files).toEqual(['mesh.k8s.yaml']);
  for (const file of files) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(outdir, file), 'utf8')).map(d => d.toJSON());
    expect(docs.length).toBeGreaterThan(0);
    expectValidDocuments(docs);
  }
});
