// The example apps, each with the folder under dist/manifests/ that `npm run synth` writes it to.
import { App, AppProps } from 'cdk8s';
import { referenceApp } from './app';

export const EXAMPLES: Array<[string, (props: AppProps) => App]> = [
  ['reference', referenceApp],
];
