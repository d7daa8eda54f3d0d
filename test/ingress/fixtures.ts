// A small shop behind an ingress, shared by the ingress tests: web (frontend), checkout (orders) and
// the strategy's payment-service canary (payments, 95/5, one pod per version), in zero-trust
// namespaces under a STRICT mesh.
import { App, Chart, Duration, Testing } from 'cdk8s';
import { CanaryService, CanaryServiceProps, MeshWarnings, WarningMode, ZeroTrustMesh, ZeroTrustNamespace } from '../../src';
import { expectValidDocuments } from '../support';

export const image = (name: string, tag = '1.0.0') => `registry.example.com/${name}:${tag}`;

/** The shop; `payment` overrides the payment-service's props. */
export function shop(payment: Partial<CanaryServiceProps> = {}) {
  const app = Testing.app();
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  new ZeroTrustMesh(new Chart(app, 'mesh'), 'zero-trust');
  const chart = new Chart(app, 'shop');
  const frontend = new ZeroTrustNamespace(chart, 'frontend', { name: 'frontend', rootNamespaceIngress: false });
  const orders = new ZeroTrustNamespace(chart, 'orders', { name: 'orders', rootNamespaceIngress: false });
  const payments = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', rootNamespaceIngress: false });
  const web = new CanaryService(chart, 'web', {
    namespace: frontend, name: 'web', port: 8080, timeout: Duration.seconds(5), stable: { version: 'v1', image: image('web') },
  });
  const checkout = new CanaryService(chart, 'checkout', {
    namespace: orders,
    name: 'checkout',
    port: 80,
    targetPort: 8080,
    timeout: Duration.seconds(3),
    retries: { attempts: 0 },
    stable: { version: 'v1', image: image('checkout') },
  });
  const paymentService = new CanaryService(chart, 'payment', {
    namespace: payments,
    name: 'payment-service',
    port: 8080,
    stable: { version: 'v1', image: image('payment', '1.4.2'), replicas: 1 },
    canary: { version: 'v2', image: image('payment', '1.5.0'), replicas: 1, weight: 5 },
    ...payment,
  });
  web.calls(checkout);
  checkout.calls(paymentService);
  const ingressChart = new Chart(app, 'ingress');
  return { app, chart, ingressChart, namespaces: { frontend, orders, payments }, web, checkout, payment: paymentService };
}

/** Every document of every chart, validated strictly. */
export function synthAll(app: App): any[] {
  const docs = app.charts.flatMap(c => Testing.synth(c));
  expectValidDocuments(docs);
  return docs;
}

/** The default ingress gateway's pods, as istioctl labels them. */
export const INGRESS_GATEWAY_POD = { namespace: 'istio-system', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } };
