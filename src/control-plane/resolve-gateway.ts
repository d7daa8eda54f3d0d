// Checks a gateway's options once and resolves them into the model every delivery renders
// (the IstioOperator's GatewayComponentSpec, the gateway chart's values). Internal.
import { Size } from 'cdk8s';
import { ContainerResources, Cpu, Protocol, ServiceType } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { IstioGatewayOptions, IstioGatewayPort } from './gateway';
import { INGRESS_GATEWAY, ISTIO_PORTS } from '../common/istio';
import { renderResources, ResourceQuantities } from '../common/resources';
import { checkDnsLabel, checkPort, invalid } from '../common/validation';

/** Which of the two gateway lists a gateway belongs to. */
export enum GatewayKind {
  INGRESS = 'ingress',
  EGRESS = 'egress',
}

/** The status port as Istio's ingress chart lists it (manifests/charts/gateways/istio-ingress values). */
export const STATUS_PORT = { name: 'status-port', port: ISTIO_PORTS.STATUS, targetPort: ISTIO_PORTS.STATUS, protocol: 'TCP' };

/** The pod labels Istio's gateway charts give a gateway that sets none. */
const CHART_LABELS: Record<GatewayKind, Record<string, string>> = {
  [GatewayKind.INGRESS]: { ...INGRESS_GATEWAY.podLabels },
  [GatewayKind.EGRESS]: { app: 'istio-egressgateway', istio: 'egressgateway' },
};

/** The Service type Istio's charts give a gateway that sets none. */
const CHART_SERVICE_TYPE: Record<GatewayKind, ServiceType> = {
  [GatewayKind.INGRESS]: ServiceType.LOAD_BALANCER,
  [GatewayKind.EGRESS]: ServiceType.CLUSTER_IP,
};

const DEFAULTS: Record<GatewayKind, { name: string; resources?: ContainerResources; ports?: IstioGatewayPort[]; keepStatusPort: boolean }> = {
  // The strategy's ingress gateway (MISSION.md, section 2)
  [GatewayKind.INGRESS]: {
    name: INGRESS_GATEWAY.name,
    resources: { cpu: { request: Cpu.millis(1000) }, memory: { request: Size.mebibytes(1024) } },
    ports: [
      { port: 80, targetPort: 8080, name: 'http2' },
      { port: 443, targetPort: 8443, name: 'https' },
    ],
    keepStatusPort: true,
  },
  [GatewayKind.EGRESS]: { name: 'istio-egressgateway', keepStatusPort: false },
};

/**
 * Service annotations that make a cloud's load balancer internal, and the one to recommend first
 * (AWS Load Balancer Controller "Service annotations"; GKE "Internal passthrough Network Load
 * Balancer"; AKS "Use an internal load balancer"). The others are their older spellings.
 */
export const INTERNAL_LOAD_BALANCER_ANNOTATIONS: ReadonlyArray<{ cloud: string; key: string; value: string; recommended: boolean }> = [
  { cloud: 'AWS', key: 'service.beta.kubernetes.io/aws-load-balancer-scheme', value: 'internal', recommended: true },
  { cloud: 'AWS', key: 'service.beta.kubernetes.io/aws-load-balancer-internal', value: 'true', recommended: false },
  { cloud: 'GKE', key: 'networking.gke.io/load-balancer-type', value: 'Internal', recommended: true },
  { cloud: 'GKE', key: 'cloud.google.com/load-balancer-type', value: 'Internal', recommended: false },
  { cloud: 'Azure', key: 'service.beta.kubernetes.io/azure-load-balancer-internal', value: 'true', recommended: true },
];

/** A Service port as both deliveries write it. */
export interface ResolvedPort {
  readonly port: number;
  readonly targetPort: number;
  readonly name: string;
  readonly protocol?: string;
}

/** A gateway, checked. */
export interface ResolvedGateway {
  readonly kind: GatewayKind;
  readonly name: string;
  /** The namespace, when not the control plane's. */
  readonly namespace?: string;
  readonly enabled: boolean;
  readonly internal: boolean;
  /** The user's pod labels, merged over the chart's. */
  readonly labels?: Record<string, string>;
  /** The pod labels Istio ends up with (chart labels merged with the gateway's). */
  readonly effectiveLabels: Record<string, string>;
  /** Requests and limits; undefined keeps the chart's. */
  readonly resources?: ResourceQuantities;
  /** The Service type asked for (or ClusterIP for an internal gateway); undefined keeps the chart's. */
  readonly serviceType?: ServiceType;
  /** The Service type the cluster gets. */
  readonly effectiveServiceType: ServiceType;
  readonly serviceAnnotations?: Record<string, string>;
  /** The Service ports, the status port first when kept; undefined keeps the chart's. */
  readonly ports?: ResolvedPort[];
  /** Its service account, named as istioctl's gateway charts name it, so its identity is the same either way. */
  readonly serviceAccount: string;
}

/**
 * Checks a gateway and resolves it, or throws naming the field (`field` is where the gateway is,
 * e.g. `ingressGateways[1]`).
 */
export function resolveGateway(scope: IConstruct, field: string, kind: GatewayKind, options: IstioGatewayOptions): ResolvedGateway {
  const defaults = DEFAULTS[kind];
  const name = checkGatewayName(scope, `${field}.name`, options.name ?? defaults.name);
  const namespace = options.namespace === undefined ? undefined : checkDnsLabel(scope, `${field}.namespace`, options.namespace);
  const internal = options.internal ?? false;
  const resourcesInput = options.resources ?? defaults.resources;
  const resources = resourcesInput ? renderResources(scope, `${field}.resources`, resourcesInput) : undefined;
  const type = checkServiceType(scope, `${field}.serviceType`, options.serviceType) ?? (internal ? ServiceType.CLUSTER_IP : undefined);
  const serviceAnnotations = options.serviceAnnotations === undefined
    ? undefined : checkAnnotations(scope, `${field}.serviceAnnotations`, options.serviceAnnotations);
  return {
    kind,
    name,
    namespace,
    enabled: options.enabled ?? true,
    internal,
    labels: options.labels ? { ...options.labels } : undefined,
    effectiveLabels: { ...CHART_LABELS[kind], ...options.labels },
    resources: resources && Object.keys(resources).length > 0 ? resources : undefined,
    serviceType: type,
    effectiveServiceType: type ?? CHART_SERVICE_TYPE[kind],
    serviceAnnotations,
    ports: resolvePorts(scope, field, options.ports ?? defaults.ports, options.keepStatusPort ?? defaults.keepStatusPort),
    serviceAccount: `${name}-service-account`,
  };
}

/**
 * What a gateway's Service exposes that the user may not mean to: an additional or internal ingress
 * gateway behind a load balancer that no annotation makes internal is reachable from the internet.
 */
export function publicLoadBalancerProblem(gateway: ResolvedGateway, index: number): string | undefined {
  if (gateway.kind !== GatewayKind.INGRESS || !gateway.enabled || gateway.effectiveServiceType !== ServiceType.LOAD_BALANCER) return undefined;
  if (!gateway.internal && index === 0) return undefined;
  const annotations = gateway.serviceAnnotations ?? {};
  if (INTERNAL_LOAD_BALANCER_ANNOTATIONS.some(a => annotations[a.key] === a.value)) return undefined;
  const how = INTERNAL_LOAD_BALANCER_ANNOTATIONS.filter(a => a.recommended).map(a => `${a.cloud} ${a.key}: "${a.value}"`).join(', ');
  const what = gateway.internal ? 'is internal but its Service is a LoadBalancer' : 'is an additional ingress gateway with a LoadBalancer Service';
  return `gateway "${gateway.name}" ${what} without an internal load balancer annotation, so the cloud gives it a public address; ` +
    `${gateway.internal ? 'use serviceType ClusterIP' : 'mark it internal: true (ClusterIP)'} or add your cloud's annotation to serviceAnnotations (${how})` +
    (gateway.internal ? '' : ', or ignore this if it is meant to be public');
}

function checkGatewayName(scope: IConstruct, field: string, name: string): string {
  checkDnsLabel(scope, field, name);
  if (!/^[a-z]/.test(name)) {
    // the name is also the Service's, and Service names are RFC 1035 labels
    throw invalid(scope, field, name, 'must start with a letter: it is also the name of the gateway\'s Service');
  }
  return name;
}

function checkServiceType(scope: IConstruct, field: string, type: ServiceType | undefined): ServiceType | undefined {
  if (type === undefined) return undefined;
  const allowed = [ServiceType.LOAD_BALANCER, ServiceType.NODE_PORT, ServiceType.CLUSTER_IP];
  if (!allowed.includes(type)) {
    throw invalid(scope, field, type, `must be one of ${allowed.join(', ')}: a gateway's Service selects its pods`);
  }
  return type;
}

function checkAnnotations(scope: IConstruct, field: string, annotations: { [key: string]: string }): Record<string, string> {
  for (const [key, value] of Object.entries(annotations)) {
    // Kubernetes: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters
    if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(key)) {
      throw invalid(scope, `${field}`, key, 'must be an annotation key: an optional DNS prefix and "/", then letters, digits, "-", "_" or "." (e.g. "service.beta.kubernetes.io/aws-load-balancer-scheme")');
    }
    if (typeof value !== 'string') {
      throw invalid(scope, `${field}["${key}"]`, value, 'must be a string; quote numbers and booleans (e.g. "true")');
    }
  }
  return { ...annotations };
}

function resolvePorts(scope: IConstruct, field: string, ports: IstioGatewayPort[] | undefined, keepStatusPort: boolean): ResolvedPort[] | undefined {
  if (ports === undefined) return undefined;
  if (ports.length === 0) {
    throw invalid(scope, `${field}.ports`, ports, 'must list at least one port; omit it to keep the default ports');
  }
  const seenPorts = new Map<string, number>();
  const seenNames = new Map<string, number>();
  const resolved = ports.map((p, i) => {
    const at = `${field}.ports[${i}]`;
    const port = checkPort(scope, `${at}.port`, p.port);
    if (p.targetPort === undefined) {
      throw invalid(scope, `${at}.targetPort`, p.targetPort,
        `is required: the gateway runs as non-root and cannot bind port ${port} itself; give the port Envoy listens on, 1024 or higher (Istio uses 8080 for 80, 8443 for 443)`);
    }
    const targetPort = checkPort(scope, `${at}.targetPort`, p.targetPort);
    if (targetPort < 1024) {
      // istioctl rejects it: the gateway's Envoy runs as non-root (operator/pkg/apis/validation)
      throw invalid(scope, `${at}.targetPort`, targetPort,
        'must be 1024 or higher: the gateway runs as non-root and cannot bind a privileged port');
    }
    const name = checkDnsLabel(scope, `${at}.name`, p.name);
    const protocol = p.protocol ?? Protocol.TCP;
    if (keepStatusPort && port === STATUS_PORT.port && protocol === Protocol.TCP) {
      throw invalid(scope, `${at}.port`, port,
        'is the status port, which is added automatically; remove it, or set keepStatusPort: false to list it yourself');
    }
    const portKey = `${port}/${protocol}`;
    if (seenPorts.has(portKey)) {
      throw invalid(scope, `${at}.port`, port, `duplicates ports[${seenPorts.get(portKey)}]; each Service port must be unique`);
    }
    if (seenNames.has(name) || (keepStatusPort && name === STATUS_PORT.name)) {
      const other = seenNames.has(name) ? `ports[${seenNames.get(name)}]` : 'the status port';
      throw invalid(scope, `${at}.name`, name, `duplicates the name of ${other}; each Service port needs its own name`);
    }
    seenPorts.set(portKey, i);
    seenNames.set(name, i);
    return { port, targetPort, name, ...(p.protocol ? { protocol: p.protocol } : {}) };
  });
  // first, as in Istio's chart: AWS ELB health-checks the first port (istio/istio#12503)
  return keepStatusPort ? [{ ...STATUS_PORT }, ...resolved] : resolved;
}
