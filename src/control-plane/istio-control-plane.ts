import { ApiObject, App, Chart, Lazy, Size, YamlOutputType } from 'cdk8s';
import { ContainerResources, Cpu } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { IstioGatewayOptions } from './gateway';
import { GatewayKind, RenderedGateway, renderGateway } from './gateway-spec';
import { IstioAccessLog, IstioAccessLogEncoding } from './mesh-settings';
import { IstioPilotScaling } from './pilot-scaling';
import { IstioProfile } from './profile';
import { enableAppChecks } from '../common/app-checks';
import { ISTIO_NAMESPACE } from '../common/istio';
import { IstioOutboundTrafficPolicy } from '../common/outbound-traffic-policy';
import { renderResources } from '../common/resources';
import { checkDnsLabel, checkTrustDomain, invalid, isDnsLabel } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/**
 * Properties of an `IstioControlPlane`.
 */
export interface IstioControlPlaneProps {
  /**
   * The IstioOperator's name.
   *
   * @default "istio-control-plane"
   */
  readonly name?: string;

  /**
   * The namespace Istio is installed into (the IstioOperator's namespace; istioctl installs the
   * components there).
   *
   * @default "istio-system"
   */
  readonly namespace?: string;

  /**
   * The built-in profile the settings are overlaid on.
   *
   * @default IstioProfile.DEFAULT
   */
  readonly profile?: IstioProfile;

  /**
   * The control plane revision, for canary upgrades of Istio itself: namespaces then select it with
   * the `istio.io/rev` label instead of `istio-injection: enabled`.
   *
   * @default - no revision (the default control plane)
   */
  readonly revision?: string;

  /**
   * The registry the Istio images come from (e.g. a mirror: "registry.example.com/istio").
   *
   * @default - istioctl's own hub (docker.io/istio for releases)
   */
  readonly hub?: string;

  /**
   * The Istio image tag (e.g. "1.30.3"). Pin it to the istioctl version that installs it.
   *
   * @default - istioctl's own version
   */
  readonly tag?: string;

  /**
   * Requests and limits of istiod (`components.pilot.k8s.resources`). Replaces the whole default.
   *
   * @default - requests cpu 500m, memory 2048Mi (the strategy's sizing); no limits
   */
  readonly pilotResources?: ContainerResources;

  /**
   * A fixed istiod replica count, or an autoscaling range.
   *
   * @default - Istio's default: istiod's HorizontalPodAutoscaler, 1 to 5 replicas at 80% CPU
   */
  readonly pilotScaling?: IstioPilotScaling;

  /**
   * The ingress gateways. `addIngressGateway()` adds more.
   *
   * @default - one gateway, "istio-ingressgateway", with the strategy's sizing and ports (see `IstioGatewayOptions`)
   */
  readonly ingressGateways?: IstioGatewayOptions[];

  /**
   * An egress gateway, through which outbound traffic can be forced and audited.
   *
   * @default - none (the default profile installs no egress gateway)
   */
  readonly egressGateway?: IstioGatewayOptions;

  /**
   * Requests and limits of every sidecar and gateway proxy (`values.global.proxy.resources`).
   * Replaces the whole default.
   *
   * @default - requests cpu 100m, memory 128Mi; limits cpu 2000m, memory 1024Mi (the strategy's sizing)
   */
  readonly proxyResources?: ContainerResources;

  /**
   * What sidecars do with traffic to destinations the mesh does not know. A zero-trust mesh
   * wants `REGISTRY_ONLY`: every external dependency is declared with a ServiceEntry.
   *
   * @default - Istio's default, ALLOW_ANY (not written)
   */
  readonly outboundTrafficPolicy?: IstioOutboundTrafficPolicy;

  /**
   * The proxies' access log. A zero-trust mesh wants `IstioAccessLog.toStdout()`: who called whom,
   * for audits and incident response.
   *
   * @default - Istio's default, no access log (not written)
   */
  readonly accessLog?: IstioAccessLog;

  /**
   * Start application containers only once their sidecar is ready
   * (`meshConfig.defaultConfig.holdApplicationUntilProxyStarts`), so that an application's first
   * requests do not fail, or leave the pod unencrypted, while the proxy starts.
   *
   * @default - Istio's default, false (not written)
   */
  readonly holdApplicationUntilProxyStarts?: boolean;

  /**
   * Install Istio's CNI node agent (`components.cni`), which sets up each pod's traffic redirection
   * from a node DaemonSet instead of the `istio-init` init container. `istio-init` needs the
   * NET_ADMIN and NET_RAW capabilities, which Pod Security "baseline" and "restricted" forbid, so
   * a mesh with such namespaces (a `ZeroTrustNamespace` enforces "restricted") needs the CNI agent
   * (Istio docs, "Install the Istio CNI node agent"; "Install Istio with Pod Security Admission").
   *
   * @default false (Istio's default, not written); a warning is reported when the app has
   * injected namespaces that enforce "baseline" or "restricted"
   */
  readonly cni?: boolean;

  /**
   * The mesh's trust domain: the root of every workload identity
   * (`spiffe://<trust domain>/ns/<namespace>/sa/<service account>`) that authorization policies match.
   *
   * @default - Istio's default, "cluster.local" (not written)
   */
  readonly trustDomain?: string;
}

/** Istio's default install namespace; the Helm values name it `global.istioNamespace`. */

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

/**
 * A production Istio control plane as an `install.istio.io/v1alpha1` IstioOperator, the file
 * `istioctl install -f FILE -y` reads: a profile, sized istiod, ingress (and optionally egress)
 * gateways, sized sidecars and the mesh settings a zero-trust mesh wants.
 *
 * istioctl accepts one document per file, so put this construct in a chart of its own: cdk8s then
 * writes it to a file of its own. The in-cluster operator was removed in Istio 1.24; the file is for
 * istioctl, not for GitOps.
 */
export class IstioControlPlane extends Construct {
  /** The IstioOperator's name. */
  public readonly name: string;

  /** The namespace Istio is installed into. */
  public readonly namespace: string;

  /** The profile the settings are overlaid on. */
  public readonly profile: IstioProfile;

  /** The control plane revision, when set: namespaces select it with `istio.io/rev: <revision>`. */
  public readonly revision?: string;

  /** The mesh's trust domain, when set (Istio's default is "cluster.local"). */
  public readonly trustDomain?: string;

  /**
   * The IstioOperator. Escape hatch for fields the props do not cover:
   * `istioOperator.addJsonPatch(JsonPatch.add('/spec/values/pilot/env', { ... }))`.
   */
  public readonly istioOperator: ApiObject;

  /** Whether Istio's CNI node agent is installed. */
  public readonly cni: boolean;

  private readonly spec: any;
  private readonly pilot: any;
  private readonly ingressGateways: RenderedGateway[] = [];
  private readonly egressGateways: RenderedGateway[] = [];

  public constructor(scope: Construct, id: string, props: IstioControlPlaneProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    this.name = checkDnsLabel(this, 'name', props.name ?? 'istio-control-plane');
    this.namespace = checkDnsLabel(this, 'namespace', props.namespace ?? ISTIO_NAMESPACE);
    this.profile = this.checkProfile(props.profile ?? IstioProfile.DEFAULT);
    this.revision = props.revision === undefined ? undefined : this.checkRevision(props.revision);
    this.trustDomain = props.trustDomain === undefined ? undefined : checkTrustDomain(this, 'trustDomain', props.trustDomain);
    this.cni = props.cni ?? false;

    // Everything but the gateways is known now: check and render it eagerly, so errors point here.
    this.spec = compact({
      profile: this.profile,
      revision: this.revision,
      hub: props.hub === undefined ? undefined : this.checkHub(props.hub),
      tag: props.tag === undefined ? undefined : this.checkTag(props.tag),
      meshConfig: this.renderMeshConfig(props),
      values: this.renderValues(props),
    });
    this.pilot = compact({ k8s: this.renderPilotK8s(props) });

    for (const gateway of props.ingressGateways ?? [{}]) {
      this.addIngressGateway(gateway);
    }
    if (props.egressGateway) {
      this.addGateway(GatewayKind.EGRESS, props.egressGateway);
    }

    this.istioOperator = new ApiObject(this, 'Resource', {
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: this.name, namespace: this.namespace },
      spec: Lazy.any({ produce: () => this._toSpec() }),
    });

    this.node.addValidation({ validate: () => this.checkAloneInItsFile() });
    this.node.addValidation({ validate: () => this.checkPodSecurityNeedsCni() });
  }

  /**
   * Adds an ingress gateway, for example an internal one beside the public one.
   */
  public addIngressGateway(options: IstioGatewayOptions): void {
    this.addGateway(GatewayKind.INGRESS, options);
  }

  /**
   * The IstioOperator's spec, read at synth time.
   *
   * @internal
   */
  public _toSpec(): any {
    return {
      ...this.spec,
      components: compact({
        pilot: this.pilot,
        cni: this.cni ? { enabled: true } : undefined,
        ingressGateways: this.ingressGateways.map(g => g.spec),
        egressGateways: this.egressGateways.length > 0 ? this.egressGateways.map(g => g.spec) : undefined,
      }),
    };
  }

  private addGateway(kind: GatewayKind, options: IstioGatewayOptions): void {
    const list = kind === GatewayKind.INGRESS ? this.ingressGateways : this.egressGateways;
    const field = kind === GatewayKind.INGRESS ? `ingressGateways[${list.length}]` : 'egressGateway';
    const gateway = renderGateway(this, field, kind, options);
    const namespace = gateway.namespace ?? this.namespace;

    // Deployment and Service of a gateway are named after it, so names are unique per namespace
    const all = [...this.ingressGateways, ...this.egressGateways];
    if (all.some(g => g.name === gateway.name && (g.namespace ?? this.namespace) === namespace)) {
      throw invalid(this, `${field}.name`, gateway.name,
        `another gateway in namespace "${namespace}" has this name; give each gateway its own name`);
    }
    const twin = all.find(g => g.enabled && gateway.enabled && (g.namespace ?? this.namespace) === namespace &&
      sameLabels(g.effectiveLabels, gateway.effectiveLabels));
    if (twin) {
      MeshWarnings.of(this).add(`gateways "${twin.name}" and "${gateway.name}" in namespace "${namespace}" have the same pod ` +
        `labels ${JSON.stringify(gateway.effectiveLabels)}, so each Service selects both gateways' pods; ` +
        `give "${gateway.name}" its own labels (e.g. { istio: "${gateway.name}" })`);
    }
    list.push(gateway);
  }

  private renderPilotK8s(props: IstioControlPlaneProps): any {
    const scaling = props.pilotScaling;
    return {
      resources: renderResources(this, 'pilotResources', props.pilotResources ?? PILOT_RESOURCES),
      replicaCount: scaling?.replicas === undefined ? undefined : this.checkReplicas('pilotScaling.replicas', scaling.replicas),
      hpaSpec: scaling && scaling.replicas === undefined ? this.renderHpaSpec(scaling) : undefined,
    };
  }

  private renderHpaSpec(scaling: IstioPilotScaling): any {
    const min = this.checkReplicas('pilotScaling.minReplicas', scaling.minReplicas);
    const max = this.checkReplicas('pilotScaling.maxReplicas', scaling.maxReplicas);
    if (max < min) {
      throw invalid(this, 'pilotScaling.maxReplicas', max, `must be at least minReplicas (${min})`);
    }
    const target = scaling.targetCpuUtilization;
    if (target !== undefined && (!Number.isInteger(target) || target < 1)) {
      throw invalid(this, 'pilotScaling.targetCpuUtilization', target,
        'must be a whole percentage of the CPU request greater than zero (e.g. 80)');
    }
    return {
      minReplicas: min,
      maxReplicas: max,
      // autoscaling/v2 MetricSpec; replaces the chart's list, which holds only this CPU metric
      ...(target !== undefined ? {
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }],
      } : {}),
    };
  }

  private renderValues(props: IstioControlPlaneProps): any {
    const scaling = props.pilotScaling;
    return {
      global: {
        proxy: { resources: renderResources(this, 'proxyResources', props.proxyResources ?? PROXY_RESOURCES) },
        // the charts locate istiod through it: it must follow a non-default namespace
        istioNamespace: this.namespace === ISTIO_NAMESPACE ? undefined : this.namespace,
      },
      // a fixed count needs the autoscaler off; autoscaling needs the HPA that hpaSpec patches
      pilot: scaling ? { autoscaleEnabled: scaling.replicas === undefined } : undefined,
    };
  }

  private renderMeshConfig(props: IstioControlPlaneProps): any {
    return {
      ...(props.accessLog ? this.renderAccessLog(props.accessLog) : {}),
      outboundTrafficPolicy: props.outboundTrafficPolicy === undefined
        ? undefined : { mode: this.checkOutboundTrafficPolicy(props.outboundTrafficPolicy) },
      defaultConfig: { holdApplicationUntilProxyStarts: props.holdApplicationUntilProxyStarts },
      trustDomain: this.trustDomain,
    };
  }

  private renderAccessLog(accessLog: IstioAccessLog): any {
    if (typeof accessLog.path !== 'string' || !accessLog.path.startsWith('/')) {
      throw invalid(this, 'accessLog', accessLog.path, 'must be an absolute file path (e.g. "/dev/stdout")');
    }
    if (accessLog.encoding !== undefined && !Object.values(IstioAccessLogEncoding).includes(accessLog.encoding)) {
      throw invalid(this, 'accessLog.encoding', accessLog.encoding, `must be one of ${Object.values(IstioAccessLogEncoding).join(', ')}`);
    }
    return { accessLogFile: accessLog.path, ...(accessLog.encoding ? { accessLogEncoding: accessLog.encoding } : {}) };
  }

  private checkProfile(profile: IstioProfile): IstioProfile {
    if (!Object.values(IstioProfile).includes(profile)) {
      throw invalid(this, 'profile', profile, `must be one of Istio's profiles: ${Object.values(IstioProfile).join(', ')}`);
    }
    return profile;
  }

  private checkOutboundTrafficPolicy(policy: IstioOutboundTrafficPolicy): IstioOutboundTrafficPolicy {
    if (!Object.values(IstioOutboundTrafficPolicy).includes(policy)) {
      throw invalid(this, 'outboundTrafficPolicy', policy, `must be one of ${Object.values(IstioOutboundTrafficPolicy).join(', ')}`);
    }
    return policy;
  }

  private checkRevision(revision: string): string {
    if (!isDnsLabel(revision)) {
      // istioctl requires it (operator/pkg/apis/validation); it becomes part of resource names and the istio.io/rev label
      throw invalid(this, 'revision', revision,
        "must be an RFC 1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. \"1-30-3\")");
    }
    return revision;
  }

  private checkHub(hub: string): string {
    // an image repository without the image name: istioctl appends "/pilot", "/proxyv2"
    if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$/.test(hub)) {
      throw invalid(this, 'hub', hub, 'must be an image registry path without a trailing slash or tag (e.g. "docker.io/istio")');
    }
    return hub;
  }

  private checkTag(tag: string): string {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
      throw invalid(this, 'tag', tag, 'must be an image tag: letters, digits, "_", "." or "-", at most 128 (e.g. "1.30.3")');
    }
    return tag;
  }

  private checkReplicas(field: string, replicas: number | undefined): number {
    if (replicas === undefined || !Number.isInteger(replicas) || replicas < 1) {
      throw invalid(this, field, replicas, 'must be a whole number of replicas, at least 1');
    }
    return replicas;
  }

  /**
   * Without the CNI agent every injected pod gets `istio-init` (NET_ADMIN, NET_RAW), which a
   * namespace enforcing Pod Security "baseline" or "restricted" rejects: its pods never start.
   */
  private checkPodSecurityNeedsCni(): string[] {
    if (this.cni) return [];
    const strict = this.node.root.node.findAll()
      .filter((c): c is ApiObject => ApiObject.isApiObject(c) && c.kind === 'Namespace')
      .filter(ns => {
        const labels = ns.metadata.toJson().labels ?? {};
        const injected = this.revision === undefined
          ? labels['istio-injection'] === 'enabled'
          : labels['istio.io/rev'] === this.revision;
        return injected && ['baseline', 'restricted'].includes(labels['pod-security.kubernetes.io/enforce']);
      });
    if (strict.length > 0) {
      MeshWarnings.of(this.istioOperator).add(`namespaces ${strict.map(ns => ns.name).join(', ')} enforce Pod Security ` +
        '"baseline" or "restricted", which rejects the istio-init container (NET_ADMIN, NET_RAW) that Istio injects ' +
        'without its CNI node agent, so their pods would never start; set cni: true');
    }
    return [];
  }

  /**
   * istioctl reads one document per file and cdk8s writes one file per chart (by default): anything
   * else in that file makes `istioctl install -f` fail.
   */
  private checkAloneInItsFile(): string[] {
    const app = App.of(this);
    const output = app instanceof App ? app.yamlOutputType : YamlOutputType.FILE_PER_CHART;
    if (output === YamlOutputType.FILE_PER_RESOURCE || output === YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE) {
      return [];
    }
    const scope = output === YamlOutputType.FILE_PER_APP ? app : Chart.of(this);
    const others = scope.node.findAll().filter(c => ApiObject.isApiObject(c) && c !== this.istioOperator);
    if (others.length > 0) {
      // reported on the IstioOperator: warnings added to this construct now would be read too late
      MeshWarnings.of(this.istioOperator).add(`the IstioOperator shares its output file with ${others.length} other ` +
        `object(s) (${others.slice(0, 3).map(o => o.node.path).join(', ')}${others.length > 3 ? ', ...' : ''}), ` +
        'but istioctl install -f accepts one document per file; put the IstioControlPlane in a chart of its own');
    }
    return [];
  }
}

/** Drops undefined values and objects left empty, so only what was asked for is written. */
function compact(value: any): any {
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

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every(k => a[k] === b[k]);
}
