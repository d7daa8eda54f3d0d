// The control plane as one checked model: IstioControlPlane resolves its props here once, and each
// delivery (the IstioOperator for istioctl, Helm values for Argo CD and Flux) renders the same model,
// so a prop has one translation and one check. Internal.
import { Size } from 'cdk8s';
import { ContainerResources, Cpu } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { IstioExtensionProvider } from './extension-providers';
import type { IstioControlPlaneProps } from './istio-control-plane';
import { IstioAccessLog, IstioAccessLogEncoding } from './mesh-settings';
import { IstioPilotScaling } from './pilot-scaling';
import { IstioProfile } from './profile';
import { ResolvedGateway } from './resolve-gateway';
import { ISTIO_NAMESPACE } from '../common/istio';
import { IstioOutboundTrafficPolicy } from '../common/outbound-traffic-policy';
import { renderResources, ResourceQuantities } from '../common/resources';
import { checkDnsLabel, checkPort, checkTrustDomain, invalid, isDnsLabel } from '../common/validation';

/** The strategy's istiod sizing (MISSION.md, section 2). */
const PILOT_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(500) },
  memory: { request: Size.mebibytes(2048) },
};

/** The strategy's sidecar sizing (MISSION.md, section 2). */
const PROXY_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(100), limit: Cpu.millis(2000) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(1024) },
};

/** istiod's replicas: a fixed count, or an autoscaling range. */
export interface ResolvedPilotScaling {
  readonly replicas?: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
  readonly targetCpuUtilization?: number;
}

/** The control plane, checked: what every delivery renders. */
export interface ResolvedControlPlane {
  readonly name: string;
  readonly namespace: string;
  readonly profile: IstioProfile;
  readonly revision?: string;
  /** Revision tags that point at this control plane's revision. */
  readonly revisionTags: string[];
  readonly hub?: string;
  readonly tag?: string;
  /** istiod's requests and limits; undefined keeps the chart's. */
  readonly pilotResources?: ResourceQuantities;
  readonly pilotScaling?: ResolvedPilotScaling;
  /** Every proxy's requests and limits; undefined keeps the chart's. */
  readonly proxyResources?: ResourceQuantities;
  /** `meshConfig`, as both the IstioOperator and istiod's chart take it; undefined when nothing is set. */
  readonly meshConfig?: any;
  /** Whether the CNI node agent was asked for explicitly (`cni: true`). */
  readonly cniRequested: boolean;
  /** Whether the CNI node agent runs: asked for, or part of the ambient profile. */
  readonly cni: boolean;
  /** Ambient data plane: ztunnel on every node, the CNI agent in ambient mode. */
  readonly ambient: boolean;
  /**
   * The seccomp profile of the gateways istiod deploys for Gateway resources (`gateways.seccompProfile`),
   * undefined for the chart's none.
   */
  readonly gatewaySeccompProfile?: { readonly type: string };
  /** The gateways, in the order they were added (ingress and egress). */
  readonly gateways: ResolvedGateway[];
}

/** Checks the props (all but the gateways, which are added one by one) and resolves them. */
export function resolveControlPlane(scope: IConstruct, props: IstioControlPlaneProps): ResolvedControlPlane {
  const profile = checkProfile(scope, props.profile ?? IstioProfile.DEFAULT);
  const ambient = profile === IstioProfile.AMBIENT;
  if (ambient && props.cni === false) {
    throw invalid(scope, 'cni', false, 'the ambient profile needs the CNI node agent, which redirects traffic to ztunnel; remove cni: false');
  }
  const revision = props.revision === undefined ? undefined : checkRevision(scope, 'revision', props.revision);
  const pilotResources = nonEmpty(renderResources(scope, 'pilotResources', props.pilotResources ?? PILOT_RESOURCES));
  return {
    name: checkDnsLabel(scope, 'name', props.name ?? 'istio-control-plane'),
    namespace: checkDnsLabel(scope, 'namespace', props.namespace ?? ISTIO_NAMESPACE),
    profile,
    revision,
    revisionTags: checkRevisionTags(scope, props.revisionTags ?? [], revision),
    hub: props.hub === undefined ? undefined : checkHub(scope, props.hub),
    tag: props.tag === undefined ? undefined : checkTag(scope, props.tag),
    pilotResources,
    pilotScaling: props.pilotScaling === undefined ? undefined : checkScaling(scope, props.pilotScaling),
    proxyResources: nonEmpty(renderResources(scope, 'proxyResources', props.proxyResources ?? PROXY_RESOURCES)),
    meshConfig: compact(renderMeshConfig(scope, props)),
    cniRequested: props.cni ?? false,
    cni: (props.cni ?? false) || ambient,
    ambient,
    // Waypoints run in the application's namespace, restricted under zero trust, and Pod Security
    // "restricted" refuses a pod without a seccomp profile; istiod's waypoint template (istiod
    // files/waypoint.yaml) sets none unless `gateways.seccompProfile` is set (istio/istio#51826).
    gatewaySeccompProfile: ambient ? { type: 'RuntimeDefault' } : undefined,
    gateways: [],
  };
}

function renderMeshConfig(scope: IConstruct, props: IstioControlPlaneProps): any {
  const providers = checkExtensionProviders(scope, props.extensionProviders ?? []);
  return {
    ...(props.accessLog ? renderAccessLog(scope, props.accessLog) : {}),
    outboundTrafficPolicy: props.outboundTrafficPolicy === undefined
      ? undefined : { mode: checkOutboundTrafficPolicy(scope, props.outboundTrafficPolicy) },
    defaultConfig: { holdApplicationUntilProxyStarts: props.holdApplicationUntilProxyStarts },
    trustDomain: props.trustDomain === undefined ? undefined : checkTrustDomain(scope, 'trustDomain', props.trustDomain),
    extensionProviders: providers.length > 0 ? providers.map(p => ({
      name: p.name,
      [p.type]: { service: p.service, port: p.port, ...(p.maxTagLength !== undefined ? { maxTagLength: p.maxTagLength } : {}) },
    })) : undefined,
    defaultProviders: props.defaultTracingProviders === undefined
      ? undefined : { tracing: checkDefaultTracing(scope, props.defaultTracingProviders, providers) },
  };
}

function renderAccessLog(scope: IConstruct, accessLog: IstioAccessLog): any {
  if (typeof accessLog.path !== 'string' || !accessLog.path.startsWith('/')) {
    throw invalid(scope, 'accessLog', accessLog.path, 'must be an absolute file path (e.g. "/dev/stdout")');
  }
  if (accessLog.encoding !== undefined && !Object.values(IstioAccessLogEncoding).includes(accessLog.encoding)) {
    throw invalid(scope, 'accessLog.encoding', accessLog.encoding, `must be one of ${Object.values(IstioAccessLogEncoding).join(', ')}`);
  }
  return { accessLogFile: accessLog.path, ...(accessLog.encoding ? { accessLogEncoding: accessLog.encoding } : {}) };
}

function checkExtensionProviders(scope: IConstruct, providers: IstioExtensionProvider[]): IstioExtensionProvider[] {
  const seen = new Set<string>();
  providers.forEach((p, i) => {
    const at = `extensionProviders[${i}]`;
    if (typeof p.name !== 'string' || !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(p.name)) {
      throw invalid(scope, `${at}.name`, p.name, 'must be a name of letters, digits, "-", "_" or "." (e.g. "otel-tracing")');
    }
    if (seen.has(p.name)) {
      throw invalid(scope, `${at}.name`, p.name, 'another extension provider has this name; Telemetry resources select providers by name');
    }
    seen.add(p.name);
    // config.proto: "[<Namespace>/]<Hostname>"
    const [first, second] = String(p.service).split('/');
    const host = second ?? first;
    if (typeof p.service !== 'string' || String(p.service).split('/').length > 2 || (second !== undefined && !isDnsLabel(first)) ||
      !host.split('.').every(isDnsLabel)) {
      throw invalid(scope, `${at}.service`, p.service,
        'must be the collector\'s host, optionally after its namespace and "/" (e.g. "otel-collector.observability.svc.cluster.local")');
    }
    checkPort(scope, `${at}.port`, p.port);
    if (p.maxTagLength !== undefined && (!Number.isInteger(p.maxTagLength) || p.maxTagLength < 1)) {
      throw invalid(scope, `${at}.maxTagLength`, p.maxTagLength, 'must be a whole number of characters, at least 1');
    }
  });
  return providers;
}

function checkDefaultTracing(scope: IConstruct, names: string[], providers: IstioExtensionProvider[]): string[] {
  names.forEach((name, i) => {
    if (!providers.some(p => p.name === name)) {
      const known = providers.length > 0 ? `one of ${providers.map(p => `"${p.name}"`).join(', ')}` : 'declared in extensionProviders first';
      throw invalid(scope, `defaultTracingProviders[${i}]`, name, `names no extension provider; it must be ${known}`);
    }
  });
  return [...names];
}

function checkProfile(scope: IConstruct, profile: IstioProfile): IstioProfile {
  if (!Object.values(IstioProfile).includes(profile)) {
    throw invalid(scope, 'profile', profile, `must be one of Istio's profiles: ${Object.values(IstioProfile).join(', ')}`);
  }
  return profile;
}

function checkOutboundTrafficPolicy(scope: IConstruct, policy: IstioOutboundTrafficPolicy): IstioOutboundTrafficPolicy {
  if (!Object.values(IstioOutboundTrafficPolicy).includes(policy)) {
    throw invalid(scope, 'outboundTrafficPolicy', policy, `must be one of ${Object.values(IstioOutboundTrafficPolicy).join(', ')}`);
  }
  return policy;
}

function checkRevision(scope: IConstruct, field: string, revision: string): string {
  if (!isDnsLabel(revision)) {
    // istioctl requires it (operator/pkg/apis/validation); it becomes part of resource names and the istio.io/rev label
    throw invalid(scope, field, revision,
      "must be an RFC 1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. \"1-30-3\")");
  }
  return revision;
}

function checkRevisionTags(scope: IConstruct, tags: string[], revision: string | undefined): string[] {
  const seen = new Set<string>();
  tags.forEach((tag, i) => {
    checkRevision(scope, `revisionTags[${i}]`, tag);
    if (tag === revision) {
      throw invalid(scope, `revisionTags[${i}]`, tag, 'is the revision itself; a tag is another name for it (e.g. "prod-stable")');
    }
    if (seen.has(tag)) throw invalid(scope, `revisionTags[${i}]`, tag, 'is listed twice');
    seen.add(tag);
  });
  return [...tags];
}

function checkHub(scope: IConstruct, hub: string): string {
  // an image repository without the image name: istioctl appends "/pilot", "/proxyv2"
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$/.test(hub)) {
    throw invalid(scope, 'hub', hub, 'must be an image registry path without a trailing slash or tag (e.g. "docker.io/istio")');
  }
  return hub;
}

function checkTag(scope: IConstruct, tag: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    throw invalid(scope, 'tag', tag, 'must be an image tag: letters, digits, "_", "." or "-", at most 128 (e.g. "1.30.3")');
  }
  return tag;
}

function checkScaling(scope: IConstruct, scaling: IstioPilotScaling): ResolvedPilotScaling {
  if (scaling.replicas !== undefined) {
    return { replicas: checkReplicas(scope, 'pilotScaling.replicas', scaling.replicas) };
  }
  const min = checkReplicas(scope, 'pilotScaling.minReplicas', scaling.minReplicas);
  const max = checkReplicas(scope, 'pilotScaling.maxReplicas', scaling.maxReplicas);
  if (max < min) {
    throw invalid(scope, 'pilotScaling.maxReplicas', max, `must be at least minReplicas (${min})`);
  }
  const target = scaling.targetCpuUtilization;
  if (target !== undefined && (!Number.isInteger(target) || target < 1)) {
    throw invalid(scope, 'pilotScaling.targetCpuUtilization', target,
      'must be a whole percentage of the CPU request greater than zero (e.g. 80)');
  }
  return { minReplicas: min, maxReplicas: max, targetCpuUtilization: target };
}

function checkReplicas(scope: IConstruct, field: string, replicas: number | undefined): number {
  if (replicas === undefined || !Number.isInteger(replicas) || replicas < 1) {
    throw invalid(scope, field, replicas, 'must be a whole number of replicas, at least 1');
  }
  return replicas;
}

function nonEmpty(resources: ResourceQuantities): ResourceQuantities | undefined {
  return Object.keys(resources).length > 0 ? resources : undefined;
}

/** Drops undefined values and objects left empty, so only what was asked for is written. */
export function compact(value: any): any {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, any> = {};
  for (const [key, v] of Object.entries(value)) {
    const c = compact(v);
    if (c !== undefined && !(isPlainObject(c) && Object.keys(c).length === 0)) out[key] = c;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
