// The strategy's control plane (MISSION.md, section 2) delivered the GitOps way: Istio's Helm charts as
// a Flux HelmRepository and HelmReleases, from the same props as the reference's IstioOperator. Point a
// Flux Kustomization at the output; `dependsOn` installs base, then the CNI agent, then istiod, then
// the gateway.
import { App, AppProps, Chart } from 'cdk8s';
import { IstioControlPlane, IstioDelivery } from '../src';

/** Builds the app; `main.ts` synthesizes it into dist/manifests/flux/. */
export function fluxApp(props: AppProps = {}): App {
  const app = new App(props);
  new IstioControlPlane(new Chart(app, 'istio'), 'control-plane', {
    name: 'coolvds-prod-mesh',
    cni: true,
    delivery: IstioDelivery.flux(),
  });
  return app;
}
