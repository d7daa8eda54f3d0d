// The example apps, each with the folder under dist/manifests/ that `npm run synth` writes it to.
import { App, AppProps } from 'cdk8s';
import { ambientApp } from './ambient';
import { referenceApp } from './app';
import { argoCdApp } from './argo-cd';
import { fluxApp } from './flux';
import { gatewayApiApp } from './gateway-api';

export const EXAMPLES: Array<[string, (props: AppProps) => App]> = [
  ['reference', referenceApp],
  ['argo-cd', argoCdApp],
  ['flux', fluxApp],
  ['ambient', ambientApp],
  ['gateway-api', gatewayApiApp],
];
