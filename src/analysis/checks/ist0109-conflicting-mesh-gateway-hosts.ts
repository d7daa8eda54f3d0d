// istioctl's virtualservice.ConflictingMeshGatewayHostsAnalyzer
// (analyzers/virtualservice/conflictingmeshgatewayhosts.go): two VirtualServices for sidecars (no
// gateways, or `mesh`) must not define the same host in the same scope; a VirtualService exported
// to some namespaces also conflicts with one exported everywhere whose host overlaps (wildcards
// too). Each VirtualService is reported once.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { ALL_NAMESPACES, HostIndex, scopedFqdn } from '../_hosts';
import { AnalyzedObject, TYPES } from '../_object-index';

export const conflictingMeshGatewayHosts: Check = {
  name: 'virtualservice.ConflictingMeshGatewayHostsAnalyzer',
  description: 'Checks if multiple virtual services associated with the mesh gateway have conflicting hosts',
  messages: [IST.ConflictingMeshGatewayVirtualServiceHosts],
  run(context: CheckContext) {
    const byHost = new Map<string, AnalyzedObject[]>();
    // VirtualServices exported everywhere, by host, to find those that overlap a scoped one
    const everywhere = new HostIndex<AnalyzedObject>();
    for (const vs of context.index.ofType(TYPES.VirtualService)) {
      const gateways: string[] = vs.spec.gateways ?? [];
      if (gateways.length > 0 && !gateways.includes('mesh')) continue;
      const exportTo: string[] = vs.spec.exportTo ?? [];
      const scopes = exportTo.length === 0 || exportTo.includes(ALL_NAMESPACES)
        ? [ALL_NAMESPACES]
        : [...new Set(exportTo.map(e => e === '.' ? vs.namespace! : e))];
      for (const scope of scopes) {
        for (const host of (vs.spec.hosts ?? []).map(String)) {
          const key = scopedFqdn(scope, vs.namespace!, host);
          const list = byHost.get(key);
          if (list) list.push(vs);
          else byHost.set(key, [vs]);
          if (scope === ALL_NAMESPACES) everywhere.add(key.slice(2), vs);
        }
      }
    }
    const reported = new Set<AnalyzedObject>();
    for (const [key, list] of byHost) {
      const scope = key.slice(0, key.indexOf('/'));
      const all = scope === ALL_NAMESPACES ? list : [...list, ...everywhere.overlapping(key.slice(key.indexOf('/') + 1))];
      if (all.length < 2) continue;
      const names = all.map(vs => `${vs.namespace}/${vs.name}`).sort().join(',');
      for (const vs of all) {
        if (reported.has(vs)) continue;
        reported.add(vs);
        context.report(vs, IST.ConflictingMeshGatewayVirtualServiceHosts, [names, key], ['metadata', 'name']);
      }
    }
  },
};
