// A gateway applies only the routes bound to it, never the service's own mesh route: a gateway
// route to a host that the mesh splits by weight, without the same split, balances over every pod
// of the Service instead, about one request in two to a one-pod canary of a 95/5 split (issue 18).
// A mesh split is a VirtualService of the sidecars (no gateways, or `mesh`) whose catch-all route
// weights two or more subsets of its host, or an HTTPRoute of a Service (GAMMA) that weights two or
// more Services. A gateway route is a VirtualService bound to a gateway (its delegates' routes
// count, in their own namespace), or an HTTPRoute whose parent is a Gateway.
//
// In ambient, a gateway goes through the Service's waypoint where `istio.io/ingress-use-waypoint:
// "true"` is on the Service or its namespace (Istio 1.30 pilot/pkg/serviceregistry/ambient/
// services.go): the waypoint then applies the mesh route to the gateway's requests, whatever the
// gateway's own route says, so such a host is carried.
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { goQuote } from '../_format';
import { serviceNameOf, toFqdn } from '../_hosts';
import { AnalyzedObject, FieldPath, ObjectIndex, TYPES } from '../_object-index';
import { ingressUsesWaypoint, waypointFor } from '../semantics/ambient';

const HTTP_ROUTE = 'HTTPRoute.gateway.networking.k8s.io';

/** How the mesh splits a host: by DestinationRule subset, or by per-version Service. */
interface Split {
  readonly object: AnalyzedObject;
  readonly by: 'subset' | 'service';
  /** Subset name, or per-version Service host, to weight. */
  readonly weights: Map<string, number>;
}

export const gatewayRouteWeights: Check = {
  name: 'mesh.GatewayRouteWeightAnalyzer',
  description: 'Checks that gateway routes to a host the mesh splits by weight carry the same split',
  messages: [MESH.GatewayRouteSkipsWeights],
  run(context: CheckContext) {
    const { index } = context;
    const splits = meshSplits(index);
    if (splits.size === 0) return;
    const waypoints = new Map<string, WaypointUse>();
    const waypointOf = (host: string) => waypoints.get(host) ?? waypoints.set(host, waypointUse(index, host)).get(host)!;
    // a service route the waypoint carries, or how the gateway skips it
    const skips = (host: string, how: string) => {
      const use = waypointOf(host);
      if (use === 'carried') return undefined;
      return use === 'bypassed' ? `${how}, past the waypoint that applies that split (the gateway uses it only with ` +
        'istio.io/ingress-use-waypoint: "true" on the Service or its namespace)' : how;
    };
    const report = (object: AnalyzedObject, route: string, host: string, split: Split, how: string, field: FieldPath) => context.report(object,
      MESH.GatewayRouteSkipsWeights, [route, host, how, split.object.origin, [...split.weights].map(([k, w]) => `${k} ${w}%`).join(', ')], field);

    for (const vs of index.ofType(TYPES.VirtualService)) {
      if (!(vs.spec.gateways ?? []).some((g: string) => g !== 'mesh')) continue;
      for (const { route, namespace, field, description } of gatewayHttpRoutes(index, vs)) {
        const byHost = new Map<string, any[]>();
        for (const d of route?.route ?? []) {
          const host = toFqdn(namespace, String(d?.destination?.host ?? ''));
          byHost.set(host, [...byHost.get(host) ?? [], d]);
        }
        for (const [host, destinations] of byHost) {
          const split = splits.get(host);
          if (!split || carries(route, destinations, split)) continue;
          const how = skips(host, split.by === 'service' ? 'itself, not to its versions\' Services' : 'without the same subsets and weights');
          if (how) report(vs, description, host, split, how, field);
        }
      }
    }
    for (const route of index.ofType(HTTP_ROUTE)) {
      if (!(route.spec.parentRefs ?? []).some(isGatewayParent)) continue;
      (route.spec.rules ?? []).forEach((rule: any, i: number) => {
        for (const ref of rule?.backendRefs ?? []) {
          if ((ref.kind ?? 'Service') !== 'Service' || (ref.group ?? '') !== '') continue;
          const host = toFqdn(ref.namespace ?? route.namespace!, String(ref.name));
          const split = splits.get(host);
          if (!split) continue;
          const how = skips(host, split.by === 'subset'
            ? 'as a Service, and an HTTPRoute cannot name a DestinationRule subset'
            : 'itself, not to its versions\' Services');
          if (how) report(route, `rule #${i}`, host, split, how, ['spec', 'rules', i, 'backendRefs']);
        }
      });
    }
  },
};

/** Whether a gateway goes through the waypoint of a host's Service (`carried`), skips the one it has (`bypassed`), or it has none. */
type WaypointUse = 'carried' | 'bypassed' | 'none';

function waypointUse(index: ObjectIndex, host: string): WaypointUse {
  const { namespace, name } = serviceNameOf('', host);
  const service = index.find(TYPES.Service, namespace, name)?.manifest;
  if (!service) return 'none';
  const docs = [
    service,
    index.find(TYPES.Namespace, undefined, namespace)?.manifest,
    ...index.ofType(TYPES.KubernetesGateway).filter(g => g.namespace === namespace).map(g => g.manifest),
  ].filter(d => d !== undefined);
  if (!waypointFor(docs, namespace, name)) return 'none';
  return ingressUsesWaypoint(docs, namespace, name) ? 'carried' : 'bypassed';
}

function meshSplits(index: ObjectIndex): Map<string, Split> {
  const splits = new Map<string, Split>();
  for (const vs of index.ofType(TYPES.VirtualService)) {
    const gateways: string[] | undefined = vs.spec.gateways;
    if (gateways !== undefined && !gateways.includes('mesh')) continue;
    const weighted: any[] = (vs.spec.http ?? []).find((r: any) => (r?.match ?? []).length === 0)?.route ?? [];
    for (const host of (vs.spec.hosts ?? []).map((h: string) => toFqdn(vs.namespace!, String(h)))) {
      const own = weighted.filter(d => toFqdn(vs.namespace!, String(d?.destination?.host ?? '')) === host && d?.destination?.subset);
      if (own.length >= 2 && !splits.has(host)) {
        splits.set(host, { object: vs, by: 'subset', weights: new Map(own.map(d => [String(d.destination.subset), Number(d.weight ?? 0)])) });
      }
    }
  }
  for (const route of index.ofType(HTTP_ROUTE)) {
    for (const parent of (route.spec.parentRefs ?? []).filter((p: any) => p?.kind === 'Service' && (p.group ?? '') === '')) {
      const host = toFqdn(parent.namespace ?? route.namespace!, String(parent.name));
      const refs: any[] = (route.spec.rules ?? []).find((r: any) => (r?.backendRefs ?? []).length >= 2)?.backendRefs ?? [];
      if (refs.length < 2 || splits.has(host)) continue;
      const total = refs.reduce((n, r) => n + Number(r.weight ?? 1), 0);
      splits.set(host, {
        object: route,
        by: 'service',
        weights: new Map(refs.map(r => [
          toFqdn(r.namespace ?? route.namespace!, String(r.name)), total === 0 ? 0 : Math.round(Number(r.weight ?? 1) * 100 / total),
        ])),
      });
    }
  }
  return splits;
}

/**
 * Whether a gateway route's destinations of a split host carry the split: the same subsets with the
 * same weights, or, in a route that matches a header, subsets of the split only (the header route).
 */
function carries(route: any, destinations: any[], split: Split): boolean {
  if (split.by === 'service') return false;
  if (!destinations.every(d => split.weights.has(String(d?.destination?.subset)))) return false;
  if ((route?.match ?? []).some((m: any) => m?.headers !== undefined)) return true;
  const weights = new Map(destinations.map(d => [String(d.destination.subset), Number(d.weight ?? (destinations.length === 1 ? 100 : 0))]));
  return weights.size === split.weights.size && [...split.weights].every(([k, w]) => weights.get(k) === w);
}

/** The HTTP routes of a gateway-bound VirtualService, its delegates' in their own namespace. */
function gatewayHttpRoutes(index: ObjectIndex, vs: AnalyzedObject): Array<{ route: any; namespace: string; field: FieldPath; description: string }> {
  const describe = (route: any, i: number) => `HTTP route ${route?.name ? goQuote(String(route.name)) : `#${i}`}`;
  return (vs.spec.http ?? []).flatMap((route: any, i: number) => {
    if (!route?.delegate) return [{ route, namespace: vs.namespace!, field: ['spec', 'http', i], description: describe(route, i) }];
    const namespace = route.delegate.namespace ?? vs.namespace!;
    const delegate = index.find(TYPES.VirtualService, namespace, String(route.delegate.name));
    return (delegate?.spec.http ?? []).map((r: any, j: number) => ({
      route: r, namespace, field: ['spec', 'http', i, 'delegate'], description: `${describe(r, j)} of delegate ${delegate!.origin}`,
    }));
  });
}

function isGatewayParent(parent: any): boolean {
  return (parent?.kind ?? 'Gateway') === 'Gateway' && (parent?.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io';
}
