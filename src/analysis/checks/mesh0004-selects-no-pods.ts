// A Service whose selector matches no pod has no endpoints: its clients get 503s. A DestinationRule
// subset selects pods among its host's pods, not among all pods: istioctl's IST0173 only asks whether
// any pod anywhere has the subset's labels, so a subset whose labels only other services' pods carry
// passes it and still routes to nothing. Both are checked against the workloads analyzed.
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';
import { isEmpty, selectorString } from './_shared';

export const selectsNoPods: Check = {
  name: 'mesh.EndpointAnalyzer',
  description: 'Checks that each Service, and each DestinationRule subset of a Service, selects some pod',
  messages: [MESH.SelectsNoPods],
  run(context: CheckContext) {
    const { index } = context;
    for (const svc of index.ofType(TYPES.Service)) {
      const selector = svc.spec.selector;
      if (isEmpty(selector) || svc.spec.type === 'ExternalName') continue;
      if (index.selectWorkloads(selector, svc.namespace).length === 0) {
        context.report(svc, MESH.SelectsNoPods, ['The Service', selectorString(selector),
          'its clients get no endpoints: fix the selector, or deploy the pods it names'], ['spec', 'selector']);
      }
    }
    for (const dr of index.ofType(TYPES.DestinationRule)) {
      const host = index.services.lookup(dr.namespace!, dr.spec.exportTo, String(dr.spec.host ?? ''));
      // only a Kubernetes Service's pods are known; an unknown host is IST0174
      if (!host || host.object.type !== TYPES.Service || isEmpty(host.object.spec.selector)) continue;
      (dr.spec.subsets ?? []).forEach((subset: any, i: number) => {
        const labels = { ...host.object.spec.selector, ...subset?.labels };
        // no pod anywhere: IST0173 says so
        if (!index.anyWorkload(subset?.labels ?? {})) return;
        if (index.selectWorkloads(labels, host.object.namespace).length > 0) return;
        context.report(dr, MESH.SelectsNoPods, [`Subset ${subset?.name} of host ${dr.spec.host}`, selectorString(labels),
          `none of the pods of Service ${host.object.namespace}/${host.object.name} has the subset's labels; fix the subset's labels`],
        ['spec', 'subsets', i, 'labels']);
      });
    }
  },
};
