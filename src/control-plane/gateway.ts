import { ContainerResources, Protocol, ServiceType } from 'cdk8s-plus-27';

/**
 * A port of a gateway's Kubernetes Service.
 */
export interface IstioGatewayPort {
  /** The port the Service exposes. */
  readonly port: number;

  /**
   * The port the gateway's Envoy listens on. Required: gateways run as non-root, so Envoy cannot
   * bind the Service port itself when it is below 1024 (80 -> 8080, 443 -> 8443).
   */
  readonly targetPort: number;

  /**
   * The port name. Istio picks the protocol from its prefix (`http2`, `https`, `tcp`, `tls`, `grpc`).
   */
  readonly name: string;

  /**
   * The transport protocol.
   *
   * @default - Kubernetes' default, TCP (not written)
   */
  readonly protocol?: Protocol;
}

/**
 * An ingress or egress gateway of the control plane (`components.ingressGateways[]` and
 * `components.egressGateways[]`).
 */
export interface IstioGatewayOptions {
  /**
   * The gateway's name: the name of its Deployment and Service.
   *
   * @default - "istio-ingressgateway" for ingress gateways, "istio-egressgateway" for the egress gateway
   */
  readonly name?: string;

  /**
   * Whether the gateway is installed.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * The namespace the gateway runs in. Create it before `istioctl install` (Istio docs: Installing
   * Gateways).
   *
   * @default - the control plane's namespace
   */
  readonly namespace?: string;

  /**
   * Labels of the gateway's pods, which its Service and Istio `Gateway` resources select. Istio
   * merges them over its chart's `app` and `istio` labels: give a second gateway its own `istio`
   * label, or both Services select both gateways' pods.
   *
   * @default - Istio's chart labels (ingress: `istio: ingressgateway`, egress: `istio: egressgateway`)
   */
  readonly labels?: { [key: string]: string };

  /**
   * Requests and limits of the gateway's Envoy container.
   *
   * @default - ingress gateways: requests cpu 1000m, memory 1024Mi (the strategy's sizing); the
   * egress gateway: Istio's chart default
   */
  readonly resources?: ContainerResources;

  /**
   * An internal gateway: for callers inside the cluster or the private network, never the internet.
   * Its Service defaults to ClusterIP; for an internal load balancer set `serviceType` LoadBalancer
   * and the annotation your cloud needs in `serviceAnnotations` (AWS
   * `service.beta.kubernetes.io/aws-load-balancer-scheme: internal`, GKE
   * `networking.gke.io/load-balancer-type: Internal`, Azure
   * `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`). Istio's chart gives every
   * gateway a public LoadBalancer otherwise (issue 18).
   *
   * @default false
   */
  readonly internal?: boolean;

  /**
   * The type of the gateway's Service.
   *
   * @default - ClusterIP for internal gateways; otherwise Istio's chart default: LoadBalancer for
   * ingress gateways, ClusterIP for the egress gateway
   */
  readonly serviceType?: ServiceType;

  /**
   * Annotations of the gateway's Service, which cloud load balancer controllers read (an internal
   * load balancer, its scheme, its IP address type).
   *
   * @default - none
   */
  readonly serviceAnnotations?: { [key: string]: string };

  /**
   * The Service ports. They replace Istio's whole default list (istio/istio#12503, #30395), so the
   * status port is added unless `keepStatusPort` is false.
   *
   * @default - ingress gateways: 80 -> 8080 `http2` and 443 -> 8443 `https`, plus the status port;
   * the egress gateway: Istio's chart ports
   */
  readonly ports?: IstioGatewayPort[];

  /**
   * Keep the status port (15021 `status-port`) first in the Service ports when `ports` replaces
   * Istio's list. Cloud load balancers health-check the gateway there, some (AWS ELB) on the first
   * port of the list: without it they mark every gateway pod unhealthy.
   *
   * @default - true for ingress gateways, false for the egress gateway (Istio's egress chart has no status port)
   */
  readonly keepStatusPort?: boolean;
}
