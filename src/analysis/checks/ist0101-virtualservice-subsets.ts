// istioctl's virtualservice.DestinationRuleAnalyzer (analyzers/virtualservice/destinationrules.go):
// a destination subset must be defined by a DestinationRule for that host. As in istioctl, hosts
// are compared as Kubernetes names (short names completed in each object's own namespace, FQDNs
// `name.namespace.svc.cluster.local` split), without exportTo.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { serviceNameOf } from '../_hosts';
import { TYPES } from '../_object-index';
import { mirrorDestinations, RouteDestination, routeDestinations } from './_routes';

export const virtualServiceSubsets: Check = {
  name: 'virtualservice.DestinationRuleAnalyzer',
  description: 'Checks the destination rules associated with each virtual service',
  messages: [IST.ReferencedResourceNotFound],
  run(context: CheckContext) {
    const { index } = context;
    const subsets = new Set<string>();
    for (const dr of index.ofType(TYPES.DestinationRule)) {
      const host = serviceNameOf(dr.namespace!, String(dr.spec.host ?? ''));
      for (const subset of dr.spec.subsets ?? []) subsets.add(key(host, String(subset?.name)));
    }
    for (const vs of index.ofType(TYPES.VirtualService)) {
      const check = (d: RouteDestination, reftype: string) => {
        const subset = d.destination.subset;
        if (!subset) return;
        const host = String(d.destination.host ?? '');
        const name = serviceNameOf(vs.namespace!, host);
        if (!subsets.has(key(name, String(subset))) && context.judges(name.namespace)) {
          context.report(vs, IST.ReferencedResourceNotFound, [reftype, `${host}+${subset}`], d.field);
        }
      };
      routeDestinations(vs.spec).forEach(d => check(d, 'host+subset in destinationrule'));
      mirrorDestinations(vs.spec).forEach(d => check(d, 'mirror+subset in destinationrule'));
    }
  },
};

function key(host: { namespace: string; name: string }, subset: string): string {
  return `${host.namespace}\u0000${host.name}\u0000${subset}`;
}
