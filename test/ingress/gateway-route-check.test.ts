// The whole-app checks of gateway routes on hand-written objects: a gateway route that skips the
// mesh's weights (Istio subsets, or per-version Services of a GAMMA HTTPRoute), and VirtualService
// hosts that their Gateway does not serve (istioctl IST0132), with what they accept.
import { ApiObject, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { ZeroTrustMesh } from '../../src';
import { testChart } from '../support';

const ISTIO = 'networking.istio.io/v1';
const GATEWAY_API = 'gateway.networking.k8s.io/v1';

/** A chart of the library (so the whole-app checks run) with the given objects. */
function app(objects: Array<[string, any]>) {
  const chart = testChart();
  new ZeroTrustMesh(chart, 'zero-trust');
  for (const [id, o] of objects) new ApiObject(chart as Construct, id, o);
  return () => Testing.synth(chart);
}

const meshSplit = ['split', {
  apiVersion: ISTIO,
  kind: 'VirtualService',
  metadata: { name: 'pay', namespace: 'payments' },
  spec: { hosts: ['pay'], http: [{ route: [{ destination: { host: 'pay', subset: 'v1' }, weight: 90 }, { destination: { host: 'pay', subset: 'v2' }, weight: 10 }] }] },
}] as [string, any];

const gateway = (hosts: string[]) => ['gateway', {
  apiVersion: ISTIO,
  kind: 'Gateway',
  metadata: { name: 'public', namespace: 'istio-system' },
  spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 8443, name: 'https', protocol: 'HTTPS' }, hosts, tls: { mode: 'SIMPLE', credentialName: 'tls' } }] },
}] as [string, any];

const gatewayRoute = (http: any[], gateways = ['istio-system/public'], hosts = ['pay.example.com']) => ['route', {
  apiVersion: ISTIO, kind: 'VirtualService', metadata: { name: 'pay-public', namespace: 'istio-system' }, spec: { hosts, gateways, http },
}] as [string, any];

const to = (subset?: string, weight?: number) => ({ destination: { host: 'pay.payments.svc.cluster.local', subset }, weight });

describe('gateway routes and the mesh\'s weights', () => {
  test('a gateway route without the subsets is an error naming both', () => {
    expect(app([meshSplit, gateway(['pay.example.com']), gatewayRoute([{ route: [to()] }])])).toThrow(
      'test/route: invalid gateway route to "pay.payments.svc.cluster.local": test/split splits this host by weight (v1 90%, v2 10%) for the mesh, but VirtualService istio-system/pay-public sends to it without the same subsets and weights');
  });

  test('other weights are an error too', () => {
    expect(app([meshSplit, gateway(['pay.example.com']), gatewayRoute([{ route: [to('v1', 50), to('v2', 50)] }])])).toThrow('without the same subsets and weights');
  });

  test('the same split, and a header route to one of its subsets, are fine; so is a route to another host', () => {
    app([meshSplit, gateway(['pay.example.com']), gatewayRoute([
      { match: [{ headers: { 'x-canary': { exact: 'always' } } }], route: [to('v2')] },
      { route: [to('v1', 90), to('v2', 10)] },
      { route: [{ destination: { host: 'web.frontend.svc.cluster.local' } }] },
    ])])();
  });

  test('a VirtualService of the mesh only is no gateway route', () => {
    app([meshSplit, ['other', { ...gatewayRoute([{ route: [to()] }])[1], spec: { hosts: ['pay.payments.svc.cluster.local'], http: [{ route: [to()] }] } }]])();
  });

  test('the routes of a delegate count, in its own namespace', () => {
    expect(app([meshSplit, gateway(['pay.example.com']), gatewayRoute([{ delegate: { name: 'pay-delegate', namespace: 'payments' } }]),
      ['delegate', { apiVersion: ISTIO, kind: 'VirtualService', metadata: { name: 'pay-delegate', namespace: 'payments' }, spec: { http: [{ route: [{ destination: { host: 'pay' } }] }] } }]])).toThrow('test/route: invalid gateway route to "pay.payments.svc.cluster.local"');
  });

  const gamma = ['gamma', {
    apiVersion: GATEWAY_API,
    kind: 'HTTPRoute',
    metadata: { name: 'pay', namespace: 'payments' },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'pay', port: 8080 }], rules: [{ backendRefs: [{ name: 'pay-v1', port: 8080, weight: 95 }, { name: 'pay-v2', port: 8080, weight: 5 }] }] },
  }] as [string, any];
  const gatewayHttpRoute = (backendRefs: any[]) => ['edge', {
    apiVersion: GATEWAY_API,
    kind: 'HTTPRoute',
    metadata: { name: 'pay-edge', namespace: 'payments' },
    spec: { parentRefs: [{ name: 'public', namespace: 'istio-ingress' }], rules: [{ backendRefs }] },
  }] as [string, any];

  test('a mesh split by per-version Services (a GAMMA HTTPRoute): a gateway HTTPRoute to the Service itself is an error', () => {
    expect(app([gamma, gatewayHttpRoute([{ name: 'pay', port: 8080 }])])).toThrow(
      'test/edge: invalid gateway route to "pay.payments.svc.cluster.local": test/gamma splits this host by weight (pay-v1.payments.svc.cluster.local 95%, pay-v2.payments.svc.cluster.local 5%) for the mesh, but HTTPRoute payments/pay-edge sends to the Service itself, not to its versions\' Services');
    app([gamma, gatewayHttpRoute([{ name: 'pay-v1', port: 8080, weight: 95 }, { name: 'pay-v2', port: 8080, weight: 5 }])])();
  });

  test('a gateway VirtualService to a host split by per-version Services is an error', () => {
    expect(app([gamma, gateway(['pay.example.com']), gatewayRoute([{ route: [to()] }])])).toThrow('sends to the Service itself');
  });

  test('a gateway HTTPRoute to a host split by subsets is an error', () => {
    expect(app([meshSplit, gatewayHttpRoute([{ name: 'pay', port: 8080 }])])).toThrow(
      'HTTPRoute payments/pay-edge sends to its Service, and an HTTPRoute cannot name a DestinationRule subset');
  });
});

describe('VirtualService hosts their Gateway does not serve (IST0132)', () => {
  test('a gateway-only VirtualService: every host must be served', () => {
    expect(app([gateway(['*/shop.example.com']), gatewayRoute([], ['public'], ['shop.example.com', 'www.example.com'])])).toThrow(
      'test/route: invalid hosts ["www.example.com"]: VirtualService istio-system/pay-public is bound to Gateway istio-system/public (test/gateway), which serves no such host to namespace istio-system');
  });

  test('wildcards on either side match, as Istio\'s hosts overlap', () => {
    app([gateway(['*.example.com']), gatewayRoute([], ['istio-system/public'], ['shop.example.com'])])();
    app([gateway(['shop.example.com']), gatewayRoute([], ['istio-system/public'], ['*.example.com'])])();
  });

  test('bound to the mesh too: an error only when no host is served, as istioctl reports it', () => {
    app([gateway(['shop.example.com']), gatewayRoute([], ['mesh', 'public.istio-system.svc.cluster.local'], ['shop.example.com', 'web'])])();
    expect(app([gateway(['shop.example.com']), gatewayRoute([], ['mesh', 'public.istio-system.svc.cluster.local'], ['web'])])).toThrow('invalid hosts ["web"]');
  });

  test('a Gateway in no namespace of the app is not checked', () => {
    app([gatewayRoute([], ['elsewhere/public'], ['shop.example.com'])])();
  });

  test('a Flagger Canary\'s service.hosts must be served by its service.gateways', () => {
    const canary = (hosts: string[]) => ['canary', {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'pay', namespace: 'payments' },
      spec: { service: { port: 8080, gateways: ['mesh', 'istio-system/public'], hosts } },
    }] as [string, any];
    app([gateway(['payments/pay.example.com']), canary(['pay.example.com'])])();
    expect(app([gateway(['istio-system/pay.example.com']), canary(['pay.example.com'])])).toThrow(
      'test/canary: invalid hosts ["pay.example.com"]: Canary payments/pay is bound to Gateway istio-system/public');
  });
});
