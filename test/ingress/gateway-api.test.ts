// MeshIngress in the Gateway API: a Gateway of class istio with a listener per host and protocol,
// HTTPRoutes, the HTTP redirect, ReferenceGrants, the gateway Istio deploys as the caller, and the
// combinations it refuses.
import { Duration, JsonPatch, Testing } from 'cdk8s';
import { image, shop, synthAll } from './fixtures';
import { CanaryAnalysis, IngressApi, IngressTls, MeshIngress, MeshWorkload, ZeroTrustNamespace } from '../../src';
import { findAll, findOne } from '../support';
import { gatewayApiRoute } from '../support/semantics/gateway-routing';
import { authorize } from '../support/semantics/istio-authorization';
import { connects } from '../support/semantics/network-policy';

const GATEWAY = { namespace: 'istio-ingress', name: 'shop' };

function exposed() {
  const s = shop();
  const ingress = new MeshIngress(s.ingressChart, 'shop', {
    name: 'shop',
    tls: IngressTls.fromClusterIssuer('letsencrypt'),
    api: IngressApi.gatewayApi({ namespace: 'istio-ingress' }),
  });
  ingress.route('shop.example.com', s.web);
  ingress.route('shop.example.com', s.checkout, { pathPrefix: '/api', timeout: Duration.millis(123_456) });
  return { ...s, ingress };
}

describe('MeshIngress (Gateway API)', () => {
  test('a Gateway of class istio: an HTTPS and an HTTP listener per host, routes from its own namespace only', () => {
    const { app, ingressChart, ingress } = exposed();
    synthAll(app);
    const own = Testing.synth(ingressChart);
    expect(own).toMatchSnapshot();
    expect(own.map(d => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      'Certificate/istio-ingress/shop-tls',
      'Gateway/istio-ingress/shop',
      'HTTPRoute/istio-ingress/shop-https-redirect',
      'HTTPRoute/istio-ingress/shop-shop-example-com',
      'ReferenceGrant/frontend/istio-ingress-shop',
      'ReferenceGrant/orders/istio-ingress-shop',
    ]);
    const gateway = findOne(own, 'Gateway');
    expect(gateway.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gateway.spec).toEqual({
      gatewayClassName: 'istio',
      listeners: [
        {
          name: 'https-shop-example-com',
          hostname: 'shop.example.com',
          port: 443,
          protocol: 'HTTPS',
          tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'shop-tls' }] },
          allowedRoutes: { namespaces: { from: 'Same' } },
        },
        { name: 'http-shop-example-com', hostname: 'shop.example.com', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } },
      ],
    });
    expect(ingress.api.name).toBe('gateway-api');
    expect(ingress.namespace).toBe('istio-ingress');
    expect(ingress.routeObject('shop.example.com')?.kind).toBe('HTTPRoute');
  });

  test('an HTTPRoute per host: path prefixes to the services\' ports, the timeout as a Gateway API duration', () => {
    const { ingressChart } = exposed();
    const route = findOne(Testing.synth(ingressChart), 'HTTPRoute', 'shop-shop-example-com');
    expect(route.spec).toEqual({
      parentRefs: [{ name: 'shop', sectionName: 'https-shop-example-com' }],
      hostnames: ['shop.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
          backendRefs: [{ name: 'checkout', namespace: 'orders', port: 80 }],
          // at most 5 digits per unit (GEP-2257)
          timeouts: { request: '2m3s456ms' },
        },
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'web', namespace: 'frontend', port: 8080 }], timeouts: { request: '5s' } },
      ],
    });
  });

  test('HTTP is redirected to HTTPS; HTTPS reaches the services, granted by a ReferenceGrant per namespace', () => {
    const { app } = exposed();
    const docs = synthAll(app);
    expect(gatewayApiRoute(docs, GATEWAY, { tls: false, port: 80, host: 'shop.example.com', path: '/cart' }))
      .toEqual({ kind: 'redirect', location: 'https://shop.example.com/cart', status: 301 });
    expect(gatewayApiRoute(docs, GATEWAY, { tls: true, port: 443, host: 'shop.example.com', path: '/api/orders' })).toEqual({
      kind: 'route', by: 'istio-ingress/shop-shop-example-com', destinations: [{ host: 'checkout.orders.svc.cluster.local', port: 80, weight: 100 }],
    });
    expect(gatewayApiRoute(docs, GATEWAY, { tls: true, port: 443, host: 'shop.example.com', path: '/' }))
      .toMatchObject({ destinations: [{ host: 'web.frontend.svc.cluster.local', port: 8080 }] });
    expect(findAll(docs, 'ReferenceGrant').find(g => g.metadata.namespace === 'frontend').spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'istio-ingress' }],
      to: [{ group: '', kind: 'Service', name: 'web' }],
    });
  });

  test('the gateway Istio deploys for the Gateway (<name>-istio) is the caller of the exposed services', () => {
    const { app } = exposed();
    const docs = synthAll(app);
    const gateway = { namespace: 'istio-ingress', labels: { 'gateway.networking.k8s.io/gateway-name': 'shop' } };
    const principal = 'cluster.local/ns/istio-ingress/sa/shop-istio';
    const web = findOne(docs, 'Deployment', 'web-v1').spec.template.metadata.labels;
    expect(authorize(docs, { namespace: 'frontend', labels: web }, { principal, namespace: 'istio-ingress', port: 8080, method: 'GET', path: '/' })).toBe(true);
    expect(connects(docs, { from: gateway, to: { namespace: 'frontend', labels: web }, port: 8080 })).toBe(true);
    const payment = findAll(docs, 'Deployment').find(d => d.metadata.namespace === 'payments')!.spec.template.metadata.labels;
    expect(authorize(docs, { namespace: 'payments', labels: payment }, { principal, namespace: 'istio-ingress', port: 8080, method: 'GET', path: '/' })).toBe(false);
  });

  test('HTTPS only, on other listener ports: the redirect names the HTTPS port', () => {
    const { app, ingressChart, web } = shop();
    const ingress = new MeshIngress(ingressChart, 'shop', {
      name: 'shop', tls: IngressTls.fromSecret('shop-tls'), api: IngressApi.gatewayApi({ gatewayClassName: 'istio' }), httpsPort: 8443, httpPort: 8080,
    });
    ingress.route('shop.example.com', web);
    const docs = synthAll(app);
    expect(findOne(docs, 'HTTPRoute', 'shop-https-redirect').spec.rules[0].filters[0].requestRedirect).toEqual({ scheme: 'https', port: 8443, statusCode: 301 });
    expect(gatewayApiRoute(docs, { namespace: 'istio-system', name: 'shop' }, { tls: false, port: 8080, host: 'shop.example.com', path: '/' }))
      .toMatchObject({ location: 'https://shop.example.com:8443/' });
    // the web Service is in another namespace than the Gateway: istio-system by default
    expect(findOne(docs, 'Gateway').metadata.namespace).toBe('istio-system');
  });

  test('a route of the Gateway\'s own namespace needs no ReferenceGrant, and without the redirect there is no HTTP listener', () => {
    const { app, ingressChart, chart } = shop();
    const status = MeshWorkload.fromService(chart, 'status', {
      namespace: ZeroTrustNamespace.fromName(chart, 'istio-ingress', 'istio-ingress'), serviceName: 'status', port: 8080,
    });
    const ingress = new MeshIngress(ingressChart, 'shop', {
      name: 'shop', tls: IngressTls.fromSecret('shop-tls'), api: IngressApi.gatewayApi({ namespace: 'istio-ingress' }), httpsRedirect: false,
    });
    ingress.route('status.example.com', status);
    const own = Testing.synth(ingressChart);
    expect(findOne(own, 'Gateway').spec.listeners.map((l: any) => l.protocol)).toEqual(['HTTPS']);
    expect(own.map(d => d.kind)).toEqual(['Gateway', 'HTTPRoute']);
    expect(findOne(own, 'HTTPRoute').spec.rules[0].backendRefs).toEqual([{ name: 'status', port: 8080 }]);
    synthAll(app);
  });

  test('a gateway route to a canaried host written by hand in the Gateway API is an error naming both', () => {
    const { app, ingressChart, web } = shop();
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls'), api: IngressApi.gatewayApi() });
    ingress.route('shop.example.com', web);
    ingress.routeObject('shop.example.com')!.addJsonPatch(JsonPatch.replace('/spec/rules/0/backendRefs/0', { name: 'payment-service', namespace: 'payments', port: 8080 }));
    expect(() => app.synth()).toThrow('Error [MESH0010] (HTTPRoute istio-system/shop-shop-example-com ingress/shop/HttpRoute-shop.example.com) rule #0 ' +
      'sends to payment-service.payments.svc.cluster.local as a Service, and an HTTPRoute cannot name a DestinationRule subset, but VirtualService ' +
      'payments/payment-service splits that host by weight for the mesh (v1 95%, v2 5%)');
  });
});

describe('bad input (Gateway API)', () => {
  const gatewayApi = (s: ReturnType<typeof shop>) => new MeshIngress(s.ingressChart, 'shop', {
    name: 'shop', tls: IngressTls.fromSecret('shop-tls'), api: IngressApi.gatewayApi(),
  });

  test('a CanaryService split by weight: refused, with why and how', () => {
    const s = shop();
    expect(() => gatewayApi(s).route('pay.example.com', s.payment)).toThrow(
      'ingress/shop: invalid route "pay.example.com/": goes to service payments/payment-service, whose versions are split by weight, and an HTTPRoute can only weight Services, ' +
      'not a DestinationRule\'s subsets, so the gateway would split by pod count instead; expose it with IngressApi.istio(), whose routes carry the split, ' +
      'or run the service in a DataPlane.ambient() namespace, whose waypoint splits the gateway\'s requests too');
  });

  test.each([
    ['Flagger', CanaryAnalysis.flagger(), 'split by weight by flagger'],
    ['Argo Rollouts', CanaryAnalysis.argoRollouts(), 'split by weight by argo-rollouts'],
  ])('a CanaryService rolled out by %s: refused', (_name, analysis, message) => {
    const s = shop({ canary: undefined, stable: { version: 'v1', image: image('payment') }, analysis });
    expect(() => gatewayApi(s).route('pay.example.com', s.payment)).toThrow(message);
  });

  test('a CanaryService with one version is fine', () => {
    const s = shop({ canary: undefined });
    gatewayApi(s).route('pay.example.com', s.payment);
    expect(findAll(synthAll(s.app), 'HTTPRoute')).toHaveLength(2);
  });

  test('retries, which the standard HTTPRoute cannot carry', () => {
    const s = shop();
    expect(() => gatewayApi(s).route('shop.example.com', s.web, { retries: { attempts: 1 } })).toThrow(
      'ingress/shop: invalid retries {"attempts":1}: cannot be written in the Gateway API\'s standard HTTPRoute, which has no retry policy');
  });

  test('a zero-trust namespace for the Gateway', () => {
    const s = shop();
    expect(() => new MeshIngress(s.ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls'), api: IngressApi.gatewayApi({ namespace: 'frontend' }) }))
      .toThrow('ingress/shop: invalid namespace "frontend": is a zero-trust namespace, whose deny-by-default policies would select the gateway Istio deploys there');
  });

  test('more than 16 path prefixes of a host', () => {
    const s = shop();
    const ingress = gatewayApi(s);
    for (let i = 0; i < 16; i++) ingress.route('shop.example.com', s.web, { pathPrefix: `/p${i}` });
    expect(() => ingress.route('shop.example.com', s.web, { pathPrefix: '/p16' })).toThrow('invalid route "shop.example.com/p16": would be rule 17 of the HTTPRoute of host "shop.example.com", above the Gateway API\'s 16');
  });

  test('more hosts than a Gateway has listeners', () => {
    const s = shop();
    const ingress = gatewayApi(s);
    for (let i = 0; i < 32; i++) ingress.route(`h${i}.example.com`, s.web);
    expect(() => ingress.route('h32.example.com', s.web)).toThrow('invalid host "h32.example.com": would need 66 listeners, above the Gateway API\'s 64');
  });
});
