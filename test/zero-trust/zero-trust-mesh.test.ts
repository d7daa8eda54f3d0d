import { ZeroTrustMesh } from '../../src';
import { findAll, findOne, synthValid, testChart } from '../support';
import { authorize } from '../support/semantics/istio-authorization';

describe('ZeroTrustMesh', () => {
  test('defaults: STRICT mTLS mesh-wide, exactly the reference PeerAuthentication', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    new ZeroTrustMesh(chart, 'zero-trust');

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    // the reference configuration, apart from v1beta1 -> v1
    expect(docs).toEqual([{
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'istio-system' },
      spec: { mtls: { mode: 'STRICT' } },
    }]);
  });

  test('all options: custom root namespace and mesh-wide deny by default', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const mesh = new ZeroTrustMesh(chart, 'zero-trust', { rootNamespace: 'mesh-root', denyAllByDefault: true });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(mesh.rootNamespace).toBe('mesh-root');
    expect(findOne(docs, 'PeerAuthentication', 'default').metadata.namespace).toBe('mesh-root');
    const deny = findOne(docs, 'AuthorizationPolicy', 'allow-nothing');
    expect(deny.apiVersion).toBe('security.istio.io/v1');
    expect(deny.metadata.namespace).toBe('mesh-root');
    // no rules and no selector: matches nothing, so every request in the mesh is denied
    expect(deny.spec ?? {}).toEqual({});
  });

  test('deny-all still lets users reach the ingress gateways, and nothing else of the root namespace', () => {
    // GIVEN a mesh-wide deny-all, which covers the gateway pods too (a root-namespace policy applies mesh-wide)
    const chart = testChart();
    new ZeroTrustMesh(chart, 'zero-trust', { denyAllByDefault: true, ingressGateways: ['ingressgateway', 'internal-gateway'] });

    // THEN users without a mesh identity reach each gateway; istiod and the rest stay closed
    const docs = synthValid(chart);
    const user = { port: 8080, method: 'GET', path: '/', sourceIp: '203.0.113.7' };
    const pod = (labels: Record<string, string>) => ({ namespace: 'istio-system', labels });
    expect(authorize(docs, pod({ app: 'istio-ingressgateway', istio: 'ingressgateway' }), user)).toBe(true);
    expect(authorize(docs, pod({ istio: 'internal-gateway' }), user)).toBe(true);
    expect(authorize(docs, pod({ app: 'istiod', istio: 'pilot' }), user)).toBe(false);
    // and every other workload of the mesh still needs an explicit allow
    expect(authorize(docs, { namespace: 'shop', labels: { app: 'web' } }, user)).toBe(false);
    expect(findOne(docs, 'AuthorizationPolicy', 'allow-ingressgateway').spec).toEqual({
      selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'ALLOW', rules: [{}],
    });
  });

  test('ingress gateways without deny-all, or that are not label values', () => {
    expect(() => new ZeroTrustMesh(testChart(), 'zero-trust', { ingressGateways: ['ingressgateway'] }))
      .toThrow('test/zero-trust: invalid ingressGateways ["ingressgateway"]: only applies with denyAllByDefault: true');
    expect(() => new ZeroTrustMesh(testChart(), 'zero-trust', { denyAllByDefault: true, ingressGateways: ['ingress gateway'] }))
      .toThrow('test/zero-trust: invalid ingressGateways ["ingress gateway"]: must list the values of the gateway pods\' "istio" label');
  });

  test('deny by default is off unless asked for', () => {
    const chart = testChart();
    const mesh = new ZeroTrustMesh(chart, 'zero-trust');
    expect(findAll(synthValid(chart), 'AuthorizationPolicy')).toEqual([]);
    expect(mesh.denyAll).toBeUndefined();
  });

  test('escape hatch: a JSON patch on the PeerAuthentication survives synth', () => {
    const chart = testChart();
    const mesh = new ZeroTrustMesh(chart, 'zero-trust');
    mesh.peerAuthentication.metadata.addLabel('team', 'platform');
    expect(findOne(synthValid(chart), 'PeerAuthentication').metadata.labels).toEqual({ team: 'platform' });
  });

  test('rejects a root namespace that is not an RFC 1123 label', () => {
    const chart = testChart();
    expect(() => new ZeroTrustMesh(chart, 'zero-trust', { rootNamespace: 'Istio_System' }))
      .toThrow('test/zero-trust: invalid rootNamespace "Istio_System": must be an RFC 1123 label');
  });
});
