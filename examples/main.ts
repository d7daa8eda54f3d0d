// `npm run synth` runs this through the cdk8s CLI: one YAML file per chart in dist/manifests.
import { referenceApp } from './app';

referenceApp().synth();
