// Revisions and revision tags across the app: a namespace follows a tag with one label, and a label
// no control plane answers to fails synthesis (Istio docs, "Canary upgrades", "Revision tags").
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { IstioControlPlane, IstioControlPlaneProps, IstioDelivery, MeshWarnings, WarningMode } from '../../src';
import { findOne, synthValid } from '../support';

/** An app with control planes (each in a chart of its own) and namespaces labelled `istio.io/rev`. */
function appWith(controlPlanes: IstioControlPlaneProps[], namespaces: Record<string, string>): { app: App; charts: Chart[] } {
  const app = Testing.app();
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  const charts = controlPlanes.map((props, i) => {
    const chart = new Chart(app, `istio-${i}`);
    new IstioControlPlane(chart, 'control-plane', { name: `mesh-${i}`, ingressGateways: [], ...props });
    return chart;
  });
  const apps = new Chart(app, 'apps');
  for (const [name, rev] of Object.entries(namespaces)) {
    new ApiObject(apps, name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio.io/rev': rev } } });
  }
  return { app, charts: [...charts, apps] };
}

const STABLE: IstioControlPlaneProps = { revision: 'istiod-1-29', revisionTags: ['prod-stable'], delivery: IstioDelivery.argoCd({ clusterComponents: false }) };
const CANARY: IstioControlPlaneProps = { revision: 'istiod-1-30', revisionTags: ['prod-canary'], delivery: IstioDelivery.argoCd() };

describe('revision tags', () => {
  test('namespaces follow a tag; moving the tag moves them, the namespaces unchanged', () => {
    // GIVEN two revisions side by side, payments on prod-stable and checkout on prod-canary
    const before = appWith([STABLE, CANARY], { payments: 'prod-stable', checkout: 'prod-canary' });
    const [stable] = before.charts.map(c => synthValid(c));
    expect(findOne(stable, 'Application').spec.source.helm.valuesObject.revisionTags).toEqual(['prod-stable']);

    // WHEN prod-stable moves to the new revision (one line: which control plane lists the tag)
    const after = appWith([{ ...STABLE, revisionTags: [] }, { ...CANARY, revisionTags: ['prod-stable', 'prod-canary'] }],
      { payments: 'prod-stable', checkout: 'prod-canary' });

    // THEN the new istiod writes both tags' webhooks, and the old one none
    const [oldDocs, newDocs] = after.charts.map(c => synthValid(c));
    expect(findOne(oldDocs, 'Application').spec.source.helm.valuesObject.revisionTags).toBeUndefined();
    expect(findOne(newDocs, 'Application', 'istiod-istiod-1-30').spec.source.helm.valuesObject.revisionTags).toEqual(['prod-stable', 'prod-canary']);
  });

  test('a namespace may select a revision by name, or the default revision', () => {
    const { charts } = appWith([STABLE, {}], { payments: 'istiod-1-29', legacy: 'default' });
    expect(() => charts.forEach(c => synthValid(c))).not.toThrow();
  });

  test('an app without a control plane checks nothing: its control plane may live elsewhere', () => {
    const { charts } = appWith([], { payments: 'prod-stable' });
    expect(() => synthValid(charts[0])).not.toThrow();
  });

  test('istioctl: the tags are the user\'s to set with istioctl tag set, and still known to the app', () => {
    const { charts } = appWith([{ revision: 'istiod-1-30', revisionTags: ['prod-stable'] }], { payments: 'prod-stable' });
    const [operator] = synthValid(charts[0]);
    expect(operator.kind).toBe('IstioOperator');
    expect(JSON.stringify(operator)).not.toContain('prod-stable');
    expect(() => synthValid(charts[1])).not.toThrow();
  });

  describe('bad input', () => {
    test('a namespace that selects an unknown tag', () => {
      const { charts } = appWith([STABLE, CANARY], { payments: 'prod-stabel' });
      expect(() => synthValid(charts[2])).toThrow(
        'apps/payments: invalid namespace "payments" label istio.io/rev "prod-stabel": no IstioControlPlane of this app has this ' +
        'revision or revision tag, so no webhook would inject its pods; use one of "istiod-1-29" (revision), "prod-stable" (tag of istiod-1-29), ' +
        '"istiod-1-30" (revision), "prod-canary" (tag of istiod-1-30), or add it to the revisionTags of the control plane it should follow');
    });

    test('one tag on two control planes', () => {
      const { charts } = appWith([STABLE, { ...CANARY, revisionTags: ['prod-stable'] }], {});
      expect(() => synthValid(charts[0])).toThrow(
        'istio-1/control-plane: invalid revision tag "prod-stable": istio-0/control-plane already answers to istio.io/rev "prod-stable" ' +
        '(tag of istiod-1-29); a revision or tag selects exactly one control plane, so move it rather than copy it');
    });

    test('one revision on two control planes', () => {
      const { charts } = appWith([{ revision: 'istiod-1-30' }, { revision: 'istiod-1-30' }], {});
      expect(() => synthValid(charts[0])).toThrow('istio-1/control-plane: invalid revision "istiod-1-30": istio-0/control-plane already answers to istio.io/rev "istiod-1-30"');
    });

    test.each<[string, IstioControlPlaneProps, string]>([
      ['a tag that is not a DNS label', { revisionTags: ['Prod_Stable'] }, 'invalid revisionTags[0] "Prod_Stable": must be an RFC 1123 label'],
      ['a tag named like the revision', { revision: 'canary', revisionTags: ['canary'] }, 'invalid revisionTags[0] "canary": is the revision itself'],
      ['a tag listed twice', { revisionTags: ['prod', 'prod'] }, 'invalid revisionTags[1] "prod": is listed twice'],
    ])('rejects %s', (_rule, props, message) => {
      expect(() => new IstioControlPlane(Testing.chart(), 'mesh', props)).toThrow(message);
    });
  });
});
