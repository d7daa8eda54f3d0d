// MeshIngress with Istio's API: the Gateway on the gateway's pod ports, a VirtualService per host,
// TLS, the gateway in the service graph, canaries that keep their weights, and every check.
import { ApiObject, Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { INGRESS_GATEWAY_POD, image, shop, synthAll } from './fixtures';
import {
  CanaryAnalysis, CanaryService, IngressApi, IngressGateway, IngressTls, IstioControlPlane, MeshAnalysis, MeshIngress, MeshWorkload,
  ZeroTrustNamespace,
} from '../../src';
import { findAll, findOne, warningsOf } from '../support';
import { istioGatewayRoute, shares } from '../support/semantics/gateway-routing';
import { authorize } from '../support/semantics/istio-authorization';
import { connects } from '../support/semantics/network-policy';

const HTTPS = { tls: true, port: 8443 };

describe('MeshIngress (Istio API)', () => {
  test('defaults: a Gateway on the strategy\'s gateway, HTTPS with the Secret, HTTP redirected; a VirtualService of the host', () => {
    // GIVEN
    const { app, ingressChart, web } = shop();

    // WHEN
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });
    ingress.route('shop.example.com', web);

    // THEN
    const docs = synthAll(app);
    const own = Testing.synth(ingressChart);
    expect(own).toMatchSnapshot();
    expect(own.map(d => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      'Gateway/istio-system/shop',
      'VirtualService/istio-system/shop-shop-example-com',
    ]);
    const gateway = findOne(docs, 'Gateway');
    expect(gateway.apiVersion).toBe('networking.istio.io/v1');
    expect(gateway.spec.selector).toEqual({ istio: 'ingressgateway' });
    // the pod ports behind 443 and 80 (istioctl IST0162 compares servers with the Service's target ports)
    expect(gateway.spec.servers).toEqual([
      {
        name: 'https',
        port: { number: 8443, name: 'https', protocol: 'HTTPS' },
        hosts: ['istio-system/shop.example.com'],
        tls: { mode: 'SIMPLE', credentialName: 'shop-tls' },
      },
      { name: 'http', port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['istio-system/shop.example.com'], tls: { httpsRedirect: true } },
    ]);
    const vs = findOne(own, 'VirtualService');
    expect(vs.spec.hosts).toEqual(['shop.example.com']);
    expect(vs.spec.gateways).toEqual(['istio-system/shop']);
    // web's own route: its timeout and retries, its subset
    expect(vs.spec.http).toEqual([{
      name: 'web',
      match: [{ uri: { prefix: '/' } }],
      route: [{ destination: { host: 'web.frontend.svc.cluster.local', port: { number: 8080 }, subset: 'v1' }, weight: 100 }],
      timeout: '5s',
      retries: { attempts: 2, retryOn: 'connect-failure,refused-stream,reset-before-request' },
    }]);
    expect(ingress.hosts).toEqual(['shop.example.com']);
    expect(ingress.namespace).toBe('istio-system');
    expect(ingress.secretName).toBe('shop-tls');
    expect(ingress.certificate).toBeUndefined();
    expect(ingress.routeObject('shop.example.com')?.kind).toBe('VirtualService');
    expect(warningsOf(app)).toEqual([]);
    // the analysis checks the servers against the gateway's Service, which stands in with its ports
    expect(MeshAnalysis.analyze(app)).toEqual([]);
  });

  test('all options: an internal gateway of the control plane, cert-manager, other ports, path prefixes, timeouts and retries', () => {
    // GIVEN
    const { app, ingressChart, web, checkout } = shop();
    const controlPlane = new IstioControlPlane(new Chart(app, 'istio'), 'control-plane');
    controlPlane.addIngressGateway({
      name: 'internal-gateway',
      internal: true,
      labels: { istio: 'internal-gateway' },
      ports: [{ port: 8443, targetPort: 9443, name: 'https' }, { port: 80, targetPort: 9080, name: 'http2' }],
    });

    // WHEN
    const ingress = new MeshIngress(ingressChart, 'internal', {
      name: 'internal',
      tls: IngressTls.fromIssuer('internal-ca', { secretName: 'internal-shop-tls' }),
      api: IngressApi.istio(IngressGateway.fromControlPlane(controlPlane, 'internal-gateway')),
      httpsRedirect: false,
      httpsPort: 8443,
      httpPort: 80,
    });
    ingress.route('shop.internal.example.com', web, { pathPrefix: '/', timeout: Duration.seconds(10), retries: { attempts: 1 } });
    ingress.route('shop.internal.example.com', checkout, { pathPrefix: '/api/' });

    // THEN
    const docs = synthAll(app);
    const own = Testing.synth(ingressChart);
    expect(own).toMatchSnapshot();
    const gateway = findOne(own, 'Gateway');
    expect(gateway.spec.selector).toEqual({ istio: 'internal-gateway' });
    // HTTPS only: no HTTP server without the redirect
    expect(gateway.spec.servers).toEqual([{
      name: 'https',
      port: { number: 9443, name: 'https', protocol: 'HTTPS' },
      hosts: ['istio-system/shop.internal.example.com'],
      tls: { mode: 'SIMPLE', credentialName: 'internal-shop-tls' },
    }]);
    expect(findOne(own, 'Certificate')).toEqual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: {
        name: 'internal-shop-tls',
        namespace: 'istio-system',
        labels: { 'app.kubernetes.io/name': 'internal', 'app.kubernetes.io/component': 'ingress', 'app.kubernetes.io/managed-by': 'cdk8s-mesh' },
      },
      spec: {
        secretName: 'internal-shop-tls',
        dnsNames: ['shop.internal.example.com'],
        issuerRef: { group: 'cert-manager.io', kind: 'Issuer', name: 'internal-ca' },
      },
    });
    const [api, root] = findOne(own, 'VirtualService').spec.http;
    // the most specific prefix first, by whole segments; the trailing "/" dropped
    expect(api).toMatchObject({ name: 'checkout-api', match: [{ uri: { exact: '/api' } }, { uri: { prefix: '/api/' } }], timeout: '3s', retries: { attempts: 0 } });
    expect(api.route).toEqual([{ destination: { host: 'checkout.orders.svc.cluster.local', port: { number: 80 }, subset: 'v1' }, weight: 100 }]);
    expect(root).toMatchObject({ name: 'web', timeout: '10s', retries: { attempts: 1, retryOn: 'connect-failure,refused-stream,reset-before-request' } });
    // the internal gateway's identity is the caller
    const checkoutPolicy = findOne(docs, 'AuthorizationPolicy', 'checkout');
    expect(checkoutPolicy.spec.rules).toContainEqual({
      from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/internal-gateway-service-account'] } }],
      to: [{ operation: { ports: ['8080'], paths: ['/api', '/api/*'] } }],
    });
  });

  test('a gateway deployed by other means, by its attributes', () => {
    const { app, ingressChart, web } = shop();
    const ingress = new MeshIngress(ingressChart, 'shop', {
      name: 'shop',
      tls: IngressTls.fromSecret('shop-tls'),
      api: IngressApi.istio(IngressGateway.fromAttributes({
        name: 'edge',
        namespace: 'edge',
        podLabels: { app: 'edge' },
        ports: [{ port: 80, targetPort: 8080, name: 'http' }, { port: 443, targetPort: 8443, name: 'https' }],
      })),
    });
    ingress.route('shop.example.com', web);
    const docs = synthAll(app);
    expect(findOne(docs, 'Gateway').metadata.namespace).toBe('edge');
    expect(MeshAnalysis.analyze(app).map(m => m.code)).toEqual([]);
    expect(findOne(docs, 'Gateway').spec.selector).toEqual({ app: 'edge' });
    expect(findOne(docs, 'AuthorizationPolicy', 'web').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/edge/sa/edge-service-account']);
    expect(findOne(docs, 'NetworkPolicy', 'web').spec.ingress[0].from).toEqual([{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } }, podSelector: { matchLabels: { app: 'edge' } },
    }]);
  });

  test('routes through the gateway: HTTPS reaches the service, HTTP is redirected, the most specific prefix wins', () => {
    const { app, ingressChart, web, checkout } = shop();
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });
    ingress.route('shop.example.com', web);
    ingress.route('shop.example.com', checkout, { pathPrefix: '/api' });
    const docs = synthAll(app);
    const go = (path: string) => istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...HTTPS, host: 'shop.example.com', path });
    expect(go('/')).toMatchObject({ kind: 'route', destinations: [{ host: 'web.frontend.svc.cluster.local', port: 8080 }] });
    expect(go('/api/orders')).toMatchObject({ destinations: [{ host: 'checkout.orders.svc.cluster.local', port: 80 }] });
    expect(go('/apiary')).toMatchObject({ destinations: [{ host: 'web.frontend.svc.cluster.local' }] });
    expect(istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { tls: false, port: 8080, host: 'shop.example.com', path: '/api' }))
      .toEqual({ kind: 'redirect', location: 'https://shop.example.com/api', status: 301 });
    expect(go.length).toBe(1);
    expect(istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...HTTPS, host: 'other.example.com', path: '/' })).toMatchObject({ kind: 'none' });
  });

  test('the service graph: the gateway reaches exactly the exposed services, on their ports and path prefixes, at every layer', () => {
    // GIVEN web at "/", checkout at "/api"; payment-service is not exposed
    const { app, ingressChart, web, checkout } = shop();
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });
    ingress.route('shop.example.com', web);
    ingress.route('shop.example.com', checkout, { pathPrefix: '/api' });
    const docs = synthAll(app);

    // THEN the gateway's identity and pods, against each service's pods and container port
    const gateway = { ...INGRESS_GATEWAY_POD, principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account' };
    const pods = (ns: string, name: string) => findAll(docs, 'Deployment').filter(d => d.metadata.namespace === ns && d.spec.template.metadata.labels.app === name)
      .map(d => ({ namespace: ns, labels: d.spec.template.metadata.labels }));
    const reach = (ns: string, appName: string, port: number, path: string) => pods(ns, appName).map(pod => [
      authorize(docs, pod, { principal: gateway.principal, namespace: 'istio-system', port, method: 'GET', path }),
      connects(docs, { from: gateway, to: pod, port }),
    ]);
    expect(reach('frontend', 'web', 8080, '/')).toEqual([[true, true]]);
    expect(reach('orders', 'checkout', 8080, '/api/orders')).toEqual([[true, true]]);
    expect(reach('orders', 'checkout', 8080, '/api')).toEqual([[true, true]]);
    // outside the route's prefix, and on another port, checkout refuses the gateway
    expect(reach('orders', 'checkout', 8080, '/admin')).toEqual([[false, true]]);
    expect(reach('orders', 'checkout', 9090, '/api')).toEqual([[false, false]]);
    expect(reach('payments', 'payment-service', 8080, '/')).toEqual([[false, false], [false, false]]);
  });

  test('a service deployed by other means: a route to its Service, the library\'s default retries, no timeout', () => {
    const { app, ingressChart, namespaces } = shop();
    const legacy = MeshWorkload.fromService(ingressChart, 'legacy', { namespace: namespaces.orders, serviceName: 'legacy', port: 80, targetPort: 8000 });
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });
    ingress.route('legacy.example.com', legacy);
    const docs = synthAll(app);
    expect(findOne(docs, 'VirtualService', 'shop-legacy-example-com').spec.http).toEqual([{
      name: 'legacy',
      match: [{ uri: { prefix: '/' } }],
      route: [{ destination: { host: 'legacy.orders.svc.cluster.local', port: { number: 80 } } }],
      retries: { attempts: 2, retryOn: 'connect-failure,refused-stream,reset-before-request' },
    }]);
    expect(findOne(docs, 'AuthorizationPolicy', 'legacy').spec.rules[0].to).toEqual([{ operation: { ports: ['8000'] } }]);
  });

  test('a gateway caller the app declared is reused, and the same call is not declared twice', () => {
    const { app, ingressChart, web } = shop();
    MeshWorkload.ingressGateway(ingressChart, 'gateway').calls(web, { ports: [8080] });
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });
    ingress.route('shop.example.com', web);
    ingress.route('www.example.com', web);
    const docs = synthAll(app);
    expect(findOne(docs, 'AuthorizationPolicy', 'web').spec.rules).toHaveLength(1);
  });

  test('two ingresses on one gateway: one Gateway each, the hosts apart', () => {
    const { app, ingressChart, web, checkout } = shop();
    new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') }).route('shop.example.com', web);
    new MeshIngress(ingressChart, 'api', { name: 'api', tls: IngressTls.fromSecret('api-tls') }).route('api.example.com', checkout);
    const docs = synthAll(app);
    expect(findAll(docs, 'Gateway').map(g => g.spec.servers[0].hosts)).toEqual([['istio-system/shop.example.com'], ['istio-system/api.example.com']]);
  });
});

describe('canaries keep their weights through the gateway (issue 18)', () => {
  test('a static split: the gateway route carries the subsets and weights, so users get 95/5, not the pod count', () => {
    // GIVEN the strategy's 95/5 canary, one pod per version
    const { app, ingressChart, payment } = shop({ canaryHeader: { name: 'x-canary', value: 'always' }, mirrorPercentage: 10 });
    const ingress = new MeshIngress(ingressChart, 'pay', { name: 'pay', tls: IngressTls.fromSecret('pay-tls') });

    // WHEN it is exposed under a path prefix
    ingress.route('shop.example.com', payment, { pathPrefix: '/pay' });

    // THEN the header route first, then the weighted route, each under the path match
    const docs = synthAll(app);
    const [header, primary] = findOne(Testing.synth(ingressChart), 'VirtualService').spec.http;
    const host = 'payment-service.payments.svc.cluster.local';
    expect(header).toMatchObject({
      name: 'payment-service-pay-canary-header',
      match: [
        { uri: { exact: '/pay' }, headers: { 'x-canary': { exact: 'always' } } },
        { uri: { prefix: '/pay/' }, headers: { 'x-canary': { exact: 'always' } } },
      ],
      route: [{ destination: { host, port: { number: 8080 }, subset: 'v2' } }],
    });
    expect(primary).toMatchObject({
      name: 'payment-service-pay',
      route: [
        { destination: { host, port: { number: 8080 }, subset: 'v1' }, weight: 95 },
        { destination: { host, port: { number: 8080 }, subset: 'v2' }, weight: 5 },
      ],
      mirror: { host, port: { number: 8080 }, subset: 'v2' },
      mirrorPercentage: { value: 10 },
    });
    const request = (headers?: Record<string, string>) => istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...HTTPS, host: 'shop.example.com', path: '/pay/now', headers });
    const routed = request();
    expect(routed.kind === 'route' && shares(docs, routed.destinations)).toEqual({ 'payments/v1': 95, 'payments/v2': 5 });
    const tester = request({ 'x-canary': 'always' });
    expect(tester.kind === 'route' && shares(docs, tester.destinations)).toEqual({ 'payments/v2': 100 });
  });

  test('a gateway route without the split is an error naming both, and would send half the users to the one-pod canary', () => {
    // GIVEN a hand-written gateway route to the canaried host
    const { app, ingressChart, payment } = shop();
    const ingress = new MeshIngress(ingressChart, 'pay', { name: 'pay', tls: IngressTls.fromSecret('pay-tls') });
    ingress.route('pay.example.com', payment);
    const vs = ingress.routeObject('pay.example.com')!;
    vs.addJsonPatch(JsonPatch.replace('/spec/http/0/route', [{ destination: { host: 'payment-service.payments.svc.cluster.local' } }]));

    // THEN the evaluator sees the pod-count split, and the synth refuses it
    const docs = app.node.findAll().filter(ApiObject.isApiObject).map(o => o.toJson());
    const routed = istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...HTTPS, host: 'pay.example.com', path: '/' });
    expect(routed.kind === 'route' && shares(docs, routed.destinations)).toEqual({ 'payments/v1': 50, 'payments/v2': 50 });
    expect(() => app.synth()).toThrow('Error [MESH0010] (VirtualService istio-system/pay-pay-example-com ingress/pay/VirtualService-pay.example.com) ' +
      'HTTP route "payment-service" sends to payment-service.payments.svc.cluster.local without the same subsets and weights, but VirtualService ' +
      'payments/payment-service splits that host by weight for the mesh (v1 95%, v2 5%); a gateway applies only its own routes, so it balances ' +
      'over every pod of the Service instead');
  });

  test('Flagger: its Canary binds its own VirtualService to the Gateway, which serves the host to its namespace; the ingress writes no route', () => {
    // GIVEN
    const { app, ingressChart, payment } = shop({ canary: undefined, stable: { version: 'v1', image: image('payment') }, analysis: CanaryAnalysis.flagger() });
    const ingress = new MeshIngress(ingressChart, 'pay', { name: 'pay', tls: IngressTls.fromSecret('pay-tls') });

    // WHEN
    ingress.route('pay.example.com', payment);

    // THEN
    const docs = synthAll(app);
    const canary = findOne(docs, 'Canary');
    expect(canary.spec.service.gateways).toEqual(['mesh', 'istio-system/pay']);
    expect(canary.spec.service.hosts).toEqual(['pay.example.com']);
    expect(findAll(Testing.synth(ingressChart), 'VirtualService')).toEqual([]);
    expect(findOne(docs, 'Gateway').spec.servers[0].hosts).toEqual(['payments/pay.example.com']);
    expect(ingress.routeObject('pay.example.com')).toBeUndefined();
  });

  test('Flagger: without a gateway route, the Canary names no gateway', () => {
    const { app } = shop({ canary: undefined, stable: { version: 'v1', image: image('payment') }, analysis: CanaryAnalysis.flagger() });
    const canary = findOne(synthAll(app), 'Canary');
    expect(canary.spec.service.gateways).toBeUndefined();
    expect(canary.spec.service.hosts).toBeUndefined();
  });

  test('Flagger owns every path of its host', () => {
    const { ingressChart, payment, web } = shop({ canary: undefined, stable: { version: 'v1', image: image('payment') }, analysis: CanaryAnalysis.flagger() });
    const ingress = new MeshIngress(ingressChart, 'pay', { name: 'pay', tls: IngressTls.fromSecret('pay-tls') });
    expect(() => ingress.route('pay.example.com', payment, { pathPrefix: '/pay' })).toThrow(
      'ingress/pay: invalid route "pay.example.com/pay": Flagger writes the VirtualService of service payments/payment-service itself, for every path of the host it is given, so it must be the only route of host "pay.example.com", at "/"');
    ingress.route('shop.example.com', web, { pathPrefix: '/web' });
    expect(() => ingress.route('shop.example.com', payment)).toThrow('it must be the only route of host "shop.example.com"');
    ingress.route('pay.example.com', payment);
    expect(() => ingress.route('pay.example.com', web, { pathPrefix: '/web' })).toThrow('it must be the only route of host "pay.example.com"');
    expect(() => ingress.route('pay2.example.com', payment, { timeout: Duration.seconds(1) })).toThrow(
      'invalid route timeout "pay2.example.com/": Flagger writes the VirtualService of service payments/payment-service itself, for every path of the host it is given, with the CanaryService\'s own timeout and retries; set them on the CanaryService');
  });

  test('Argo Rollouts: the route is delegated beside the service, and the Rollout weights it with the service\'s own', () => {
    // GIVEN
    const { app, ingressChart, payment, web } = shop({
      canary: { version: 'v2', image: image('payment', '1.5.0') }, canaryHeader: { name: 'x-canary', value: 'always' }, analysis: CanaryAnalysis.argoRollouts(),
    });
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });

    // WHEN
    ingress.route('shop.example.com', web);
    ingress.route('shop.example.com', payment, { pathPrefix: '/pay' });

    // THEN the host's VirtualService delegates the path
    const docs = synthAll(app);
    const own = Testing.synth(ingressChart);
    const root = findOne(own, 'VirtualService', 'shop-shop-example-com');
    expect(root.spec.http[0]).toEqual({
      name: 'payment-service-pay',
      match: [{ uri: { exact: '/pay' } }, { uri: { prefix: '/pay/' } }],
      delegate: { name: 'shop-shop-example-com-pay', namespace: 'payments' },
    });
    // the delegate routes to the DestinationRule's host as written, the only one Argo Rollouts patches
    const delegate = findOne(own, 'VirtualService', 'shop-shop-example-com-pay');
    expect(delegate.metadata.namespace).toBe('payments');
    expect(delegate.spec.hosts).toBeUndefined();
    expect(delegate.spec.gateways).toBeUndefined();
    expect(delegate.spec.http.map((r: any) => r.name)).toEqual(['canary-header', 'primary']);
    expect(delegate.spec.http[1].route).toEqual([
      { destination: { host: 'payment-service', port: { number: 8080 }, subset: 'stable' }, weight: 100 },
      { destination: { host: 'payment-service', port: { number: 8080 }, subset: 'canary' }, weight: 0 },
    ]);
    expect(findOne(docs, 'DestinationRule', 'payment-service').spec.host).toBe('payment-service');
    expect(findOne(docs, 'Rollout').spec.strategy.canary.trafficRouting.istio).toEqual({
      virtualServices: [
        { name: 'payment-service', routes: ['primary'] },
        { name: 'shop-shop-example-com-pay', routes: ['primary'] },
      ],
      destinationRule: { name: 'payment-service', stableSubsetName: 'stable', canarySubsetName: 'canary' },
    });
    // users follow the delegate to the stable subset at rest, testers to the canary
    const go = (headers?: Record<string, string>) => istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...HTTPS, host: 'shop.example.com', path: '/pay', headers });
    expect(go()).toMatchObject({ by: 'payments/shop-shop-example-com-pay', route: 'primary' });
    expect(go({ 'x-canary': 'always' })).toMatchObject({ route: 'canary-header', destinations: [{ subset: 'canary' }] });
  });

  test('Argo Rollouts: without a gateway route, the Rollout names its own VirtualService only', () => {
    const { app } = shop({ canary: { version: 'v2', image: image('payment', '1.5.0') }, analysis: CanaryAnalysis.argoRollouts() });
    expect(findOne(synthAll(app), 'Rollout').spec.strategy.canary.trafficRouting.istio.virtualService).toEqual({ name: 'payment-service', routes: ['primary'] });
  });
});

describe('bad input', () => {
  const ingressOf = () => {
    const s = shop();
    return { ...s, ingress: new MeshIngress(s.ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') }) };
  };

  test.each([
    'Shop.example.com', 'shop', '*', 'shop.*.com', '*shop.example.com', '10.0.0.1', 'shop.example.com:443', 'https://shop.example.com', '',
  ])('an invalid host or wildcard: %j', host => {
    const { ingress, web } = ingressOf();
    expect(() => ingress.route(host, web)).toThrow(`ingress/shop: invalid host ${JSON.stringify(host)}: must be a fully qualified DNS name in lowercase (e.g. "shop.example.com"), or "*." followed by one (e.g. "*.example.com")`);
  });

  test('a wildcard host is fine', () => {
    const { ingress, web, app } = ingressOf();
    ingress.route('*.example.com', web);
    expect(findOne(synthAll(app), 'Gateway').spec.servers[0].hosts).toEqual(['istio-system/*.example.com']);
  });

  test.each(['api', '/api//v1', '/api/*', '/api?x=1', '/a/../b', '/%2f'])('an invalid path prefix: %j', prefix => {
    const { ingress, web } = ingressOf();
    expect(() => ingress.route('shop.example.com', web, { pathPrefix: prefix })).toThrow(`ingress/shop: invalid pathPrefix ${JSON.stringify(prefix)}: must be an absolute path`);
  });

  test('two routes claiming the same host and path', () => {
    const { ingress, web, checkout } = ingressOf();
    ingress.route('shop.example.com', web, { pathPrefix: '/api' });
    expect(() => ingress.route('shop.example.com', checkout, { pathPrefix: '/api/' })).toThrow(
      'ingress/shop: invalid route "shop.example.com/api": is already routed to service frontend/web; each host and path prefix goes to one service: remove one of the routes or give it another pathPrefix');
  });

  test('two ingresses claiming one host on one gateway', () => {
    const { ingress, ingressChart, web } = ingressOf();
    ingress.route('shop.example.com', web);
    const other = new MeshIngress(ingressChart, 'other', { name: 'other', tls: IngressTls.fromSecret('other-tls') });
    expect(() => other.route('shop.example.com', web)).toThrow(
      'ingress/other: invalid host "shop.example.com": is already served through gateway istio-system/istio-ingressgateway by ingress/shop; add this route to that MeshIngress');
  });

  test('a port the gateway Service does not expose (IST0162)', () => {
    const { ingressChart } = shop();
    expect(() => new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls'), httpsPort: 8443, httpsRedirect: false })).toThrow(
      'ingress/shop: invalid httpsPort 8443: is not a TCP port of the Service of gateway istio-system/istio-ingressgateway (it has 15021, 80, 443), so no traffic would reach the Gateway server (istioctl IST0162 GatewayPortNotDefinedOnService); use one of its ports, or add the port to the gateway');
    expect(() => new MeshIngress(ingressChart, 'shop2', { name: 'shop', tls: IngressTls.fromSecret('shop-tls'), httpPort: 8080 })).toThrow(
      'invalid httpPort 8080: is not a TCP port of the Service');
  });

  test('a redirect to HTTPS on another port than 443', () => {
    const { app, ingressChart } = shop();
    const cp = new IstioControlPlane(new Chart(app, 'istio'), 'cp', { ingressGateways: [{ ports: [{ port: 80, targetPort: 8080, name: 'http2' }, { port: 8443, targetPort: 8443, name: 'https' }] }] });
    expect(() => new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls'), api: IngressApi.istio(IngressGateway.fromControlPlane(cp)), httpsPort: 8443 }))
      .toThrow('ingress/shop: invalid httpsPort 8443: is not 443, where the HTTP server\'s redirect (tls.httpsRedirect) sends clients; serve HTTPS on Service port 443, or set httpsRedirect: false');
  });

  test('a host missing from the Gateway that a VirtualService uses (IST0132)', () => {
    const { app, ingress, web } = ingressOf();
    ingress.route('shop.example.com', web);
    ingress.routeObject('shop.example.com')!.addJsonPatch(JsonPatch.add('/spec/hosts/-', 'www.example.com'));
    expect(() => app.synth()).toThrow('[ingress/shop] invalid hosts ["www.example.com"]: VirtualService istio-system/shop-shop-example-com is bound to ' +
      'Gateway istio-system/shop, which serves no such host to namespace istio-system, so the gateway never routes them (istioctl IST0132 ' +
      'VirtualServiceHostNotFoundInGateway); route each host with route(), or remove it from the VirtualService');
  });

  test('a Gateway host of another namespace is missing too (IST0132)', () => {
    const { app, ingress, web } = ingressOf();
    ingress.route('shop.example.com', web);
    ingress.gateway.addJsonPatch(JsonPatch.replace('/spec/servers/0/hosts', ['frontend/shop.example.com']), JsonPatch.replace('/spec/servers/1/hosts', ['frontend/shop.example.com']));
    expect(() => app.synth()).toThrow('invalid hosts ["shop.example.com"]: VirtualService istio-system/shop-shop-example-com is bound to Gateway istio-system/shop');
  });

  test.each([
    [IngressTls.fromSecret('Shop_TLS'), 'invalid tls secretName "Shop_TLS": must be a Secret name'],
    [IngressTls.fromClusterIssuer('letsencrypt', { secretName: 'shop tls' }), 'invalid tls secretName "shop tls": must be a Secret name'],
    [IngressTls.fromIssuer('CA!'), 'invalid tls Issuer name "CA!": must be an RFC 1123 subdomain'],
  ])('a Secret or issuer name that is not a valid name: %#', (tls, message) => {
    const { ingressChart } = shop();
    expect(() => new MeshIngress(ingressChart, 'shop', { name: 'shop', tls })).toThrow(`ingress/shop: ${message}`);
  });

  test('an invalid ingress name', () => {
    const { ingressChart } = shop();
    expect(() => new MeshIngress(ingressChart, 'shop', { name: 'Shop', tls: IngressTls.fromSecret('shop-tls') })).toThrow('ingress/shop: invalid name "Shop": must be an RFC 1123 label');
  });

  test('an ingress without routes', () => {
    const { app, ingressChart } = shop();
    new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });
    expect(() => app.synth()).toThrow('[ingress/shop] invalid routes []: an ingress needs at least one route; add one with route()');
  });

  test('a service that is not in the graph, or speaks TCP', () => {
    const { ingress, chart, namespaces } = ingressOf();
    const tcp = new CanaryService(chart, 'db', { namespace: namespaces.orders, name: 'db', port: 5432, protocol: undefined, portName: 'tcp-postgres', stable: { version: 'v1', image: image('db') } });
    expect(() => ingress.route('db.example.com', tcp)).toThrow('ingress/shop: invalid route "service orders/db": speaks TCP on port 5432, which an HTTP route cannot reach');
    const other = new Chart(Testing.app(), 'other');
    const stranger = new CanaryService(other, 'web', {
      namespace: ZeroTrustNamespace.fromName(other, 'elsewhere', 'elsewhere'), name: 'web', port: 80, stable: { version: 'v1', image: image('web') },
    });
    expect(() => ingress.route('web.example.com', stranger)).toThrow('ingress/shop: invalid route service "other/web": is not a service of this app\'s service graph');
  });

  test('a gateway that is not in the control plane, or not enabled', () => {
    const { app, ingressChart } = shop();
    const cp = new IstioControlPlane(new Chart(app, 'istio'), 'cp', { ingressGateways: [{ enabled: false }] });
    expect(() => new MeshIngress(ingressChart, 'a', { name: 'a', tls: IngressTls.fromSecret('a'), api: IngressApi.istio(IngressGateway.fromControlPlane(cp, 'internal')) }))
      .toThrow('ingress/a: invalid gateway "internal": is no ingress gateway of istio/cp (it has "istio-ingressgateway"); add it with addIngressGateway() first, or fix the name');
    expect(() => new MeshIngress(ingressChart, 'b', { name: 'b', tls: IngressTls.fromSecret('b'), api: IngressApi.istio(IngressGateway.fromControlPlane(cp)) }))
      .toThrow('ingress/b: invalid gateway "istio-ingressgateway": is not enabled in istio/cp');
  });
});
