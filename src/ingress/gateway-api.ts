// An ingress in the Gateway API (gateway.networking.k8s.io/v1): a Gateway of class `istio`, from
// which Istio deploys a gateway of its own (a Deployment and a Service `<name>-<class>`, listening on
// the listener ports: istiod's files/kube-gateway.yaml lets it bind any port), an HTTPRoute per host
// on its HTTPS listeners, an HTTPRoute that redirects its HTTP listeners to HTTPS, and a
// ReferenceGrant in every other namespace a route sends to (Gateway API "ReferenceGrant": a
// backendRef to another namespace is refused without one).
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { hostSlug, labelName } from './hosts';
import type { GatewayApiIngressOptions, GatewayCaller, IngressRenderer, IngressSettings } from './ingress-api';
import type { IngressRoute } from './ingress-routes';
import {
  Gateway, GatewaySpecListenersAllowedRoutesNamespacesFrom, GatewaySpecListenersTlsMode, HttpRoute, HttpRouteSpecRules,
  HttpRouteSpecRulesFiltersRequestRedirectScheme, HttpRouteSpecRulesFiltersRequestRedirectStatusCode, HttpRouteSpecRulesFiltersType,
  HttpRouteSpecRulesMatchesPathType, ReferenceGrant,
} from '../../imports/gateway.networking.k8s.io';
import { ISTIO_NAMESPACE } from '../common/istio';
import { checkDnsLabel, invalid } from '../common/validation';
import { MeshModel } from '../graph/model';

/** The label Istio's gateway deployment puts on the pods of a Gateway (istiod files/kube-gateway.yaml). */
const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

// Gateway API limits (gateway-api 1.6.1 CRDs): 64 listeners per Gateway, 16 rules per HTTPRoute.
const MAX_LISTENERS = 64;
const MAX_RULES = 16;

/** The Gateway-API rendering of an ingress. */
export class GatewayApiRenderer implements IngressRenderer {
  public readonly namespace: string;
  public readonly caller: GatewayCaller;
  public readonly sharedGateway = undefined;
  private readonly className: string;

  public constructor(scope: Construct, options: GatewayApiIngressOptions, private readonly settings: IngressSettings) {
    this.namespace = checkDnsLabel(scope, 'namespace', options.namespace ?? ISTIO_NAMESPACE);
    this.className = checkDnsLabel(scope, 'gatewayClassName', options.gatewayClassName ?? 'istio');
    if (MeshModel.of(scope).namespaces.get(this.namespace)?.managed) {
      throw invalid(scope, 'namespace', this.namespace,
        'is a zero-trust namespace, whose deny-by-default policies would select the gateway Istio deploys there and refuse every user; ' +
        'put the Gateway in a namespace of its own (e.g. "istio-ingress") or in "istio-system"');
    }
    // Istio names the gateway's Deployment and service account `<gateway>-<class>` (GetDefaultName)
    this.caller = {
      namespace: this.namespace,
      serviceAccountName: `${settings.name}-${this.className}`,
      podLabels: { [GATEWAY_NAME_LABEL]: settings.name },
    };
  }

  public checkRoute(scope: Construct, route: IngressRoute): void {
    const at = `${route.host}${route.pathPrefix}`;
    const versions = route.split?.split.length ?? 1;
    if (route.controller !== undefined || versions > 1) {
      // an HTTPRoute sends to a Service, never to a DestinationRule subset: Istio's gateway would
      // balance over every pod of the Service, whatever the weights (issue 18). In ambient the
      // data plane carries no split here: the waypoint applies the service's own route
      throw invalid(scope, 'route', at,
        `goes to ${route.target.description}, whose versions are split by weight${route.engine ? ` by ${route.engine}` : ''}, and an HTTPRoute ` +
        'can only weight Services, not a DestinationRule\'s subsets, so the gateway would split by pod count instead; expose it with ' +
        'IngressApi.istio(), whose routes carry the split, or run the service in a DataPlane.ambient() namespace, whose waypoint splits ' +
        'the gateway\'s requests too');
    }
    if (route.options.retries !== undefined) {
      // HTTPRoute `retry` is in the experimental channel only (gateway-api 1.6.1 standard CRDs)
      throw invalid(scope, 'retries', route.options.retries,
        'cannot be written in the Gateway API\'s standard HTTPRoute, which has no retry policy (its `retry` field is experimental); ' +
        'remove it, or use IngressApi.istio()');
    }
    if (this.settings.routes.of(route.host).length >= MAX_RULES) {
      throw invalid(scope, 'route', at, `would be rule ${MAX_RULES + 1} of the HTTPRoute of host "${route.host}", above the Gateway API's ${MAX_RULES}; use another host`);
    }
    const hosts = this.settings.routes.hosts();
    const listeners = (hosts.includes(route.host) ? hosts.length : hosts.length + 1) * (this.settings.httpsRedirect ? 2 : 1);
    if (listeners > MAX_LISTENERS) {
      throw invalid(scope, 'host', route.host, `would need ${listeners} listeners, above the Gateway API's ${MAX_LISTENERS}; use another MeshIngress`);
    }
  }

  public renderGateway(scope: Construct, secretName: string): ApiObject {
    const s = this.settings;
    const gateway = new Gateway(scope, 'Gateway', {
      metadata: { name: s.name, namespace: this.namespace, labels: s.labels },
      spec: {
        gatewayClassName: this.className,
        listeners: Lazy.any({
          produce: () => s.routes.hosts().flatMap(host => [
            {
              name: httpsListener(host),
              hostname: host,
              port: s.httpsPort,
              protocol: 'HTTPS',
              tls: { mode: GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ group: '', kind: 'Secret', name: secretName }] },
              allowedRoutes: sameNamespace(),
            },
            ...s.httpsRedirect ? [{ name: httpListener(host), hostname: host, port: s.httpPort, protocol: 'HTTP', allowedRoutes: sameNamespace() }] : [],
          ]),
        }),
      },
    });
    if (s.httpsRedirect) {
      new HttpRoute(scope, 'HttpsRedirect', {
        metadata: { name: labelName(s.name, 'https-redirect'), namespace: this.namespace, labels: s.labels },
        spec: {
          parentRefs: Lazy.any({ produce: () => s.routes.hosts().map(host => ({ name: s.name, sectionName: httpListener(host) })) }),
          rules: [{
            filters: [{
              type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
              // without a port, a redirect to https goes to 443 (HTTPRequestRedirectFilter `port`)
              requestRedirect: {
                scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS,
                port: s.httpsPort === 443 ? undefined : s.httpsPort,
                statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301,
              },
            }],
          }],
        },
      });
    }
    return gateway;
  }

  public addRoute(scope: Construct, route: IngressRoute) {
    if (!this.routeObject(scope, route.host)) this.addHttpRoute(scope, route.host);
    const namespace = route.target.namespace.name;
    if (namespace !== this.namespace && !scope.node.tryFindChild(`ReferenceGrant-${namespace}`)) {
      new ReferenceGrant(scope, `ReferenceGrant-${namespace}`, {
        metadata: { name: labelName(this.namespace, this.settings.name), namespace, labels: this.settings.labels },
        spec: {
          from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: this.namespace }],
          to: Lazy.any({
            produce: () => [...new Set(this.settings.routes.all.filter(r => r.target.namespace.name === namespace).map(r => r.target.serviceName!))]
              .sort().map(name => ({ group: '', kind: 'Service', name })),
          }),
        },
      });
    }
    return { gateway: `${this.namespace}/${this.settings.name}`, host: route.host };
  }

  public routeObject(scope: Construct, host: string): ApiObject | undefined {
    return scope.node.tryFindChild(`HttpRoute-${host}`) as ApiObject | undefined;
  }

  public validate(): string[] {
    // each HTTPRoute names its host's listener: nothing can drift apart
    return [];
  }

  private addHttpRoute(scope: Construct, host: string): void {
    new HttpRoute(scope, `HttpRoute-${host}`, {
      metadata: { name: labelName(this.settings.name, hostSlug(host)), namespace: this.namespace, labels: this.settings.labels },
      spec: {
        parentRefs: [{ name: this.settings.name, sectionName: httpsListener(host) }],
        hostnames: [host],
        rules: Lazy.any({ produce: () => this.settings.routes.of(host).map(r => this.rule(r)) }),
      },
    });
  }

  private rule(route: IngressRoute): HttpRouteSpecRules {
    const timeoutMs = route.resilience.budget.timeoutMs;
    const namespace = route.target.namespace.name;
    return {
      matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: route.pathPrefix } }],
      backendRefs: [{ name: route.target.serviceName!, namespace: namespace === this.namespace ? undefined : namespace, port: route.port }],
      timeouts: timeoutMs === undefined ? undefined : { request: gatewayApiDuration(timeoutMs) },
    };
  }
}

function httpsListener(host: string): string {
  return labelName('https', hostSlug(host));
}

function httpListener(host: string): string {
  return labelName('http', hostSlug(host));
}

/** Only routes of the Gateway's own namespace attach: no other team can claim its hosts. */
function sameNamespace() {
  return { namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } };
}

/** A Gateway API duration (GEP-2257: `1h2m3s4ms`, at most 5 digits per unit). */
export function gatewayApiDuration(ms: number): string {
  const units: Array<[string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
  let rest = ms;
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out || '0s';
}
