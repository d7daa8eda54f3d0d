// MESH0009: a call the app declares that the emitted objects do not let through. The service graph
// writes what each call needs; a DENY policy, a patch or a hand-written object can undo it, and only
// the app knows the calls, so the check runs at synth (the CLI has no calls to judge).
import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { line } from './support';
import { CanaryService, MeshAnalysis, MeshWarnings, WarningMode, ZeroTrustNamespace } from '../../src';

/** web (frontend) -> checkout (orders), in a fresh app. */
function twoServices() {
  const app = Testing.app();
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  const chart = new Chart(app, 'test');
  const service = (name: string) => new CanaryService(chart, name, {
    namespace: new ZeroTrustNamespace(chart, `${name}-namespace`, { name: name === 'web' ? 'frontend' : 'orders' }),
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
