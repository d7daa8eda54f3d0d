// The gateway routing evaluator (test/support/semantics/gateway-routing.ts) on hand-made objects:
// one case per rule it knows, so that the ingress tests can trust what it says.
import { afterWaypoints, gatewayApiRoute, istioGatewayRoute, shares, waypointRoute } from '../support/semantics/gateway-routing';

const pod = { namespace: 'istio-system', labels: { istio: 'ingressgateway' } };
const https = (host: string, path: string, headers?: Record<string, string>) => ({ tls: true, port: 8443, host, path, headers });

const gateway = (hosts: string[], extra: any = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name: 'public', namespace: 'istio-system' },
  spec: {
    selector: { istio: 'ingressgateway' },
    servers: [
      { port: { number: 8443, name: 'https', protocol: 'HTTPS' }, hosts, tls: { mode: 'SIMPLE', credentialName: 'tls' } },
      { port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts, tls: { httpsRedirect: true } },
    ],
    ...extra,
  },
});

const vs = (name: string, namespace: string, spec: any) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace }, spec });
const to = (host: string, extra: any = {}) => ({ destination: { host, ...extra } });

const service = (name: string, namespace: string) => ({ kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name } } });
const deployment = (name: string, namespace: string, version: string, replicas: number) => ({
  kind: 'Deployment',
  metadata: { name: `${name}-${version}`, namespace },
  spec: { replicas, template: { metadata: { labels: { app: name, version } } } },
});
const rule = (host: string, namespace: string) => ({
  kind: 'DestinationRule',
  metadata: { name: host, namespace },
  spec: { host, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
});
const cluster = [service('pay', 'payments'), deployment('pay', 'payments', 'v1', 1), deployment('pay', 'payments', 'v2', 1), rule('pay', 'payments')];

describe('Istio API: the gateway\'s route', () => {
  test('a Gateway takes the hosts of its servers on the pod port, for the pods its selector matches', () => {
    const docs = [gateway(['*/shop.example.com']), vs('shop', 'web', { hosts: ['shop.example.com'], gateways: ['istio-system/public'], http: [{ route: [to('web')] }] })];
    expect(istioGatewayRoute(docs, pod, https('shop.example.com', '/'))).toMatchObject({ kind: 'route', by: 'web/shop' });
    expect(istioGatewayRoute(docs, pod, https('other.example.com', '/'))).toMatchObject({ kind: 'none' });
    // the Service port is not where the server listens
    expect(istioGatewayRoute(docs, pod, { ...https('shop.example.com', '/'), port: 443 })).toMatchObject({ kind: 'none' });
    expect(istioGatewayRoute(docs, { namespace: 'istio-system', labels: { istio: 'internal' } }, https('shop.example.com', '/'))).toMatchObject({ kind: 'none' });
  });

  test('an HTTP server with httpsRedirect answers 301', () => {
    const docs = [gateway(['shop.example.com'])];
    expect(istioGatewayRoute(docs, pod, { tls: false, port: 8080, host: 'shop.example.com', path: '/cart' }))
      .toEqual({ kind: 'redirect', location: 'https://shop.example.com/cart', status: 301 });
  });

  test('a server host "<namespace>/<host>" admits VirtualServices of that namespace only; "." is the Gateway\'s', () => {
    const bound = (ns: string) => vs('shop', ns, { hosts: ['shop.example.com'], gateways: ['istio-system/public'], http: [{ route: [to('web')] }] });
    expect(istioGatewayRoute([gateway(['web/shop.example.com']), bound('web')], pod, https('shop.example.com', '/'))).toMatchObject({ kind: 'route' });
    expect(istioGatewayRoute([gateway(['web/shop.example.com']), bound('other')], pod, https('shop.example.com', '/'))).toMatchObject({ kind: 'none' });
    expect(istioGatewayRoute([gateway(['./shop.example.com']), bound('istio-system')], pod, https('shop.example.com', '/'))).toMatchObject({ kind: 'route' });
  });

  test('a VirtualService binds by "<namespace>/<name>", or by "<name>" in the Gateway\'s namespace; "mesh" is not the gateway', () => {
    const route = (ns: string, ref: string) => [gateway(['shop.example.com']), vs('shop', ns, { hosts: ['shop.example.com'], gateways: [ref], http: [{ route: [to('web')] }] })];
    expect(istioGatewayRoute(route('istio-system', 'public'), pod, https('shop.example.com', '/'))).toMatchObject({ kind: 'route' });
    expect(istioGatewayRoute(route('web', 'public'), pod, https('shop.example.com', '/'))).toMatchObject({ kind: 'none' });
    expect(istioGatewayRoute(route('web', 'mesh'), pod, https('shop.example.com', '/'))).toMatchObject({ kind: 'none' });
  });

  test('the most specific host wins; two VirtualServices of one host are a conflict', () => {
    const docs = [gateway(['*.example.com']),
      vs('wild', 'istio-system', { hosts: ['*.example.com'], gateways: ['public'], http: [{ route: [to('a')] }] }),
      vs('shop', 'istio-system', { hosts: ['shop.example.com'], gateways: ['public'], http: [{ route: [to('b')] }] })];
    expect(istioGatewayRoute(docs, pod, https('shop.example.com', '/'))).toMatchObject({ by: 'istio-system/shop' });
    expect(istioGatewayRoute(docs, pod, https('cart.example.com', '/'))).toMatchObject({ by: 'istio-system/wild' });
    const twice = [...docs, vs('again', 'istio-system', { hosts: ['shop.example.com'], gateways: ['public'], http: [] })];
    expect(() => istioGatewayRoute(twice, pod, https('shop.example.com', '/'))).toThrow('merged in creation order');
  });

  test('the first route that matches takes the request: uri exact and prefix, exact headers', () => {
    const docs = [gateway(['shop.example.com']), vs('shop', 'istio-system', {
      hosts: ['shop.example.com'],
      gateways: ['public'],
      http: [
        { name: 'header', match: [{ uri: { prefix: '/api/' }, headers: { 'x-canary': { exact: 'always' } } }], route: [to('api', { subset: 'v2' })] },
        { name: 'api', match: [{ uri: { exact: '/api' } }, { uri: { prefix: '/api/' } }], route: [to('api')] },
        { name: 'rest', match: [{ uri: { prefix: '/' } }], route: [to('web')] },
      ],
    })];
    const route = (path: string, headers?: Record<string, string>) => (istioGatewayRoute(docs, pod, https('shop.example.com', path, headers)) as any).route;
    expect(route('/api')).toBe('api');
    expect(route('/api/x')).toBe('api');
    expect(route('/api/x', { 'x-canary': 'always' })).toBe('header');
    expect(route('/api/x', { 'x-canary': 'no' })).toBe('api');
    expect(route('/apiary')).toBe('rest');
  });

  test('destinations: short hosts resolve in the VirtualService\'s namespace, a lone destination weighs 100', () => {
    const docs = [gateway(['shop.example.com']), vs('shop', 'istio-system', {
      hosts: ['shop.example.com'],
      gateways: ['public'],
      http: [{ route: [to('web', { port: { number: 8080 } })] }],
    })];
    expect(istioGatewayRoute(docs, pod, https('shop.example.com', '/'))).toEqual({
      kind: 'route',
      by: 'istio-system/shop',
      route: undefined,
      destinations: [{ host: 'web.istio-system.svc.cluster.local', port: 8080, subset: undefined, weight: 100 }],
    });
  });

  test('a delegate continues the route in its own namespace', () => {
    const docs = [gateway(['shop.example.com']),
      vs('shop', 'istio-system', { hosts: ['shop.example.com'], gateways: ['public'], http: [{ match: [{ uri: { prefix: '/pay' } }], delegate: { name: 'pay', namespace: 'payments' } }] }),
      vs('pay', 'payments', { http: [{ name: 'primary', route: [{ ...to('pay', { subset: 'v1' }), weight: 90 }, { ...to('pay', { subset: 'v2' }), weight: 10 }] }] })];
    expect(istioGatewayRoute(docs, pod, https('shop.example.com', '/pay'))).toMatchObject({
      kind: 'route',
      by: 'payments/pay',
      route: 'primary',
      destinations: [{ host: 'pay.payments.svc.cluster.local', subset: 'v1', weight: 90 }, { host: 'pay.payments.svc.cluster.local', subset: 'v2', weight: 10 }],
    });
  });
});

describe('shares of the versions\' pods', () => {
  test('subsets get their weight; a destination without a subset splits by pod count', () => {
    const host = 'pay.payments.svc.cluster.local';
    expect(shares(cluster, [{ host, subset: 'v1', weight: 95 }, { host, subset: 'v2', weight: 5 }])).toEqual({ 'payments/v1': 95, 'payments/v2': 5 });
    // issue 18: the gateway balances over every pod of the Service
    expect(shares(cluster, [{ host, weight: 100 }])).toEqual({ 'payments/v1': 50, 'payments/v2': 50 });
    expect(shares([...cluster.slice(0, 1), deployment('pay', 'payments', 'v1', 3), ...cluster.slice(2)], [{ host, weight: 100 }]))
      .toEqual({ 'payments/v1': 75, 'payments/v2': 25 });
  });

  test('an unknown subset fails the route', () => {
    expect(() => shares(cluster, [{ host: 'pay.payments.svc.cluster.local', subset: 'v3', weight: 100 }])).toThrow('no subset v3');
  });
});

describe('Gateway API: the gateway\'s route', () => {
  const gw = (listeners: any[]) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'public', namespace: 'ingress' },
    spec: { gatewayClassName: 'istio', listeners },
  });
  const listener = (name: string, protocol: string, port: number, hostname?: string, from?: string) =>
    ({ name, protocol, port, hostname, allowedRoutes: from ? { namespaces: { from } } : undefined });
  const route = (name: string, namespace: string, spec: any) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace }, spec });
  const ref = { name: 'public', namespace: 'ingress' };
  const request = (host: string, path: string, tls = true) => ({ tls, port: tls ? 443 : 80, host, path });

  test('listeners by port, protocol and hostname; routes attach by parentRef and sectionName, from the Gateway\'s namespace by default', () => {
    const docs = [gw([listener('https', 'HTTPS', 443, 'shop.example.com'), listener('other', 'HTTPS', 443, 'other.example.com')]),
      route('shop', 'ingress', { parentRefs: [{ name: 'public', sectionName: 'https' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }),
      route('stray', 'web', { parentRefs: [{ ...ref, sectionName: 'other' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] })];
    expect(gatewayApiRoute(docs, ref, request('shop.example.com', '/'))).toMatchObject({ kind: 'route', by: 'ingress/shop' });
    // a route from another namespace does not attach where allowedRoutes says Same
    expect(gatewayApiRoute(docs, ref, request('other.example.com', '/'))).toMatchObject({ kind: 'none' });
    expect(gatewayApiRoute(docs, ref, request('shop.example.com', '/', false))).toMatchObject({ kind: 'none' });
  });

  test('the longest PathPrefix wins, by whole segments', () => {
    const docs = [gw([listener('https', 'HTTPS', 443)]), route('shop', 'ingress', {
      parentRefs: [{ name: 'public' }],
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'web', port: 80 }] },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [{ name: 'api', port: 80 }] },
      ],
    })];
    const backend = (path: string) => (gatewayApiRoute(docs, ref, request('shop.example.com', path)) as any).destinations[0].host;
    expect(backend('/api/x')).toBe('api.ingress.svc.cluster.local');
    expect(backend('/api')).toBe('api.ingress.svc.cluster.local');
    expect(backend('/apiary')).toBe('web.ingress.svc.cluster.local');
  });

  test('a RequestRedirect filter answers; without a port, https goes to 443', () => {
    const redirect = (requestRedirect: any) => [gw([listener('http', 'HTTP', 80)]),
      route('redirect', 'ingress', { parentRefs: [{ name: 'public', sectionName: 'http' }], rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect }] }] })];
    expect(gatewayApiRoute(redirect({ scheme: 'https', statusCode: 301 }), ref, request('shop.example.com', '/cart', false)))
      .toEqual({ kind: 'redirect', location: 'https://shop.example.com/cart', status: 301 });
    expect(gatewayApiRoute(redirect({ scheme: 'https', port: 8443, statusCode: 301 }), ref, request('shop.example.com', '/', false)))
      .toMatchObject({ location: 'https://shop.example.com:8443/' });
  });

  test('a backend in another namespace needs a ReferenceGrant there', () => {
    const docs = [gw([listener('https', 'HTTPS', 443)]),
      route('shop', 'ingress', { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'web', namespace: 'frontend', port: 80 }] }] })];
    expect(gatewayApiRoute(docs, ref, request('shop.example.com', '/'))).toMatchObject({ kind: 'none', reason: expect.stringContaining('ReferenceGrant') });
    const grant = (name?: string) => ({
      kind: 'ReferenceGrant',
      metadata: { name: 'grant', namespace: 'frontend' },
      spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'ingress' }], to: [{ group: '', kind: 'Service', name }] },
    });
    expect(gatewayApiRoute([...docs, grant('web')], ref, request('shop.example.com', '/'))).toMatchObject({
      kind: 'route', destinations: [{ host: 'web.frontend.svc.cluster.local', port: 80, weight: 100 }],
    });
    expect(gatewayApiRoute([...docs, grant()], ref, request('shop.example.com', '/'))).toMatchObject({ kind: 'route' });
    expect(gatewayApiRoute([...docs, grant('other')], ref, request('shop.example.com', '/'))).toMatchObject({ kind: 'none' });
  });
});

describe('ambient: a gateway that uses the Service\'s waypoint gets the Service\'s own route', () => {
  const namespace = (labels: Record<string, string>) => ({ kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient', ...labels } } });
  const waypoint = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'shop' }, spec: { gatewayClassName: 'istio-waypoint' } };
  const svc = (name: string, selector: Record<string, string>, labels?: Record<string, string>) =>
    ({ kind: 'Service', metadata: { name, namespace: 'shop', labels }, spec: { selector } });
  const mesh = (rules: any[], parent: any = {}) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'web', port: 8080, ...parent }], rules },
  });
  const split = { name: 'primary', backendRefs: [{ name: 'web-v1', port: 8080, weight: 90 }, { name: 'web-v2', port: 8080, weight: 10 }] };
  const header = { name: 'canary-header', matches: [{ headers: [{ type: 'Exact', name: 'x-canary', value: 'always' }] }], backendRefs: [{ name: 'web-v2', port: 8080 }] };
  const ambientCluster = [
    svc('web', { app: 'web' }), svc('web-v1', { app: 'web', version: 'v1' }), svc('web-v2', { app: 'web', version: 'v2' }),
    deployment('web', 'shop', 'v1', 1), deployment('web', 'shop', 'v2', 1), waypoint,
  ];
  const host = 'web.shop.svc.cluster.local';
  const toWeb = [{ host, port: 8080, weight: 100 }];
  const req = (headers?: Record<string, string>) => ({ path: '/', headers });

  test('with istio.io/ingress-use-waypoint on the namespace (or the Service), the waypoint applies the HTTPRoute whose parent is the Service', () => {
    const docs = [namespace({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' }), ...ambientCluster, mesh([header, split])];
    expect(waypointRoute(docs, toWeb[0], req())).toEqual({
      waypoint: { namespace: 'shop', gateway: 'waypoint' },
      by: 'shop/web',
      rule: 'primary',
      destinations: [{ host: 'web-v1.shop.svc.cluster.local', port: 8080, weight: 90 }, { host: 'web-v2.shop.svc.cluster.local', port: 8080, weight: 10 }],
    });
    expect(shares(docs, afterWaypoints(docs, toWeb, req()))).toEqual({ 'shop/v1': 90, 'shop/v2': 10 });
    // the rule with more header matches wins over the one without
    expect(shares(docs, afterWaypoints(docs, toWeb, req({ 'x-canary': 'always' })))).toEqual({ 'shop/v2': 100 });
    // on the Service's own label too; a subset the gateway named is lost on the way
    const own = [namespace({ 'istio.io/use-waypoint': 'waypoint' }), svc('web', { app: 'web' }, { 'istio.io/ingress-use-waypoint': 'true' }), ...ambientCluster.slice(1), mesh([split])];
    expect(afterWaypoints(own, [{ host, subset: 'v1', port: 8080, weight: 100 }], req())).toHaveLength(2);
  });

  test('without the label, without a waypoint, or outside ambient, the gateway reaches the pods itself', () => {
    const routes = [...ambientCluster, mesh([split])];
    const cases = [
      namespace({ 'istio.io/use-waypoint': 'waypoint' }),
      namespace({ 'istio.io/ingress-use-waypoint': 'true' }),
      namespace({ 'istio.io/use-waypoint': 'other', 'istio.io/ingress-use-waypoint': 'true' }),
      { kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' } } },
    ];
    for (const ns of cases) {
      const docs = [ns, ...routes];
      expect(waypointRoute(docs, toWeb[0], req())).toBeUndefined();
      expect(shares(docs, afterWaypoints(docs, toWeb, req()))).toEqual({ 'shop/v1': 50, 'shop/v2': 50 });
    }
  });

  test('the waypoint routes by its own route only: another port\'s, or a consumer route of another namespace, is not the Service\'s; without one it balances over the Service', () => {
    const ns = namespace({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' });
    const otherPort = [ns, ...ambientCluster, mesh([split], { port: 9090 })];
    expect(waypointRoute(otherPort, toWeb[0], req())).toEqual({ waypoint: { namespace: 'shop', gateway: 'waypoint' }, destinations: [{ host, port: 8080, weight: 100 }] });
    const consumer = [ns, ...ambientCluster, { ...mesh([split], { namespace: 'shop' }), metadata: { name: 'web', namespace: 'frontend' } }];
    expect(shares(consumer, afterWaypoints(consumer, toWeb, req()))).toEqual({ 'shop/v1': 50, 'shop/v2': 50 });
    // a route whose rules match nothing: the waypoint answers 404
    const narrow = [ns, ...ambientCluster, mesh([{ ...split, matches: [{ path: { type: 'PathPrefix', value: '/api' } }] }])];
    expect(afterWaypoints(narrow, toWeb, req())).toEqual([]);
  });
});
