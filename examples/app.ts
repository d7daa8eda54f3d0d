// The whole strategy as one cdk8s app, in the order the strategy adopts it: tune the nodes,
// install a sized control plane, mTLS first, then observability, then traffic shaping.
// `main.ts` synthesizes it (one YAML file per chart); tests check it against the reference values.
import { App, AppProps, Chart, Duration } from 'cdk8s';
import {
  CanaryService, IstioControlPlane, MeshObservability, NodeHealthAlerts, TunedNodePool, WorkloadIdentity,
  ZeroTrustMesh, ZeroTrustNamespace,
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

  // 3. Zero trust: STRICT mTLS mesh-wide, and a namespace where nothing is allowed unless named.
  const mesh = new Chart(app, 'mesh');
  new ZeroTrustMesh(mesh, 'zero-trust');
  const observability = new MeshObservability(mesh, 'observability');

  const payments = new Chart(app, 'payments');
  const namespace = new ZeroTrustNamespace(payments, 'namespace', { name: 'payments' });
  namespace.allowFrom(WorkloadIdentity.ingressGateway(), { ports: [8080] });
  namespace.allowMetricsScrapingFrom('monitoring');

  // 4. The canary, exactly as the strategy writes it: its retry trap is reported as a warning.
  const payment = new CanaryService(payments, 'payment', {
    namespace,
    name: 'payment-service',
    port: 8080,
    stable: { version: 'v1', image: 'registry.example.com/payment:1.4.2' },
    canary: { version: 'v2', image: 'registry.example.com/payment:1.5.0', weight: 5 },
    timeout: Duration.seconds(2),
    retries: { attempts: 3, perTryTimeout: Duration.seconds(2) },
    // a restricted namespace admits only Kubernetes' safe sysctls (the others are reported)
    sysctls: tuning.podSysctls.safeOnly(),
  });

  // 5. Per-hop golden signals: p99 above 200 ms or a 5xx spike.
  observability.addServiceAlerts(payment);

  return app;
}
