// MeshIngress into ambient namespaces: the gateway goes through the namespace's waypoint, which
// applies the service's own route (weights, header route, Flagger's route) to users' requests too,
// so the gateway's route sends to the Service, with either API; authorization lets the gateway
// through the waypoint on the exposed paths only. Each combination (Istio API or Gateway API, one
// version, a weighted canary, Flagger, Argo Rollouts) is followed through the gateway and the
// waypoint with the evaluators of test/support/semantics.
import { ApiObject, Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { INGRESS_GATEWAY_POD, image, synthAll } from './fixtures';
import {
  CanaryAnalysis, CanaryService, CanaryServiceProps, DataPlane, IngressApi, IngressTls, MeshAnalysis, MeshIngress, MeshWarnings,
  WarningMode, ZeroTrustMesh, ZeroTrustNamespace,
} from '../../src';
import { findAll, findOne, warningsOf } from '../support';
import { callDecisions, ServiceEnd, ztunnelAuthorize } from '../support/semantics/ambient';
import { afterWaypoints, Destination, gatewayApiRoute, GatewayOutcome, istioGatewayRoute, shares, waypointRoute } from '../support/semantics/gateway-routing';
import { connects } from '../support/semantics/network-policy';

const ISTIO_HTTPS = { tls: true, port: 8443 };
const GATEWAY_API_HTTPS = { tls: true, port: 443 };
const WAYPOINT = { namespace: 'frontend', gateway: 'waypoint' };
const WEB = 'web.frontend.svc.cluster.local';

/** The Istio-API gateway, and the gateway Istio deploys for the Gateway API's `shop` in istio-ingress, as callers. */
const ISTIO_GATEWAY: ServiceEnd = {
  ...INGRESS_GATEWAY_POD, principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account', ingressGateway: true, name: '', host: '', targetPort: 0,
};
const API_GATEWAY: ServiceEnd = {
  namespace: 'istio-ingress',
  labels: { 'gateway.networking.k8s.io/gateway-name': 'shop' },
  principal: 'cluster.local/ns/istio-ingress/sa/shop-istio',
  ingressGateway: true,
  name: '',
  host: '',
  targetPort: 0,
};

/**
 * `web` in the ambient namespace `frontend` (one pod per version, a 5s timeout, which gives it a
 * route of its own), calling `cart`, which is not exposed; `props` overrides web's.
 */
function ambientShop(props: Partial<CanaryServiceProps> = {}) {
  const app = Testing.app();
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  new ZeroTrustMesh(new Chart(app, 'mesh'), 'zero-trust');
  const chart = new Chart(app, 'shop');
  const frontend = new ZeroTrustNamespace(chart, 'frontend', { name: 'frontend', dataPlane: DataPlane.ambient(), rootNamespaceIngress: false });
  const web = new CanaryService(chart, 'web', {
    namespace: frontend, name: 'web', port: 8080, timeout: Duration.seconds(5), stable: { version: 'v1', image: image('web'), replicas: 1 }, ...props,
  });
  const cart = new CanaryService(chart, 'cart', { namespace: frontend, name: 'cart', port: 8080, stable: { version: 'v1', image: image('cart') } });
  web.calls(cart);
  return { app, chart, ingressChart: new Chart(app, 'ingress'), frontend, web, cart };
}

/** The pods of a service's Deployments, as the evaluators see them. */
function ends(docs: any[], name: string): ServiceEnd[] {
  return findAll(docs, 'Deployment').filter(d => d.metadata.namespace === 'frontend' && d.spec.template.metadata.labels.app === name).map(d => ({
    namespace: 'frontend',
    labels: d.spec.template.metadata.labels,
    principal: `cluster.local/ns/frontend/sa/${name}`,
    name,
    host: `${name}.frontend.svc.cluster.local`,
    targetPort: 8080,
  }));
}

/** The share of the users' requests each version's pods get, through the gateway and the waypoints on its way. */
function users(docs: any[], outcome: GatewayOutcome, path: string, headers?: Record<string, string>): Record<string, number> {
  if (outcome.kind !== 'route') throw new Error(`not routed: ${JSON.stringify(outcome)}`);
  return shares(docs, afterWaypoints(docs, outcome.destinations, { path, headers }));
}

/** The gateway's routes send to web's Service itself: no subset, no weight. */
function plainly(outcome: GatewayOutcome): Destination[] {
  expect(outcome).toMatchObject({ kind: 'route' });
  const destinations = (outcome as { destinations: Destination[] }).destinations;
  // (toEqual: no subset)
  expect(destinations).toEqual([{ host: WEB, port: 8080, weight: 100 }]);
  return destinations;
}

/**
 * The gateway reaches web through the waypoint on the exposed paths, nowhere else, and never its
 * pods directly (ztunnel admits only the waypoint); not cart, which it does not route to.
 */
function expectOnlyExposedPaths(docs: any[], gateway: ServiceEnd) {
  for (const pod of ends(docs, 'web')) {
    expect(callDecisions(docs, gateway, pod, 'GET', '/api/orders')).toMatchObject({ path: 'waypoint', network: true, waypoint: true, ztunnel: true, allowed: true });
    expect(callDecisions(docs, gateway, pod, 'POST', '/api')).toMatchObject({ path: 'waypoint', allowed: true });
    expect(callDecisions(docs, gateway, pod, 'GET', '/admin')).toMatchObject({ path: 'waypoint', waypoint: false, allowed: false });
    expect(ztunnelAuthorize(docs, pod, { principal: gateway.principal, namespace: gateway.namespace, port: 8080 })).toBe(false);
    expect(connects(docs, { from: gateway, to: pod, port: 15008 })).toBe(false);
  }
  for (const pod of ends(docs, 'cart')) {
    expect(callDecisions(docs, gateway, pod, 'GET', '/api/orders')).toMatchObject({ path: 'waypoint', waypoint: false, allowed: false });
  }
  // web still reaches cart through the waypoint
  expect(callDecisions(docs, ends(docs, 'web')[0], ends(docs, 'cart')[0], 'GET', '/')).toMatchObject({ path: 'waypoint', allowed: true });
}

describe('MeshIngress (Istio API) into an ambient namespace', () => {
  test('one version: the gateway goes through the waypoint, which applies web\'s route; the gateway\'s route names no subset', () => {
    // GIVEN web with one version, whose timeout gives it an HTTPRoute the waypoint applies
    const { app, ingressChart, web } = ambientShop();

    // WHEN
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });
    ingress.route('shop.example.com', web, { pathPrefix: '/api' });

    // THEN the route sends to the Service itself (ambient writes no DestinationRule subsets), with web's timeout and retries
    const docs = synthAll(app);
    expect(findOne(Testing.synth(ingressChart), 'VirtualService').spec.http).toEqual([{
      name: 'web-api',
      match: [{ uri: { exact: '/api' } }, { uri: { prefix: '/api/' } }],
      route: [{ destination: { host: WEB, port: { number: 8080 } } }],
      timeout: '5s',
      retries: { attempts: 2, retryOn: 'connect-failure,refused-stream,reset-before-request' },
    }]);
    // the namespace sends ingress gateways through its waypoint
    expect(findOne(docs, 'Namespace', 'frontend').metadata.labels).toMatchObject({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' });
    const routed = istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...ISTIO_HTTPS, host: 'shop.example.com', path: '/api/orders' });
    expect(waypointRoute(docs, plainly(routed)[0], { path: '/api/orders' })).toMatchObject({ waypoint: WAYPOINT, by: 'frontend/web', rule: 'primary' });
    expect(users(docs, routed, '/api/orders')).toEqual({ 'frontend/v1': 100 });
    expectOnlyExposedPaths(docs, ISTIO_GATEWAY);
    expect(MeshAnalysis.analyze(app)).toEqual([]);
    expect(warningsOf(app)).toEqual([]);
  });

  test('a weighted canary, its header route and mirroring: users get 90/10 and testers the canary, from the waypoint', () => {
    // GIVEN
    const { app, ingressChart, web } = ambientShop({
      canary: { version: 'v2', image: image('web', '1.1.0'), replicas: 1, weight: 10 },
      canaryHeader: { name: 'x-canary', value: 'always' },
      mirrorPercentage: 5,
    });

    // WHEN
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });
    ingress.route('shop.example.com', web, { pathPrefix: '/api' });

    // THEN the gateway's route carries no split: one plain route (the waypoint does the header route and mirroring)
    const docs = synthAll(app);
    const vs = findOne(Testing.synth(ingressChart), 'VirtualService');
    expect(vs.spec.http.map((r: any) => r.name)).toEqual(['web-api']);
    expect(vs.spec.http[0].mirror).toBeUndefined();
    const go = (headers?: Record<string, string>) => istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...ISTIO_HTTPS, host: 'shop.example.com', path: '/api/orders', headers });
    plainly(go());
    // without the waypoint, users would split by pod count, 50/50; through it they get the weights
    expect(shares(docs, (go() as any).destinations)).toEqual({ 'frontend/v1': 50, 'frontend/v2': 50 });
    expect(users(docs, go(), '/api/orders')).toEqual({ 'frontend/v1': 90, 'frontend/v2': 10 });
    expect(users(docs, go({ 'x-canary': 'always' }), '/api/orders', { 'x-canary': 'always' })).toEqual({ 'frontend/v2': 100 });
    expectOnlyExposedPaths(docs, ISTIO_GATEWAY);
    // MESH0010 knows the waypoint carries the split, IST0101 finds no subset to miss
    expect(MeshAnalysis.analyze(app)).toEqual([]);
  });

  test('a service without a route of its own, exposed at "/": no waypoint at all, ztunnel carries the gateway to the pods', () => {
    const { app, ingressChart, web } = ambientShop({ timeout: undefined });
    new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') }).route('shop.example.com', web);
    const docs = synthAll(app);
    expect(findAll(docs, 'Gateway').filter(g => g.apiVersion.startsWith('gateway.networking.k8s.io/'))).toEqual([]);
    expect(findOne(docs, 'Namespace', 'frontend').metadata.labels['istio.io/ingress-use-waypoint']).toBeUndefined();
    const routed = istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...ISTIO_HTTPS, host: 'shop.example.com', path: '/' });
    expect(waypointRoute(docs, plainly(routed)[0], { path: '/' })).toBeUndefined();
    expect(users(docs, routed, '/')).toEqual({ 'frontend/v1': 100 });
    expect(callDecisions(docs, ISTIO_GATEWAY, ends(docs, 'web')[0], 'GET', '/any')).toMatchObject({ path: 'ztunnel', network: true, ztunnel: true, allowed: true });
    expect(MeshAnalysis.analyze(app)).toEqual([]);
  });
});

describe('MeshIngress (Gateway API) into an ambient namespace', () => {
  const gatewayApi = (ingressChart: Chart) => new MeshIngress(ingressChart, 'shop', {
    name: 'shop', tls: IngressTls.fromSecret('shop-tls'), api: IngressApi.gatewayApi({ namespace: 'istio-ingress' }),
  });

  test('a weighted canary is exposed: the HTTPRoute sends to the Service, the waypoint splits 90/10', () => {
    // GIVEN
    const { app, ingressChart, web } = ambientShop({ canary: { version: 'v2', image: image('web', '1.1.0'), replicas: 1, weight: 10 } });

    // WHEN (refused in a sidecar namespace: an HTTPRoute cannot name subsets)
    gatewayApi(ingressChart).route('shop.example.com', web, { pathPrefix: '/api' });

    // THEN
    const docs = synthAll(app);
    expect(findOne(Testing.synth(ingressChart), 'HTTPRoute', 'shop-shop-example-com').spec.rules).toEqual([{
      matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
      backendRefs: [{ name: 'web', namespace: 'frontend', port: 8080 }],
      timeouts: { request: '5s' },
    }]);
    expect(findOne(docs, 'ReferenceGrant').spec.to).toEqual([{ group: '', kind: 'Service', name: 'web' }]);
    const routed = gatewayApiRoute(docs, { namespace: 'istio-ingress', name: 'shop' }, { ...GATEWAY_API_HTTPS, host: 'shop.example.com', path: '/api/cart' });
    plainly(routed);
    expect(users(docs, routed, '/api/cart')).toEqual({ 'frontend/v1': 90, 'frontend/v2': 10 });
    expectOnlyExposedPaths(docs, API_GATEWAY);
    expect(MeshAnalysis.analyze(app)).toEqual([]);
  });

  test('one version: through the waypoint too, since web has a route of its own', () => {
    const { app, ingressChart, web } = ambientShop();
    gatewayApi(ingressChart).route('shop.example.com', web, { pathPrefix: '/api' });
    const docs = synthAll(app);
    const routed = gatewayApiRoute(docs, { namespace: 'istio-ingress', name: 'shop' }, { ...GATEWAY_API_HTTPS, host: 'shop.example.com', path: '/api' });
    expect(waypointRoute(docs, plainly(routed)[0], { path: '/api' })).toMatchObject({ waypoint: WAYPOINT, by: 'frontend/web' });
    expect(users(docs, routed, '/api')).toEqual({ 'frontend/v1': 100 });
    expectOnlyExposedPaths(docs, API_GATEWAY);
    expect(MeshAnalysis.analyze(app)).toEqual([]);
  });
});

/**
 * The HTTPRoute Flagger's Gateway API provider writes from a Canary at one step of its analysis:
 * the Canary's `gatewayRefs` as parents, `hosts` as hostnames, the primary and canary Services
 * weighted, the timeout (Flagger 1.44 pkg/router/gateway_api.go).
 */
function flaggerHttpRoute(canary: any, canaryWeight: number) {
  const { name, port, gatewayRefs, hosts, timeout } = canary.spec.service;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: canary.metadata.namespace },
    spec: {
      parentRefs: gatewayRefs,
      hostnames: hosts,
      rules: [{
        backendRefs: [{ name: `${name}-primary`, port, weight: 100 - canaryWeight }, { name: `${name}-canary`, port, weight: canaryWeight }],
        timeouts: timeout ? { request: timeout } : undefined,
      }],
    },
  };
}

describe('progressive delivery in an ambient namespace, through the gateway', () => {
  const flaggerShop = () => ambientShop({ canary: { version: 'v2', image: image('web', '1.1.0') }, analysis: CanaryAnalysis.flagger() });

  test.each([
    ['Istio API', IngressApi.istio(), (docs: any[], path: string) => istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...ISTIO_HTTPS, host: 'shop.example.com', path })],
    ['Gateway API', IngressApi.gatewayApi({ namespace: 'istio-ingress' }),
      (docs: any[], path: string) => gatewayApiRoute(docs, { namespace: 'istio-ingress', name: 'shop' }, { ...GATEWAY_API_HTTPS, host: 'shop.example.com', path })],
  ])('Flagger (%s): the ingress writes its own route to the Service Flagger creates; the waypoint applies Flagger\'s route to users', (_name, api, go) => {
    // GIVEN
    const { app, ingressChart, web, cart } = flaggerShop();

    // WHEN web shares its host with cart under a path prefix (Flagger's Istio provider would own the host)
    const ingress = new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls'), api });
    ingress.route('shop.example.com', web, { pathPrefix: '/api' });
    ingress.route('shop.example.com', cart);

    // THEN the Canary binds no gateway: its HTTPRoute's parent is the Service, which the waypoint serves
    const docs = synthAll(app);
    const canary = findOne(docs, 'Canary');
    expect(canary.spec.provider).toBe('gatewayapi:v1');
    expect(canary.spec.service.gatewayRefs).toEqual([{ group: '', kind: 'Service', name: 'web', port: 8080 }]);
    expect(canary.spec.service.gateways).toBeUndefined();
    expect(canary.spec.service.hosts).toBeUndefined();
    expect(ingress.routeObject('shop.example.com')).toBeDefined();
    expect(findOne(docs, 'Namespace', 'frontend').metadata.labels).toMatchObject({ 'istio.io/ingress-use-waypoint': 'true' });
    // at a step of 20%, Flagger's route splits users' requests at the waypoint
    const withFlagger = [...docs, flaggerHttpRoute(canary, 20)];
    const routed = go(withFlagger, '/api/orders');
    plainly(routed);
    expect(afterWaypoints(withFlagger, (routed as any).destinations, { path: '/api/orders' })).toEqual([
      { host: 'web-primary.frontend.svc.cluster.local', port: 8080, weight: 80 },
      { host: 'web-canary.frontend.svc.cluster.local', port: 8080, weight: 20 },
    ]);
    // the gateway passes the waypoint on /api only, and ztunnel admits the waypoint, not the gateway
    const gateway = api.name === 'istio' ? ISTIO_GATEWAY : API_GATEWAY;
    const pod = ends(docs, 'web')[0];
    expect(callDecisions(docs, gateway, pod, 'GET', '/api/orders')).toMatchObject({ path: 'waypoint', allowed: true });
    expect(callDecisions(docs, gateway, pod, 'GET', '/admin')).toMatchObject({ path: 'waypoint', waypoint: false, allowed: false });
    expect(ztunnelAuthorize(docs, pod, { principal: gateway.principal, namespace: gateway.namespace, port: 8080 })).toBe(false);
    // the analysis stands in the Service Flagger creates, which the gateway's route names
    expect(MeshAnalysis.analyze(app)).toEqual([]);
  });

  test('Argo Rollouts: refused in an ambient namespace before any ingress can route to it', () => {
    expect(() => ambientShop({ canary: { version: 'v2', image: image('web', '1.1.0') }, analysis: CanaryAnalysis.argoRollouts() })).toThrow(
      'shop/web: invalid analysis "Argo Rollouts": cannot roll out service frontend/web in an ambient namespace: its routes are Gateway API HTTPRoutes, ' +
      'and this library does not configure Argo Rollouts\' Gateway API plugin; use CanaryAnalysis.flagger() (Flagger\'s Gateway API provider), or a sidecar namespace');
  });
});

describe('what the gateway cannot reach through the waypoint', () => {
  test('a service whose route the waypoint of a namespace the app only names applies: refused, the app cannot open that waypoint to the gateway', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop');
    const elsewhere = ZeroTrustNamespace.fromName(chart, 'frontend', 'frontend', { dataPlane: DataPlane.ambient() });
    const web = new CanaryService(chart, 'web', {
      namespace: elsewhere, name: 'web', port: 8080, stable: { version: 'v1', image: image('web') }, canary: { version: 'v2', image: image('web', '1.1.0'), weight: 10 },
    });
    const ingress = new MeshIngress(new Chart(app, 'ingress'), 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') });
    expect(() => ingress.route('shop.example.com', web)).toThrow(
      'ingress/shop: invalid route "service frontend/web": has its route applied by the waypoint of ambient namespace frontend, which the app does ' +
      'not create, and ingress gateways go through a waypoint only where istio.io/ingress-use-waypoint: "true" is on the namespace or the Service, ' +
      'which the app cannot know, so users could skip the route (its weights, its header route); create the namespace in the app (a ZeroTrustNamespace ' +
      'with DataPlane.ambient(), which gets the label), or expose a service without a route of its own');
    // one without a route of its own is fine: ztunnel carries the gateway to its pods
    const plain = new CanaryService(chart, 'api', { namespace: elsewhere, name: 'api', port: 8080, stable: { version: 'v1', image: image('api') } });
    ingress.route('api.example.com', plain);
    expect(findOne(Testing.synth(ingress.node.scope as Chart), 'VirtualService').spec.http[0].route).toEqual([{ destination: { host: 'api.frontend.svc.cluster.local', port: { number: 8080 } } }]);
  });

  test('a gateway that skips the waypoint (the label removed by hand) is an error naming the split it skips (MESH0010)', () => {
    const { app, ingressChart, web, frontend } = ambientShop({ canary: { version: 'v2', image: image('web', '1.1.0'), replicas: 1, weight: 10 } });
    new MeshIngress(ingressChart, 'shop', { name: 'shop', tls: IngressTls.fromSecret('shop-tls') }).route('shop.example.com', web, { pathPrefix: '/api' });
    ApiObject.of(frontend).addJsonPatch(JsonPatch.remove('/metadata/labels/istio.io~1ingress-use-waypoint'));
    const docs = app.node.findAll().filter(ApiObject.isApiObject).map(o => o.toJson());
    // the gateway then balances over every pod of the Service
    expect(users(docs, istioGatewayRoute(docs, INGRESS_GATEWAY_POD, { ...ISTIO_HTTPS, host: 'shop.example.com', path: '/api' }), '/api'))
      .toEqual({ 'frontend/v1': 50, 'frontend/v2': 50 });
    expect(() => app.synth()).toThrow('Error [MESH0010] (VirtualService istio-system/shop-shop-example-com ingress/shop/VirtualService-shop.example.com) ' +
      'HTTP route "web-api" sends to web.frontend.svc.cluster.local itself, not to its versions\' Services, past the waypoint that applies that split ' +
      '(the gateway uses it only with istio.io/ingress-use-waypoint: "true" on the Service or its namespace), but HTTPRoute frontend/web splits that ' +
      'host by weight for the mesh (web-v1.frontend.svc.cluster.local 90%, web-v2.frontend.svc.cluster.local 10%)');
  });
});
