// An ingress in Istio's own API (networking.istio.io/v1): one Gateway on the gateway's pods, with an
// HTTPS server and an HTTP server that redirects, and one VirtualService per host bound to it.
//
// A route to a CanaryService carries the service's mesh route: the same subsets and weights, header
// route and mirroring, timeout and retries, under the route's path match. A gateway applies only the
// VirtualServices bound to it, never the service's own (which binds to `mesh`): without them, the
// gateway would balance over every pod of the Service, about 50% to a one-pod canary of a 95/5
// split (issue 18). Binding the service's own VirtualService to the gateway instead would claim
// every path of the host, since its weighted route has no match.
//
// A route to an Argo Rollouts canary is delegated to a VirtualService beside the service, which
// Argo Rollouts weights with the service's own: Argo patches only destinations whose host is the
// DestinationRule's host, as written (the service's short name, which resolves in the service's
// namespace only; argo-rollouts rollout/trafficrouting/istio/istio.go `reconcileVirtualService`).
// Flagger writes its own VirtualService and binds it to the gateway (flagger.ts): the ingress
// writes none for that host. What a route carries is the service's data plane's to say
// (`DataPlaneRenderer.gatewayRouting`): in ambient, where the namespace's waypoint applies the
// service's own route (an HTTPRoute, Flagger's too) to the gateway's requests, the route sends to
// the Service plainly, with no subsets (ambient writes none) and no weights.
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { hostSlug, labelName, servedHosts } from './hosts';
import type { GatewayCaller, IngressRenderer, IngressSettings } from './ingress-api';
import type { ResolvedIngressGateway } from './ingress-gateway';
import type { IngressRoute } from './ingress-routes';
import {
  Gateway, GatewaySpecServersTlsMode, VirtualService, VirtualServiceSpecHttp, VirtualServiceSpecHttpMatch,
} from '../../imports/networking.istio.io';
import { hostsMatch } from '../analysis/_hosts';
import { sha256 } from '../common/hash';
import { invalid, invalidMessage } from '../common/validation';
import { MeshModel } from '../graph/model';
import { CANARY_HEADER_ROUTE, PRIMARY_ROUTE } from '../traffic/routing';

/** The Istio-API rendering of an ingress. */
export class IstioApiRenderer implements IngressRenderer {
  public readonly namespace: string;
  public readonly caller: GatewayCaller;
  public readonly sharedGateway: string;
  private readonly httpsServerPort: number;
  private readonly httpServerPort?: number;
  private readonly gatewayRef: string;

  public constructor(scope: Construct, private readonly gateway: ResolvedIngressGateway, private readonly settings: IngressSettings) {
    this.namespace = gateway.namespace;
    this.caller = { namespace: gateway.namespace, serviceAccountName: gateway.serviceAccountName, podLabels: gateway.selector };
    this.sharedGateway = `${gateway.namespace}/${gateway.name}`;
    // the analysis checks the Gateway's servers against the gateway's Service, which Istio's install
    // deploys: it stands in with the ports this gateway was given
    MeshModel.of(scope).addGatewayService({
      construct: scope, name: gateway.name, namespace: gateway.namespace, selector: gateway.selector, ports: gateway.ports,
    });
    this.gatewayRef = `${gateway.namespace}/${settings.name}`;
    this.httpsServerPort = this.podPort(scope, 'httpsPort', settings.httpsPort);
    if (settings.httpsRedirect) {
      if (settings.httpsPort !== 443) {
        // Envoy's https_redirect keeps the host and drops the port: the client comes back on 443
        throw invalid(scope, 'httpsPort', settings.httpsPort,
          'is not 443, where the HTTP server\'s redirect (tls.httpsRedirect) sends clients; serve HTTPS on Service port 443, or set httpsRedirect: false');
      }
      this.httpServerPort = this.podPort(scope, 'httpPort', settings.httpPort);
    }
  }

  public checkRoute(): void {
    // every route can be carried: subsets, weights and header routes are Istio's own
  }

  public renderGateway(scope: Construct, secretName: string): ApiObject {
    const hosts = () => this.settings.routes.hosts().map(h => `${this.routeNamespace(h)}/${h}`);
    return new Gateway(scope, 'Gateway', {
      metadata: { name: this.settings.name, namespace: this.namespace, labels: this.settings.labels },
      spec: {
        selector: { ...this.gateway.selector },
        servers: Lazy.any({
          produce: () => [
            {
              name: 'https',
              port: { number: this.httpsServerPort, name: 'https', protocol: 'HTTPS' },
              hosts: hosts(),
              tls: { mode: GatewaySpecServersTlsMode.SIMPLE, credentialName: secretName },
            },
            ...this.httpServerPort === undefined ? [] : [{
              name: 'http',
              port: { number: this.httpServerPort, name: 'http', protocol: 'HTTP' },
              hosts: hosts(),
              tls: { httpsRedirect: true },
            }],
          ],
        }),
      },
    });
  }

  public addRoute(scope: Construct, route: IngressRoute) {
    const intent = { gateway: this.gatewayRef, host: route.host };
    if (route.controller === 'writes') return intent;
    this.ensureVirtualService(scope, route.host);
    if (route.controller !== 'weights') return intent;
    const delegate = this.delegateName(route);
    new VirtualService(scope, `Delegate-${delegate}`, {
      metadata: { name: delegate, namespace: route.target.namespace.name, labels: this.settings.labels },
      // a delegate has no hosts and no gateways: the host's VirtualService sends the path to it
      spec: { http: this.carried(route, route.target.serviceName!, []) },
    });
    return { ...intent, virtualService: { name: delegate, namespace: route.target.namespace.name, routes: [PRIMARY_ROUTE] } };
  }

  public routeObject(scope: Construct, host: string): ApiObject | undefined {
    return scope.node.tryFindChild(`VirtualService-${host}`) as ApiObject | undefined;
  }

  /**
   * Every host of the ingress's VirtualServices must be one its Gateway serves to their namespace, or
   * the gateway never routes it (istioctl IST0132 VirtualServiceHostNotFoundInGateway, which istioctl
   * reports only when no host at all is served; a VirtualService bound to no sidecar has no other use
   * for a host). Checked on the objects as written, escape-hatch patches included.
   */
  public validate(scope: Construct): string[] {
    const gateway = (scope.node.findChild('Gateway') as ApiObject).toJson();
    return this.settings.routes.hosts().flatMap(host => {
      const vs = this.routeObject(scope, host)?.toJson();
      if (!vs) return [];
      const served = servedHosts(gateway, vs.metadata.namespace);
      const missing = (vs.spec?.hosts ?? []).filter((h: string) => !served.some(s => hostsMatch(s, h)));
      if (missing.length === 0) return [];
      return [invalidMessage('hosts', missing,
        `VirtualService ${vs.metadata.namespace}/${vs.metadata.name} is bound to Gateway ${this.gatewayRef}, which serves no such host to namespace ` +
        `${vs.metadata.namespace}, so the gateway never routes them (istioctl IST0132 VirtualServiceHostNotFoundInGateway); route each host with route(), ` +
        'or remove it from the VirtualService')];
    });
  }

  /**
   * The pod port behind a Service port of the gateway: where a Gateway server listens (istioctl
   * IST0162 GatewayPortNotDefinedOnService compares servers with the Service's target ports;
   * pkg/config/analysis/analyzers/gateway/gateway.go).
   */
  private podPort(scope: Construct, field: string, port: number): number {
    const found = this.gateway.ports.find(p => p.port === port);
    if (!found) {
      throw invalid(scope, field, port,
        `is not a TCP port of the Service of gateway ${this.sharedGateway} (it has ${this.gateway.ports.map(p => p.port).join(', ') || 'none'}), ` +
        'so no traffic would reach the Gateway server (istioctl IST0162 GatewayPortNotDefinedOnService); use one of its ports, or add the port to the gateway');
    }
    return found.targetPort;
  }

  /** The namespace of the VirtualService that binds a host: Flagger's, beside its service, or the gateway's. */
  private routeNamespace(host: string): string {
    const flagger = this.settings.routes.of(host).find(r => r.controller === 'writes');
    return flagger ? flagger.target.namespace.name : this.namespace;
  }

  private ensureVirtualService(scope: Construct, host: string): void {
    if (this.routeObject(scope, host)) return;
    new VirtualService(scope, `VirtualService-${host}`, {
      metadata: { name: labelName(this.settings.name, hostSlug(host)), namespace: this.namespace, labels: this.settings.labels },
      spec: {
        hosts: [host],
        gateways: [this.gatewayRef],
        http: Lazy.any({ produce: () => this.settings.routes.of(host).flatMap(r => this.httpRoutes(r)) }),
      },
    });
  }

  /** The routes of the host's VirtualService for one ingress route. */
  private httpRoutes(route: IngressRoute): VirtualServiceSpecHttp[] {
    const name = routeName(route);
    if (route.controller === 'weights') {
      return [{ name, match: pathMatches(route.pathPrefix), delegate: { name: this.delegateName(route), namespace: route.target.namespace.name } }];
    }
    return this.carried(route, route.serviceHost, pathMatches(route.pathPrefix), name);
  }

  /**
   * The service's mesh route under a path match: a header route to the canary first (Istio takes the
   * first route that matches), then the weighted route, or a plain route to a service without one.
   */
  private carried(route: IngressRoute, host: string, match: VirtualServiceSpecHttpMatch[], name?: string): VirtualServiceSpecHttp[] {
    const { timeout, retries } = route.resilience;
    const destination = (subset?: string) => ({ host, port: { number: route.port }, subset });
    const matching = match.length > 0 ? match : undefined;
    const split = route.split;
    if (!split) return [{ name: name ?? PRIMARY_ROUTE, match: matching, route: [{ destination: destination() }], timeout, retries }];
    const http: VirtualServiceSpecHttp[] = [];
    if (split.canaryHeader && split.canarySubset) {
      const header = { [split.canaryHeader.name]: { exact: split.canaryHeader.value } };
      http.push({
        name: name ? `${name}-${CANARY_HEADER_ROUTE}` : CANARY_HEADER_ROUTE,
        match: match.length > 0 ? match.map(m => ({ ...m, headers: header })) : [{ headers: header }],
        route: [{ destination: destination(split.canarySubset) }],
        timeout,
        retries,
      });
    }
    const mirror = split.mirrorPercentage !== undefined && split.canarySubset !== undefined;
    http.push({
      name: name ?? PRIMARY_ROUTE,
      match: matching,
      route: split.split.map(s => ({ destination: destination(s.subset), weight: s.weight })),
      timeout,
      retries,
      mirror: mirror ? destination(split.canarySubset) : undefined,
      mirrorPercentage: mirror ? { value: split.mirrorPercentage } : undefined,
    });
    return http;
  }

  private delegateName(route: IngressRoute): string {
    return labelName(this.settings.name, hostSlug(route.host), pathSlug(route.pathPrefix));
  }
}

/**
 * A path prefix as whole path segments, as the Gateway API's PathPrefix matches: `/api` matches
 * `/api` and `/api/...`, not `/apiary` (Istio's `uri.prefix` alone would).
 */
function pathMatches(prefix: string): VirtualServiceSpecHttpMatch[] {
  if (prefix === '/') return [{ uri: { prefix: '/' } }];
  return [{ uri: { exact: prefix } }, { uri: { prefix: `${prefix}/` } }];
}

/** The route's name: the service's, and the path's when it is not "/" (Argo Rollouts and access logs name routes). */
function routeName(route: IngressRoute): string {
  return labelName(route.target.serviceName!, pathSlug(route.pathPrefix));
}

/** A path prefix as a DNS label part: `/api/v1` -> `api-v1`; a hash when its characters would not tell it apart. */
function pathSlug(prefix: string): string {
  if (prefix === '/') return '';
  const segments = prefix.slice(1).split('/');
  return segments.every(s => /^[a-z0-9]+$/.test(s)) ? segments.join('-') : `path-${sha256(prefix, 8)}`;
}
