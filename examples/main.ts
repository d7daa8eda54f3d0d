// `npm run synth` and `cdk8s synth` run this app. It writes dist/manifests itself, atomically: a
// failing synth leaves the previous manifests byte for byte as they were (the cdk8s CLI empties only
// its own folder, dist/.cdk8s-cli, where AtomicSynth copies the files for it to list).
import { AtomicSynth } from '../src';
import { referenceApp } from './app';

const outdir = 'dist/manifests';
const files = AtomicSynth.synth(referenceApp(), { outdir });
// stderr: the cdk8s CLI keeps the app's stdout to itself
console.error(`cdk8s-mesh: wrote ${files.length} files to ${outdir}/ (all or nothing): ${files.join(', ')}`);
