// The routing of a CanaryService through Istio's own API (networking.istio.io/v1): a DestinationRule
// (mutual TLS, circuit breaking, one subset per version) and a VirtualService (weights, timeout,
// retries). The data plane chooses it (data-plane/data-plane.ts `renderRoute`). Internal.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ResolvedCircuitBreaker } from './circuit-breaking';
import { AppProtocol, isHttpFamily } from './port-naming';
import { RouteResilience } from './retries';
import {
  DestinationRule, DestinationRuleSpecTrafficPolicyTlsMode, VirtualService, VirtualServiceSpecHttp,
} from '../../imports/networking.istio.io';
import type { RouteBudget } from '../graph/model';

/**
 * An exact match on an HTTP request header.
 */
export interface HeaderMatch {
  /** Header name, lowercase as Istio requires (e.g. "x-canary"). */
  readonly name: string;
  /** The exact value that selects the route (e.g. "always"). */
  readonly value: string;
}

/** Name of the weighted route; progressive-delivery controllers refer to it. */
export const PRIMARY_ROUTE = 'primary';
/** Name of the route that sends requests carrying the canary header to the canary. */
export const CANARY_HEADER_ROUTE = 'canary-header';

/** A DestinationRule subset. */
export interface Subset {
  readonly name: string;
  readonly labels: Record<string, string>;
}

/** A weighted destination of the primary route. */
export interface WeightedSubset {
  readonly subset: string;
  readonly weight: number;
}

/** What a route to a CanaryService is made of, whatever API renders it. */
export interface RouteSpec {
  /** Object name; also the host, the Service's short name. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly protocol: AppProtocol;
  readonly subsets: Subset[];
  readonly circuitBreaker: ResolvedCircuitBreaker;
  /** Destinations of the primary route, stable first. */
  readonly split: WeightedSubset[];
  /** The canary subset, for the header route and mirroring. */
  readonly canarySubset?: string;
  readonly canaryHeader?: HeaderMatch;
  readonly mirrorPercentage?: number;
  readonly resilience: RouteResilience;
  /** The progressive-delivery controller that moves the weights, when one does ("Argo Rollouts"). */
  readonly controller?: string;
  /** The Service's port, for routes that need Services of their own (Gateway API's per-version backends). */
  readonly servicePort?: { readonly port: number; readonly targetPort: number; readonly name: string };
  /** Whether the user set the circuit breaker (otherwise its defaults apply). */
  readonly explicitCircuitBreaker?: boolean;
}

/** The objects a route renders, for the CanaryService's escape hatches and Argo Rollouts. */
export interface RenderedRoute {
  /** With Istio's API (sidecars). */
  readonly destinationRule?: ApiObject;
  readonly virtualService?: ApiObject;
  /** With Gateway API (ambient): the HTTPRoute, the per-version Services and their DestinationRules. */
  readonly httpRoute?: ApiObject;
  readonly versionServices?: ApiObject[];
  readonly destinationRules?: ApiObject[];
  /** The timeout and retries the data plane applies, when they differ from what was asked for. */
  readonly budget?: RouteBudget;
}

/** The DestinationRule and VirtualService of a route. */
export function addIstioRoute(scope: Construct, route: RouteSpec): { destinationRule: ApiObject; virtualService: ApiObject } {
  return {
    destinationRule: addDestinationRule(scope, 'DestinationRule', route),
    virtualService: addVirtualService(scope, 'VirtualService', route),
  };
}

/**
 * The DestinationRule: Istio mutual TLS to every pod, circuit breaking, one subset per version.
 */
function addDestinationRule(scope: Construct, id: string, o: RouteSpec): ApiObject {
  return new DestinationRule(scope, id, {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      host: o.name,
      trafficPolicy: {
        tls: { mode: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL },
        ...circuitBreakerPolicy(o.circuitBreaker, o.protocol),
      },
      subsets: o.subsets.map(s => ({ name: s.name, labels: s.labels })),
    },
  });
}

/** A DestinationRule's connection pool and outlier detection, from a circuit breaker. */
export function circuitBreakerPolicy(cb: ResolvedCircuitBreaker, protocol: AppProtocol) {
  return {
    connectionPool: {
      tcp: { maxConnections: cb.maxConnections },
      http: isHttpFamily(protocol)
        ? { http1MaxPendingRequests: cb.http1MaxPendingRequests, http2MaxRequests: cb.http2MaxRequests }
        : undefined,
    },
    outlierDetection: {
      consecutive5XxErrors: cb.consecutive5xxErrors,
      interval: cb.interval,
      baseEjectionTime: cb.baseEjectionTime,
      maxEjectionPercent: cb.maxEjectionPercent,
    },
  };
}

/**
 * The VirtualService: the weighted split, and for HTTP the timeout, retries, an optional header
 * route to the canary (first, as Istio evaluates routes in order) and optional mirroring.
 */
function addVirtualService(scope: Construct, id: string, o: RouteSpec): ApiObject {
  const destination = (subset: string) => ({ host: o.name, subset });
  const metadata = { name: o.name, namespace: o.namespace, labels: o.labels };

  if (!isHttpFamily(o.protocol)) {
    return new VirtualService(scope, id, {
      metadata,
      spec: {
        hosts: [o.name],
        tcp: [{ route: o.split.map(s => ({ destination: destination(s.subset), weight: s.weight })) }],
      },
    });
  }

  const { timeout, retries } = o.resilience;
  const http: VirtualServiceSpecHttp[] = [];
  if (o.canaryHeader && o.canarySubset) {
    http.push({
      name: CANARY_HEADER_ROUTE,
      match: [{ headers: { [o.canaryHeader.name]: { exact: o.canaryHeader.value } } }],
      route: [{ destination: destination(o.canarySubset) }],
      timeout,
      retries,
    });
  }
  const mirror = o.mirrorPercentage !== undefined && o.canarySubset !== undefined;
  http.push({
    name: PRIMARY_ROUTE,
    route: o.split.map(s => ({ destination: destination(s.subset), weight: s.weight })),
    timeout,
    retries,
    mirror: mirror ? destination(o.canarySubset!) : undefined,
    mirrorPercentage: mirror ? { value: o.mirrorPercentage } : undefined,
  });
  return new VirtualService(scope, id, { metadata, spec: { hosts: [o.name], http } });
}
