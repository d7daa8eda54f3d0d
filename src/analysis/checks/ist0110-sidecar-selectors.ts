// istioctl's sidecar.SelectorAnalyzer (analyzers/sidecar/selector.go): a Sidecar's workloadSelector
// must select pods of its namespace (IST0101), no pod may be selected by two Sidecars (IST0110), and
// a namespace may have only one Sidecar without a selector (IST0111). Pods and namespaces in
// ambient mode have no sidecar: a Sidecar there has no effect (IST0167, each Sidecar once).
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { AnalyzedObject, TYPES, Workload } from '../_object-index';
import { groupBy, isAmbient, isEmpty, namespaceIsAmbient, selectorString } from './_shared';

export const sidecarSelectors: Check = {
  name: 'sidecar.SelectorAnalyzer',
  description: 'Validates that sidecars that define a workload selector match at least one pod, ' +
    'and that there aren\'t multiple sidecar resources that select overlapping pods',
  messages: [IST.ReferencedResourceNotFound, IST.ConflictingSidecarWorkloadSelectors, IST.MultipleSidecarsWithoutWorkloadSelectors,
    IST.IneffectivePolicy],
  run(context: CheckContext) {
    const { index } = context;
    const selectorless: AnalyzedObject[] = [];
    const byWorkload = new Map<Workload, AnalyzedObject[]>();
    for (const sidecar of index.ofType(TYPES.Sidecar)) {
      const labels = sidecar.spec.workloadSelector?.labels;
      if (isEmpty(labels)) {
        selectorless.push(sidecar);
        continue;
      }
      const selected = index.selectWorkloads(labels, sidecar.namespace);
      if (selected.length === 0) {
        const selector = selectorString(labels);
        context.report(sidecar, IST.ReferencedResourceNotFound, ['selector', selector],
          ['spec', 'workloadSelector', 'labels', selector.split('=')[0]]);
      }
      for (const w of selected) byWorkload.set(w, [...byWorkload.get(w) ?? [], sidecar]);
    }
    const ineffective = new Set<AnalyzedObject>();
    const noImpact = (sidecar: AnalyzedObject, reason: string) => {
      if (ineffective.has(sidecar)) return;
      ineffective.add(sidecar);
      context.report(sidecar, IST.IneffectivePolicy, [reason]);
    };
    for (const [workload, sidecars] of byWorkload) {
      if (isAmbient(workload, index)) {
        sidecars.forEach(s => noImpact(s, 'selected workload is in ambient mode, the policy has no impact'));
        continue;
      }
      if (sidecars.length < 2) continue;
      const names = sidecars.map(s => s.name).sort();
      for (const sidecar of sidecars) {
        context.report(sidecar, IST.ConflictingSidecarWorkloadSelectors, [names, workload.namespace, workload.name], ['metadata', 'name']);
      }
    }
    for (const [namespace, sidecars] of groupBy(selectorless, s => s.namespace!)) {
      const ns = index.find(TYPES.Namespace, undefined, namespace);
      if (ns && namespaceIsAmbient(ns.labels)) {
        sidecars.forEach(s => noImpact(s, 'namespace is in ambient mode, the policy has no impact'));
        continue;
      }
      if (sidecars.length < 2) continue;
      const names = sidecars.map(s => s.name).sort();
      for (const sidecar of sidecars) context.report(sidecar, IST.MultipleSidecarsWithoutWorkloadSelectors, [names, namespace]);
    }
  },
};
