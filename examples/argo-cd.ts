// The strategy's control plane (MISSION.md, section 2) delivered the GitOps way: Istio's Helm charts as
// Argo CD Applications, from the same props as the reference's IstioOperator. Commit the output to the
// repository a parent Application (app of apps) syncs; the sync waves install base, then the CNI agent,
// then istiod, then the gateway.
import { App, AppProps, Chart } from 'cdk8s';
import { IstioControlPlane, IstioDelivery } from '../src';

/** Builds the app; `main.ts` synthesizes it into dist/manifests/argo-cd/. */
export function argoCdApp(props: AppProps = {}): App {
  const app = new App(props);
  new IstioControlPlane(new Chart(app, 'istio'), 'control-plane', {
    name: 'coolvds-prod-mesh',
    cni: true,
    delivery: IstioDelivery.argoCd(),
  });
  return app;
}
