// The service graph on the ambient data plane, and on a mix of both, judged by what a cluster would
// do with the emitted YAML: for every ordered pair of services, the path the call takes (HBONE,
// through a waypoint or not: test/support/semantics/ambient.ts) and the decision of every layer on
// it: NetworkPolicy on each hop, ztunnel's L4 policy with the identity it sees, the waypoint's L7
// policy, a sidecar's policy and scope. Exactly the declared calls get through.
import { Chart, Duration, Testing } from 'cdk8s';
import { CanaryService, DataPlane, MeshWarnings, WarningMode, ZeroTrustMesh, ZeroTrustNamespace } from '../../src';
import { expectValidDocuments, findOne, warningsOf } from '../support';
import { Endpoint, endpoint } from './graph-support';
import { callDecisions, ztunnelAuthorize } from '../support/semantics/ambient';

const image = (name: string) => `registry.example.com/${name}:1.0.0`;

function pairs(names: string[]) {
  return names.flatMap(a => names.filter(b => b !== a).map(b => [a, b] as const));
}

/** The pairs each layer allows, and those whose path goes through a waypoint. */
function evaluate(docs: any[], endpoints: Record<string, Endpoint>, names: string[], method: string, path: string) {
  const list = (): string[] => [];
  const result = { allowed: list(), viaWaypoint: list(), network: list(), ztunnel: list(), waypoint: list(), sidecar: list() };
  for (const [a, b] of pairs(names)) {
    const l = callDecisions(docs, endpoints[a], endpoints[b], method, path);
    const pair = `${a}->${b}`;
    if (l.allowed) result.allowed.push(pair);
    if (l.path === 'waypoint') result.viaWaypoint.push(pair);
    for (const layer of ['network', 'ztunnel', 'waypoint', 'sidecar'] as const) if (l[layer]) result[layer].push(pair);
  }
  return result;
}

describe('the service graph in ambient mode', () => {
  // web (frontend) -> checkout (orders) -> payment (payments), checkout -> inventory (orders): as
  // the sidecar graph test, every namespace ambient. inventory's timeout gives orders a waypoint,
  // the call narrowed to POST /pay/* gives payments one; frontend needs none.
  const app = Testing.app();
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  const mesh = new Chart(app, 'mesh');
  new ZeroTrustMesh(mesh, 'zero-trust');
  const chart = new Chart(app, 'shop');
  const ambient = (name: string) => new ZeroTrustNamespace(chart, name, { name, dataPlane: DataPlane.ambient() });
  const [frontend, orders, payments] = [ambient('frontend'), ambient('orders'), ambient('payments')];
  const service = (id: string, namespace: ZeroTrustNamespace, port: number, timeout?: Duration) => new CanaryService(chart, id, {
    namespace, name: id, port, targetPort: port + 1000, stable: { version: 'v1', image: image(id) }, timeout,
  });
  const services = {
    web: service('web', frontend, 8080),
    checkout: service('checkout', orders, 8080),
    inventory: service('inventory', orders, 9090, Duration.seconds(1)),
    payment: service('payment', payments, 8080),
  };
  services.web.calls(services.checkout);
  services.checkout.calls(services.payment, { ports: [8080], methods: ['POST'], paths: ['/pay/*'] });
  services.checkout.calls(services.inventory);
  const docs = Testing.synth(chart).concat(Testing.synth(mesh));
  const endpoints = Object.fromEntries(Object.entries(services).map(([k, s]) => [k, endpoint(docs, s)]));
  const names = Object.keys(services);
  const declared = ['checkout->inventory', 'checkout->payment', 'web->checkout'];

  test('every document validates strictly; no warnings', () => {
    expectValidDocuments(docs);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('12 ordered pairs: exactly the 3 declared calls get through', () => {
    const r = evaluate(docs, endpoints, names, 'POST', '/pay/1');
    expect(r.allowed.sort()).toEqual(declared);
    for (const method of ['GET', 'DELETE']) expect(evaluate(docs, endpoints, names, method, '/').allowed.sort()).toEqual(['checkout->inventory', 'web->checkout']);
  });

  test('through a waypoint, the waypoint tells the callers apart (L7), ztunnel admits the waypoint (L4)', () => {
    const r = evaluate(docs, endpoints, names, 'POST', '/pay/1');
    // every call to a service of orders or payments goes through its namespace's waypoint
    expect(r.viaWaypoint.sort()).toEqual(pairs(names).map(([a, b]) => `${a}->${b}`).filter(p => !p.endsWith('->web')).sort());
    // at the waypoint: exactly the declared calls
    expect(r.waypoint.sort()).toEqual(declared);
    // at the callee's ztunnel, the waypoint's identity: every service with declared callers through it admits it
    expect(r.ztunnel.sort()).toEqual(r.viaWaypoint.sort());
    // a caller's pods reach a waypoint only if the caller calls a service behind it; web calls checkout,
    // so it reaches orders' waypoint, which reaches inventory for checkout: the waypoint is what stops web
    expect(r.network.sort()).toEqual([...declared, 'web->inventory'].sort());
  });

  test('a call straight to the pods, past the waypoint, is refused by ztunnel: it sees the caller, not the waypoint', () => {
    const { web, inventory, checkout } = endpoints;
    const request = (from: Endpoint) => ({ principal: from.principal, namespace: from.namespace, port: inventory.targetPort });
    expect(ztunnelAuthorize(docs, inventory, request(web))).toBe(false);
    expect(ztunnelAuthorize(docs, inventory, request(checkout))).toBe(false);
    expect(ztunnelAuthorize(docs, inventory, { ...request(checkout), principal: 'cluster.local/ns/orders/sa/waypoint', namespace: 'orders' })).toBe(true);
  });

  test('a call to a service without a waypoint is enforced by ztunnel, with the caller\'s identity, at L4 only', () => {
    // web has no callers: nothing reaches it, at any layer
    for (const caller of ['checkout', 'inventory', 'payment']) {
      expect(callDecisions(docs, endpoints[caller], endpoints.web, 'GET', '/')).toMatchObject({ path: 'ztunnel', network: false, ztunnel: false, allowed: false });
    }
  });

  test('the waypoints say what pulled them in; frontend has none', () => {
    const gateways = docs.filter(d => d.kind === 'Gateway');
    expect(gateways.map(g => [g.metadata.namespace, g.metadata.annotations['cdk8s-mesh/waypoint-needed-by']])).toEqual([
      ['orders', 'service orders/inventory: a route timeout'],
      ['payments', 'calls to service payments/payment narrowed by methods or paths'],
    ]);
    expect(findOne(docs, 'Namespace', 'frontend').metadata.labels).not.toHaveProperty('istio.io/use-waypoint');
  });
});

describe('a mixed app: a sidecar namespace calling an ambient namespace, and back', () => {
  // orders keeps its sidecars: checkout and audit; payments is ambient: payment and ledger.
  // checkout -> payment (L4: a sidecar bypasses waypoints), payment -> ledger GET /entries/* (through
  // payments' waypoint), ledger -> audit POST /audit (ztunnel to a sidecar, which enforces the L7 rule).
  const app = Testing.app();
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  const mesh = new Chart(app, 'mesh');
  new ZeroTrustMesh(mesh, 'zero-trust');
  const chart = new Chart(app, 'shop');
  const orders = new ZeroTrustNamespace(chart, 'orders', { name: 'orders' });
  const payments = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', dataPlane: DataPlane.ambient() });
  const service = (id: string, namespace: ZeroTrustNamespace) => new CanaryService(chart, id, {
    namespace, name: id, port: 8080, targetPort: 9080, stable: { version: 'v1', image: image(id) },
  });
  const services = { checkout: service('checkout', orders), audit: service('audit', orders), payment: service('payment', payments), ledger: service('ledger', payments) };
  services.checkout.calls(services.payment);
  services.payment.calls(services.ledger, { methods: ['GET'], paths: ['/entries/*'] });
  services.ledger.calls(services.audit, { methods: ['POST'], paths: ['/audit'] });
  const docs = Testing.synth(chart).concat(Testing.synth(mesh));
  const endpoints = Object.fromEntries(Object.entries(services).map(([k, s]) => [k, endpoint(docs, s)]));
  const names = Object.keys(services);

  test('every document validates strictly; no warnings', () => {
    expectValidDocuments(docs);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('12 ordered pairs: exactly the 3 declared calls get through, and only with their methods and paths', () => {
    const allowedWith = (method: string, path: string) => evaluate(docs, endpoints, names, method, path).allowed.sort();
    expect(allowedWith('GET', '/entries/1')).toEqual(['checkout->payment', 'payment->ledger']);
    expect(allowedWith('POST', '/audit')).toEqual(['checkout->payment', 'ledger->audit']);
    expect(allowedWith('DELETE', '/')).toEqual(['checkout->payment']);
  });

  test('each call takes the path its ends allow, and is decided where it is enforced', () => {
    const { checkout, audit, payment, ledger } = endpoints;
    // sidecar -> ambient: HBONE straight to the pod; ztunnel sees the sidecar's identity
    expect(callDecisions(docs, checkout, payment, 'GET', '/')).toMatchObject({ path: 'ztunnel', network: true, ztunnel: true, scope: true, allowed: true });
    // ambient -> ambient: through the waypoint, which names payment; ztunnel admits the waypoint
    expect(callDecisions(docs, payment, ledger, 'GET', '/entries/1')).toMatchObject({ path: 'waypoint', network: true, waypoint: true, ztunnel: true });
    expect(callDecisions(docs, payment, ledger, 'POST', '/entries/1')).toMatchObject({ path: 'waypoint', waypoint: false, allowed: false });
    // ambient -> sidecar: HBONE to the sidecar, which enforces POST /audit for ledger's identity
    expect(callDecisions(docs, ledger, audit, 'POST', '/audit')).toMatchObject({ path: 'sidecar', network: true, sidecar: true, allowed: true });
    expect(callDecisions(docs, ledger, audit, 'GET', '/audit')).toMatchObject({ sidecar: false, allowed: false });
    // undeclared, across the boundary, both ways
    expect(callDecisions(docs, audit, ledger, 'GET', '/entries/1')).toMatchObject({ path: 'ztunnel', network: false, ztunnel: false, scope: false });
    expect(callDecisions(docs, payment, checkout, 'GET', '/')).toMatchObject({ path: 'sidecar', network: false, sidecar: false });
  });

  test('NetworkPolicies carry HBONE: the sidecar opens 15008 to its ambient caller, and egresses to 15008 of its ambient callee', () => {
    const hbone = [{ port: 15008, protocol: 'TCP' }];
    const audit = findOne(docs, 'NetworkPolicy', 'audit').spec;
    expect(audit.ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ledger' } } }], ports: hbone }]);
    const checkout = findOne(docs, 'NetworkPolicy', 'checkout').spec;
    expect(checkout.egress).toEqual([{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'payment' } } }], ports: hbone }]);
  });
});
