// The Gateway-API example (examples/gateway-api.ts, dist/manifests/gateway-api/): the reference's
// ingress as a Gateway of class istio and HTTPRoutes. Every document validates strictly against the
// Gateway API 1.6.1 and cert-manager CRDs; users reach web over HTTPS, HTTP is redirected, and the
// gateway Istio deploys for the Gateway is the one caller web admits.
import { expectValidDocuments, findAll, findOne } from './support';
import { gatewayApiApp } from '../examples/gateway-api';
import { synthExample } from './support/examples';
import { gatewayApiRoute } from './support/semantics/gateway-routing';
import { authorize } from './support/semantics/istio-authorization';
import { connects } from './support/semantics/network-policy';

const { files, texts, warnings } = synthExample(gatewayApiApp);
const all = Object.values(files).flat();

test('one file per chart, every document valid, no warning', () => {
  expect(Object.keys(files)).toEqual(['frontend.k8s.yaml', 'ingress.k8s.yaml', 'mesh.k8s.yaml']);
  for (const docs of Object.values(files)) expectValidDocuments(docs);
  expect(warnings).toBe(0);
  expect(files['ingress.k8s.yaml'].map(d => `${d.apiVersion} ${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
    'cert-manager.io/v1 Certificate istio-system/shop-tls',
    'gateway.networking.k8s.io/v1 Gateway istio-system/shop',
    'gateway.networking.k8s.io/v1 HTTPRoute istio-system/shop-https-redirect',
    'gateway.networking.k8s.io/v1 HTTPRoute istio-system/shop-shop-example-com',
    'gateway.networking.k8s.io/v1 ReferenceGrant frontend/istio-system-shop',
  ]);
});

test('the Gateway: class istio, HTTPS on 443 with the certificate, HTTP on 80', () => {
  const gateway = findOne(all, 'Gateway');
  expect(gateway.spec.gatewayClassName).toBe('istio');
  expect(gateway.spec.listeners.map((l: any) => [l.name, l.protocol, l.port, l.hostname, l.tls?.certificateRefs?.[0]?.name])).toEqual([
    ['https-shop-example-com', 'HTTPS', 443, 'shop.example.com', 'shop-tls'],
    ['http-shop-example-com', 'HTTP', 80, 'shop.example.com', undefined],
  ]);
  expect(findOne(all, 'Certificate').metadata.namespace).toBe(gateway.metadata.namespace);
});

test('users reach web over HTTPS, with its timeout; HTTP is redirected', () => {
  const gateway = { namespace: 'istio-system', name: 'shop' };
  expect(gatewayApiRoute(all, gateway, { tls: true, port: 443, host: 'shop.example.com', path: '/cart' })).toEqual({
    kind: 'route', by: 'istio-system/shop-shop-example-com', destinations: [{ host: 'web.frontend.svc.cluster.local', port: 8080, weight: 100 }],
  });
  expect(gatewayApiRoute(all, gateway, { tls: false, port: 80, host: 'shop.example.com', path: '/cart' }))
    .toEqual({ kind: 'redirect', location: 'https://shop.example.com/cart', status: 301 });
  expect(findOne(all, 'HTTPRoute', 'shop-shop-example-com').spec.rules[0].timeouts).toEqual({ request: '5s' });
});

test('web admits the gateway Istio deploys for the Gateway, and nothing else', () => {
  const web = findOne(all, 'Deployment', 'web-v1').spec.template.metadata.labels;
  const to = { namespace: 'frontend', labels: web };
  const gateway = { namespace: 'istio-system', labels: { 'gateway.networking.k8s.io/gateway-name': 'shop' } };
  expect(authorize(all, to, { principal: 'cluster.local/ns/istio-system/sa/shop-istio', namespace: 'istio-system', port: 8080, method: 'GET', path: '/' })).toBe(true);
  expect(connects(all, { from: gateway, to, port: 8080 })).toBe(true);
  // the istioctl gateway is not the caller here
  expect(authorize(all, to, {
    principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account', namespace: 'istio-system', port: 8080, method: 'GET', path: '/',
  })).toBe(false);
  expect(connects(all, { from: { namespace: 'istio-system', labels: { istio: 'ingressgateway' } }, to, port: 8080 })).toBe(false);
  expect(findAll(all, 'AuthorizationPolicy').filter(p => p.metadata.name === 'web')).toHaveLength(1);
});

test('two synths are byte-identical', () => {
  expect(synthExample(gatewayApiApp).texts).toEqual(texts);
});
