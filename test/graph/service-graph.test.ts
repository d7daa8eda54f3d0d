// The service graph, judged by what a cluster would do with the emitted YAML: for every ordered
// pair of services, Istio authorization, Kubernetes NetworkPolicy and Sidecar scope each allow
// exactly the declared calls (evaluators in test/support/semantics, tested on their own).
import { App, Chart, Duration, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import {
  CanaryService, IMeshWorkload, MeshWarnings, MeshWorkload, WarningMode, WorkloadIdentity, ZeroTrustMesh, ZeroTrustNamespace,
} from '../../src';
import { expectValidDocuments, findAll, findOne, synthValid, testChart, warningsOf } from '../support';
import { Endpoint, endpoint } from './graph-support';
import { authorize } from '../support/semantics/istio-authorization';
import { connects } from '../support/semantics/network-policy';
import { sees } from '../support/semantics/sidecar-scope';

const image = (name: string) => `registry.example.com/${name}:1.0.0`;

/** The shop: web (frontend) -> checkout (orders) -> payment (payments), checkout -> inventory (orders). */
function shop() {
  const app = Testing.app();
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  const mesh = new Chart(app, 'mesh');
  new ZeroTrustMesh(mesh, 'zero-trust');
  const chart = new Chart(app, 'shop');
  const frontend = new ZeroTrustNamespace(chart, 'frontend', { name: 'frontend' });
  const orders = new ZeroTrustNamespace(chart, 'orders', { name: 'orders' });
  const payments = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
  const service = (id: string, namespace: ZeroTrustNamespace, port: number) => new CanaryService(chart, id, {
    namespace, name: id, port, targetPort: port + 1000, stable: { version: 'v1', image: image(id) },
  });
  const web = service('web', frontend, 8080);
  const checkout = service('checkout', orders, 8080);
  const inventory = service('inventory', orders, 9090);
  const payment = service('payment', payments, 8080);
  web.calls(checkout);
  checkout.calls(payment, { ports: [8080], methods: ['POST'], paths: ['/pay/*'] });
  checkout.calls(inventory);
  const docs = Testing.synth(chart).concat(Testing.synth(mesh));
  return { app, chart, docs, services: { web, checkout, inventory, payment } };
}


/** What each layer lets `a` do to `b`, for a request with `method` and `path`. */
function layers(docs: any[], a: Endpoint, b: Endpoint, method: string, path: string) {
  return {
    authorization: authorize(docs, { namespace: b.namespace, labels: b.labels },
      { principal: a.principal, namespace: a.namespace, port: b.targetPort, method, path }),
    network: connects(docs, {
      from: { namespace: a.namespace, labels: a.labels }, to: { namespace: b.namespace, labels: b.labels }, port: b.targetPort,
    }),
    sidecar: sees(docs, { namespace: a.namespace, labels: a.labels }, b.host, b.namespace),
  };
}

describe('the service graph', () => {
  const { chart, docs, services } = shop();
  const endpoints = Object.fromEntries(Object.entries(services).map(([k, s]) => [k, endpoint(docs, s)]));
  const declared = new Set(['web->checkout', 'checkout->payment', 'checkout->inventory']);

  test('every document validates strictly', () => {
    expectValidDocuments(docs);
    expect(warningsOf(chart)).toEqual([]);
  });

  const names = ['web', 'checkout', 'inventory', 'payment'];
  const pairs = names.flatMap(a => names.filter(b => b !== a).map(b => [a, b] as const));

  test('12 ordered pairs: exactly the 3 declared calls are allowed and visible, at every layer', () => {
    const allowed = { authorization: [] as string[], network: [] as string[], sidecar: [] as string[] };
    for (const [a, b] of pairs) {
      // the narrowed call is POST /pay/*: use a request it allows, so only undeclared pairs fail
      const result = layers(docs, endpoints[a], endpoints[b], 'POST', '/pay/1');
      for (const layer of ['authorization', 'network', 'sidecar'] as const) {
        if (result[layer]) allowed[layer].push(`${a}->${b}`);
      }
    }
    expect(allowed.authorization.sort()).toEqual([...declared].sort());
    expect(allowed.network.sort()).toEqual([...declared].sort());
    expect(allowed.sidecar.sort()).toEqual([...declared].sort());
  });

  test('the 9 undeclared pairs are denied at each layer, for any method', () => {
    const undeclared = pairs.filter(([a, b]) => !declared.has(`${a}->${b}`));
    expect(undeclared).toHaveLength(9);
    for (const [a, b] of undeclared) {
      for (const method of ['GET', 'POST']) {
        expect({ pair: `${a}->${b}`, method, ...layers(docs, endpoints[a], endpoints[b], method, '/') })
          .toEqual({ pair: `${a}->${b}`, method, authorization: false, network: false, sidecar: false });
      }
    }
  });

  test('a call narrowed to POST /pay/* allows POST there and denies GET and other paths', () => {
    const { checkout, payment } = endpoints;
    expect(layers(docs, checkout, payment, 'POST', '/pay/42').authorization).toBe(true);
    expect(layers(docs, checkout, payment, 'GET', '/pay/42').authorization).toBe(false);
    expect(layers(docs, checkout, payment, 'POST', '/refunds').authorization).toBe(false);
  });

  test('each callee\'s own policy selects its pods, not its namespace, and names the caller\'s principal', () => {
    const policy = findOne(docs, 'AuthorizationPolicy', 'payment');
    expect(policy.metadata.namespace).toBe('payments');
    expect(policy.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'payment' } },
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: ['cluster.local/ns/orders/sa/checkout'] } }],
        // the container port: Istio authorization matches the port the workload listens on
        to: [{ operation: { ports: ['9080'], methods: ['POST'], paths: ['/pay/*'] } }],
      }],
    });
    // web calls nobody in its namespace and receives no call: no policy of its own but its Sidecar
    expect(findAll(docs, 'AuthorizationPolicy', 'web')).toEqual([]);
  });

  test('NetworkPolicies: ingress from the caller\'s pods, egress to the callee\'s, across namespaces', () => {
    const checkout = findOne(docs, 'NetworkPolicy', 'checkout');
    const pods = (ns: string, name: string) => ({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': name } },
    });
    expect(checkout.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'checkout' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [pods('frontend', 'web')], ports: [{ port: 9080, protocol: 'TCP' }] }],
      egress: [
        { to: [pods('payments', 'payment')], ports: [{ port: 9080, protocol: 'TCP' }] },
        // same namespace: a pod selector alone
        { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'inventory' } } }], ports: [{ port: 10090, protocol: 'TCP' }] },
      ],
    });
    expect(findOne(docs, 'NetworkPolicy', 'web').spec.policyTypes).toEqual(['Egress']);
  });

  test('each proxy sees only the hosts it calls, the control plane and DNS', () => {
    expect(findOne(docs, 'Sidecar', 'checkout').spec).toEqual({
      workloadSelector: { labels: { 'app.kubernetes.io/name': 'checkout' } },
      egress: [{
        hosts: [
          'istio-system/*',
          'kube-system/kube-dns.kube-system.svc.cluster.local',
          'payments/payment.payments.svc.cluster.local',
          'orders/inventory.orders.svc.cluster.local',
        ],
      }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    });
    expect(findOne(docs, 'Sidecar', 'payment').spec.egress[0].hosts).toEqual(['istio-system/*', 'kube-system/kube-dns.kube-system.svc.cluster.local']);
  });
});

describe('callers outside the app', () => {
  test('the ingress gateway as a caller: its principal and its pods in the root namespace', () => {
    // GIVEN
    const chart = testChart();
    const frontend = new ZeroTrustNamespace(chart, 'frontend', { name: 'frontend', rootNamespaceIngress: false });
    const web = new CanaryService(chart, 'web', { namespace: frontend, name: 'web', port: 80, targetPort: 8080, stable: { version: 'v1', image: image('web') } });

    // WHEN
    MeshWorkload.ingressGateway(chart, 'gateway').calls(web);

    // THEN
    const docs = synthValid(chart);
    const webPod = { namespace: 'frontend', labels: findOne(docs, 'Deployment').spec.template.metadata.labels };
    const gateway = { namespace: 'istio-system', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } };
    expect(authorize(docs, webPod, { principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account', namespace: 'istio-system', port: 8080, method: 'GET', path: '/' })).toBe(true);
    expect(authorize(docs, webPod, { principal: 'cluster.local/ns/istio-system/sa/istiod', namespace: 'istio-system', port: 8080, method: 'GET', path: '/' })).toBe(false);
    expect(connects(docs, { from: gateway, to: webPod, port: 8080 })).toBe(true);
    expect(connects(docs, { from: { namespace: 'istio-system', labels: { app: 'istiod' } }, to: webPod, port: 8080 })).toBe(false);
  });

  test('a workload deployed by other means joins the graph with policies of its own', () => {
    const chart = testChart();
    const orders = new ZeroTrustNamespace(chart, 'orders', { name: 'orders' });
    const checkout = new CanaryService(chart, 'checkout', { namespace: orders, name: 'checkout', port: 8080, stable: { version: 'v1', image: image('checkout') } });
    const ledger = MeshWorkload.fromService(chart, 'ledger', { namespace: orders, serviceName: 'ledger', port: 5432, podLabels: { app: 'ledger' } });
    checkout.calls(ledger);
    const docs = synthValid(chart);
    expect(findOne(docs, 'AuthorizationPolicy', 'ledger').spec.selector).toEqual({ matchLabels: { app: 'ledger' } });
    expect(findOne(docs, 'Sidecar', 'ledger').spec.workloadSelector).toEqual({ labels: { app: 'ledger' } });
    expect(connects(docs, {
      from: { namespace: 'orders', labels: findOne(docs, 'Deployment').spec.template.metadata.labels }, to: { namespace: 'orders', labels: { app: 'ledger' } }, port: 5432,
    })).toBe(true);
  });

  test('a caller deployed by other means, by its service account: admitted by identity and pods, given its egress', () => {
    // GIVEN
    const chart = testChart();
    const orders = new ZeroTrustNamespace(chart, 'orders', { name: 'orders' });
    const reports = new ZeroTrustNamespace(chart, 'reports', { name: 'reports' });
    const checkout = new CanaryService(chart, 'checkout', { namespace: orders, name: 'checkout', port: 8080, targetPort: 9080, stable: { version: 'v1', image: image('checkout') } });

    // WHEN
    MeshWorkload.fromServiceAccount(chart, 'nightly', { namespace: reports, serviceAccountName: 'nightly-report', podLabels: { app: 'nightly' } })
      .calls(checkout, { methods: ['GET'] });

    // THEN
    const docs = synthValid(chart);
    const checkoutPod = { namespace: 'orders', labels: findOne(docs, 'Deployment').spec.template.metadata.labels };
    const nightly = { namespace: 'reports', labels: { app: 'nightly' } };
    const request = (principal: string, method: string) => ({ principal, namespace: 'reports', port: 9080, method, path: '/' });
    expect(authorize(docs, checkoutPod, request('cluster.local/ns/reports/sa/nightly-report', 'GET'))).toBe(true);
    expect(authorize(docs, checkoutPod, request('cluster.local/ns/reports/sa/nightly-report', 'DELETE'))).toBe(false);
    expect(authorize(docs, checkoutPod, request('cluster.local/ns/reports/sa/default', 'GET'))).toBe(false);
    expect(connects(docs, { from: nightly, to: checkoutPod, port: 9080 })).toBe(true);
    expect(connects(docs, { from: { namespace: 'reports', labels: { app: 'other' } }, to: checkoutPod, port: 9080 })).toBe(false);
    // its proxy's scope is its own: a Sidecar selecting its pods that sees checkout
    const sidecar = findAll(docs, 'Sidecar').find(d => d.metadata.namespace === 'reports' && d.spec.workloadSelector);
    expect(sidecar.spec.workloadSelector).toEqual({ labels: { app: 'nightly' } });
    expect(sidecar.spec.egress[0].hosts).toContain('orders/checkout.orders.svc.cluster.local');
  });

  test('a callee in a namespace the app only names gets nothing written; the caller still gets its egress', () => {
    const chart = testChart();
    const orders = new ZeroTrustNamespace(chart, 'orders', { name: 'orders' });
    const finance = ZeroTrustNamespace.fromName(chart, 'finance', 'finance');
    const checkout = new CanaryService(chart, 'checkout', { namespace: orders, name: 'checkout', port: 8080, stable: { version: 'v1', image: image('checkout') } });
    checkout.calls(MeshWorkload.fromService(chart, 'ledger', { namespace: finance, serviceName: 'ledger', port: 8443 }));
    const docs = synthValid(chart);
    expect(docs.filter(d => d.metadata?.namespace === 'finance')).toEqual([]);
    expect(findOne(docs, 'Sidecar', 'checkout').spec.egress[0].hosts).toContain('finance/ledger.finance.svc.cluster.local');
  });
});

describe('whole-app checks', () => {
  const twoServices = () => {
    const chart = testChart();
    const orders = new ZeroTrustNamespace(chart, 'orders', { name: 'orders' });
    const mk = (name: string, extra: object = {}) =>
      new CanaryService(chart, name, { namespace: orders, name, port: 8080, stable: { version: 'v1', image: image(name) }, ...extra });
    return { chart, orders, mk };
  };

  test('a call to a port the callee\'s Service does not have', () => {
    const { chart, mk } = twoServices();
    mk('checkout').calls(mk('inventory'), { ports: [9090] });
    expect(() => synthValid(chart)).toThrow(
      '[test/checkout] invalid calls ports [9090]: service orders/inventory has no such Service port (it has 8080); name the port callers dial, not the container port');
  });

  test('methods or paths on a TCP callee', () => {
    const { chart, mk } = twoServices();
    mk('checkout').calls(mk('db', { protocol: 'tcp' as any }), { methods: ['GET'] });
    expect(() => synthValid(chart)).toThrow('[test/checkout] invalid calls methods ["GET"]: service orders/db speaks TCP on 8080, where a rule with methods or paths never matches');
  });

  test('two workloads whose selectors select the same pods', () => {
    const { chart, orders, mk } = twoServices();
    mk('inventory');
    MeshWorkload.fromService(chart, 'stock', { namespace: orders, serviceName: 'stock', port: 8080, podLabels: { app: 'inventory' } });
    expect(() => synthValid(chart)).toThrow(
      '[test/stock] invalid selector {"app":"inventory"}: selects the same pods as service orders/inventory (test/inventory, selector {"app.kubernetes.io/name":"inventory"}), ' +
      'so each would get the other\'s policies; give the workloads labels that tell their pods apart');
  });

  test('a namespace or service account named by string that the app does not know', () => {
    const { chart, orders, mk } = twoServices();
    mk('checkout');
    orders.allowFrom(WorkloadIdentity.serviceAccount('order', 'chekout'));
    orders.allowFrom(WorkloadIdentity.serviceAccount('orders', 'chekout'));
    expect(() => synthValid(chart)).toThrow(/\[test\/orders\] invalid allowFrom source namespace "order": is no namespace this app creates or names: fix the name, or declare a namespace that exists elsewhere with ZeroTrustNamespace\.fromName\(scope, id, "order"\)\n\s+\[test\/orders\] invalid allowFrom source serviceAccount "orders\/chekout": no workload of this app runs as that service account in namespace orders/);
  });

  test('a callee that is not a workload of the graph, and the same call twice', () => {
    const { chart, mk } = twoServices();
    const checkout = mk('checkout');
    const stranger = { serviceName: 'x', namespace: 'orders', serviceAccountName: 'x', node: new Chart(new App(), 'other').node } as unknown as IMeshWorkload;
    expect(() => checkout.calls(stranger)).toThrow('test/checkout: invalid calls callee "other": is not a workload of this app\'s service graph');
    const inventory = mk('inventory');
    checkout.calls(inventory, { methods: ['GET'] });
    expect(() => checkout.calls(inventory, { methods: ['GET'] })).toThrow(
      'test/checkout: invalid calls "service orders/inventory": the same call was declared twice; remove one of the declarations');
    expect(() => checkout.calls(inventory, { ports: [0] })).toThrow('test/checkout: invalid calls ports 0: must be an integer port from 1 to 65535');
    expect(() => checkout.calls(inventory, { methods: ['post'] })).toThrow('test/checkout: invalid calls methods ["post"]: must be upper-case HTTP methods');
    expect(() => checkout.calls(inventory, { paths: ['pay'] })).toThrow('test/checkout: invalid calls paths ["pay"]: must be paths starting with "/"');
    void chart;
  });

  test('a workload in a namespace object the app does not know', () => {
    const chart = testChart();
    const elsewhere = ZeroTrustNamespace.fromName(Testing.chart(), 'frontent', 'frontent');
    expect(() => new CanaryService(chart, 'web', { namespace: elsewhere, name: 'web', port: 8080, stable: { version: 'v1', image: image('web') } }))
      .toThrow('test/web: invalid namespace "frontent": is not a namespace of this app: create it with ZeroTrustNamespace, or name it with ZeroTrustNamespace.fromName()');
  });

  test('a namespace created twice', () => {
    const chart = testChart();
    new ZeroTrustNamespace(chart, 'orders', { name: 'orders' });
    expect(() => new ZeroTrustNamespace(chart, 'orders-again', { name: 'orders' })).toThrow(
      'test/orders-again: invalid name "orders": test/orders already creates this namespace; create each namespace once and refer to it elsewhere');
  });

  test('a ServiceAccount the app defines satisfies the check', () => {
    const { chart, orders } = twoServices();
    new k8s.KubeServiceAccount(chart, 'reports', { metadata: { name: 'reports', namespace: 'orders' } });
    orders.allowFrom(WorkloadIdentity.serviceAccount('orders', 'reports'));
    expect(() => synthValid(chart)).not.toThrow();
  });
});

describe('budgets along call chains', () => {
  const chain = (timeouts: Array<number | undefined>, attempts: number[]) => {
    const chart = testChart();
    const ns = new ZeroTrustNamespace(chart, 'shop', { name: 'shop' });
    const services = timeouts.map((t, i) => new CanaryService(chart, `s${i}`, {
      namespace: ns,
      name: `s${i}`,
      port: 8080,
      stable: { version: 'v1', image: image(`s${i}`) },
      timeout: t === undefined ? undefined : Duration.millis(t),
      retries: { attempts: attempts[i] },
    }));
    services.slice(1).forEach((s, i) => services[i].calls(s));
    synthValid(chart);
    return warningsOf(chart);
  };

  test('a caller whose route times out before its callee\'s retries are done', () => {
    expect(chain([1000, 2000], [2, 2])).toEqual([
      'test/s0: service shop/s0: its route timeout 1s is not longer than its call to service shop/s1 may take with service shop/s1\'s retries ' +
      '(up to 2s), so its callers give up while it still waits; give it a longer timeout than the services it calls, or shorten theirs',
    ]);
    expect(chain([3000, 2000], [2, 2])).toEqual([]);
  });

  test('retries multiplying past the limit along a chain', () => {
    // 3 retries at each of 3 hops: up to 4 x 4 x 4 = 64 tries at the last service
    expect(chain([undefined, undefined, undefined, undefined], [3, 3, 3, 3])).toEqual([
      'test/s3: service shop/s3: one request may reach it up to 64 times, since retries multiply along service shop/s0 -> service shop/s1 -> ' +
      'service shop/s2 -> service shop/s3 (4 x 4 x 4 tries), above the limit of 27; retry at one hop only (retries: { attempts: 0 } on the others), ' +
      'or raise maxTriesPerRequest with MeshWorkload.setLimits()',
    ]);
    // the library's default, 2 retries per route, along three calls: 27 tries, the limit
    expect(chain([undefined, undefined, undefined, undefined], [2, 2, 2, 2])).toEqual([]);
    expect(chain([undefined, undefined, undefined, undefined], [2, 0, 2, 2])).toEqual([]);
  });

  test('the limit is a setting of the graph', () => {
    const build = (limit: number) => {
      const chart = testChart();
      MeshWorkload.setLimits(chart, { maxTriesPerRequest: limit });
      const ns = new ZeroTrustNamespace(chart, 'shop', { name: 'shop' });
      const [a, b, c] = ['a', 'b', 'c'].map(n => new CanaryService(chart, n, {
        namespace: ns, name: n, port: 8080, stable: { version: 'v1', image: image(n) }, retries: { attempts: 5 },
      }));
      a.calls(b);
      b.calls(c);
      synthValid(chart);
      return warningsOf(chart).map(w => w.split(':')[0]);
    };
    expect(build(36)).toEqual([]);
    expect(build(5)).toEqual(['test/b', 'test/c']);
    expect(() => MeshWorkload.setLimits(testChart(), { maxTriesPerRequest: 0 })).toThrow('test: invalid maxTriesPerRequest 0: must be a positive integer');
  });
});
