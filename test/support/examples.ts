// An example app as `npm run synth` writes it, read back: synthesized with cdk8s's App.synth() into
// a fresh folder, warnings collected rather than printed.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps } from 'cdk8s';
import * as YAML from 'yaml';
import { MeshWarnings, WarningMode } from '../../src';

/** What an example wrote: the app, its folder, each file's text and documents, the warnings' count. */
export interface SynthesizedExample {
  readonly app: App;
  readonly outdir: string;
  readonly texts: Record<string, string>;
  readonly files: Record<string, any[]>;
  readonly warnings: number;
}

/** Synthesizes the example `build` makes into a fresh folder and reads every file back. */
export function synthExample(build: (props: AppProps) => App): SynthesizedExample {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-example-'));
  const app = build({ outdir });
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  app.synth();
  const texts: Record<string, string> = {};
  const files: Record<string, any[]> = {};
  for (const file of fs.readdirSync(outdir).sort()) {
    texts[file] = fs.readFileSync(path.join(outdir, file), 'utf8');
    files[file] = YAML.parseAllDocuments(texts[file]).map(d => d.toJSON());
  }
  return { app, outdir, texts, files, warnings: MeshWarnings.collect(app).length };
}
