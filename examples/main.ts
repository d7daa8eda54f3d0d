// `npm run synth` runs this app. It writes dist/manifests itself, atomically: a failing synth
// leaves the previous manifests byte for byte as they were. Under `cdk8s synth` (cdk8s.yaml) the
// CLI empties only its own scratch folder first, never dist/manifests.
import { AtomicSynth } from '../src';
import { referenceApp } from './app';

const outdir = 'dist/manifests';
const files = AtomicSynth.synth(referenceApp(), { outdir });
console.log(`synthesized ${outdir}: ${files.join(', ')}`);
