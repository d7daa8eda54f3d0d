// The whole strategy as one cdk8s app, in the order the strategy adopts it: tune the nodes,
// install a sized control plane, mTLS first, then observability, then traffic shaping. The strategy's
// payment-service runs behind a small shop that calls it (users -> ingress gateway -> web -> checkout
// -> payment, checkout -> inventory), declared once as a service graph: every workload admits
// exactly the calls declared.
// `main.ts` synthesizes it (one YAML file per chart); tests check it against the reference values.
import { App, AppProps, Chart } from 'cdk8s';
import { addShop } from './shop';
import {
  IngressTls, IstioControlPlane, MeshIngress, MeshObservability, NodeHealthAlerts, TunedNodePool, ZeroTrustMesh, ZeroTrustNamespace,
} from '../src';

/** Builds the reference app; `main.ts` synthesizes it, tests inspect it. */
export function referenceApp(props: AppProps = {}): App {
  const app = new App(props);

  // 1. Node kernel tuning on every node, kept in place, and the node health alerts.
  const nodes = new Chart(app, 'nodes');
  const tuning = new TunedNodePool(nodes, 'tuning');
  new NodeHealthAlerts(nodes, 'node-health');

  // 2. The minimal production install, alone in its file: `istioctl install -f dist/manifests/reference/istio.k8s.yaml -y`.
  // The CNI node agent replaces istio-init, which the restricted Pod Security of zero-trust namespaces rejects.
  new IstioControlPlane(new Chart(app, 'istio'), 'control-plane', { name: 'coolvds-prod-mesh', cni: true });

  // 3. Zero trust: STRICT mTLS mesh-wide, and namespaces where nothing is allowed unless declared.
  const mesh = new Chart(app, 'mesh');
  new ZeroTrustMesh(mesh, 'zero-trust');
  // Prometheus: kube-prometheus-stack in `monitoring`, installed by other means (MeshPrometheus.operator())
  const observability = new MeshObservability(mesh, 'observability');
  const team = (name: string) => {
    const chart = new Chart(app, name);
    // the gateway reaches only what the graph says it calls (no namespace-wide admission)
    const namespace = new ZeroTrustNamespace(chart, 'namespace', { name, rootNamespaceIngress: false });
    namespace.allowMetricsScrapingFrom(observability.prometheus.namespace);
    return { chart, namespace };
  };
  const frontend = team('frontend');
  const orders = team('orders');
  const payments = team('payments');

  // 4. The services (shop.ts). Every pod spreads over nodes and zones and writes only to its /tmp.
  const { web, checkout, inventory, payment } = addShop({ frontend, orders, payments }, tuning.podSysctls.safeOnly());

  // Users reach web through the strategy's ingress gateway, over HTTPS (plain HTTP is redirected),
  // with a certificate cert-manager issues into istio-system, where the gateway reads it.
  const ingress = new MeshIngress(new Chart(app, 'ingress'), 'shop', {
    name: 'shop',
    tls: IngressTls.fromClusterIssuer('letsencrypt-prod'),
  });
  ingress.route('shop.example.com', web);

  // Who calls whom, declared once: authorization, NetworkPolicies and proxy scope follow (the
  // ingress gateway calls web, through the route above).
  web.calls(checkout);
  checkout.calls(payment, { methods: ['POST'], paths: ['/pay', '/pay/*'] });
  checkout.calls(inventory, { methods: ['GET'] });

  // 5. Per-hop golden signals: p99 above 200 ms or a 5xx spike, for every service.
  for (const service of [web, checkout, inventory, payment]) observability.addServiceAlerts(service);

  return app;
}
