// Checks a gateway's options and renders its IstioOperator `GatewayComponentSpec`.
import { Size } from 'cdk8s';
import { ContainerResources, Cpu, Protocol, ServiceType } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { IstioGatewayOptions, IstioGatewayPort } from './gateway';
import { INGRESS_GATEWAY, ISTIO_PORTS } from '../common/istio';
import { renderResources } from '../common/resources';
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

/** A gateway, checked and rendered. */
export interface RenderedGateway {
  readonly name: string;
  /** The namespace, when not the control plane's. */
  readonly namespace?: string;
  readonly enabled: boolean;
  /** The pod labels Istio ends up with (chart labels merged with the gateway's). */
  readonly effectiveLabels: Record<string, string>;
  /** The `GatewayComponentSpec`. */
  readonly spec: any;
}

/**
 * Checks a gateway and renders its `GatewayComponentSpec`, or throws naming the field
 * (`field` is where the gateway is, e.g. `ingressGateways[1]`).
 */
export function renderGateway(scope: IConstruct, field: string, kind: GatewayKind, options: IstioGatewayOptions): RenderedGateway {
  const defaults = DEFAULTS[kind];
  const name = checkGatewayName(scope, `${field}.name`, options.name ?? defaults.name);
  const namespace = options.namespace === undefined ? undefined : checkDnsLabel(scope, `${field}.namespace`, options.namespace);
  const enabled = options.enabled ?? true;
  const resourcesInput = options.resources ?? defaults.resources;
  const resources = resourcesInput ? renderResources(scope, `${field}.resources`, resourcesInput) : undefined;
  const type = checkServiceType(scope, `${field}.serviceType`, options.serviceType);
  const ports = renderPorts(scope, field, options.ports ?? defaults.ports, options.keepStatusPort ?? defaults.keepStatusPort);

  const service = { ...(type ? { type } : {}), ...(ports ? { ports } : {}) };
  const k8s = {
    ...(resources && Object.keys(resources).length > 0 ? { resources } : {}),
    ...(Object.keys(service).length > 0 ? { service } : {}),
  };
  return {
    name,
    namespace,
    enabled,
    effectiveLabels: { ...CHART_LABELS[kind], ...options.labels },
    spec: {
      name,
      enabled,
      ...(namespace ? { namespace } : {}),
      ...(options.labels ? { label: { ...options.labels } } : {}),
      ...(Object.keys(k8s).length > 0 ? { k8s } : {}),
    },
  };
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

function renderPorts(scope: IConstruct, field: string, ports: IstioGatewayPort[] | undefined, keepStatusPort: boolean): any[] | undefined {
  if (ports === undefined) return undefined;
  if (ports.length === 0) {
    throw invalid(scope, `${field}.ports`, ports, 'must list at least one port; omit it to keep the default ports');
  }
  const seenPorts = new Map<string, number>();
  const seenNames = new Map<string, number>();
  const rendered = ports.map((p, i) => {
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
  return keepStatusPort ? [{ ...STATUS_PORT }, ...rendered] : rendered;
}
