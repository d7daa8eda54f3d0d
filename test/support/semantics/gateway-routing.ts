// Where a gateway sends a user's request, as Istio builds its routes from the emitted objects.
//
// Istio API (Istio docs, "Gateway" and "VirtualService"; istio/api networking/v1): the Gateways whose
// `selector` matches the gateway's pods (in any namespace) have servers on the pod port the request
// arrives on; a server takes the request when one of its hosts matches (`<namespace>/<host>`, where
// the namespace part says which namespaces' VirtualServices may bind: `*`, `.` for the Gateway's own,
// or a name). An HTTP server with `tls.httpsRedirect` answers 301 to https. Otherwise the
// VirtualServices bound to that Gateway (`gateways` lists `<namespace>/<name>`, or `<name>` in the
// Gateway's own namespace) whose host matches take it, the most specific host first (several of the
// same host are merged in creation order, which these tests treat as a conflict); their first HTTP
// route whose match matches (no match: everything; `uri` exact or prefix, `headers` exact) routes it.
// A route with `delegate` continues in the delegate's routes, whose matches are ANDed with the root's
// and whose short hosts resolve in the delegate's namespace. A destination without a subset reaches
// every pod of the Service, by pod count; with a subset, the DestinationRule of its host selects
// the subset's pods.
//
// Gateway API ("HTTPRoute" and "ReferenceGrant", gateway-api v1): the Gateway's listeners on the
// port, protocol and hostname (exact beats wildcard beats none); HTTPRoutes attached to the listener
// (`parentRefs` with its name or no sectionName, from namespaces `allowedRoutes` admits, default the
// Gateway's own) whose `hostnames` match (none: any); the matching rule with the longest PathPrefix
// (whole segments) wins; a RequestRedirect filter answers; a backendRef to another namespace needs
// a ReferenceGrant there, else the route gets no backend (HTTP 500).
//
// Ambient (Istio 1.30): a gateway sends a destination's requests to the pods of its Service, unless
// it uses the Service's waypoint (`istio.io/ingress-use-waypoint: "true"` on the Service or its
// namespace, and a waypoint the Service uses; ./ambient.ts), whose Envoy then gets them for the
// Service's address (a subset the gateway named is lost: pilot's TestIngressUseWaypoint sends the
// Service's cluster to the waypoint) and applies the Service's own routes: the HTTPRoutes of the
// Service's namespace whose parent is the Service (GAMMA; on the destination's port when the
// parentRef names one), with the same rule precedence as a Gateway's, and their weighted backends.
import { ingressUsesWaypoint, inAmbient, Waypoint, waypointFor } from './ambient';
import { Labels, matchesLabels } from './labels';

export interface GatewayRequest {
  /** TLS (HTTPS) or plain text. */
  readonly tls: boolean;
  /** Istio API: the pod port the request arrives on; Gateway API: the listener port. */
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
}

export interface Destination {
  /** Fully qualified Service host. */
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
  /** Percent of the requests. */
  readonly weight: number;
}

export type GatewayOutcome =
  | { readonly kind: 'redirect'; readonly location: string; readonly status: number }
  | { readonly kind: 'route'; readonly by: string; readonly route?: string; readonly destinations: Destination[] }
  | { readonly kind: 'none'; readonly reason: string };

const CLUSTER_DOMAIN = 'cluster.local';

/** Where an Istio-API gateway with these pod labels sends the request. */
export function istioGatewayRoute(docs: any[], gateway: { namespace: string; labels: Labels }, req: GatewayRequest): GatewayOutcome {
  const servers = docs.filter(d => d.kind === 'Gateway' && d.apiVersion.startsWith('networking.istio.io/') && matchesLabels(d.spec?.selector, gateway.labels))
    .flatMap(g => (g.spec.servers ?? []).map((s: any) => ({ gateway: g, server: s })))
    .filter(({ server }) => server.port.number === req.port && (server.port.protocol === 'HTTPS') === req.tls);
  const taking = servers.flatMap(({ gateway: g, server }) => (server.hosts as string[]).map(entry => {
    const [ns, host] = entry.includes('/') ? entry.split('/', 2) : ['*', entry];
    return { gateway: g, server, namespace: ns === '.' ? g.metadata.namespace : ns, host };
  })).filter(e => hostMatches(e.host, req.host));
  if (taking.length === 0) return { kind: 'none', reason: `no server on port ${req.port} for ${req.host}` };
  if (taking.some(e => e.server.tls?.httpsRedirect)) {
    return { kind: 'redirect', location: `https://${req.host}${req.path}`, status: 301 };
  }
  const bound = docs.filter(d => d.kind === 'VirtualService' && (d.spec?.hosts ?? []).some((h: string) => hostMatches(h, req.host)))
    .filter(vs => taking.some(e => (e.namespace === '*' || e.namespace === vs.metadata.namespace) &&
      (vs.spec.gateways ?? []).some((ref: string) => gatewayRef(ref, vs.metadata.namespace) === `${e.gateway.metadata.namespace}/${e.gateway.metadata.name}`)));
  if (bound.length === 0) return { kind: 'none', reason: `no VirtualService of ${req.host} bound to the gateway (404)` };
  const specificity = (vs: any) => Math.max(...vs.spec.hosts.filter((h: string) => hostMatches(h, req.host)).map((h: string) => h.startsWith('*') ? h.length - 1000 : h.length));
  const best = Math.max(...bound.map(specificity));
  const chosen = bound.filter(vs => specificity(vs) === best);
  if (chosen.length > 1) throw new Error(`VirtualServices ${chosen.map(v => v.metadata.name).join(', ')} all bind ${req.host}: merged in creation order`);
  return routeIn(docs, chosen[0], req);
}

function routeIn(docs: any[], vs: any, req: GatewayRequest): GatewayOutcome {
  const by = `${vs.metadata.namespace}/${vs.metadata.name}`;
  for (const route of vs.spec.http ?? []) {
    if (!matchesRequest(route.match, req)) continue;
    if (route.delegate) {
      const ns = route.delegate.namespace ?? vs.metadata.namespace;
      const delegate = docs.find(d => d.kind === 'VirtualService' && d.metadata.name === route.delegate.name && d.metadata.namespace === ns);
      if (!delegate) return { kind: 'none', reason: `delegate ${ns}/${route.delegate.name} not found` };
      // the root's match already holds; the delegate's routes narrow it further
      return routeIn(docs, delegate, req);
    }
    if (route.redirect) return { kind: 'redirect', location: `${route.redirect.scheme ?? 'http'}://${req.host}${req.path}`, status: route.redirect.redirectCode ?? 301 };
    const destinations = route.route ?? [];
    return {
      kind: 'route',
      by,
      route: route.name,
      destinations: destinations.map((d: any) => ({
        host: fqdn(d.destination.host, vs.metadata.namespace),
        subset: d.destination.subset,
        port: d.destination.port?.number,
        weight: d.weight ?? (destinations.length === 1 ? 100 : 0),
      })),
    };
  }
  return { kind: 'none', reason: `no route of ${by} matches ${req.path} (404)` };
}

function matchesRequest(matches: any[] | undefined, req: GatewayRequest): boolean {
  if (!matches || matches.length === 0) return true;
  return matches.some(m => {
    const uri = m.uri;
    if (uri?.exact !== undefined && req.path !== uri.exact) return false;
    if (uri?.prefix !== undefined && !req.path.startsWith(uri.prefix)) return false;
    if (uri?.regex !== undefined) throw new Error('regex matches are outside these tests');
    return Object.entries(m.headers ?? {}).every(([name, value]: [string, any]) => {
      if (value.exact === undefined) throw new Error('only exact header matches are in these tests');
      return req.headers?.[name] === value.exact;
    });
  });
}

/** A pod of the cluster, as the tests count them: its namespace and labels, per Deployment replica. */
export interface PodGroup {
  readonly namespace: string;
  readonly labels: Labels;
  readonly pods: number;
}

/** The pods of every Deployment of the documents: `spec.replicas`, else its autoscaler's minimum, else 1. */
export function podGroups(docs: any[]): PodGroup[] {
  return docs.filter(d => d.kind === 'Deployment').map(d => {
    const hpa = docs.find(h => h.kind === 'HorizontalPodAutoscaler' && h.metadata.namespace === d.metadata.namespace &&
      h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === d.metadata.name);
    return { namespace: d.metadata.namespace, labels: d.spec.template.metadata.labels, pods: d.spec.replicas ?? hpa?.spec.minReplicas ?? 1 };
  });
}

/**
 * The share of the requests (percent) each pod group gets, keyed by `<namespace>/<version label>`:
 * weights over destinations, and within a destination its pods by count (Envoy balances over
 * endpoints).
 */
export function shares(docs: any[], destinations: Destination[], groups: PodGroup[] = podGroups(docs)): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of destinations) {
    const [name, namespace] = d.host.split('.');
    const service = docs.find(s => s.kind === 'Service' && s.metadata.name === name && s.metadata.namespace === namespace);
    if (!service) throw new Error(`no Service for ${d.host}`);
    let subsetLabels: Labels = {};
    if (d.subset) {
      const rule = docs.find(r => r.kind === 'DestinationRule' && fqdn(r.spec.host, r.metadata.namespace) === d.host);
      const subset = rule?.spec.subsets?.find((s: any) => s.name === d.subset);
      if (!subset) throw new Error(`no subset ${d.subset} of ${d.host}: the route fails (503)`);
      subsetLabels = subset.labels ?? {};
    }
    const pods = groups.filter(g => g.namespace === namespace && matchesLabels(service.spec.selector, g.labels) &&
      matchesLabels(subsetLabels, g.labels));
    const total = pods.reduce((n, g) => n + g.pods, 0);
    for (const g of pods) {
      const key = `${namespace}/${g.labels.version ?? g.labels.app}`;
      out[key] = round((out[key] ?? 0) + d.weight * g.pods / total);
    }
  }
  return out;
}

/** Where a Gateway-API Gateway (namespace/name) sends the request. */
export function gatewayApiRoute(docs: any[], gateway: { namespace: string; name: string }, req: GatewayRequest): GatewayOutcome {
  const gw = docs.find(d => d.kind === 'Gateway' && d.apiVersion.startsWith('gateway.networking.k8s.io/') &&
    d.metadata.namespace === gateway.namespace && d.metadata.name === gateway.name);
  if (!gw) return { kind: 'none', reason: 'no such Gateway' };
  const protocol = req.tls ? 'HTTPS' : 'HTTP';
  const listeners = (gw.spec.listeners ?? []).filter((l: any) => l.port === req.port && l.protocol === protocol &&
    (l.hostname === undefined || hostMatches(l.hostname, req.host)));
  if (listeners.length === 0) return { kind: 'none', reason: `no listener on ${protocol} ${req.port} for ${req.host}` };
  const rank = (l: any) => l.hostname === undefined ? 0 : l.hostname.startsWith('*') ? 1 : 2;
  const listener = listeners.sort((a: any, b: any) => rank(b) - rank(a))[0];
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  const routes = docs.filter(d => d.kind === 'HTTPRoute' && (from === 'All' || d.metadata.namespace === gw.metadata.namespace) &&
    (d.spec.parentRefs ?? []).some((p: any) => (p.kind ?? 'Gateway') === 'Gateway' && p.name === gw.metadata.name &&
      (p.namespace ?? d.metadata.namespace) === gw.metadata.namespace && (p.sectionName === undefined || p.sectionName === listener.name)) &&
    (d.spec.hostnames === undefined || d.spec.hostnames.some((h: string) => hostMatches(h, req.host))));
  if (from === 'Selector') throw new Error('namespace selectors of allowedRoutes are outside these tests');
  const taking = takingRule(routes, req);
  if (!taking) return { kind: 'none', reason: `no HTTPRoute rule matches ${req.host}${req.path} (404)` };
  const { route, rule } = taking;
  const redirect = (rule.filters ?? []).find((f: any) => f.type === 'RequestRedirect')?.requestRedirect;
  if (redirect) {
    const scheme = redirect.scheme ?? (req.tls ? 'https' : 'http');
    const port = redirect.port ?? (scheme === 'https' ? 443 : 80);
    const defaultPort = scheme === 'https' ? 443 : 80;
    return { kind: 'redirect', location: `${scheme}://${req.host}${port === defaultPort ? '' : `:${port}`}${req.path}`, status: redirect.statusCode ?? 302 };
  }
  return backends(docs, route, rule);
}

/**
 * The rule of some HTTPRoutes that takes a request (Gateway API "HTTPRouteRule" precedence): an
 * exact path first, then the longest PathPrefix, then the most header matches (exact only here).
 */
function takingRule(routes: any[], req: { path: string; headers?: Record<string, string> }): { route: any; rule: any } | undefined {
  const candidates = routes.flatMap(r => (r.spec.rules ?? []).flatMap((rule: any) => (rule.matches ?? [{}])
    .filter((m: any) => pathMatches(m.path ?? { type: 'PathPrefix', value: '/' }, req.path) && headersMatch(m.headers, req.headers))
    .map((m: any) => ({ route: r, rule, length: (m.path?.value ?? '/').length, exact: m.path?.type === 'Exact', headers: (m.headers ?? []).length }))));
  candidates.sort((a, b) => Number(b.exact) - Number(a.exact) || b.length - a.length || b.headers - a.headers);
  return candidates[0];
}

function headersMatch(matches: any[] | undefined, headers: Record<string, string> = {}): boolean {
  return (matches ?? []).every(m => {
    if ((m.type ?? 'Exact') !== 'Exact') throw new Error('only exact header matches are in these tests');
    return headers[String(m.name).toLowerCase()] === m.value;
  });
}

/** A rule's weighted backends (a backend in another namespace needs a ReferenceGrant there). */
function backends(docs: any[], route: any, rule: any): GatewayOutcome {
  const refs = rule.backendRefs ?? [];
  const total = refs.reduce((n: number, r: any) => n + (r.weight ?? 1), 0);
  const destinations: Destination[] = [];
  for (const ref of refs) {
    const namespace = ref.namespace ?? route.metadata.namespace;
    if (namespace !== route.metadata.namespace && !granted(docs, route.metadata.namespace, namespace, ref.name)) {
      return { kind: 'none', reason: `no ReferenceGrant in ${namespace} lets HTTPRoutes of ${route.metadata.namespace} reach Service ${ref.name} (500)` };
    }
    destinations.push({ host: `${ref.name}.${namespace}.svc.${CLUSTER_DOMAIN}`, port: ref.port, weight: round((ref.weight ?? 1) * 100 / total) });
  }
  return { kind: 'route', by: `${route.metadata.namespace}/${route.metadata.name}`, route: rule.name, destinations };
}

/** What a waypoint does with a gateway's requests to one destination. */
export interface WaypointHop {
  readonly waypoint: Waypoint;
  /** The HTTPRoute that took the request, and its rule's name; undefined: the Service's own endpoints. */
  readonly by?: string;
  readonly rule?: string;
  readonly destinations: Destination[];
}

/**
 * The waypoint a gateway's requests to a destination go through, and where it sends them; undefined
 * when the gateway reaches the Service's pods itself (a sidecar namespace, no waypoint, or no
 * `istio.io/ingress-use-waypoint`).
 */
export function waypointRoute(docs: any[], destination: Destination,
  req: { path: string; headers?: Record<string, string> }): WaypointHop | undefined {
  const [name, namespace] = destination.host.split('.');
  if (!inAmbient(docs, namespace) || !ingressUsesWaypoint(docs, namespace, name)) return undefined;
  const waypoint = waypointFor(docs, namespace, name);
  if (!waypoint) return undefined;
  const routes = docs.filter(d => d.kind === 'HTTPRoute' && d.metadata.namespace === namespace && (d.spec.parentRefs ?? []).some((p: any) =>
    p.kind === 'Service' && p.group === '' && p.name === name && (p.namespace ?? namespace) === namespace &&
    (p.port === undefined || destination.port === undefined || p.port === destination.port)));
  const taking = takingRule(routes, req);
  if (!taking) {
    // no route of the Service's own (or none that matches: HTTP 404 from the waypoint)
    if (routes.length > 0) return { waypoint, destinations: [] };
    return { waypoint, destinations: [{ host: destination.host, port: destination.port, weight: 100 }] };
  }
  const outcome = backends(docs, taking.route, taking.rule);
  if (outcome.kind !== 'route') throw new Error(`the waypoint's route fails: ${outcome.kind === 'none' ? outcome.reason : outcome.kind}`);
  return { waypoint, by: outcome.by, rule: outcome.route, destinations: outcome.destinations };
}

/** A gateway's destinations once the waypoints on their way applied the Services' own routes. */
export function afterWaypoints(docs: any[], destinations: Destination[], req: { path: string; headers?: Record<string, string> }): Destination[] {
  return destinations.flatMap(d => {
    const hop = waypointRoute(docs, d, req);
    return hop ? hop.destinations.map(x => ({ ...x, weight: round(x.weight * d.weight / 100) })) : [d];
  });
}

function granted(docs: any[], fromNamespace: string, toNamespace: string, service: string): boolean {
  return docs.some(g => g.kind === 'ReferenceGrant' && g.metadata.namespace === toNamespace &&
    (g.spec.from ?? []).some((f: any) => f.group === 'gateway.networking.k8s.io' && f.kind === 'HTTPRoute' && f.namespace === fromNamespace) &&
    (g.spec.to ?? []).some((t: any) => (t.group ?? '') === '' && t.kind === 'Service' && (t.name === undefined || t.name === service)));
}

/** Gateway API PathPrefix: whole segments (`/api` matches `/api` and `/api/x`, not `/apiary`); a trailing "/" is ignored. */
function pathMatches(path: { type?: string; value?: string }, requestPath: string): boolean {
  const value = path.value ?? '/';
  if (path.type === 'Exact') return requestPath === value;
  const prefix = value.replace(/\/+$/, '');
  return prefix === '' || requestPath === prefix || requestPath.startsWith(`${prefix}/`);
}

/** Istio and Gateway API host matching: `*.example.com` takes any name under it, `*` everything. */
function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

function gatewayRef(ref: string, namespace: string): string {
  if (ref.includes('/')) return ref;
  const [name, ns] = ref.split('.');
  return `${ns ?? namespace}/${name}`;
}

function fqdn(host: string, namespace: string): string {
  return host.includes('.') ? host : `${host}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

