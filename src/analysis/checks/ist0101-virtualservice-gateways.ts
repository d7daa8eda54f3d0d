// istioctl's virtualservice.GatewayAnalyzer (analyzers/virtualservice/gateways.go): every gateway a
// VirtualService names (`name` in its own namespace, or `namespace/name`; `mesh` is the sidecars)
// must exist, and one of its servers must accept one of the VirtualService's hosts. As in istioctl,
// a missing gateway also accepts none of its hosts (IST0132 with IST0101).
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { hostsMatch } from '../_hosts';
import { AnalyzedObject, TYPES } from '../_object-index';

export const virtualServiceGateways: Check = {
  name: 'virtualservice.GatewayAnalyzer',
  description: 'Checks the gateways associated with each virtual service',
  messages: [IST.ReferencedResourceNotFound, IST.VirtualServiceHostNotFoundInGateway],
  run(context: CheckContext) {
    const { index } = context;
    for (const vs of index.ofType(TYPES.VirtualService)) {
      const hosts: string[] = (vs.spec.hosts ?? []).map(String);
      (vs.spec.gateways ?? []).forEach((ref: string, i: number) => {
        if (ref === 'mesh') return;
        const [namespace, name] = ref.includes('/') ? [ref.slice(0, ref.indexOf('/')), ref.slice(ref.indexOf('/') + 1)] : [vs.namespace!, ref];
        const gateway = index.find(TYPES.Gateway, namespace, name);
        if (!gateway && !context.judges(namespace)) return;
        const field = ['spec', 'gateways', i];
        if (!gateway) context.report(vs, IST.ReferencedResourceNotFound, ['gateway', ref], field);
        if (!gateway || !acceptsAny(gateway, hosts, vs.namespace!)) {
          context.report(vs, IST.VirtualServiceHostNotFoundInGateway, [hosts, `${vs.namespace}/${vs.name}`, `${namespace}/${name}`], field);
        }
      });
    }
  },
};

/** Whether a server of the gateway accepts one of the hosts for a VirtualService in `namespace` (vsHostInGateway). */
function acceptsAny(gateway: AnalyzedObject, hosts: string[], namespace: string): boolean {
  const gatewayHosts = (gateway.spec.servers ?? []).flatMap((server: any) => serverHosts(server, gateway.namespace!))
    .flatMap((h: string) => {
      // host.NamesForNamespace: `ns/host` applies only to VirtualServices of that namespace
      const slash = h.indexOf('/');
      if (slash < 0) return [h];
      return h.slice(0, slash) === namespace || h.slice(0, slash) === '*' ? [h.slice(slash + 1)] : [];
    });
  return gatewayHosts.some((g: string) => hosts.some(h => hostsMatch(g, h)));
}

/** A server's hosts with `./` as the gateway's namespace and `*\/` dropped (sanitizeServerHostNamespace). */
function serverHosts(server: any, gatewayNamespace: string): string[] {
  const out: string[] = [];
  for (const h of (server?.hosts ?? []).map(String)) {
    const [ns, rest] = h.includes('/') ? [h.slice(0, h.indexOf('/')), h.slice(h.indexOf('/') + 1)] : [undefined, h];
    if (ns === '.') out.push(`${gatewayNamespace}/${rest}`);
    else if (ns === '*' && rest === '*') return ['*'];
    else if (ns === '*') out.push(rest);
    else out.push(h);
  }
  return out;
}
