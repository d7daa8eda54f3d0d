// MESH0009: a call the app declares that the emitted objects do not let through. The service graph
// writes what each call needs; a DENY policy, a patch or a hand-written object can undo it, and only
// the app knows the calls, so the check runs at synth (the CLI has no calls to judge).
import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { line } from './support';
import { CanaryService, DataPlane, MeshAnalysis, MeshWarnings, WarningMode, ZeroTrustNamespace } from '../../src';

/** web (frontend) -> checkout (orders), in a fresh app; both namespaces on `dataPlane`. */
function twoServices(dataPlane?: DataPlane) {
  const app = Testing.app();
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  const chart = new Chart(app, 'test');
  const service = (name: string) => new CanaryService(chart, name, {
    namespace: new ZeroTrustNamespace(chart, `${name}-namespace`, { name: name === 'web' ? 'frontend' : 'orders', dataPlane }),
    name,
    port: 8080,
    stable: { version: 'v1', image: `registry.example.com/${name}:1.0.0` },
  });
  const web = service('web');
  const checkout = service('checkout');
  web.calls(checkout, { methods: ['POST'] });
  const calls = () => MeshAnalysis.analyze(app).filter(m => m.code === 'MESH0009').map(line);
  return { app, chart, web, checkout, calls };
}

test('the service graph\'s own objects let every declared call through', () => {
  expect(twoServices().calls()).toEqual([]);
});

test('a DENY policy added by hand breaks the call at the authorization layer: an error of the synth', () => {
  // GIVEN
  const { chart, calls } = twoServices();
  new ApiObject(chart, 'no-frontend', {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'no-frontend', namespace: 'orders' },
    spec: { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['frontend'] } }] }] },
  });

  // THEN
  const message = 'Error [MESH0009] (AuthorizationPolicy orders/no-frontend) The declared call ' +
    'service frontend/web -> service orders/checkout is not allowed by the AuthorizationPolicies of orders (port 8080, POST /); ' +
    'remove or narrow the policy that denies it, or declare the call as it is made';
  expect(calls()).toEqual([message]);
  // at synth, the line names the construct that wrote the object too
  expect(() => Testing.synth(chart)).toThrow(message.replace('orders/no-frontend)', 'orders/no-frontend test/no-frontend)'));
});

test('a patch that drops the callee\'s ingress breaks the call at the NetworkPolicy layer', () => {
  const { checkout, calls } = twoServices();
  ApiObject.of(checkout.node.findChild('NetworkPolicy')).addJsonPatch(JsonPatch.remove('/spec/ingress'));
  expect(calls()).toEqual(['Error [MESH0009] (NetworkPolicy orders/checkout) The declared call ' +
    'service frontend/web -> service orders/checkout is not allowed by the NetworkPolicies of frontend and orders (TCP 8080); ' +
    'let the caller\'s pods reach the callee\'s on that port (egress and ingress)']);
});

test('a caller\'s Sidecar without the callee\'s host breaks the call at the proxy', () => {
  const { web, calls } = twoServices();
  ApiObject.of(web.node.findChild('Sidecar')).addJsonPatch(JsonPatch.replace('/spec/egress/0/hosts', ['istio-system/*']));
  expect(calls()).toEqual(['Error [MESH0009] (Sidecar frontend/web) The declared call service frontend/web -> ' +
    'service orders/checkout is not allowed by the Sidecar of the caller, whose egress hosts leave out ' +
    'orders/checkout.orders.svc.cluster.local; list the host in its egress hosts']);
});

describe('in ambient namespaces, the call is judged along its path: waypoint, then the callee\'s ztunnel', () => {
  test('the service graph\'s own objects let the call through the waypoint', () => {
    expect(twoServices(DataPlane.ambient()).calls()).toEqual([]);
  });

  test('a DENY policy attached to the callee\'s Service is the waypoint\'s: it breaks the call', () => {
    // GIVEN
    const { chart, calls } = twoServices(DataPlane.ambient());
    new ApiObject(chart, 'no-post', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'no-post', namespace: 'orders' },
      spec: { targetRefs: [{ kind: 'Service', group: '', name: 'checkout' }], action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'] } }] }] },
    });

    // THEN
    expect(calls()).toEqual([expect.stringContaining('(AuthorizationPolicy orders/no-post) The declared call service frontend/web -> service orders/checkout ' +
      'is not allowed by the AuthorizationPolicies of orders attached to the waypoint waypoint (port 8080, POST /)')]);
  });

  test('a selector policy that admits the caller itself, not the waypoint, is refused by the callee\'s ztunnel', () => {
    // GIVEN: the callee's ztunnel sees the waypoint's identity, so this policy shuts the waypoint out
    const { checkout, calls } = twoServices(DataPlane.ambient());
    ApiObject.of(checkout.node.findChild('AuthorizationPolicy')).addJsonPatch(
      JsonPatch.replace('/spec/rules', [{ from: [{ source: { principals: ['cluster.local/ns/frontend/sa/web'] } }] }]));

    // THEN
    expect(calls()).toEqual([expect.stringContaining('is not allowed by the AuthorizationPolicies of orders as the ' +
      'callee\'s ztunnel enforces them (from the waypoint waypoint, port 8080, POST /)')]);
  });

  test('NetworkPolicies are judged on each hop, on HBONE\'s port 15008', () => {
    const { checkout, calls } = twoServices(DataPlane.ambient());
    ApiObject.of(checkout.node.findChild('NetworkPolicy')).addJsonPatch(JsonPatch.remove('/spec/ingress'));
    expect(calls()).toEqual([expect.stringContaining('is not allowed by the NetworkPolicies of orders ' +
      '(TCP 15008, on the way through the waypoint waypoint)')]);
  });
});
