// The ambient example (examples/ambient.ts, written to dist/manifests/ambient/): the reference
// services without sidecars. Every document validates strictly, the control plane installs ztunnel
// and the CNI agent, waypoints come where L7 is used, exactly the declared calls get through, and
// two synths are byte-identical.
import { ambientApp } from '../examples/ambient';
import { MeshWarnings } from '../src';
import { expectValidDocuments, findAll, findOne } from './support';
import { synthExample } from './support/examples';
import { callDecisions, ServiceEnd } from './support/semantics/ambient';

const { app, files, texts: raw } = synthExample(ambientApp);
const all = Object.values(files).flat();

test('one file per chart, every document valid against its upstream schema', () => {
  expect(Object.keys(files)).toEqual(['frontend.k8s.yaml', 'istio.k8s.yaml', 'mesh.k8s.yaml', 'nodes.k8s.yaml', 'orders.k8s.yaml', 'payments.k8s.yaml']);
  for (const docs of Object.values(files)) expectValidDocuments(docs);
});

test('the control plane: the reference sizes with the ambient profile, which installs ztunnel and the CNI agent', () => {
  expect(files['istio.k8s.yaml']).toHaveLength(1);
  const operator = files['istio.k8s.yaml'][0];
  expect(operator.spec.profile).toBe('ambient');
  expect(operator.spec.components.pilot.k8s.resources).toEqual({ requests: { cpu: '500m', memory: '2048Mi' } });
  expect(operator.spec.components.ingressGateways.map((g: any) => g.name)).toEqual(['istio-ingressgateway']);
  // the profile has the CNI agent and ztunnel: nothing to switch on
  expect(operator.spec.components.cni).toBeUndefined();
});

test('no sidecars: ambient namespaces, no injection label, no Sidecar resource', () => {
  for (const name of ['frontend', 'orders', 'payments']) {
    const labels = findOne(files[`${name}.k8s.yaml`], 'Namespace').metadata.labels;
    expect(labels['istio.io/dataplane-mode']).toBe('ambient');
    expect(labels).not.toHaveProperty('istio-injection');
  }
  expect(findOne(files['frontend.k8s.yaml'], 'Namespace').metadata.labels['istio.io/ingress-use-waypoint']).toBe('true');
  expect(findAll(all, 'Sidecar')).toEqual([]);
  expect(findAll(all, 'VirtualService')).toEqual([]);
});

test('a waypoint where L7 is used, saying what uses it', () => {
  expect(findAll(all, 'Gateway').map(g => [g.metadata.namespace, g.metadata.annotations['cdk8s-mesh/waypoint-needed-by']])).toEqual([
    // the gateway goes through web's waypoint, which applies web's route (istio.io/ingress-use-waypoint)
    ['frontend', 'service frontend/web: a route timeout; ingress gateways\' requests to service frontend/web, whose route the waypoint applies'],
    ['orders', 'service orders/checkout: a route timeout; service orders/inventory: a route timeout; calls to service orders/inventory narrowed by methods or paths'],
    ['payments', 'service payments/payment-service: a canary, a route timeout, retries; calls to service payments/payment-service narrowed by methods or paths'],
  ]);
});

test('the strategy\'s canary, 95/5 with its 2s timeout, as an HTTPRoute to a Service per version', () => {
  const route = findOne(files['payments.k8s.yaml'], 'HTTPRoute', 'payment-service');
  expect(route.spec.rules).toEqual([{
    name: 'primary',
    backendRefs: [{ name: 'payment-service-v1', port: 8080, weight: 95 }, { name: 'payment-service-v2', port: 8080, weight: 5 }],
    timeouts: { request: '2s' },
  }]);
  expect(findAll(files['payments.k8s.yaml'], 'DestinationRule').map(d => d.spec.host)).toEqual(['payment-service-v1', 'payment-service-v2']);
});

test('the service graph: exactly the declared calls get through, with their methods and paths', () => {
  const end = (file: string, deployment: string, service: string): ServiceEnd => {
    const docs = files[file];
    const d = findOne(docs, 'Deployment', deployment);
    const ns = d.metadata.namespace;
    return {
      name: service,
      namespace: ns,
      labels: d.spec.template.metadata.labels,
      principal: `cluster.local/ns/${ns}/sa/${d.spec.template.spec.serviceAccountName}`,
      host: `${service}.${ns}.svc.cluster.local`,
      targetPort: findOne(docs, 'Service', service).spec.ports[0].targetPort,
    };
  };
  const services: Record<string, ServiceEnd> = {
    web: end('frontend.k8s.yaml', 'web-v1', 'web'),
    checkout: end('orders.k8s.yaml', 'checkout-v1', 'checkout'),
    inventory: end('orders.k8s.yaml', 'inventory-v1', 'inventory'),
    payment: end('payments.k8s.yaml', 'payment-service-v1', 'payment-service'),
  };
  const gateway: ServiceEnd = {
    name: 'istio-ingressgateway',
    namespace: 'istio-system',
    labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
    principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
    host: '',
    targetPort: 8080,
    ingressGateway: true,
  };
  const allowed = (method: string, p: string) => {
    const callers = { gateway, ...services };
    return Object.entries(callers).flatMap(([a, from]) => Object.entries(services)
      .filter(([b]) => b !== a && callDecisions(all, from, services[b], method, p).allowed)
      .map(([b]) => `${a}->${b}`)).sort();
  };
  expect(allowed('POST', '/pay/1')).toEqual(['checkout->payment', 'gateway->web', 'web->checkout']);
  expect(allowed('GET', '/stock')).toEqual(['checkout->inventory', 'gateway->web', 'web->checkout']);
  expect(allowed('GET', '/pay/1')).toEqual(['checkout->inventory', 'gateway->web', 'web->checkout']);
});

test('the warnings: the strategy\'s retry trap, and the retry policies a waypoint cannot apply', () => {
  expect(MeshWarnings.collect(app).map(w => w.path)).toEqual(['nodes/tuning', 'orders/checkout', 'payments/payment', 'payments/payment']);
  expect(MeshWarnings.collect(app)[1].message).toMatch(/^service orders\/checkout: retries \{ attempts: 0 \} cannot be written/);
});

test('two synths are byte-identical', () => {
  expect(synthExample(ambientApp).texts).toEqual(raw);
});
