import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { ContainerResources } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ResolvedControlPlane, resolveControlPlane } from './control-plane-model';
import { IstioDelivery } from './delivery';
import { DeliveryBinding } from './delivery-binding';
import { IstioExtensionProvider } from './extension-providers';
import { IstioGatewayOptions } from './gateway';
import { IstioHelmChart } from './helm-chart';
import { IstioAccessLog } from './mesh-settings';
import { IstioPilotScaling } from './pilot-scaling';
import { IstioProfile } from './profile';
import { GatewayKind, publicLoadBalancerProblem, ResolvedGateway, resolveGateway } from './resolve-gateway';
import { registerRevisions } from './revision-check';
import { enableAppChecks } from '../common/app-checks';
import { INJECTION_LABEL, REVISION_LABEL } from '../common/istio';
import { IstioOutboundTrafficPolicy } from '../common/outbound-traffic-policy';
import { invalid } from '../common/validation';
import { MeshWarnings } from '../common/warnings';
import { MeshModel } from '../graph/model';

/**
 * Properties of an `IstioControlPlane`.
 */
export interface IstioControlPlaneProps {
  /**
   * The control plane's name: the IstioOperator's name with istioctl (the Helm deliveries name
   * their releases after Istio's charts).
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
   * How the control plane reaches the cluster: an IstioOperator for istioctl, or Istio's Helm charts
   * as Argo CD Applications or Flux HelmReleases, from the same props.
   *
   * @default IstioDelivery.istioctl()
   */
  readonly delivery?: IstioDelivery;

  /**
   * The control plane revision, for canary upgrades of Istio itself (e.g. "istiod-1-30"): namespaces
   * then select it with the `istio.io/rev` label instead of `istio-injection: enabled`. Each revision
   * is a control plane of its own, side by side with the others (Istio docs, "Canary upgrades").
   *
   * @default - no revision (the default control plane)
   */
  readonly revision?: string;

  /**
   * Revision tags that point at this revision (e.g. "prod-stable"): namespaces select a tag with
   * `istio.io/rev: <tag>`, so moving them all to another revision is moving the tag to another
   * control plane, one line (Istio docs, "Revision tags"). The Helm deliveries write them as istiod's
   * `revisionTags`; with istioctl, run `istioctl tag set <tag> --revision <revision>`.
   *
   * @default - no tags
   */
  readonly revisionTags?: string[];

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
   * The ambient profile always installs it (in ambient mode, with ztunnel).
   *
   * @default - on with the ambient profile; otherwise false (Istio's default, not written), and a
   * warning is reported when the app has injected namespaces that enforce "baseline" or "restricted"
   */
  readonly cni?: boolean;

  /**
   * The mesh's trust domain: the root of every workload identity
   * (`spiffe://<trust domain>/ns/<namespace>/sa/<service account>`) that authorization policies match.
   *
   * @default - Istio's default, "cluster.local" (not written)
   */
  readonly trustDomain?: string;

  /**
   * The mesh's extension providers (`meshConfig.extensionProviders`): the tracing backends that
   * Telemetry resources select by name. A Telemetry tracing block that names no declared provider
   * traces nothing.
   *
   * @default - none
   */
  readonly extensionProviders?: IstioExtensionProvider[];

  /**
   * The tracing providers every proxy uses when no Telemetry resource says otherwise
   * (`meshConfig.defaultProviders.tracing`), by name; each must be in `extensionProviders`.
   *
   * @default - none: proxies trace only where a Telemetry resource names a provider
   */
  readonly defaultTracingProviders?: string[];
}

/**
 * A production Istio control plane: a profile, sized istiod, ingress (and optionally egress)
 * gateways, sized sidecars and the mesh settings a zero-trust mesh wants, delivered one of three ways
 * from the same props (`delivery`):
 *
 * - istioctl (the default): an `install.istio.io/v1alpha1` IstioOperator, the file
 *   `istioctl install -f FILE -y` reads. istioctl accepts one document per file, so put this construct
 *   in a chart of its own: cdk8s then writes it to a file of its own. The in-cluster operator was
 *   removed in Istio 1.24; the file is for istioctl, not for GitOps.
 * - Argo CD or Flux: Istio's Helm charts (base, istiod, cni, ztunnel, a gateway each) as Applications
 *   or HelmReleases, in install order, which the GitOps controller applies.
 */
export class IstioControlPlane extends Construct {
  /** The control plane's name (the IstioOperator's, with istioctl). */
  public readonly name: string;

  /** The namespace Istio is installed into. */
  public readonly namespace: string;

  /** The profile the settings are overlaid on. */
  public readonly profile: IstioProfile;

  /** The control plane revision, when set: namespaces select it with `istio.io/rev: <revision>`. */
  public readonly revision?: string;

  /** The revision tags that point at this control plane: namespaces select them with `istio.io/rev: <tag>`. */
  public readonly revisionTags: string[];

  /** The mesh's trust domain, when set (Istio's default is "cluster.local"). */
  public readonly trustDomain?: string;

  /** How the control plane reaches the cluster. */
  public readonly delivery: IstioDelivery;

  /**
   * The IstioOperator, with the istioctl delivery. Escape hatch for fields the props do not cover:
   * `istioOperator.addJsonPatch(JsonPatch.add('/spec/values/pilot/env', { ... }))`.
   */
  public readonly istioOperator?: ApiObject;

  /**
   * With Argo CD or Flux, the object of each chart release (Applications, HelmReleases), in install
   * order; empty with istioctl. For chart values the props do not cover, use `addHelmValues()`.
   */
  public readonly releases: ApiObject[];

  /** Whether Istio's CNI node agent is installed (asked for, or part of the ambient profile). */
  public readonly cni: boolean;

  /** Whether the control plane runs the ambient data plane (ztunnel) rather than sidecars only. */
  public readonly ambient: boolean;

  /** The mesh's extension providers. */
  public readonly extensionProviders: IstioExtensionProvider[];

  private readonly model: ResolvedControlPlane;
  private readonly binding: DeliveryBinding;

  public constructor(scope: Construct, id: string, props: IstioControlPlaneProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    this.model = resolveControlPlane(this, props);
    this.name = this.model.name;
    this.namespace = this.model.namespace;
    this.profile = this.model.profile;
    this.revision = this.model.revision;
    this.cni = this.model.cni;
    this.ambient = this.model.ambient;
    this.revisionTags = [...this.model.revisionTags];
    this.trustDomain = props.trustDomain;
    this.extensionProviders = [...props.extensionProviders ?? []];
    this.delivery = props.delivery ?? IstioDelivery.istioctl();
    this.binding = this.delivery._bind(this, this.model);
    this.istioOperator = this.binding.istioOperator;
    this.releases = this.binding.releases;

    for (const gateway of props.ingressGateways ?? [{}]) {
      this.addIngressGateway(gateway);
    }
    if (props.egressGateway) {
      this.addGateway(GatewayKind.EGRESS, props.egressGateway);
    }

    registerRevisions(this, this.revision, this.revisionTags);
    // every proxy sends spans to the tracing collectors: zero-trust namespaces must let them through
    for (const provider of this.extensionProviders) MeshModel.of(this).addMeshEgress(this, provider._destination());
    if (this.istioOperator) this.node.addValidation({ validate: () => this.checkAloneInItsFile(this.istioOperator!) });
    this.node.addValidation({ validate: () => this.checkPodSecurityNeedsCni() });
  }

  /**
   * Adds an ingress gateway, for example an internal one beside the public one.
   */
  public addIngressGateway(options: IstioGatewayOptions): void {
    this.addGateway(GatewayKind.INGRESS, options);
  }

  /**
   * The gateways, checked, for constructs that route through them (MeshIngress).
   *
   * @internal
   */
  public get _gateways(): readonly ResolvedGateway[] {
    return this.model.gateways;
  }

  /**
   * Adds Helm values to every release of one of Istio's charts, merged over the values the props
   * translate to (maps key by key; lists and single values replaced). Every key is checked against
   * the chart's values: a key the chart does not have is an error, never a setting Helm ignores.
   * Only for the Argo CD and Flux deliveries; with istioctl, patch `istioOperator`.
   *
   * @param chart the chart whose releases get the values
   * @param values the values, as in the chart's values.yaml (the keys under `_internal_defaults_do_not_set` at the top level)
   */
  public addHelmValues(chart: IstioHelmChart, values: { [key: string]: any }): void {
    this.binding.addHelmValues(chart, values);
  }

  private addGateway(kind: GatewayKind, options: IstioGatewayOptions): void {
    const all = this.model.gateways;
    const index = all.filter(g => g.kind === kind).length;
    const field = kind === GatewayKind.INGRESS ? `ingressGateways[${index}]` : 'egressGateway';
    const gateway = resolveGateway(this, field, kind, options);
    const namespace = gateway.namespace ?? this.namespace;

    // Deployment and Service of a gateway are named after it, so names are unique per namespace
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
    const exposed = publicLoadBalancerProblem(gateway, index);
    if (exposed) MeshWarnings.of(this).add(exposed);
    all.push(gateway);
    this.binding.addGateway(gateway);
  }

  /** Where warnings found at validation go: an object of this control plane, validated after it. */
  private get warningScope(): Construct {
    return this.istioOperator ?? this.releases[0] ?? this;
  }

  /**
   * Without the CNI agent every injected pod gets `istio-init` (NET_ADMIN, NET_RAW), which a
   * namespace enforcing Pod Security "baseline" or "restricted" rejects: its pods never start.
   * Ambient namespaces (`istio.io/dataplane-mode: ambient`) have no sidecar; the ambient profile
   * installs the agent anyway.
   */
  private checkPodSecurityNeedsCni(): string[] {
    if (this.cni) return [];
    const selectors = this.revision === undefined ? ['default', ...this.revisionTags] : [this.revision, ...this.revisionTags];
    const strict = this.node.root.node.findAll()
      .filter((c): c is ApiObject => ApiObject.isApiObject(c) && c.kind === 'Namespace')
      .filter(ns => {
        const labels = ns.metadata.toJson().labels ?? {};
        const rev = labels[REVISION_LABEL];
        const injected = rev !== undefined ? selectors.includes(rev)
          : this.revision === undefined && labels[INJECTION_LABEL] === 'enabled';
        return injected && ['baseline', 'restricted'].includes(labels['pod-security.kubernetes.io/enforce']);
      });
    if (strict.length > 0) {
      MeshWarnings.of(this.warningScope).add(`namespaces ${strict.map(ns => ns.name).join(', ')} enforce Pod Security ` +
        '"baseline" or "restricted", which rejects the istio-init container (NET_ADMIN, NET_RAW) that Istio injects ' +
        'without its CNI node agent, so their pods would never start; set cni: true');
    }
    return [];
  }

  /**
   * istioctl reads one document per file and cdk8s writes one file per chart (by default): anything
   * else in that file makes `istioctl install -f` fail.
   */
  private checkAloneInItsFile(operator: ApiObject): string[] {
    const app = App.of(this);
    const output = app instanceof App ? app.yamlOutputType : YamlOutputType.FILE_PER_CHART;
    if (output === YamlOutputType.FILE_PER_RESOURCE || output === YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE) {
      return [];
    }
    const scope = output === YamlOutputType.FILE_PER_APP ? app : Chart.of(this);
    const others = scope.node.findAll().filter(c => ApiObject.isApiObject(c) && c !== operator);
    if (others.length > 0) {
      // reported on the IstioOperator: warnings added to this construct now would be read too late
      MeshWarnings.of(operator).add(`the IstioOperator shares its output file with ${others.length} other ` +
        `object(s) (${others.slice(0, 3).map(o => o.node.path).join(', ')}${others.length > 3 ? ', ...' : ''}), ` +
        'but istioctl install -f accepts one document per file; put the IstioControlPlane in a chart of its own');
    }
    return [];
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every(k => a[k] === b[k]);
}
