import { ApiObject, JsonPatch } from 'cdk8s';
import { k8s, Namespace } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { addAllowNothing, addAllowPolicy, AuthorizationRule, operation } from './authorization';
import { anyAddressBut, checkCanonicalCidr } from './cidr';
import { namespaceLabels, namespaceLabelsProblem } from './namespace-labels';
import { workloadsIn } from './namespace-workloads';
import { NamespaceNetworkPolicies, namespacePeer, RuleList, tcpPorts } from './network-policy';
import { PlainTextExceptions, PlainTextOptions } from './plain-text';
import { podSecurityViolations } from './pod-security-check';
import { checkExternalHost, ExternalHosts, ExternalProtocol } from './service-entries';
import { WorkloadIdentity } from './workload-identity';
import { PeerAuthentication, PeerAuthenticationSpecMtlsMode } from '../../imports/security.istio.io';
import { enableAppChecks } from '../common/app-checks';
import { DEFAULT_CLUSTER_DOMAIN, DEFAULT_TRUST_DOMAIN, ISTIO_NAMESPACE, serviceHost } from '../common/istio';
import { PodSecurityLevel } from '../common/labels';
import { IMeshService } from '../common/mesh-service';
import { IstioOutboundTrafficPolicy } from '../common/outbound-traffic-policy';
import {
  checkDnsLabel, checkDnsSubdomain, checkList, checkMethods, checkPaths, checkPort, checkPorts, checkTrustDomain, invalid,
  isLabelValue,
} from '../common/validation';
import { DataPlane } from '../data-plane/data-plane';
import { MeshModel, NamespaceIntent } from '../graph/model';
import { MeshPrometheus } from '../observability/prometheus';

/**
 * A namespace other constructs can put zero-trust workloads in: one this app creates
 * (`ZeroTrustNamespace`) or one it only refers to (`ZeroTrustNamespace.fromName`).
 */
export interface IZeroTrustNamespace extends IConstruct {
  /** The namespace name. */
  readonly name: string;

  /** The trust domain of the mesh: the first part of every principal. */
  readonly trustDomain: string;

  /** The data plane of the namespace's pods. */
  readonly dataPlane: DataPlane;
}

/**
 * Options of `ZeroTrustNamespace.fromName()`.
 */
export interface ZeroTrustNamespaceReferenceOptions {
  /**
   * The trust domain of the mesh (istiod's `meshConfig.trustDomain`).
   *
   * @default "cluster.local"
   */
  readonly trustDomain?: string;

  /**
   * The data plane the namespace's pods are on.
   *
   * @default DataPlane.sidecar()
   */
  readonly dataPlane?: DataPlane;

  /**
   * The mesh root namespace.
   *
   * @default "istio-system"
   */
  readonly rootNamespace?: string;

  /**
   * The cluster's DNS domain.
   *
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
}

/**
 * Properties of a `ZeroTrustNamespace`.
 */
export interface ZeroTrustNamespaceProps {
  /**
   * The namespace name, an RFC 1123 label.
   */
  readonly name: string;

  /**
   * The data plane of the namespace's pods: sidecars, or `DataPlane.ambient()` (ztunnel, and a
   * waypoint where L7 is needed; no sidecar, so no `revision`). The service graph writes the
   * policies of either.
   *
   * @default DataPlane.sidecar() (the strategy's)
   */
  readonly dataPlane?: DataPlane;

  /**
   * The Istio control-plane revision, or revision tag, the namespace's pods follow
   * (`istio.io/rev: <revision>`, for canary upgrades of Istio). Without it the namespace gets
   * `istio-injection: enabled`. Never both: `istio-injection` takes precedence over `istio.io/rev`
   * and pins the namespace to the default revision (Istio docs, "Installing the sidecar",
   * "Controlling the injection policy").
   *
   * @default - no revision: `istio-injection: enabled`
   */
  readonly revision?: string;

  /**
   * The Pod Security Standards level the namespace enforces, audits and warns at.
   *
   * `baseline` and `restricted` forbid the NET_ADMIN and NET_RAW capabilities of Istio's
   * `istio-init` container: install Istio with its CNI node agent, which replaces that container
   * (Istio docs, "Install Istio with Pod Security Admission"). `restricted` also asks every pod to
   * set `seccompProfile: RuntimeDefault`, which a pod-level securityContext gives the sidecar too.
   *
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly podSecurity?: PodSecurityLevel;

  /**
   * More labels for the Namespace. The data-plane and Pod Security labels come from `dataPlane`,
   * `revision` and `podSecurity`, not from here.
   *
   * @default - only the data-plane and Pod Security labels
   */
  readonly labels?: { [key: string]: string };

  /**
   * The mesh root namespace, where istiod and the gateways run.
   *
   * @default "istio-system"
   */
  readonly rootNamespace?: string;

  /**
   * The trust domain of the mesh (istiod's `meshConfig.trustDomain`), the first part of the
   * principals that `allowFrom` and the service graph write.
   *
   * @default "cluster.local"
   */
  readonly trustDomain?: string;

  /**
   * The cluster's DNS domain, for the host names of services in other namespaces
   * (`<service>.<namespace>.svc.<clusterDomain>`) in the `Sidecar`s.
   *
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;

  /**
   * What the proxies do with calls to hosts that are neither in the namespace, nor in the root
   * namespace, nor declared with `allowEgressTo*` or the service graph.
   *
   * @default IstioOutboundTrafficPolicy.REGISTRY_ONLY
   */
  readonly outboundTrafficPolicy?: IstioOutboundTrafficPolicy;

  /**
   * Let the gateway pods of the mesh root namespace (see `rootNamespaceGateways`) open connections
   * to the pods of this namespace, on any port. Gateways forward to workload ports this construct
   * does not know; the AuthorizationPolicies still decide, by mTLS identity, which requests get
   * through. Nothing else of the root namespace is admitted: istiod never connects to the proxies
   * (they connect to it, on 15012), and sidecar-less pods there (Istio's Prometheus addon, Kiali)
   * would otherwise reach the ports a plain-text exception opens. Turn it off to admit, at L3/L4,
   * only the gateways you `allowFrom` or that `calls` declares.
   *
   * @default true
   */
  readonly rootNamespaceIngress?: boolean;

  /**
   * The gateways `rootNamespaceIngress` admits, by the value of their pods' `istio` label.
   * `istioctl install` labels its ingress gateway `istio: ingressgateway` (its egress gateway, which
   * never calls workloads, `egressgateway`); Istio's `gateway` Helm chart labels a gateway
   * `istio: <release name without "istio-">`. Add `eastwestgateway` in a multi-network mesh.
   *
   * @default ["ingressgateway"]
   */
  readonly rootNamespaceGateways?: string[];

  /**
   * The cluster's own address blocks (pod CIDRs and Service CIDRs, IPv4 and IPv6, and node CIDRs to
   * keep host-network endpoints out too), left out of the egress that `allowEgressTo` opens, and
   * the addresses a plain-text exception's namespace clients can come from.
   *
   * A NetworkPolicy cannot name a host, so an external host's port is opened to every address,
   * `0.0.0.0/0` and `::/0`. Whether such an ipBlock also matches pods depends on the network plugin
   * (Kubernetes docs, "Network Policies": ipBlock is meant for cluster-external addresses); where it
   * does, one external host opens its port to every pod of the cluster. These blocks become the
   * `ipBlock.except` of those rules, each under the block of its address family.
   *
   * @default - none: where the network plugin matches pods with an ipBlock, `allowEgressTo` opens
   * its port to the whole cluster at L3/L4 (the Sidecar's REGISTRY_ONLY still applies at L7)
   */
  readonly clusterCidrs?: string[];

  /**
   * More destinations of DNS queries (UDP and TCP 53) besides the kube-dns pods. NodeLocal
   * DNSCache answers on the node, on a link-local address (169.254.20.10 by default) and, in its
   * default mode, on the kube-dns Service address too; those queries never reach a kube-dns pod,
   * so that rule does not allow them (kubernetes/kubernetes, cluster/addons/dns/nodelocaldns):
   * give both, e.g. `["169.254.20.10/32", "10.96.0.10/32"]`. Link-local addresses also get a
   * ServiceEntry, so that sidecars pass DNS over TCP to them under REGISTRY_ONLY.
   *
   * @default - only the kube-dns pods (`k8s-app: kube-dns` in kube-system)
   */
  readonly dnsCidrs?: string[];
}

/**
 * Narrows an allow rule to some ports and, for HTTP traffic, some methods and paths.
 */
export interface AllowOptions {
  /**
   * The workload (container) ports the rule allows: Istio authorization matches the port the
   * workload listens on, not the Service port (istio/api#3075).
   *
   * @default - every port
   */
  readonly ports?: number[];

  /**
   * HTTP methods the rule allows (gRPC calls are `POST`). HTTP only: on plain TCP traffic a rule
   * with methods never matches.
   *
   * @default - every method
   */
  readonly methods?: string[];

  /**
   * Request paths the rule allows: exact (`/health`), prefix (`/api/*`), suffix (`*.png`) or `*`.
   * HTTP only: on plain TCP traffic a rule with paths never matches.
   *
   * @default - every path
   */
  readonly paths?: string[];
}

/**
 * Narrows an egress rule to some ports.
 */
export interface EgressOptions {
  /**
   * The destination workload (container) ports: the sidecar connects to the endpoints' pod ports,
   * which is what the NetworkPolicy sees.
   *
   * @default - every port
   */
  readonly ports?: number[];
}

/**
 * Options of `ZeroTrustNamespace.allowEgressTo()`.
 */
export interface ExternalEgressOptions {
  /**
   * The protocol the application speaks to the host on this port.
   *
   * @default ExternalProtocol.TLS
   */
  readonly protocol?: ExternalProtocol;

  /**
   * The address blocks the host is reached at. Required for `ExternalProtocol.TCP`: a proxy routes
   * opaque TCP by address, so without them every connection of the namespace to the port would go
   * to this host. Given, they also narrow the NetworkPolicy egress to these blocks, and the
   * ServiceEntry's resolution is NONE (the proxy forwards to the address dialled, as Istio requires
   * of address blocks).
   *
   * @default - none: TLS and HTTP are routed by SNI and Host; the NetworkPolicy opens the port to
   * any address but the `clusterCidrs`
   */
  readonly addresses?: string[];
}

// The label istioctl gives its ingress gateway's pods (manifests/charts/gateways/istio-ingress values).
const DEFAULT_GATEWAY = 'ingressgateway';

/**
 * A namespace where nothing talks to anything unless allowed, by workload identity.
 *
 * Emits, in the namespace:
 * - the Namespace, with the data-plane (sidecar injection) and Pod Security Standards labels;
 * - PeerAuthentication `default`: STRICT mutual TLS;
 * - AuthorizationPolicy `allow-nothing`, and `allow-by-identity` with the rules of `allowFrom`;
 * - NetworkPolicy `default-deny` (ingress and egress), `allow-ingress` (the gateways of the mesh
 *   root namespace and the L3/L4 mirror of every allow rule) and `allow-egress` (DNS, the data
 *   plane's control connections, declared destinations);
 * - with the sidecar data plane, Sidecar `default`: proxies of workloads the service graph does not
 *   know only learn about `./*`, `<rootNamespace>/*`, DNS and declared destinations, and (by
 *   default) block everything else;
 * - a ServiceEntry per external host allowed with `allowEgressTo`.
 *
 * Workloads of the service graph (`CanaryService`, `MeshWorkload`) get policies of their own on
 * top, which admit exactly the calls declared with `calls`. Pods of the namespace do not reach each
 * other unless a call (or a namespace-wide rule) says so.
 */
export class ZeroTrustNamespace extends Namespace implements IZeroTrustNamespace {
  /**
   * Refers to a namespace this app does not create, for constructs that take an
   * `IZeroTrustNamespace` and for the rules that name it.
   *
   * @param name the namespace name
   */
  public static fromName(scope: Construct, id: string, name: string, options: ZeroTrustNamespaceReferenceOptions = {}): IZeroTrustNamespace {
    return new ZeroTrustNamespaceReference(scope, id, name, options);
  }

  /** The trust domain of the mesh. */
  public readonly trustDomain: string;

  /** The mesh root namespace. */
  public readonly rootNamespace: string;

  /** The data plane of the namespace's pods. */
  public readonly dataPlane: DataPlane;

  /** The namespace-wide STRICT PeerAuthentication (escape hatch: `addJsonPatch`). */
  public readonly peerAuthentication: ApiObject;

  /** The deny-by-default AuthorizationPolicy `allow-nothing`. */
  public readonly denyAll: ApiObject;

  /**
   * The namespace-wide Sidecar that scopes the proxies' configuration and outbound traffic, with the
   * sidecar data plane.
   */
  public readonly sidecar?: ApiObject;

  /** The NetworkPolicy that denies all ingress and egress the other policies do not allow. */
  public readonly defaultDenyNetworkPolicy: ApiObject;

  /** The NetworkPolicy `allow-egress`: DNS, the data plane's control connections, declared destinations. */
  public readonly egressNetworkPolicy: ApiObject;

  private readonly intent: NamespaceIntent;
  private readonly networkPolicies: NamespaceNetworkPolicies;
  private readonly externalHosts: ExternalHosts;
  private readonly plainText: PlainTextExceptions;
  /** Where `allowEgressTo` opens its port: any address but the cluster's own. */
  private readonly externalPeers: k8s.NetworkPolicyPeer[];
  private readonly authorizationRules = new RuleList<AuthorizationRule>();
  private readonly egressDeclarations = new Set<string>();
  private allowPolicy?: ApiObject;

  public constructor(scope: Construct, id: string, props: ZeroTrustNamespaceProps) {
    super(scope, id, { metadata: { name: props.name } });
    enableAppChecks(this);
    checkDnsLabel(this, 'name', props.name);
    // A Namespace is cluster-scoped, but cdk8s gives it the chart's namespace, if the chart has one.
    if (this.metadata.namespace !== undefined) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    this.rootNamespace = checkDnsLabel(this, 'rootNamespace', props.rootNamespace ?? ISTIO_NAMESPACE);
    if (this.rootNamespace === props.name) {
      throw invalid(this, 'name', props.name,
        'a zero-trust namespace cannot be the mesh root namespace, where policies apply to the whole mesh; ' +
        'use ZeroTrustMesh there');
    }
    this.trustDomain = checkTrustDomain(this, 'trustDomain', props.trustDomain ?? DEFAULT_TRUST_DOMAIN);
    this.dataPlane = props.dataPlane ?? DataPlane.sidecar();
    const dataPlane = this.dataPlane._renderer;
    const revision = props.revision === undefined ? undefined : checkDnsLabel(this, 'revision', props.revision);
    const level = props.podSecurity ?? PodSecurityLevel.RESTRICTED;
    for (const [key, value] of Object.entries(namespaceLabels(this, props.labels, dataPlane, revision, level))) {
      this.metadata.addLabel(key, value);
    }
    // labels can still change through `metadata.addLabel`: check the end result too
    this.node.addValidation({ validate: () => namespaceLabelsProblem(this.metadata.toJson().labels ?? {}, dataPlane, revision) });

    const namespace = this.name;
    this.intent = {
      name: namespace,
      construct: this,
      managed: true,
      trustDomain: this.trustDomain,
      rootNamespace: this.rootNamespace,
      clusterDomain: checkDnsSubdomain(this, 'clusterDomain', props.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN),
      dataPlane,
      revision,
      registryOnly: (props.outboundTrafficPolicy ?? IstioOutboundTrafficPolicy.REGISTRY_ONLY) === IstioOutboundTrafficPolicy.REGISTRY_ONLY,
      dnsCidrs: (props.dnsCidrs ?? []).map(c => checkCanonicalCidr(this, 'dnsCidrs', c).cidr),
      egress: { meshHosts: [], externalHosts: [] },
      namedNamespaces: [],
      namedServiceAccounts: [],
      allowRules: [],
    };
    MeshModel.of(this).addNamespace(this.intent);

    this.peerAuthentication = new PeerAuthentication(this, 'PeerAuthentication', {
      metadata: { name: 'default', namespace },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });
    this.denyAll = addAllowNothing(this, 'DenyAll', namespace);
    this.sidecar = dataPlane.renderNamespace(this, this.intent).sidecar;

    // every proxy sends to the mesh's own destinations (the tracing collector of the control plane)
    this.networkPolicies = new NamespaceNetworkPolicies(this, namespace, () => MeshModel.of(this).meshEgress.map(e => ({
      to: e.namespace ? [namespacePeer(e.namespace, namespace)] : this.externalPeers,
      ports: tcpPorts([e.port]),
    })));
    this.defaultDenyNetworkPolicy = this.networkPolicies.defaultDeny;
    // what the data plane itself must let in (ambient: kubelet probes from ztunnel's link-local address)
    dataPlane.namespaceIngress(this.intent).forEach(rule => this.networkPolicies.addIngress(rule));
    const gateways = this.checkRootNamespaceGateways(props);
    if (gateways) {
      this.networkPolicies.addIngress({ from: [{ ...namespacePeer(this.rootNamespace, namespace), podSelector: istioLabelSelector(gateways) }] });
    }
    this.externalPeers = anyAddressBut(this, 'clusterCidrs', props.clusterCidrs);
    this.networkPolicies.addEgress({
      to: [{
        namespaceSelector: { matchLabels: { [Namespace.NAME_LABEL]: 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      }, ...this.intent.dnsCidrs.map(cidr => ({ ipBlock: { cidr } }))],
      ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) }],
    });
    dataPlane.namespaceEgress(this.intent).forEach(rule => this.networkPolicies.addEgress(rule));
    this.egressNetworkPolicy = this.networkPolicies.egressPolicy!;

    this.externalHosts = new ExternalHosts(this, namespace);
    this.plainText = new PlainTextExceptions(this, namespace, (props.clusterCidrs ?? []),
      rule => this.networkPolicies.addIngress(rule), (field, name) => this.nameNamespace(field, name));

    // the namespace enforces its level at admission: a pod it rejects would never start
    this.node.addValidation({ validate: () => this.checkPodSecurity(level) });
  }

  /**
   * Allows calls from a workload identity, optionally narrowed to ports, methods and paths: the
   * coarse, namespace-wide option for callers outside the service graph (prefer `calls`, which
   * admits a caller to one workload only).
   *
   * Adds an ALLOW rule on the mTLS identity to the AuthorizationPolicy `allow-by-identity`, and
   * its L3/L4 mirror (the source's namespace, the ports) to the NetworkPolicy `allow-ingress`.
   */
  public allowFrom(identity: WorkloadIdentity, options: AllowOptions = {}): void {
    const source = identity._resolve(this, { namespace: this.name, trustDomain: this.trustDomain, rootNamespace: this.rootNamespace });
    const ports = checkPorts(this, 'ports', options.ports);
    const methods = checkMethods(this, 'methods', options.methods);
    const paths = checkPaths(this, 'paths', options.paths);
    const to = operation(ports, methods, paths);
    const rule: AuthorizationRule = { from: [{ source: { ...source.source } }], ...to ? { to } : {} };
    if (!this.authorizationRules.add(rule)) {
      throw invalid(this, 'allowFrom', describe(source.description, options),
        'the same allow rule was added twice; remove one of the calls');
    }
    if (source.namespace !== undefined) this.nameNamespace('allowFrom source namespace', source.namespace);
    if (source.namespace !== undefined && source.serviceAccount !== undefined) {
      this.intent.namedServiceAccounts.push({ field: 'allowFrom source serviceAccount', namespace: source.namespace, name: source.serviceAccount });
    }
    this.allowPolicy ??= addAllowPolicy(this, 'AllowByIdentity', {
      name: 'allow-by-identity',
      namespace: this.name,
      rules: () => this.authorizationRules.all,
    });
    const inboundPorts = ports && this.dataPlane._renderer.namespaceInboundPorts(ports);
    this.networkPolicies.addIngress({ from: [source.peer], ...inboundPorts ? { ports: tcpPorts(inboundPorts) } : {} });
    this.intent.allowRules!.push({ rule, peer: source.peer, ports });
    this.dataPlane._renderer.renderAllowRule(this.intent);
    MeshModel.of(this).changed();
  }

  /**
   * Allows Prometheus in a namespace to scrape the pods' metrics.
   *
   * Opens the data plane's metrics ports (with sidecars, pilot-agent's merged metrics on 15020 and
   * Envoy's on 15090) in the NetworkPolicy `allow-ingress`. The sidecar does not capture these
   * ports, so no mTLS or authorization applies.
   *
   * @param namespace the namespace Prometheus runs in: `MeshObservability.prometheus.namespace`
   * (default: the one of `MeshPrometheus.operator()`, "monitoring")
   */
  public allowMetricsScrapingFrom(namespace: string = MeshPrometheus.operator().namespace): void {
    checkDnsLabel(this, 'allowMetricsScrapingFrom namespace', namespace);
    const ports = this.dataPlane._renderer.metricsPorts;
    if (!this.networkPolicies.addIngress({ from: [namespacePeer(namespace, this.name)], ports: tcpPorts(ports) })) {
      throw invalid(this, 'allowMetricsScrapingFrom', namespace, 'the same allow rule was added twice; remove one of the calls');
    }
    this.nameNamespace('allowMetricsScrapingFrom namespace', namespace);
  }

  /**
   * Allows calls to an external host on one port.
   *
   * Emits a ServiceEntry visible to this namespace only, and NetworkPolicy egress on that port to
   * the host's `addresses` when given, else to any address but the `clusterCidrs`: a NetworkPolicy
   * cannot name a host, so the proxies' REGISTRY_ONLY mode is what keeps other hosts out. Call it
   * once per port.
   *
   * @param host a DNS name such as "api.stripe.com", or a wildcard such as "*.googleapis.com"
   * @param port the port the application connects to
   */
  public allowEgressTo(host: string, port: number, options: ExternalEgressOptions = {}): void {
    checkExternalHost(this, 'allowEgressTo host', host);
    checkPort(this, 'allowEgressTo port', port);
    const protocol = options.protocol ?? ExternalProtocol.TLS;
    if (!Object.values(ExternalProtocol).includes(protocol)) {
      throw invalid(this, 'allowEgressTo protocol', protocol, `must be one of ${Object.values(ExternalProtocol).join(', ')}`);
    }
    const addresses = (options.addresses ?? []).map(a => checkCanonicalCidr(this, 'allowEgressTo addresses', a).cidr);
    this.externalHosts.add('allowEgressTo', host, port, protocol, addresses);
    if (!this.intent.egress.externalHosts.includes(host)) this.intent.egress.externalHosts.push(host);
    const to = addresses.length > 0 ? addresses.map(cidr => ({ ipBlock: { cidr } })) : this.externalPeers;
    this.networkPolicies.addEgress({ to, ports: tcpPorts([port]) });
    MeshModel.of(this).changed();
  }

  /**
   * Allows calls from every pod of this namespace to a mesh service of another namespace: the
   * coarse option for services outside the service graph (prefer `calls`).
   *
   * Its host joins the Sidecars' egress hosts, its namespace the NetworkPolicy `allow-egress`.
   */
  public allowEgressToService(service: IMeshService, options: EgressOptions = {}): void {
    const namespace = checkDnsLabel(this, 'allowEgressToService namespace', service.namespace);
    const name = checkDnsLabel(this, 'allowEgressToService serviceName', service.serviceName);
    this.addEgress('allowEgressToService', `${namespace}/${name}`, namespace,
      `${namespace}/${serviceHost(name, namespace, this.intent.clusterDomain)}`, options);
  }

  /**
   * Allows calls from every pod of this namespace to every service of a namespace, this one
   * included: the coarse option for callers outside the service graph.
   *
   * @param namespace the namespace
   */
  public allowEgressToNamespace(namespace: string, options: EgressOptions = {}): void {
    checkDnsLabel(this, 'allowEgressToNamespace namespace', namespace);
    this.addEgress('allowEgressToNamespace', namespace, namespace, namespace === this.name ? './*' : `${namespace}/*`, options);
  }

  /**
   * Lets legacy clients without a sidecar call some workload ports in plain text.
   *
   * A temporary exception, reported as a warning at every synth that says what it opens. Emits
   * PeerAuthentication `plain-text-<name>` (STRICT, the ports PERMISSIVE), an AuthorizationPolicy
   * `plain-text-<name>` that allows requests without a peer identity on those ports (narrowed by
   * address where the clients' addresses are known: `fromCidrs`, and `clusterCidrs` for clients of
   * a namespace), and their NetworkPolicy ingress rule. When the app itself declares workloads in
   * this namespace that match `selector`, synth fails if none of them declares the port.
   *
   * @param name names the exception, an RFC 1123 label
   */
  public allowPlainText(name: string, options: PlainTextOptions): void {
    this.plainText.add(name, options);
  }

  /** Declares an in-mesh destination of every pod: a Sidecar egress host and a NetworkPolicy egress rule. */
  private addEgress(method: string, destination: string, namespace: string, host: string, options: EgressOptions): void {
    const ports = checkPorts(this, 'ports', options.ports);
    const key = JSON.stringify([host, ports]);
    if (this.egressDeclarations.has(key)) {
      throw invalid(this, method, describe(destination, options), 'the same allow rule was added twice; remove one of the calls');
    }
    this.egressDeclarations.add(key);
    const wirePorts = ports && this.dataPlane._renderer.namespaceOutboundPorts(ports);
    this.networkPolicies.addEgress({ to: [namespacePeer(namespace, this.name)], ...wirePorts ? { ports: tcpPorts(wirePorts) } : {} });
    if (!this.intent.egress.meshHosts.includes(host)) this.intent.egress.meshHosts.push(host);
    this.nameNamespace(`${method} namespace`, namespace);
  }

  /** Records a namespace a rule names by string, for the whole-app check that the app knows it. */
  private nameNamespace(field: string, name: string): void {
    this.intent.namedNamespaces.push({ field, name });
    MeshModel.of(this).changed();
  }

  /** The gateway label values `rootNamespaceIngress` admits, or undefined when it is off. */
  private checkRootNamespaceGateways(props: ZeroTrustNamespaceProps): string[] | undefined {
    const gateways = props.rootNamespaceGateways;
    if (!(props.rootNamespaceIngress ?? true)) {
      if (gateways !== undefined) {
        throw invalid(this, 'rootNamespaceGateways', gateways,
          'has no effect with rootNamespaceIngress: false; remove one of the two');
      }
      return undefined;
    }
    return checkList(this, 'rootNamespaceGateways', gateways, isLabelValue,
      'must list the values of the gateway pods\' "istio" label (e.g. ["ingressgateway", "eastwestgateway"]); ' +
      'set rootNamespaceIngress: false to admit none') ?? [DEFAULT_GATEWAY];
  }

  private checkPodSecurity(level: PodSecurityLevel): string[] {
    return workloadsIn(this, this.name).flatMap(({ name, template }) => {
      const problems = podSecurityViolations(level, template);
      return problems.length === 0 ? [] : [`workload ${name} would be rejected by the Pod Security level "${level}" ` +
        `of namespace ${this.name}: ${problems.join('; ')}; fix its pod spec (PodSecurity.restrict() completes ` +
        'a cdk8s-plus workload for "restricted") or lower the podSecurity of the namespace'];
    });
  }
}

/** A namespace the app does not create. */
class ZeroTrustNamespaceReference extends Construct implements IZeroTrustNamespace {
  public readonly name: string;
  public readonly trustDomain: string;
  public readonly dataPlane: DataPlane;

  public constructor(scope: Construct, id: string, name: string, options: ZeroTrustNamespaceReferenceOptions) {
    super(scope, id);
    this.name = checkDnsLabel(this, 'name', name);
    this.trustDomain = checkTrustDomain(this, 'trustDomain', options.trustDomain ?? DEFAULT_TRUST_DOMAIN);
    this.dataPlane = options.dataPlane ?? DataPlane.sidecar();
    const model = MeshModel.of(this);
    // a namespace the app creates stays the one the model knows, wherever the app also refers to it
    if (model.namespaces.get(this.name)?.managed) return;
    model.addNamespace({
      name: this.name,
      construct: this,
      managed: false,
      trustDomain: this.trustDomain,
      rootNamespace: checkDnsLabel(this, 'rootNamespace', options.rootNamespace ?? ISTIO_NAMESPACE),
      clusterDomain: checkDnsSubdomain(this, 'clusterDomain', options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN),
      dataPlane: this.dataPlane._renderer,
      registryOnly: true,
      dnsCidrs: [],
      egress: { meshHosts: [], externalHosts: [] },
      namedNamespaces: [],
      namedServiceAccounts: [],
    });
  }
}

/** Pods whose `istio` label has one of the values (Istio's gateway charts set it on every gateway). */
function istioLabelSelector(values: string[]): k8s.LabelSelector {
  return values.length === 1
    ? { matchLabels: { istio: values[0] } }
    : { matchExpressions: [{ key: 'istio', operator: 'In', values }] };
}

function describe(source: string, options: AllowOptions): string {
  const parts = [source];
  if (options.ports) parts.push(`ports ${options.ports.join(',')}`);
  if (options.methods) parts.push(`methods ${options.methods.join(',')}`);
  if (options.paths) parts.push(`paths ${options.paths.join(',')}`);
  return parts.join(' ');
}
