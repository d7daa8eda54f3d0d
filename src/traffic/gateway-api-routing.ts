// The routing of a CanaryService through Gateway API, as an ambient namespace's waypoint applies it
// (GAMMA: an HTTPRoute whose parent is the Service; Gateway API docs, "Gateway API for Service
// Mesh"). DestinationRule subsets do not apply to HTTPRoute, so every version gets a Service of its
// own as a weighted backend, and a DestinationRule per backend carries the circuit breaker, which
// the waypoint applies (Istio docs, "Migrate policies": DestinationRule traffic policies unchanged,
// subsets replaced by per-version Services). The ambient data plane chooses it (data-plane/ambient.ts).
//
// Retries: Gateway API's standard channel (1.6.1) has no HTTPRoute `retry` (GEP-1731 is
// experimental), and Istio converts an HTTPRoute without one into a route with its default retry
// policy: 2 retries on connect-failure, refused-stream, unavailable and cancelled, no per-try
// timeout (istio 1.30 pilot/pkg/config/kube/gateway/conversion.go, route/retry/retry.go
// DefaultPolicy). The experimental `retry` field would fail validation against the standard CRDs
// and be pruned by an API server that serves them, and a VirtualService on a waypoint is alpha and
// must not be mixed with HTTPRoute (Istio docs, "Use Layer 7 features"). So the route carries no
// retries, and a warning names every service whose retry policy differs from what the waypoint
// then does. Internal.
import { ApiObject, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ResolvedCircuitBreaker } from './circuit-breaking';
import { AppProtocol, isHttpFamily } from './port-naming';
import { DEFAULT_ATTEMPTS, RouteResilience, SAFE_RETRY_ON } from './retries';
import { CANARY_HEADER_ROUTE, circuitBreakerPolicy, PRIMARY_ROUTE, RenderedRoute, RouteSpec } from './routing';
import { HttpRoute, HttpRouteSpecRules, HttpRouteSpecRulesFiltersType, HttpRouteSpecRulesMatchesHeadersType } from '../../imports/gateway.networking.k8s.io';
import { DestinationRule } from '../../imports/networking.istio.io';
import { formatGatewayDuration } from '../common/duration';
import { invalid } from '../common/validation';
import type { RouteBudget } from '../graph/model';

/** Istio's retry policy for routes that set none (pilot/pkg/networking/core/route/retry/retry.go). */
export const ISTIO_DEFAULT_RETRIES = {
  attempts: 2,
  retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'],
} as const;

/** What a route asks of a waypoint, in words for the waypoint's annotation; empty: ztunnel suffices. */
export function routeNeeds(route: RouteSpec): string[] {
  const needs: string[] = [];
  if (route.split.length > 1 || route.canarySubset !== undefined) needs.push('a canary');
  if (route.canaryHeader) needs.push('a canary header route');
  if (route.mirrorPercentage !== undefined) needs.push('mirroring');
  if (route.resilience.timeout !== undefined) needs.push('a route timeout');
  const r = route.resilience.retries;
  if (r && r.attempts > 0 && !isDefaultRetryPolicy(route.resilience)) needs.push('retries');
  if (route.explicitCircuitBreaker) needs.push('a circuit breaker');
  return needs;
}

/** The name of a version's own Service, the HTTPRoute's backend. */
export function versionServiceName(service: string, version: string): string {
  return `${service}-${version}`;
}

/**
 * The HTTPRoute (HTTP, HTTP/2, gRPC), the per-version Services and their DestinationRules; for TCP,
 * where standard Gateway API has no route, a DestinationRule on the Service alone.
 */
export function addGatewayApiRoute(scope: Construct, o: RouteSpec): RenderedRoute {
  if (!isHttpFamily(o.protocol)) {
    if (o.split.length > 1 || o.canarySubset !== undefined) {
      throw invalid(scope, 'canary', o.canarySubset,
        `cannot be routed by weight in an ambient namespace: protocol is "${o.protocol}", and Gateway API's standard channel has no ` +
        'TCPRoute, so the Service would split connections by pod count; remove the canary, or run the service in a sidecar namespace');
    }
    return { destinationRules: [addTrafficPolicy(scope, 'DestinationRule', o.name, o, o.circuitBreaker)] };
  }
  const port = o.servicePort;
  if (!port) throw new Error(`${scope.node.path}: a Gateway API route needs the Service port`);
  const services = o.subsets.map(subset => {
    const name = versionServiceName(o.name, subset.name);
    if (name.length > 63) {
      throw invalid(scope, 'name', o.name,
        `and version "${subset.name}" make the version's Service name "${name}" longer than 63 characters (Gateway API routes to a Service per version); shorten one of them`);
    }
    return { subset: subset.name, name, object: addVersionService(scope, `Service-${subset.name}`, name, o, subset.labels, port) };
  });
  const backend = (subset: string) => ({ name: versionServiceName(o.name, subset), port: port.port });
  const timeouts = o.resilience.timeout === undefined ? undefined
    : { request: formatGatewayDuration(Duration.millis(o.resilience.budget.timeoutMs!)) };
  const rules: HttpRouteSpecRules[] = [];
  if (o.canaryHeader && o.canarySubset) {
    rules.push({
      name: CANARY_HEADER_ROUTE,
      matches: [{ headers: [{ type: HttpRouteSpecRulesMatchesHeadersType.EXACT, name: o.canaryHeader.name, value: o.canaryHeader.value }] }],
      backendRefs: [backend(o.canarySubset)],
      timeouts,
    });
  }
  const mirror = o.mirrorPercentage !== undefined && o.canarySubset !== undefined;
  rules.push({
    name: PRIMARY_ROUTE,
    backendRefs: o.split.map(s => ({ ...backend(s.subset), weight: s.weight })),
    filters: mirror ? [{
      type: HttpRouteSpecRulesFiltersType.REQUEST_MIRROR,
      requestMirror: { backendRef: backend(o.canarySubset!), ...mirrorShare(o.mirrorPercentage!) },
    }] : undefined,
    timeouts,
  });
  const httpRoute = new HttpRoute(scope, 'HTTPRoute', {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: o.name, port: port.port }],
      rules,
    },
  });
  const destinationRules = services.map(s => addTrafficPolicy(scope, `DestinationRule-${s.subset}`, s.name, o, o.circuitBreaker));
  return { httpRoute, versionServices: services.map(s => s.object), destinationRules };
}

/**
 * A DestinationRule on one host with the circuit breaker. No `tls`: HBONE is mutual TLS already,
 * and a waypoint ignores ISTIO_MUTUAL (istio 1.30 pilot/pkg/networking/core/cluster_waypoint.go).
 */
export function addTrafficPolicy(scope: Construct, id: string, host: string, o: {
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly protocol: AppProtocol;
}, cb: ResolvedCircuitBreaker): ApiObject {
  return new DestinationRule(scope, id, {
    metadata: { name: host, namespace: o.namespace, labels: o.labels },
    spec: { host, trafficPolicy: circuitBreakerPolicy(cb, o.protocol) },
  });
}

/** A version's Service: the apex Service's port, selecting that version's pods only. */
function addVersionService(scope: Construct, id: string, name: string, o: RouteSpec, labels: Record<string, string>,
  port: NonNullable<RouteSpec['servicePort']>): ApiObject {
  return new k8s.KubeService(scope, id, {
    metadata: { name, namespace: o.namespace, labels: o.labels },
    spec: {
      selector: { app: o.name, ...labels },
      ports: [{
        name: port.name,
        port: port.port,
        targetPort: k8s.IntOrString.fromNumber(port.targetPort),
        protocol: 'TCP',
        appProtocol: o.protocol,
      }],
    },
  });
}

/** A mirrored share: a whole percentage, or a fraction of 10000 for decimals. */
function mirrorShare(percentage: number): { percent?: number; fraction?: { numerator: number; denominator: number } } {
  return Number.isInteger(percentage) ? { percent: percentage } : { fraction: { numerator: Math.round(percentage * 100), denominator: 10000 } };
}

/** Whether the route's retries are the library's default (2 retries of requests never received). */
export function isDefaultRetryPolicy(r: RouteResilience): boolean {
  return r.retries?.attempts === DEFAULT_ATTEMPTS && r.retries.perTryTimeout === undefined && r.retries.retryOn === SAFE_RETRY_ON.join(',');
}

/**
 * The warning for a service whose retry policy the waypoint does not apply, or undefined when
 * Istio's default policy is as good: the library's default, on HTTP (Istio's extra "unavailable"
 * and "cancelled" only match gRPC statuses).
 */
export function waypointRetryWarning(service: string, r: RouteResilience, protocol: AppProtocol): string | undefined {
  if (!isHttpFamily(protocol) || !r.retries) return undefined;
  const asked = r.retries;
  if (isDefaultRetryPolicy(r) && protocol !== AppProtocol.GRPC) return undefined;
  const policy = asked.attempts === 0 ? '{ attempts: 0 }'
    : `{ attempts: ${asked.attempts}${asked.perTryTimeout ? `, perTryTimeout: ${asked.perTryTimeout}` : ''}, retryOn: "${asked.retryOn}" }`;
  return `service ${service}: retries ${policy} cannot be written for the waypoint of an ambient namespace: Gateway API's standard ` +
    `channel has no HTTPRoute retries, so the waypoint applies Istio's default policy (${ISTIO_DEFAULT_RETRIES.attempts} retries on ` +
    `${ISTIO_DEFAULT_RETRIES.retryOn.join(', ')}, no per-try timeout${protocol === AppProtocol.GRPC ? '; for gRPC "unavailable" ' +
      'and "cancelled" may resend requests the application already received' : ''}); set meshConfig.defaultHttpRetryPolicy for the ` +
    'whole mesh, or run the service in a sidecar namespace to have its own policy';
}

/** The timeout and retries a waypoint applies to a route it carries: Istio's default retries. */
export function waypointBudget(r: RouteResilience): RouteBudget {
  return { timeoutMs: r.budget.timeoutMs, retries: ISTIO_DEFAULT_RETRIES.attempts };
}
