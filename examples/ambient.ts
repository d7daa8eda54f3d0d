// The reference services on Istio's ambient data plane: the same shop around payment-service, the
// same calls, routes and sizes as `app.ts`, with no sidecar. The control plane installs ztunnel and
// the CNI node agent (IstioProfile.AMBIENT); each namespace's pods join ztunnel with
// `istio.io/dataplane-mode: ambient`, and a namespace gets a waypoint where something needs L7: here
// every service has a route timeout, and payments' checkout call is narrowed to POST /pay. Each
// Gateway's `cdk8s-mesh/waypoint-needed-by` annotation says what pulled it in.
import { App, AppProps, Chart } from 'cdk8s';
import { addShop } from './shop';
import {
  DataPlane, IstioControlPlane, IstioProfile, MeshObservability, MeshWorkload, NodeHealthAlerts, TunedNodePool, ZeroTrustMesh,
  ZeroTrustNamespace,
} from '../src';

/** Builds the ambient app; `main.ts` synthesizes it into dist/manifests/ambient/. */
export function ambientApp(props: AppProps = {}): App {
  const app = new App(props);

  // 1. Node kernel tuning: ztunnel handles each pod's connections inside the pod's network namespace,
  // so the pods keep their per-namespace sysctls.
  const nodes = new Chart(app, 'nodes');
  const tuning = new TunedNodePool(nodes, 'tuning');
  new NodeHealthAlerts(nodes, 'node-health');

  // 2. The control plane with the ambient profile: istiod, the CNI node agent and ztunnel, alone in
  // its file for `istioctl install -f dist/manifests/ambient/istio.k8s.yaml -y`.
  new IstioControlPlane(new Chart(app, 'istio'), 'control-plane', { name: 'coolvds-prod-mesh', profile: IstioProfile.AMBIENT });

  // 3. Zero trust: STRICT mTLS (ztunnel's HBONE), and namespaces where nothing is allowed unless declared.
  const mesh = new Chart(app, 'mesh');
  new ZeroTrustMesh(mesh, 'zero-trust');
  // Kiali and the PodMonitor see ztunnel and the waypoints without any setting of their own
  const observability = new MeshObservability(mesh, 'observability');
  const team = (name: string) => {
    const chart = new Chart(app, name);
    const namespace = new ZeroTrustNamespace(chart, 'namespace', { name, dataPlane: DataPlane.ambient(), rootNamespaceIngress: false });
    namespace.allowMetricsScrapingFrom(observability.prometheus.namespace);
    return { chart, namespace };
  };
  const frontend = team('frontend');
  const orders = team('orders');
  const payments = team('payments');

  // 4. The services of the reference app (shop.ts). The payment canary's 95/5 is an HTTPRoute on the
  // Service, to a Service per version, which the waypoint applies.
  const { web, checkout, inventory, payment } = addShop({ frontend, orders, payments }, tuning.podSysctls.safeOnly());

  // Who calls whom: ztunnel checks identities at L4, the waypoints methods and paths.
  MeshWorkload.ingressGateway(mesh, 'ingress-gateway').calls(web);
  web.calls(checkout);
  checkout.calls(payment, { methods: ['POST'], paths: ['/pay', '/pay/*'] });
  checkout.calls(inventory, { methods: ['GET'] });

  return app;
}
