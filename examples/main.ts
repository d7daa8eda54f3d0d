// `npm run synth` runs this app directly; `cdk8s synth` (cdk8s.yaml) runs it too, but empties
// dist/manifests first. The app writes atomically: a failing synth leaves the previous manifests
// byte for byte as they were.
import { AtomicSynth } from '../src';
import { referenceApp } from './app';

const outdir = process.env.CDK8S_OUTDIR ?? 'dist/manifests';
const files = AtomicSynth.synth(referenceApp(), { outdir });
console.log(`synthesized ${outdir}: ${files.join(', ')}`);
