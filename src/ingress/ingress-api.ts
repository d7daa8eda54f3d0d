// Which API an ingress is written in: Istio's own (Gateway and VirtualService, on a gateway that
// Istio's install deployed) or the Gateway API (a Gateway of class `istio`, from which Istio deploys a
// gateway of its own, and HTTPRoutes). One class per API renders it.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { GatewayApiRenderer } from './gateway-api';
import { IngressGateway } from './ingress-gateway';
import type { IngressRoute, IngressRoutes } from './ingress-routes';
import { IstioApiRenderer } from './istio-api';
import type { GatewayRouteIntent } from '../graph/model';

/**
 * Options of an ingress written in the Gateway API.
 */
export interface GatewayApiIngressOptions {
  /**
   * The namespace of the Gateway. Istio deploys the gateway there (a Deployment and a Service
   * named `<name>-<gatewayClassName>`), and reads the certificate Secret from there. Not a
   * zero-trust namespace, whose deny-by-default policy would select the gateway's pods.
   *
   * @default "istio-system"
   */
  readonly namespace?: string;

  /**
   * The GatewayClass: Istio's controller serves `istio` (and `istio-remote`, `istio-waypoint`).
   *
   * @default "istio"
   */
  readonly gatewayClassName?: string;
}

/** An ingress's settings, as every API renders them. */
export interface IngressSettings {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly httpsPort: number;
  readonly httpPort: number;
  readonly httpsRedirect: boolean;
  readonly routes: IngressRoutes;
}

/** The gateway's pods as a caller of the services it routes to. */
export interface GatewayCaller {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly podLabels: Record<string, string>;
}

/** One API's rendering of an ingress. Internal. */
export interface IngressRenderer {
  /** The namespace of the Gateway and of the certificate Secret. */
  readonly namespace: string;
  /** The gateway's pods, which call the services. */
  readonly caller: GatewayCaller;
  /**
   * The gateway workload that other ingresses may share, `<namespace>/<name>`: a host belongs to one
   * ingress per gateway. Undefined when each ingress deploys its own gateway.
   */
  readonly sharedGateway?: string;
  /** Refuses a route it cannot render faithfully, before it is added. */
  checkRoute(scope: Construct, route: IngressRoute): void;
  /** Renders the Gateway (its servers or listeners are read from the routes at synth). */
  renderGateway(scope: Construct, secretName: string): ApiObject;
  /** Renders what a new route needs, and returns what the model records of it. */
  addRoute(scope: Construct, route: IngressRoute): Omit<GatewayRouteIntent, 'construct' | 'callee'>;
  /** The object that routes a host (a VirtualService or an HTTPRoute), if any of this ingress's. */
  routeObject(scope: Construct, host: string): ApiObject | undefined;
  /** Problems of the objects as they are written (escape-hatch patches included), as validation messages. */
  validate(scope: Construct): string[];
}

/**
 * The API an ingress is written in.
 */
export class IngressApi {
  /**
   * Istio's own API (`networking.istio.io/v1` Gateway and VirtualServices) on an ingress gateway that
   * Istio's install deployed. Canary weights, header routes and progressive delivery (Flagger, Argo
   * Rollouts) reach users through it.
   *
   * @param gateway the gateway; by default the strategy's `istio-ingressgateway`
   */
  public static istio(gateway?: IngressGateway): IngressApi {
    const g = gateway ?? IngressGateway.istioDefault();
    return new IngressApi('istio', (scope, settings) => new IstioApiRenderer(scope, g._resolve(scope), settings));
  }

  /**
   * The Gateway API (`gateway.networking.k8s.io/v1` Gateway of class `istio`, HTTPRoutes, and
   * ReferenceGrants for routes to other namespaces), which Istio recommends for new installs. Istio
   * deploys a gateway for the Gateway. An HTTPRoute routes to Services, not to a version's pods,
   * so a CanaryService with a canary (or a controller) in a sidecar namespace cannot be exposed
   * through it; in an ambient namespace it can, since the namespace's waypoint splits the gateway's
   * requests.
   */
  public static gatewayApi(options: GatewayApiIngressOptions = {}): IngressApi {
    return new IngressApi('gateway-api', (scope, settings) => new GatewayApiRenderer(scope, options, settings));
  }

  private constructor(
    /** The API's name ("istio" or "gateway-api"). */
    public readonly name: string,
    private readonly bind: (scope: Construct, settings: IngressSettings) => IngressRenderer,
  ) {}

  /**
   * The renderer of an ingress; errors name `scope`.
   *
   * @internal
   */
  public _bind(scope: Construct, settings: IngressSettings): IngressRenderer {
    return this.bind(scope, settings);
  }
}
