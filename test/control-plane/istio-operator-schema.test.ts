// The hand-written IstioOperator schema (test/schemas) must be able to fail: istioctl decodes the
// IstioOperator with unknown fields disallowed, and the CRD would accept anything.
import { IstioControlPlane } from '../../src';
import { synthValid, testChart, validateDocuments } from '../support';

function referenceOperator(): any {
  const chart = testChart();
  new IstioControlPlane(chart, 'mesh', { name: 'coolvds-prod-mesh' });
  return synthValid(chart)[0];
}

describe('IstioOperator schema', () => {
  test('accepts the emitted IstioOperator', () => {
    expect(validateDocuments([referenceOperator()])).toEqual([]);
  });

  test.each([
    ['an unknown top-level key', (o: any) => { o.specs = {}; }, 'unknown field specs'],
    ['an unknown spec key', (o: any) => { o.spec.profiles = 'default'; }, 'unknown field spec.profiles'],
    ['an unknown component', (o: any) => { o.spec.components.pilots = {}; }, 'unknown field spec.components.pilots'],
    ['a removed component', (o: any) => { o.spec.components.telemetry = { enabled: false }; }, 'unknown field spec.components.telemetry'],
    ['an unknown component key', (o: any) => { o.spec.components.pilot.resources = {}; }, 'unknown field spec.components.pilot.resources'],
    ['an unknown gateway key', (o: any) => { o.spec.components.ingressGateways[0].labels = {}; },
      'unknown field spec.components.ingressGateways[0].labels'],
    ['an unknown k8s setting', (o: any) => { o.spec.components.pilot.k8s.replicas = 2; }, 'unknown field spec.components.pilot.k8s.replicas'],
    ['an unknown Service port key', (o: any) => { o.spec.components.ingressGateways[0].k8s.service.ports[0].target = 1; },
      'unknown field spec.components.ingressGateways[0].k8s.service.ports[0].target'],
    ['an unknown meshConfig key', (o: any) => { o.spec.meshConfig = { accessLogFiles: '/dev/stdout' }; }, 'unknown field spec.meshConfig.accessLogFiles'],
    ['an unknown outbound traffic policy key', (o: any) => { o.spec.meshConfig = { outboundTrafficPolicy: { policy: 'REGISTRY_ONLY' } }; },
      'unknown field spec.meshConfig.outboundTrafficPolicy.policy'],
    ['a malformed quantity', (o: any) => { o.spec.values.global.proxy.resources.limits.cpu = '2 cores'; },
      'spec.values.global.proxy.resources.limits.cpu must match pattern'],
    ['a revision that is not a DNS label', (o: any) => { o.spec.revision = '1.30'; }, 'spec.revision must match pattern'],
  ])('rejects %s', (_what, change, error) => {
    const operator = referenceOperator();
    change(operator);
    const errors = validateDocuments([operator]);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/^document #0 IstioOperator istio-system\/coolvds-prod-mesh against test\/schemas \(istio-operator\.schema\.json\)/);
    expect(errors.some(e => e.includes(error))).toBe(true);
  });
});
