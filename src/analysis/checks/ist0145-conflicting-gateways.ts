// istioctl's gateway.ConflictingGatewayAnalyzer (analyzers/gateway/conflictinggateway.go): two
// Gateways whose selectors are the same, or overlap (one selector's text contains the other's and
// some pod matches both), must not both serve a host on the same port with the same bind (IST0145).
// istioctl keeps only the last server per gateway and port and adds each checked server's hosts to
// the other gateway's as it goes (model.CheckDuplicates), which makes its answer depend on map order;
// here every server of a gateway on a port counts and nothing is added.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { AnalyzedObject, ObjectIndex, TYPES } from '../_object-index';
import { gatewayPods } from './_gateways';
import { groupBy, selectorString } from './_shared';

export const conflictingGateways: Check = {
  name: 'gateway.ConflictingGatewayAnalyzer',
  description: 'Checks a gateway\'s selector, port number and hosts',
  messages: [IST.ReferencedResourceNotFound, IST.ConflictingGateways],
  run(context: CheckContext) {
    const { index } = context;
    const gateways = index.ofType(TYPES.Gateway);
    const bySelector = groupBy(gateways, g => selectorString(g.spec.selector));
    // host -> bind, per gateway and port
    const hosts = new Map<AnalyzedObject, Map<number, Map<string, string>>>();
    for (const g of gateways) {
      const byPort = new Map<number, Map<string, string>>();
      for (const server of g.spec.servers ?? []) {
        const port = Number(server?.port?.number ?? 0);
        const known = byPort.get(port) ?? new Map<string, string>();
        byPort.set(port, known);
        for (const h of server?.hosts ?? []) known.set(String(h), String(server.bind ?? ''));
      }
      hosts.set(g, byPort);
    }
    const related = relatedSelectors(index, bySelector);
    for (const gateway of gateways) {
      const selector = selectorString(gateway.spec.selector);
      const others = [...related.get(selector) ?? []].flatMap(s => bySelector.get(s) ?? []).filter(g => g !== gateway);
      const servers: any[] = gateway.spec.servers ?? [];
      if (servers.length === 0) {
        // istioctl finds such a gateway only through another gateway's selector
        if (selector !== '' && others.length === 0 && context.judges('*')) {
          context.report(gateway, IST.ReferencedResourceNotFound, ['selector', selector], ['spec', 'selector', selector.split('=')[0]]);
        }
        continue;
      }
      for (const server of servers) {
        const port = Number(server?.port?.number ?? 0);
        const bind = String(server?.bind ?? '');
        const conflicting = others.filter(other => {
          const known = hosts.get(other)!.get(port);
          return known !== undefined && (server?.hosts ?? []).some((h: unknown) => known.get(String(h)) === bind);
        });
        if (conflicting.length === 0) continue;
        context.report(gateway, IST.ConflictingGateways, [
          conflicting.map(g => `${g.namespace}/${g.name}`).sort().join(','),
          selector, String(port), (server.hosts ?? []).join(','),
        ]);
      }
    }
  },
};

/**
 * For each selector (as text), the selectors whose gateways may share its pods: itself, and each
 * other selector one of whose texts contains the other's and that matches a pod it matches too.
 * Found through the pods each selector matches and the selectors that match each pod (indexed by
 * one of their labels), not by comparing every pair of selectors.
 */
function relatedSelectors(index: ObjectIndex, bySelector: Map<string, AnalyzedObject[]>): Map<string, Set<string>> {
  const labelsOf = new Map<string, Record<string, unknown>>();
  const byLabel = new Map<string, string[]>();
  const empty: string[] = [];
  for (const [selector, list] of bySelector) {
    const labels = list[0].spec.selector ?? {};
    labelsOf.set(selector, labels);
    const first = Object.keys(labels).sort()[0];
    if (first === undefined) empty.push(selector);
    else byLabel.set(`${first}=${labels[first]}`, [...byLabel.get(`${first}=${labels[first]}`) ?? [], selector]);
  }
  const related = new Map<string, Set<string>>();
  for (const selector of bySelector.keys()) related.set(selector, new Set([selector]));
  for (const [selector, labels] of labelsOf) {
    for (const pod of gatewayPods(index, labels)) {
      const candidates = [...empty, ...Object.entries(pod.labels).flatMap(([k, v]) => byLabel.get(`${k}=${v}`) ?? [])];
      for (const other of candidates) {
        if (other === selector || related.get(selector)!.has(other)) continue;
        if (!other.includes(selector) && !selector.includes(other)) continue;
        const otherLabels = labelsOf.get(other)!;
        if (Object.entries(otherLabels).every(([k, v]) => pod.labels[k] === String(v))) {
          related.get(selector)!.add(other);
          related.get(other)!.add(selector);
        }
      }
    }
  }
  return related;
}
