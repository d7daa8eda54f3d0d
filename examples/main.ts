// `npm run synth` and `cdk8s synth` run this program: it writes each example app to a folder of its
// own under dist/manifests/, atomically: a failing synth leaves that folder byte for byte as it was.
// Under the cdk8s CLI, which empties only its own folder (cdk8s.yaml `output`), AtomicSynth also
// copies the files there for the CLI to list.
import * as path from 'path';
import { EXAMPLES } from '.';
import { AtomicSynth } from '../src';

const cliOutdir = process.env.CDK8S_OUTDIR;
for (const [name, build] of EXAMPLES) {
  const outdir = path.join('dist', 'manifests', name);
  const files = AtomicSynth.synth(build(cliOutdir ? { outdir: path.join(cliOutdir, name) } : {}), { outdir });
  // stderr: the cdk8s CLI keeps the app's stdout to itself
  console.error(`cdk8s-mesh: wrote ${files.length} files to ${outdir}/ (all or nothing): ${files.join(', ')}`);
}
