// The reference services on Istio's ambient data plane: the same shop around payment-service, the
// same calls, routes and sizes as `app.ts`, with no sidecar. The control plane installs ztunnel and
// the CNI node agent (IstioProfile.AMBIENT); each namespace's pods join ztunnel with
// `istio.io/dataplane-mode: ambient`, and a namespace gets a waypoint where something needs L7: here
// every service has a route timeout, and payments' checkout call is narrowed to POST /pay. Each
// Gateway's `cdk8s-mesh/waypoint-needed-by` annotation says what pulled it in.
import { App, AppProps, Chart, Duration } from 'cdk8s';
import {
  CanaryService, DataPlane, IstioControlPlane, IstioProfile, MeshObservability, MeshWorkload, NodeHealthAlerts, ServiceVersion,
  TunedNodePool, ZeroTrustMesh, ZeroTrustNamespace,
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

  // 4. The services, exactly as in the reference app.
  const sysctls = tuning.podSysctls.safeOnly();
  const version = (name: string, tag: string): ServiceVersion => ({ version: 'v1', image: `registry.example.com/${name}:${tag}` });
  const web = new CanaryService(frontend.chart, 'web', {
    namespace: frontend.namespace,
    name: 'web',
    port: 8080,
    stable: version('web', '3.2.0'),
    timeout: Duration.seconds(5),
    autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 70 },
    sysctls,
  });
  const checkout = new CanaryService(orders.chart, 'checkout', {
    namespace: orders.namespace,
    name: 'checkout',
    port: 8080,
    stable: version('checkout', '2.0.1'),
    timeout: Duration.seconds(3),
    retries: { attempts: 0 },
    sysctls,
  });
  const inventory = new CanaryService(orders.chart, 'inventory', {
    namespace: orders.namespace,
    name: 'inventory',
    port: 8080,
    stable: version('inventory', '1.7.4'),
    timeout: Duration.seconds(1),
    sysctls,
  });
  // the strategy's canary: 95/5 by an HTTPRoute on the Service, to a Service per version
  const payment = new CanaryService(payments.chart, 'payment', {
    namespace: payments.namespace,
    name: 'payment-service',
    port: 8080,
    stable: { version: 'v1', image: 'registry.example.com/payment:1.4.2' },
    canary: { version: 'v2', image: 'registry.example.com/payment:1.5.0', weight: 5 },
    timeout: Duration.seconds(2),
    retries: { attempts: 3, perTryTimeout: Duration.seconds(2) },
    sysctls,
  });

  // Who calls whom: ztunnel checks identities at L4, the waypoints methods and paths.
  MeshWorkload.ingressGateway(mesh, 'ingress-gateway').calls(web);
  web.calls(checkout);
  checkout.calls(payment, { methods: ['POST'], paths: ['/pay', '/pay/*'] });
  checkout.calls(inventory, { methods: ['GET'] });

  return app;
}
