// Whole-app checks of the routes of gateways, on every object of the app as it will be written
// (hand-written and patched ones too), with istioctl's semantics. Internal.
//
// 1. Canary weights. A gateway applies only the routes bound to it: a gateway route to a host that
//    the mesh splits by weight, without the same split, balances over every pod of the Service
//    instead (about one request in two to a one-pod canary of a 95/5 split; issue 18).
// 2. IST0132 VirtualServiceHostNotFoundInGateway: a VirtualService host that its Gateway does not
//    serve is never routed by that gateway (pkg/config/analysis/analyzers/virtualservice/gateways.go).
import { hostMatches } from './hosts';
import type { RenderedObject } from '../common/app-checks';
import { DEFAULT_CLUSTER_DOMAIN } from '../common/istio';
import { invalidMessage } from '../common/validation';

/** The messages of both checks. */
export function gatewayRouteProblems(objects: RenderedObject[]): string[] {
  return [...bypassedSplits(objects), ...hostsMissingFromGateways(objects)];
}

/** How the mesh splits a host: by DestinationRule subset (Istio) or by per-version Service (HTTPRoute). */
interface Split {
  readonly object: RenderedObject;
  readonly by: 'subset' | 'service';
  /** Subset name, or per-version Service host, to weight. */
  readonly weights: Map<string, number>;
}

function bypassedSplits(objects: RenderedObject[]): string[] {
  const splits = meshSplits(objects);
  if (splits.size === 0) return [];
  const problems: string[] = [];
  const report = (o: RenderedObject, host: string, split: Split, how: string) => problems.push(`${o.object.node.path}: ${invalidMessage(
    'gateway route to', host,
    `${split.object.object.node.path} splits this host by weight (${[...split.weights].map(([k, w]) => `${k} ${w}%`).join(', ')}) for the mesh, ` +
    `but ${describe(o)} ${how}, so its gateway balances over every pod of the Service instead (about one request in two to a one-pod canary; ` +
    'issue 18); route it with MeshIngress, whose routes carry the split, or give the route the same destinations and weights')}`);

  for (const o of objects) {
    if (isVirtualService(o) && boundToGateway(o.manifest.spec?.gateways)) {
      for (const { route, namespace } of httpRoutes(objects, o)) {
        const byHost = new Map<string, any[]>();
        for (const d of route.route ?? []) {
          const host = fqdn(d.destination?.host ?? '', namespace);
          byHost.set(host, [...byHost.get(host) ?? [], d]);
        }
        for (const [host, destinations] of byHost) {
          const split = splits.get(host);
          if (split && !carries(route, destinations, split)) {
            report(o, host, split, split.by === 'service'
              ? 'sends to the Service itself, not to its versions\' Services'
              : 'sends to it without the same subsets and weights');
          }
        }
      }
    }
    if (isHttpRoute(o) && (o.manifest.spec?.parentRefs ?? []).some(isGatewayParent)) {
      const namespace = namespaceOf(o);
      for (const rule of o.manifest.spec?.rules ?? []) {
        for (const ref of rule.backendRefs ?? []) {
          if ((ref.kind ?? 'Service') !== 'Service' || (ref.group ?? '') !== '') continue;
          const host = serviceFqdn(ref.name, ref.namespace ?? namespace);
          const split = splits.get(host);
          if (split) {
            report(o, host, split, split.by === 'subset'
              ? 'sends to its Service, and an HTTPRoute cannot name a DestinationRule subset'
              : 'sends to the Service itself, not to its versions\' Services');
          }
        }
      }
    }
  }
  return problems;
}

/**
 * The hosts the mesh splits by weight: a VirtualService of the mesh whose catch-all route weights two
 * or more subsets of its host, or an HTTPRoute of a Service (GAMMA) that weights two or more Services.
 */
function meshSplits(objects: RenderedObject[]): Map<string, Split> {
  const splits = new Map<string, Split>();
  for (const o of objects) {
    const spec = o.manifest.spec ?? {};
    const namespace = namespaceOf(o);
    if (isVirtualService(o) && (spec.gateways === undefined || spec.gateways.includes('mesh'))) {
      for (const host of (spec.hosts ?? []).map((h: string) => fqdn(h, namespace))) {
        const weighted = (spec.http ?? []).find((r: any) => (r.match ?? []).length === 0)?.route ?? [];
        const own = weighted.filter((d: any) => fqdn(d.destination?.host ?? '', namespace) === host && d.destination?.subset);
        if (own.length >= 2 && !splits.has(host)) {
          splits.set(host, { object: o, by: 'subset', weights: new Map(own.map((d: any) => [d.destination.subset, d.weight ?? 0])) });
        }
      }
    }
    if (isHttpRoute(o)) {
      for (const parent of (spec.parentRefs ?? []).filter((p: any) => p.kind === 'Service' && (p.group ?? '') === '')) {
        const host = serviceFqdn(parent.name, parent.namespace ?? namespace);
        for (const rule of spec.rules ?? []) {
          const refs = rule.backendRefs ?? [];
          if (refs.length < 2 || splits.has(host)) continue;
          const total = refs.reduce((n: number, r: any) => n + (r.weight ?? 1), 0);
          splits.set(host, {
            object: o,
            by: 'service',
            weights: new Map(refs.map((r: any) => [
              serviceFqdn(r.name, r.namespace ?? namespace), total === 0 ? 0 : Math.round((r.weight ?? 1) * 100 / total),
            ])),
          });
        }
      }
    }
  }
  return splits;
}

/**
 * Whether a gateway route's destinations of a split host carry the split: the same subsets with the
 * same weights, or, in a route that matches a header, the canary's subset alone (the header route).
 */
function carries(route: any, destinations: any[], split: Split): boolean {
  if (split.by === 'service') return false;
  if (!destinations.every(d => split.weights.has(d.destination?.subset))) return false;
  if ((route.match ?? []).some((m: any) => m.headers !== undefined)) return true;
  const weights = new Map<string, number>(destinations.map(d => [d.destination.subset, d.weight ?? (destinations.length === 1 ? 100 : 0)]));
  return weights.size === split.weights.size && [...split.weights].every(([k, w]) => weights.get(k) === w);
}

/** The HTTP routes of a gateway-bound VirtualService, those of its delegates in their own namespace. */
function httpRoutes(objects: RenderedObject[], vs: RenderedObject): Array<{ route: any; namespace: string }> {
  const namespace = namespaceOf(vs);
  return (vs.manifest.spec?.http ?? []).flatMap((route: any) => {
    if (!route.delegate) return [{ route, namespace }];
    const ns = route.delegate.namespace ?? namespace;
    const delegate = objects.find(o => isVirtualService(o) && o.manifest.metadata?.name === route.delegate.name && namespaceOf(o) === ns);
    return (delegate?.manifest.spec?.http ?? []).map((r: any) => ({ route: r, namespace: ns }));
  });
}

function hostsMissingFromGateways(objects: RenderedObject[]): string[] {
  const gateways = new Map<string, { object: RenderedObject; hosts: Array<{ namespace: string; host: string }> }>();
  for (const o of objects) {
    if (o.object.kind !== 'Gateway' || !o.object.apiVersion.startsWith('networking.istio.io/')) continue;
    const namespace = namespaceOf(o);
    const hosts = (o.manifest.spec?.servers ?? []).flatMap((s: any) => (s.hosts ?? []).map((h: string) => {
      const [ns, host] = h.includes('/') ? h.split('/', 2) : ['*', h];
      return { namespace: ns === '.' ? namespace : ns, host };
    }));
    gateways.set(`${namespace}/${o.manifest.metadata?.name}`, { object: o, hosts });
  }
  if (gateways.size === 0) return [];
  const problems: string[] = [];
  for (const o of objects) {
    // a Flagger Canary's service.gateways and service.hosts become its VirtualService's
    const flagger = o.object.kind === 'Canary' && o.object.apiVersion.startsWith('flagger.app/');
    if (!isVirtualService(o) && !flagger) continue;
    const spec = flagger ? o.manifest.spec?.service ?? {} : o.manifest.spec ?? {};
    const namespace = namespaceOf(o);
    const hosts: string[] = spec.hosts ?? [];
    for (const ref of (spec.gateways ?? []) as string[]) {
      if (ref === 'mesh') continue;
      const key = gatewayKey(ref, namespace);
      const gateway = gateways.get(key);
      if (!gateway || hosts.length === 0) continue;
      const served = gateway.hosts.filter(h => h.namespace === '*' || h.namespace === namespace).map(h => h.host);
      const missing = hosts.filter(h => !served.some(s => hostMatches(s, h) || hostMatches(h, s)));
      // bound to the mesh too, a VirtualService also lists mesh hosts: istioctl reports it only when
      // no host at all is served
      const alsoMesh = (spec.gateways as string[]).includes('mesh');
      if (missing.length === 0 || (alsoMesh && missing.length < hosts.length)) continue;
      problems.push(`${o.object.node.path}: ${invalidMessage('hosts', missing,
        `${describe(o)} is bound to Gateway ${key} (${gateway.object.object.node.path}), which serves no such host to namespace ${namespace}, ` +
        'so that gateway never routes them (istioctl IST0132 VirtualServiceHostNotFoundInGateway); add them to the Gateway\'s servers, ' +
        'or remove them from the VirtualService')}`);
    }
  }
  return problems;
}

/** A VirtualService's gateway reference as `<namespace>/<name>` (also the legacy `<name>.<namespace>.svc...` form). */
function gatewayKey(ref: string, namespace: string): string {
  if (ref.includes('/')) return ref;
  const [name, ns] = ref.split('.');
  return `${ns ?? namespace}/${name}`;
}

function boundToGateway(gateways: string[] | undefined): boolean {
  return (gateways ?? []).some(g => g !== 'mesh');
}

function isGatewayParent(parent: any): boolean {
  return (parent.kind ?? 'Gateway') === 'Gateway' && (parent.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io';
}

function isVirtualService(o: RenderedObject): boolean {
  return o.object.kind === 'VirtualService' && o.object.apiVersion.startsWith('networking.istio.io/');
}

function isHttpRoute(o: RenderedObject): boolean {
  return o.object.kind === 'HTTPRoute' && o.object.apiVersion.startsWith('gateway.networking.k8s.io/');
}

function namespaceOf(o: RenderedObject): string {
  return o.manifest.metadata?.namespace ?? 'default';
}

function describe(o: RenderedObject): string {
  return `${o.object.kind} ${namespaceOf(o)}/${o.manifest.metadata?.name}`;
}

/** A route's destination host as a fully qualified name: Istio reads a name without dots in the route's namespace. */
function fqdn(host: string, namespace: string): string {
  return host.includes('.') || host.includes('*') ? host : serviceFqdn(host, namespace);
}

function serviceFqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${DEFAULT_CLUSTER_DOMAIN}`;
}
