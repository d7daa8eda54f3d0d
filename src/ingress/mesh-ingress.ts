import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { GatewayCaller, IngressApi, IngressRenderer } from './ingress-api';
import { IngressRoutes } from './ingress-routes';
import { IngressTls } from './ingress-tls';
import { enableAppChecks } from '../common/app-checks';
import { managedLabels } from '../common/labels';
import { checkDnsLabel, checkPort, invalid, invalidMessage } from '../common/validation';
import { CallOptions, declareCall, IMeshWorkload, MeshWorkload } from '../graph/mesh-workload';
import { MeshModel } from '../graph/model';
import type { RetryPolicy } from '../traffic/retries';

/**
 * Properties of a `MeshIngress`.
 */
export interface MeshIngressProps {
  /**
   * The name of the Gateway; the other objects' names start with it.
   */
  readonly name: string;

  /**
   * The certificate the HTTPS server presents, from a Secret in the gateway's namespace: one that
   * exists, or one cert-manager issues for every host of the ingress.
   */
  readonly tls: IngressTls;

  /**
   * The API the ingress is written in, and the gateway it configures.
   *
   * @default IngressApi.istio(): a `networking.istio.io/v1` Gateway and VirtualServices on the
   * strategy's `istio-ingressgateway`
   */
  readonly api?: IngressApi;

  /**
   * Answer plain HTTP with a redirect to HTTPS (301). Without it, the gateway serves HTTPS only.
   *
   * @default true
   */
  readonly httpsRedirect?: boolean;

  /**
   * The port users reach HTTPS on: a port of the gateway's Service with the Istio API (its Gateway
   * server listens on the pod port behind it), the listener port with the Gateway API.
   *
   * @default 443
   */
  readonly httpsPort?: number;

  /**
   * The port users reach HTTP on, for the redirect; as `httpsPort`.
   *
   * @default 80
   */
  readonly httpPort?: number;
}

/**
 * Options of a route of a `MeshIngress`.
 */
export interface IngressRouteOptions {
  /**
   * The path prefix the route takes, as whole path segments: `/api` takes `/api` and `/api/...`,
   * not `/apiary`. The most specific prefix of a host wins.
   *
   * @default "/"
   */
  readonly pathPrefix?: string;

  /**
   * Timeout of a request through the gateway, every retry included.
   *
   * @default - the service's own route timeout (a CanaryService's `timeout`), so users get what its
   * mesh callers get; none for a service the app does not route
   */
  readonly timeout?: Duration;

  /**
   * How the gateway retries a failed request. Not with the Gateway API, whose standard HTTPRoute has
   * no retry policy.
   *
   * @default - the service's own retries (a CanaryService's `retries`); the library's default
   * (2 retries of requests the application never received) for a service the app does not route
   */
  readonly retries?: RetryPolicy;
}

/**
 * Users' way into the mesh: services exposed on hosts and path prefixes through an ingress gateway,
 * over HTTPS, with plain HTTP redirected to HTTPS.
 *
 * With the Istio API (the default), emits a `networking.istio.io/v1` Gateway on the gateway's pods
 * (an HTTPS server with `credentialName`, an HTTP server with `httpsRedirect`, both on the pod ports
 * behind the gateway Service's ports) and a VirtualService per host bound to it. With
 * `IngressApi.gatewayApi()`, a `gateway.networking.k8s.io/v1` Gateway of class `istio`, an HTTPRoute
 * per host, an HTTPRoute that redirects HTTP, and ReferenceGrants for the services of other
 * namespaces. With a cert-manager issuer, a `cert-manager.io/v1` Certificate for every host in the
 * gateway's namespace.
 *
 * Each route has the timeout and retries of the service's own route, and a CanaryService keeps its
 * weights: with sidecars the gateway route carries the same subsets, weights and header route
 * (Istio API), Flagger binds its VirtualService to the Gateway, Argo Rollouts weights the gateway
 * route too; in an ambient namespace the gateway goes through the namespace's waypoint
 * (`istio.io/ingress-use-waypoint`), which applies the service's own route (Flagger's too), so the
 * gateway route sends to the Service, with either API.
 *
 * The gateway joins the service graph as the caller of every exposed service: each admits it on its
 * port (and path prefix) only, at every layer.
 */
export class MeshIngress extends Construct {
  /** The name of the Gateway. */
  public readonly name: string;

  /** The namespace of the Gateway and of the certificate Secret: the gateway's own. */
  public readonly namespace: string;

  /** The API the ingress is written in. */
  public readonly api: IngressApi;

  /** The Gateway (escape hatch: `addJsonPatch`). */
  public readonly gateway: ApiObject;

  /** The name of the certificate Secret, in `namespace`. */
  public readonly secretName: string;

  /** The cert-manager Certificate, when an issuer issues it. */
  public readonly certificate?: ApiObject;

  private readonly routes = new IngressRoutes();
  private readonly renderer: IngressRenderer;
  private readonly caller: IConstruct;

  public constructor(scope: Construct, id: string, props: MeshIngressProps) {
    super(scope, id);
    enableAppChecks(this);
    this.name = checkDnsLabel(this, 'name', props.name);
    const labels = managedLabels({ 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/component': 'ingress' });
    this.api = props.api ?? IngressApi.istio();
    this.renderer = this.api._bind(this, {
      name: this.name,
      labels,
      httpsPort: checkPort(this, 'httpsPort', props.httpsPort ?? 443),
      httpPort: checkPort(this, 'httpPort', props.httpPort ?? 80),
      httpsRedirect: props.httpsRedirect ?? true,
      routes: this.routes,
    });
    this.namespace = this.renderer.namespace;
    const tls = props.tls._bind(this, { name: this.name, namespace: this.namespace, labels, hosts: () => this.routes.hosts() });
    this.secretName = tls.secretName;
    this.certificate = tls.certificate;
    this.gateway = this.renderer.renderGateway(this, this.secretName);
    this.caller = gatewayCaller(this, this.renderer.caller);
    this.node.addValidation({
      validate: () => this.routes.all.length > 0
        ? this.renderer.validate(this)
        : [invalidMessage('routes', [], 'an ingress needs at least one route; add one with route()')],
    });
  }

  /** The hosts the ingress serves, in the order they were first routed. */
  public get hosts(): string[] {
    return this.routes.hosts();
  }

  /**
   * Exposes `service` on `host` (and a path prefix): users reach it through the gateway over HTTPS.
   * The gateway becomes a caller of the service in the service graph, on the service's port and the
   * route's path prefix.
   *
   * @param host the host users call, e.g. "shop.example.com" or "*.example.com"
   * @param service a CanaryService, or a workload of the graph deployed by other means (`MeshWorkload.fromService()`)
   */
  public route(host: string, service: IMeshWorkload, options: IngressRouteOptions = {}): void {
    const model = MeshModel.of(this);
    const target = model.workloadOf(service);
    if (!target || target.serviceName === undefined) {
      throw invalid(this, 'route service', service?.node?.path,
        'is not a service of this app\'s service graph; use a CanaryService, or MeshWorkload.fromService() for a service deployed by other means');
    }
    const route = this.routes.add(this, host, target, options, r => {
      this.renderer.checkRoute(this, r);
      claimHost(this, this.renderer.sharedGateway, r.host);
    });
    model.addGatewayRoute({ construct: this, callee: target, ...this.renderer.addRoute(this, route) });

    const call: CallOptions = {
      ports: [route.port],
      paths: route.pathPrefix === '/' ? undefined : [route.pathPrefix, `${route.pathPrefix}/*`],
    };
    const caller = model.workloadOf(this.caller)!;
    if (!model.findCall(caller, target, call.ports, undefined, call.paths)) {
      declareCall(this.caller, service, call);
    }
  }

  /**
   * The object that routes a host: its VirtualService (Istio API) or HTTPRoute (Gateway API), for
   * escape hatches; undefined for a host Flagger routes, or one this ingress does not serve.
   */
  public routeObject(host: string): ApiObject | undefined {
    return this.renderer.routeObject(this, host);
  }
}

/**
 * The gateway's pods as a caller in the service graph: the one the app already declared for the
 * same identity (another ingress on the gateway, or `MeshWorkload.ingressGateway()`), else a new one.
 */
function gatewayCaller(scope: Construct, caller: GatewayCaller): IConstruct {
  const existing = MeshModel.of(scope).workloads.find(w => w.serviceName === undefined &&
    w.namespace.name === caller.namespace && w.serviceAccountName === caller.serviceAccountName);
  return existing?.construct ?? MeshWorkload.ingressGateway(scope, 'GatewayCaller', {
    namespace: caller.namespace,
    serviceAccountName: caller.serviceAccountName,
    podLabels: caller.podLabels,
  });
}

const claims = new WeakMap<IConstruct, Map<string, MeshIngress>>();

/**
 * A host belongs to one ingress per gateway: two Gateways with the same host and port on the same
 * pods conflict (istioctl IST0145 ConflictingGateways), and two VirtualServices of one host are merged
 * in an order no one controls.
 */
function claimHost(ingress: MeshIngress, gateway: string | undefined, host: string): void {
  if (gateway === undefined) return;
  const root = ingress.node.root;
  const owners = claims.get(root) ?? new Map<string, MeshIngress>();
  claims.set(root, owners);
  const owner = owners.get(`${gateway} ${host}`);
  if (owner && owner !== ingress) {
    throw invalid(ingress, 'host', host,
      `is already served through gateway ${gateway} by ${owner.node.path}; add this route to that MeshIngress`);
  }
  owners.set(`${gateway} ${host}`, ingress);
}
