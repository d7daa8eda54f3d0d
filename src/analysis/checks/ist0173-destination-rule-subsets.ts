// istioctl's destinationrule.SubsetSelectPodAnalyzer (analyzers/destinationrule/subset.go): a
// DestinationRule's host must be a host of the mesh (IST0174, exportTo and wildcards as for
// VirtualServices), and each subset's labels, with the ServiceEntry's workloadSelector, must select
// some pod, in any namespace as istioctl looks (IST0173).
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { hostNamespace } from '../_hosts';
import { TYPES } from '../_object-index';

export const destinationRuleSubsets: Check = {
  name: 'destinationrule.SubsetSelectPodAnalyzer',
  description: 'Checks if pods are selected by subsets in destination rules.',
  messages: [IST.UnknownDestinationRuleHost, IST.DestinationRuleSubsetNotSelectPods],
  run(context: CheckContext) {
    const { index } = context;
    for (const dr of index.ofType(TYPES.DestinationRule)) {
      const host = String(dr.spec.host ?? '');
      const found = index.services.lookup(dr.namespace!, dr.spec.exportTo, host);
      // where the host's pods would be: a Service's namespace, anywhere for a ServiceEntry
      const namespace = hostNamespace(dr.namespace!, host);
      if (!found) {
        if (context.judges(namespace)) context.report(dr, IST.UnknownDestinationRuleHost, [host]);
        continue;
      }
      if (!context.judges(found.object.type === TYPES.Service ? found.object.namespace : '*')) continue;
      for (const subset of dr.spec.subsets ?? []) {
        const labels = { ...found.workloadSelector, ...subset?.labels };
        if (!index.anyWorkload(labels)) context.report(dr, IST.DestinationRuleSubsetNotSelectPods, [String(subset?.name)]);
      }
    }
  },
};
