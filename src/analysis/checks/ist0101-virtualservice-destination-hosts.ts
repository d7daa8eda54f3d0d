// istioctl's virtualservice.DestinationHostAnalyzer (analyzers/virtualservice/destinationhosts.go):
// every route and mirror destination host must be a Service or ServiceEntry host visible to the
// VirtualService's namespace (short names completed there, exportTo and wildcard hosts honoured);
// a destination port must be one the host has, and a host with several ports needs one.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { hostNamespace } from '../_hosts';
import { TYPES } from '../_object-index';
import { mirrorDestinations, RouteDestination, routeDestinations } from './_routes';

export const virtualServiceDestinationHosts: Check = {
  name: 'virtualservice.DestinationHostAnalyzer',
  description: 'Checks the destination hosts associated with each virtual service',
  messages: [IST.ReferencedResourceNotFound, IST.VirtualServiceDestinationPortSelectorRequired],
  run(context: CheckContext) {
    const { index } = context;
    for (const vs of index.ofType(TYPES.VirtualService)) {
      const check = (d: RouteDestination, reftype: string) => {
        const host = String(d.destination.host ?? '');
        const found = index.services.lookup(vs.namespace!, vs.spec.exportTo, host);
        if (!found) {
          if (context.judges(hostNamespace(vs.namespace!, host))) context.report(vs, IST.ReferencedResourceNotFound, [reftype, host], d.field);
          return;
        }
        const port = d.destination.port?.number;
        if (port === undefined || port === null) {
          // only a problem when the host has more than one port
          if (found.ports.length > 1) {
            context.report(vs, IST.VirtualServiceDestinationPortSelectorRequired, [host, found.ports.map(p => p.number)], d.field);
          }
        } else if (!found.ports.some(p => p.number === Number(port))) {
          context.report(vs, IST.ReferencedResourceNotFound, ['host:port', `${host}:${port}`], d.field);
        }
      };
      routeDestinations(vs.spec).forEach(d => check(d, 'host'));
      mirrorDestinations(vs.spec).forEach(d => check(d, 'mirror host'));
    }
  },
};
