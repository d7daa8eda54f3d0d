// The routes of one ingress, checked as they are added: hosts, path prefixes, the services behind
// them and the route each one carries (its timeout and retries, and a canary's weights). Internal.
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { checkHost, checkPathPrefix } from './hosts';
import { serviceHost } from '../common/istio';
import { invalid } from '../common/validation';
import type { GatewayRouting } from '../data-plane/data-plane';
import type { WorkloadIntent } from '../graph/model';
import type { AnalysisEngine } from '../traffic/canary-analysis';
import { resolveRouteResilience, RetryPolicy, RouteResilience } from '../traffic/retries';
import type { RouteSpec } from '../traffic/routing';

/** What `MeshIngress.route()` takes besides the host and the service. */
export interface RouteInput {
  readonly pathPrefix?: string;
  readonly timeout?: Duration;
  readonly retries?: RetryPolicy;
}

/** A route of an ingress, checked. */
export interface IngressRoute {
  readonly host: string;
  /** Without a trailing "/", except for "/" itself. */
  readonly pathPrefix: string;
  readonly target: WorkloadIntent;
  /** The Service port the gateway dials. */
  readonly port: number;
  /** The service's fully qualified host. */
  readonly serviceHost: string;
  readonly resilience: RouteResilience;
  /** The options given for this route. */
  readonly options: RouteInput;
  /**
   * The mesh route the gateway route must carry (subsets, weights, header route, mirroring), as the
   * service's data plane says; undefined: the route sends to the Service.
   */
  readonly split?: RouteSpec;
  /** The controller that moves the weights. */
  readonly engine?: AnalysisEngine;
  /** What that controller does with the gateway's route: writes it, or weights it. */
  readonly controller?: GatewayRouting['controller'];
}

/** The routes of one ingress, in the order they were added. */
export class IngressRoutes {
  public readonly all: IngressRoute[] = [];

  /** Checks a route (with `check`, the API's own checks) and adds it. */
  public add(scope: IConstruct, host: string, target: WorkloadIntent, input: RouteInput, check: (route: IngressRoute) => void): IngressRoute {
    checkHost(scope, 'host', host);
    const pathPrefix = checkPathPrefix(scope, 'pathPrefix', input.pathPrefix ?? '/');
    const at = `${host}${pathPrefix}`;
    const same = this.all.find(r => r.host === host && r.pathPrefix === pathPrefix);
    if (same) {
      throw invalid(scope, 'route', at,
        `is already routed to ${same.target.description}; each host and path prefix goes to one service: remove one of the routes or give it another pathPrefix`);
    }
    const port = target.ports[0];
    if (!port?.http) {
      throw invalid(scope, 'route', target.description,
        `speaks TCP on port ${port?.port}, which an HTTP route cannot reach; route it with a TCP or TLS route of the gateway instead`);
    }
    const routing = target.routing;
    const overridden = input.timeout !== undefined || input.retries !== undefined;
    const resilience = overridden || !routing
      ? resolveRouteResilience(scope, `${at} -> ${target.description}`, input.timeout ?? routing?.timeout, input.retries ?? routing?.retries)
      : routing.resilience;
    // the data plane says what the gateway's route carries; an ambient service whose waypoint
    // applies its route is routed plainly to the Service, the waypoint splits (data-plane/ambient.ts)
    const { split, controller } = target.namespace.dataPlane.gatewayRouting(scope, target);
    const route: IngressRoute = {
      host,
      pathPrefix,
      target,
      port: port.port,
      serviceHost: serviceHost(target.serviceName!, target.namespace.name, target.namespace.clusterDomain),
      resilience,
      options: input,
      split,
      engine: routing?.engine,
      controller,
    };
    this.checkFlagger(scope, route);
    check(route);
    this.all.push(route);
    return route;
  }

  /** The hosts, in the order they were first routed. */
  public hosts(): string[] {
    return [...new Set(this.all.map(r => r.host))];
  }

  /** The routes of a host, the most specific path prefix first (both APIs pick the first route that matches). */
  public of(host: string): IngressRoute[] {
    return this.all.filter(r => r.host === host).sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
  }

  /**
   * Flagger (with Istio's provider) writes the whole VirtualService of its service, with no path
   * match, and binds it to the gateways it is given: the host is its own.
   */
  private checkFlagger(scope: IConstruct, route: IngressRoute): void {
    const others = this.all.filter(r => r.host === route.host);
    const flagger = [route, ...others].find(r => r.controller === 'writes');
    if (!flagger) return;
    const why = `Flagger writes the VirtualService of ${flagger.target.description} itself, for every path of the host it is given`;
    if (others.length > 0 || route.pathPrefix !== '/') {
      throw invalid(scope, 'route', `${route.host}${route.pathPrefix}`,
        `${why}, so it must be the only route of host "${route.host}", at "/"; give it a host of its own, or use CanaryAnalysis.argoRollouts(), whose routes a path prefix can carry`);
    }
    if (route.options.timeout !== undefined || route.options.retries !== undefined) {
      throw invalid(scope, 'route timeout', `${route.host}${route.pathPrefix}`,
        `${why}, with the CanaryService's own timeout and retries; set them on the CanaryService`);
    }
  }
}
