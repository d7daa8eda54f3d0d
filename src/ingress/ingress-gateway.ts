// The gateway workload an Istio-API ingress runs on: its Service ports (a Gateway server listens on
// the pod port behind one of them), the pod labels its Gateway selects, and the identity it calls
// the mesh with.
import { IConstruct } from 'constructs';
import { ISTIO_NAMESPACE } from '../common/istio';
import { checkDnsLabel, checkLabels, checkPort, checkServiceAccountName, invalid } from '../common/validation';
import type { IstioGatewayPort } from '../control-plane/gateway';
import type { IstioControlPlane } from '../control-plane/istio-control-plane';
import { GatewayKind, ResolvedPort, resolveGateway } from '../control-plane/resolve-gateway';

/**
 * An ingress gateway deployed by other means (Istio's `gateway` Helm chart, another install).
 */
export interface IngressGatewayAttributes {
  /** The name of the gateway's Service. */
  readonly name: string;

  /**
   * The namespace the gateway runs in.
   *
   * @default "istio-system"
   */
  readonly namespace?: string;

  /** Labels of the gateway's pods, which the Istio `Gateway` selects (e.g. `{ istio: "ingressgateway" }`). */
  readonly podLabels: { [key: string]: string };

  /**
   * The service account of the gateway's pods: the identity it calls the services with.
   *
   * @default - "<name>-service-account", as Istio's charts name it
   */
  readonly serviceAccountName?: string;

  /** The ports of the gateway's Service, with the pod port behind each. */
  readonly ports: IstioGatewayPort[];
}

/** A gateway, checked. */
export interface ResolvedIngressGateway {
  readonly name: string;
  readonly namespace: string;
  /** The labels the Gateway selects the pods by, and the caller's selector. */
  readonly selector: Record<string, string>;
  readonly serviceAccountName: string;
  /** The Service ports, TCP only (istioctl IST0162 reads TCP ports only). */
  readonly ports: ResolvedPort[];
}

/**
 * The ingress gateway that an Istio-API `MeshIngress` configures: the Envoy deployment that users
 * reach through its Service.
 */
export class IngressGateway {
  /**
   * The ingress gateway of the strategy, as `IstioControlPlane` installs it by default:
   * `istio-ingressgateway` in `istio-system`, pods labelled `istio: ingressgateway`, Service ports
   * 80 -> 8080 (`http2`) and 443 -> 8443 (`https`) and the status port 15021.
   */
  public static istioDefault(): IngressGateway {
    return new IngressGateway('istio-ingressgateway', scope => fromResolved(resolveGateway(scope, 'gateway', GatewayKind.INGRESS, {}), ISTIO_NAMESPACE));
  }

  /**
   * An ingress gateway of a control plane of this app, for example an internal gateway added with
   * `addIngressGateway()`: its name, namespace, pod labels, service account and ports as the control
   * plane installs them.
   *
   * @param controlPlane the control plane
   * @param name the gateway's name; by default its first ingress gateway
   */
  public static fromControlPlane(controlPlane: IstioControlPlane, name?: string): IngressGateway {
    return new IngressGateway(name ?? 'the first ingress gateway', scope => {
      const ingress = controlPlane._gateways.filter(g => g.kind === GatewayKind.INGRESS);
      const gateway = name === undefined ? ingress[0] : ingress.find(g => g.name === name);
      if (!gateway) {
        throw invalid(scope, 'gateway', name ?? '(first)',
          `is no ingress gateway of ${controlPlane.node.path} (it has ${ingress.map(g => `"${g.name}"`).join(', ') || 'none'}); ` +
          'add it with addIngressGateway() first, or fix the name');
      }
      if (!gateway.enabled) {
        throw invalid(scope, 'gateway', gateway.name, `is not enabled in ${controlPlane.node.path}; enable it or route through another gateway`);
      }
      return fromResolved(gateway, controlPlane.namespace);
    });
  }

  /**
   * An ingress gateway deployed by other means.
   */
  public static fromAttributes(attributes: IngressGatewayAttributes): IngressGateway {
    return new IngressGateway(attributes.name, scope => {
      const name = checkDnsLabel(scope, 'gateway.name', attributes.name);
      const ports = (attributes.ports ?? []).map((p, i) => ({
        port: checkPort(scope, `gateway.ports[${i}].port`, p.port),
        targetPort: checkPort(scope, `gateway.ports[${i}].targetPort`, p.targetPort),
        name: checkDnsLabel(scope, `gateway.ports[${i}].name`, p.name),
        protocol: p.protocol,
      }));
      if (ports.length === 0) throw invalid(scope, 'gateway.ports', attributes.ports, 'must list the ports of the gateway\'s Service');
      return {
        name,
        namespace: checkDnsLabel(scope, 'gateway.namespace', attributes.namespace ?? ISTIO_NAMESPACE),
        selector: checkLabels(scope, 'gateway.podLabels', attributes.podLabels, false),
        serviceAccountName: checkServiceAccountName(scope, 'gateway.serviceAccountName', attributes.serviceAccountName ?? `${name}-service-account`),
        ports: tcpOnly(ports),
      };
    });
  }

  private constructor(
    /** The gateway's name, or how it is found. */
    public readonly name: string,
    private readonly resolve: (scope: IConstruct) => ResolvedIngressGateway,
  ) {}

  /**
   * The gateway, checked; errors name `scope`.
   *
   * @internal
   */
  public _resolve(scope: IConstruct): ResolvedIngressGateway {
    return this.resolve(scope);
  }
}

function fromResolved(g: ReturnType<typeof resolveGateway>, defaultNamespace: string): ResolvedIngressGateway {
  // Istio's charts label every gateway `istio: <name>` (istioctl merges the user's labels over
  // them), so that one label tells gateways apart; the `app` label of istioctl's chart stays
  // `istio-ingressgateway` on every gateway
  const selector = g.effectiveLabels.istio !== undefined ? { istio: g.effectiveLabels.istio } : { ...g.effectiveLabels };
  return {
    name: g.name,
    namespace: g.namespace ?? defaultNamespace,
    selector,
    serviceAccountName: g.serviceAccount,
    ports: tcpOnly(g.ports ?? []),
  };
}

function tcpOnly(ports: ResolvedPort[]): ResolvedPort[] {
  return ports.filter(p => (p.protocol ?? 'TCP') === 'TCP');
}
