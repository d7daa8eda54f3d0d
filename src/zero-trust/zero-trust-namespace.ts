import { ApiObject, JsonPatch, Lazy } from 'cdk8s';
import { k8s, Namespace } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import {
  checkCanonicalCidr, checkCidr, checkDnsSubdomain, checkExternalHost, checkLabels, IdentityContext, isLabelValue, namespacePeer,
} from './identity-checks';
import { selectWorkloads, workloadsIn } from './namespace-workloads';
import { podSecurityViolations } from './pod-security-check';
import { WorkloadIdentity } from './workload-identity';
import {
  ServiceEntry, ServiceEntrySpecLocation, ServiceEntrySpecResolution, Sidecar, SidecarSpecOutboundTrafficPolicyMode,
} from '../../imports/networking.istio.io';
import {
  AuthorizationPolicy, AuthorizationPolicySpecAction, PeerAuthentication, PeerAuthenticationSpecMtlsMode,
  PeerAuthenticationSpecPortLevelMtlsMode,
} from '../../imports/security.istio.io';
import { enableAppChecks } from '../common/app-checks';
import { sha256 } from '../common/hash';
import { DEFAULT_CLUSTER_DOMAIN, DEFAULT_TRUST_DOMAIN, ISTIO_NAMESPACE, ISTIO_PORTS, ISTIOD_POD_LABELS, serviceHost } from '../common/istio';
import { PodSecurityLevel, podSecurityLabels } from '../common/labels';
import { IMeshService } from '../common/mesh-service';
import { IstioOutboundTrafficPolicy } from '../common/outbound-traffic-policy';
import { checkDnsLabel, checkPort, checkTrustDomain, invalid, invalidMessage, isDnsLabel } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/**
 * A namespace other constructs can put zero-trust workloads in: one this app creates
 * (`ZeroTrustNamespace`) or one it only refers to (`ZeroTrustNamespace.fromName`).
 */
export interface IZeroTrustNamespace extends IConstruct {
  /** The namespace name. */
  readonly name: string;

  /** The trust domain of the mesh: the first part of every principal. */
  readonly trustDomain: string;
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
}

/**
 * The protocol of an external host's port (the ServiceEntry port protocol).
 */
export enum ExternalProtocol {
  /** TLS the application originates itself; the sidecar routes it by SNI without decrypting it. */
  TLS = 'TLS',
  /** HTTPS the application originates itself; treated like TLS by the sidecar. */
  HTTPS = 'HTTPS',
  /** Plain HTTP/1.1: the sidecar sees (and can route on) every request. */
  HTTP = 'HTTP',
  /** Plain HTTP/2. */
  HTTP2 = 'HTTP2',
  /** Plain gRPC. */
  GRPC = 'GRPC',
  /** Opaque TCP. */
  TCP = 'TCP',
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
   * The Istio control-plane revision to inject sidecars from (`istio.io/rev: <revision>`, for
   * canary upgrades of Istio). Without it the namespace gets `istio-injection: enabled`. Never both:
   * `istio-injection` takes precedence over `istio.io/rev` and pins the namespace to the default
   * revision (Istio docs, "Installing the sidecar", "Controlling the injection policy").
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
   * More labels for the Namespace. The injection and Pod Security labels come from `revision` and
   * `podSecurity`, not from here.
   *
   * @default - only the injection and Pod Security labels
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
   * principals that `allowFrom` writes.
   *
   * @default "cluster.local"
   */
  readonly trustDomain?: string;

  /**
   * The cluster's DNS domain, for the host names of services in other namespaces
   * (`<service>.<namespace>.svc.<clusterDomain>`) in the `Sidecar`.
   *
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;

  /**
   * What the sidecars do with calls to hosts that are neither in the namespace, nor in the root
   * namespace, nor declared with `allowEgressTo*`.
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
   * only the gateways you `allowFrom`.
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
   * keep host-network endpoints out too), left out of the egress that `allowEgressTo` opens.
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
   * give both, e.g. `["169.254.20.10/32", "10.96.0.10/32"]`.
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
}

/**
 * A temporary exception for legacy clients without a sidecar: some ports of some workloads also
 * accept plain text.
 */
export interface PlainTextOptions {
  /**
   * Labels of the pods the exception applies to (required by Istio for port-level mTLS).
   */
  readonly selector: { [key: string]: string };

  /**
   * The workload (container) ports that accept plain text: port-level mTLS matches the port the
   * workload listens on, not the Service port (istio/istio#49098).
   */
  readonly ports: number[];

  /**
   * Namespaces the legacy clients run in.
   *
   * @default - none; give `fromNamespaces`, `fromCidrs` or both
   */
  readonly fromNamespaces?: string[];

  /**
   * Address blocks the legacy clients connect from (pods or machines outside the mesh).
   *
   * @default - none; give `fromNamespaces`, `fromCidrs` or both
   */
  readonly fromCidrs?: string[];
}

/** One plain-text exception, kept for the synth-time checks. */
interface PlainTextException {
  readonly name: string;
  readonly selector: { [key: string]: string };
  readonly ports: number[];
}

/** Rules in the order they were added, each once (rules are equal when their JSON is). */
class RuleList<T> {
  private readonly rules = new Map<string, T>();

  /** Adds a rule; false when an equal rule is already there. */
  public add(rule: T): boolean {
    const key = JSON.stringify(rule);
    if (this.rules.has(key)) return false;
    this.rules.set(key, rule);
    return true;
  }

  public get all(): T[] {
    return [...this.rules.values()];
  }
}

const BOTH_REQUESTED = 'injection label and revision both requested; istio-injection takes precedence over ' +
  "istio.io/rev and pins the namespace to the default revision: keep only the 'revision' prop";
// Kubernetes object names (ServiceEntry's too) are RFC 1123 subdomains: at most 253 characters.
const MAX_NAME = 253;
// The label istioctl gives its ingress gateway's pods (manifests/charts/gateways/istio-ingress values).
const DEFAULT_GATEWAY = 'ingressgateway';
const ANY_IPV4 = '0.0.0.0/0';
const ANY_IPV6 = '::/0';
// pilot-agent's merged Prometheus metrics and Envoy's own; the sidecar does not capture them.
const METRICS_PORTS = [ISTIO_PORTS.AGENT_METRICS, ISTIO_PORTS.ENVOY_METRICS];

/**
 * A namespace where nothing talks to anything unless allowed, by workload identity.
 *
 * Emits, in the namespace:
 * - the Namespace, with sidecar injection and Pod Security Standards labels;
 * - PeerAuthentication `default`: STRICT mutual TLS;
 * - AuthorizationPolicy `allow-nothing`, and `allow-by-identity` with the rules of `allowFrom`;
 * - NetworkPolicy `default-deny` (ingress and egress), `allow-ingress` (the gateways of the mesh
 *   root namespace and the L3/L4 mirror of every allow rule) and `allow-egress` (DNS, the namespace
 *   itself, istiod, declared destinations);
 * - Sidecar `default`: each proxy only learns about `./*`, `<rootNamespace>/*` and declared
 *   destinations, and (by default) blocks everything else;
 * - a ServiceEntry per external host allowed with `allowEgressTo`.
 */
export class ZeroTrustNamespace extends Namespace implements IZeroTrustNamespace {
  /**
   * Refers to a namespace this app does not create, for constructs that take an
   * `IZeroTrustNamespace`.
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

  /** The namespace-wide STRICT PeerAuthentication (escape hatch: `addJsonPatch`). */
  public readonly peerAuthentication: ApiObject;

  /** The deny-by-default AuthorizationPolicy `allow-nothing`. */
  public readonly denyAll: ApiObject;

  /** The Sidecar that scopes the proxies' configuration and outbound traffic. */
  public readonly sidecar: ApiObject;

  /** The NetworkPolicy that denies all ingress and egress the other policies do not allow. */
  public readonly defaultDenyNetworkPolicy: ApiObject;

  /** The NetworkPolicy `allow-egress`: DNS, the namespace itself, istiod, declared destinations. */
  public readonly egressNetworkPolicy: ApiObject;

  private readonly clusterDomain: string;
  /** Where `allowEgressTo` opens its port: any address but the cluster's own. */
  private readonly externalPeers: k8s.NetworkPolicyPeer[];
  private readonly authorizationRules = new RuleList<any>();
  private readonly ingressRules = new RuleList<k8s.NetworkPolicyIngressRule>();
  private readonly egressRules = new RuleList<k8s.NetworkPolicyEgressRule>();
  private readonly egressHosts: string[];
  private readonly egressDeclarations = new Set<string>();
  private readonly externalPorts = new Map<string, Map<number, ExternalProtocol>>();
  private readonly plainText: PlainTextException[] = [];
  private allowPolicy?: ApiObject;
  private ingressPolicy?: ApiObject;

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
    this.clusterDomain = checkDnsSubdomain(this, 'clusterDomain', props.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
    if (props.revision !== undefined) checkDnsLabel(this, 'revision', props.revision);

    const labels = checkLabels(this, 'labels', props.labels ?? {}, true);
    const reserved = reservedLabelProblem(labels, props.revision);
    if (reserved) throw invalid(this, 'labels', props.labels, reserved);
    const injection: { [key: string]: string } = props.revision !== undefined
      ? { 'istio.io/rev': props.revision }
      : { 'istio-injection': 'enabled' };
    const level = props.podSecurity ?? PodSecurityLevel.RESTRICTED;
    for (const [key, value] of Object.entries({ ...labels, ...injection, ...podSecurityLabels(level) })) {
      this.metadata.addLabel(key, value);
    }
    // labels can still change through `metadata.addLabel`: check the end result too
    this.node.addValidation({
      validate: () => {
        const final = this.metadata.toJson().labels ?? {};
        const message = labelConflict(final, props.revision);
        return message ? [invalidMessage('labels', final, message)] : [];
      },
    });

    const namespace = this.name;

    this.peerAuthentication = new PeerAuthentication(this, 'PeerAuthentication', {
      metadata: { name: 'default', namespace },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });

    // An ALLOW policy without rules matches nothing: with no other policy, every request is denied.
    this.denyAll = new AuthorizationPolicy(this, 'DenyAll', {
      metadata: { name: 'allow-nothing', namespace },
      spec: {},
    });

    this.egressHosts = ['./*', `${this.rootNamespace}/*`];
    const mode = props.outboundTrafficPolicy ?? IstioOutboundTrafficPolicy.REGISTRY_ONLY;
    this.sidecar = new Sidecar(this, 'Sidecar', {
      // one Sidecar without workloadSelector per namespace applies to all of its workloads
      metadata: { name: 'default', namespace },
      spec: {
        egress: [{ hosts: Lazy.any({ produce: () => [...this.egressHosts] }) }],
        outboundTrafficPolicy: {
          mode: mode === IstioOutboundTrafficPolicy.ALLOW_ANY
            ? SidecarSpecOutboundTrafficPolicyMode.ALLOW_UNDERSCORE_ANY
            : SidecarSpecOutboundTrafficPolicyMode.REGISTRY_UNDERSCORE_ONLY,
        },
      },
    });

    this.defaultDenyNetworkPolicy = new k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'default-deny', namespace },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });

    // Kubelet probes need no rule: Istio rewrites them to the sidecar agent, and a NetworkPolicy
    // never blocks a pod's own node (Kubernetes docs, "Network Policies"). istiod needs none either:
    // the proxies open the xDS connection to it (Istio docs, "Ports used by Istio").
    const gateways = this.checkRootNamespaceGateways(props);
    if (gateways) {
      this.addIngressRule({ from: [{ ...namespacePeer(this.rootNamespace, this.name), podSelector: istioLabelSelector(gateways) }] });
    }
    this.externalPeers = this.anyAddressBut(props.clusterCidrs);
    const dnsPeers = (props.dnsCidrs ?? []).map(c => ({ ipBlock: { cidr: checkCanonicalCidr(this, 'dnsCidrs', c).cidr } }));

    this.egressNetworkPolicy = new k8s.KubeNetworkPolicy(this, 'AllowEgress', {
      metadata: { name: 'allow-egress', namespace },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: Lazy.any({ produce: () => this.egressRules.all }),
      },
    });
    this.egressRules.add({
      to: [{
        namespaceSelector: { matchLabels: { [Namespace.NAME_LABEL]: 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      }, ...dnsPeers],
      ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) }],
    });
    this.egressRules.add({ to: [{ podSelector: {} }] });
    // `app: istiod` is on every revision's pods, so pods keep their control plane during a
    // revision upgrade, whichever revision injected them.
    this.egressRules.add({
      to: [{
        ...namespacePeer(this.rootNamespace, this.name),
        podSelector: { matchLabels: { ...ISTIOD_POD_LABELS } },
      }],
      ports: tcpPorts([ISTIO_PORTS.XDS]),
    });

    this.node.addValidation({ validate: () => this.checkPlainTextPorts() });
    // the namespace enforces its level at admission: a pod it rejects would never start
    this.node.addValidation({ validate: () => this.checkPodSecurity(level) });
  }

  /**
   * Allows calls from a workload identity, optionally narrowed to ports, methods and paths.
   *
   * Adds an ALLOW rule on the mTLS identity to the AuthorizationPolicy `allow-by-identity`, and
   * its L3/L4 mirror (the source's namespace, the ports) to the NetworkPolicy `allow-ingress`.
   */
  public allowFrom(identity: WorkloadIdentity, options: AllowOptions = {}): void {
    const source = identity._resolve(this, this.identityContext);
    const ports = this.checkPorts('ports', options.ports);
    const methods = checkList(this, 'methods', options.methods, m => /^[A-Z]+$/.test(m),
      'must be upper-case HTTP methods such as "GET" or "POST" (gRPC calls are "POST")');
    const paths = checkList(this, 'paths', options.paths, p => /^[/*]\S*$/.test(p),
      'must be paths starting with "/" (exact, or "/api/*" for a prefix), "*" followed by a suffix, or "*"');

    const operation = {
      ...ports ? { ports: ports.map(String) } : {},
      ...methods ? { methods } : {},
      ...paths ? { paths } : {},
    };
    const rule = {
      from: [{ source: source.source }],
      ...Object.keys(operation).length > 0 ? { to: [{ operation }] } : {},
    };
    if (!this.authorizationRules.add(rule)) {
      throw invalid(this, 'allowFrom', describe(source.description, options),
        'the same allow rule was added twice; remove one of the calls');
    }
    this.allowByIdentity();
    this.addIngressRule({ from: [source.peer], ...ports ? { ports: tcpPorts(ports) } : {} });
  }

  /**
   * Allows Prometheus in a namespace to scrape the pods' metrics.
   *
   * Opens pilot-agent's merged metrics (15020) and Envoy's (15090) in the NetworkPolicy
   * `allow-ingress`. The sidecar does not capture these ports, so no mTLS or authorization applies.
   *
   * @param namespace the namespace Prometheus runs in
   */
  public allowMetricsScrapingFrom(namespace: string): void {
    checkDnsLabel(this, 'allowMetricsScrapingFrom namespace', namespace);
    if (!this.addIngressRule({ from: [namespacePeer(namespace, this.name)], ports: tcpPorts(METRICS_PORTS) })) {
      throw invalid(this, 'allowMetricsScrapingFrom', namespace, 'the same allow rule was added twice; remove one of the calls');
    }
  }

  /**
   * Allows calls to an external host on one port.
   *
   * Emits a ServiceEntry visible to this namespace only, and NetworkPolicy egress to any address
   * but the `clusterCidrs` on that port: a NetworkPolicy cannot name a host, so the Sidecar's
   * REGISTRY_ONLY mode is what keeps other hosts out. Call it once per port.
   *
   * @param host a DNS name such as "api.stripe.com", or a wildcard such as "*.googleapis.com"
   * @param port the port the application connects to
   */
  public allowEgressTo(host: string, port: number, options: ExternalEgressOptions = {}): void {
    checkExternalHost(this, 'allowEgressTo host', host);
    checkPort(this, 'allowEgressTo port', port);
    const protocol = options.protocol ?? ExternalProtocol.TLS;
    let ports = this.externalPorts.get(host);
    if (!ports) {
      ports = new Map();
      this.externalPorts.set(host, ports);
      this.serviceEntry(host, ports);
    }
    if (ports.has(port)) {
      throw invalid(this, 'allowEgressTo', `${host}:${port}`, 'the same allow rule was added twice; remove one of the calls');
    }
    ports.set(port, protocol);
    this.egressRules.add({ to: this.externalPeers, ports: tcpPorts([port]) });
  }

  /**
   * Allows calls to a mesh service of another namespace.
   *
   * Its host joins the Sidecar's egress hosts, its namespace the NetworkPolicy `allow-egress`.
   * A service of this namespace is already allowed.
   */
  public allowEgressToService(service: IMeshService, options: EgressOptions = {}): void {
    const namespace = checkDnsLabel(this, 'allowEgressToService namespace', service.namespace);
    const name = checkDnsLabel(this, 'allowEgressToService serviceName', service.serviceName);
    if (namespace === this.name) return;
    this.addEgress('allowEgressToService', `${namespace}/${name}`, namespace,
      `${namespace}/${serviceHost(name, namespace, this.clusterDomain)}`, options);
  }

  /**
   * Allows calls to every service of another namespace.
   *
   * @param namespace the namespace
   */
  public allowEgressToNamespace(namespace: string, options: EgressOptions = {}): void {
    checkDnsLabel(this, 'allowEgressToNamespace namespace', namespace);
    if (namespace === this.name) return;
    this.addEgress('allowEgressToNamespace', namespace, namespace, `${namespace}/*`, options);
  }

  /**
   * Lets legacy clients without a sidecar call some workload ports in plain text.
   *
   * A temporary exception, reported as a warning at every synth. Emits PeerAuthentication `plain-text-<name>` (STRICT, the ports PERMISSIVE), an
   * AuthorizationPolicy `plain-text-<name>` that allows requests without a peer identity on those
   * ports (from `fromCidrs` when no namespace is given), and their NetworkPolicy ingress rule.
   * When the app itself declares workloads in this namespace that match `selector`, synth fails if
   * none of them declares the port.
   *
   * @param name names the exception, an RFC 1123 label
   */
  public allowPlainText(name: string, options: PlainTextOptions): void {
    checkDnsLabel(this, 'allowPlainText name', name);
    if (this.plainText.some(e => e.name === name)) {
      throw invalid(this, 'allowPlainText name', name, 'the same exception was added twice; use one name per exception');
    }
    const selector = checkLabels(this, 'allowPlainText selector', options.selector, false);
    const same = this.plainText.find(e => JSON.stringify(sortKeys(e.selector)) === JSON.stringify(sortKeys(selector)));
    if (same) {
      throw invalid(this, 'allowPlainText selector', selector,
        `already used by the exception "${same.name}": Istio applies only the oldest workload PeerAuthentication ` +
        'of a pod, so give all its ports to one exception');
    }
    if (!options.ports?.length) throw invalid(this, 'allowPlainText ports', options.ports, 'must list at least one port');
    const ports = this.checkPorts('allowPlainText ports', options.ports) ?? [];
    const fromNamespaces = checkList(this, 'allowPlainText fromNamespaces', options.fromNamespaces, isDnsLabel,
      'must be namespace names (RFC 1123 labels)') ?? [];
    const fromCidrs = (options.fromCidrs ?? []).map(c => checkCidr(this, 'allowPlainText fromCidrs', c));
    if (fromNamespaces.length === 0 && fromCidrs.length === 0) {
      throw invalid(this, 'allowPlainText', name,
        'say where the legacy clients run with fromNamespaces or fromCidrs; an exception open to every address is not offered');
    }
    this.plainText.push({ name, selector, ports });

    const scope = new Construct(this, `PlainText-${name}`);
    const metadata = { name: `plain-text-${name}`, namespace: this.name };
    new PeerAuthentication(scope, 'PeerAuthentication', {
      metadata,
      spec: {
        selector: { matchLabels: selector },
        mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT },
        portLevelMtls: Object.fromEntries(ports.map(p => [String(p), { mode: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE }])),
      },
    });
    // Plain text carries no principal: `notPrincipals: ["*"]` matches exactly those requests (Istio
    // docs, "Security policy examples"), so mTLS callers still need an identity rule. Address blocks
    // narrow it only when no namespace is given, since pods in a namespace have no fixed addresses.
    new AuthorizationPolicy(scope, 'AuthorizationPolicy', {
      metadata,
      spec: {
        selector: { matchLabels: selector },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [{
          from: [{ source: { notPrincipals: ['*'], ...fromNamespaces.length === 0 ? { ipBlocks: fromCidrs } : {} } }],
          to: [{ operation: { ports: ports.map(String) } }],
        }],
      },
    });
    this.addIngressRule({
      from: [
        ...fromNamespaces.map(ns => namespacePeer(ns, this.name)),
        ...fromCidrs.map(cidr => ({ ipBlock: { cidr } })),
      ],
      ports: tcpPorts(ports),
    });

    const clients = [...fromNamespaces.map(ns => `namespace ${ns}`), ...fromCidrs].join(', ');
    MeshWarnings.of(this).add(
      `plain-text exception "${name}": pods ${JSON.stringify(selector)} accept plain text (PERMISSIVE mTLS) on ` +
      `${ports.length === 1 ? 'port' : 'ports'} ${ports.join(', ')} from ${clients}; remove it once those clients run with a sidecar`);
  }

  private get identityContext(): IdentityContext {
    return { namespace: this.name, trustDomain: this.trustDomain, rootNamespace: this.rootNamespace };
  }

  private allowByIdentity(): void {
    this.allowPolicy ??= new AuthorizationPolicy(this, 'AllowByIdentity', {
      metadata: { name: 'allow-by-identity', namespace: this.name },
      spec: {
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: Lazy.any({ produce: () => this.authorizationRules.all }),
      },
    });
  }

  /** Adds an ingress rule (creating `allow-ingress` on first use); false when it is already there. */
  private addIngressRule(rule: k8s.NetworkPolicyIngressRule): boolean {
    this.ingressPolicy ??= new k8s.KubeNetworkPolicy(this, 'AllowIngress', {
      metadata: { name: 'allow-ingress', namespace: this.name },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: Lazy.any({ produce: () => this.ingressRules.all }),
      },
    });
    return this.ingressRules.add(rule);
  }

  /** Declares an in-mesh destination: a Sidecar egress host and a NetworkPolicy egress rule. */
  private addEgress(method: string, destination: string, namespace: string, host: string, options: EgressOptions): void {
    const ports = this.checkPorts('ports', options.ports);
    const key = JSON.stringify([host, ports]);
    if (this.egressDeclarations.has(key)) {
      throw invalid(this, method, describe(destination, options), 'the same allow rule was added twice; remove one of the calls');
    }
    this.egressDeclarations.add(key);
    this.egressRules.add({ to: [namespacePeer(namespace, this.name)], ...ports ? { ports: tcpPorts(ports) } : {} });
    if (!this.egressHosts.includes(host)) this.egressHosts.push(host);
  }

  private serviceEntry(host: string, ports: Map<number, ExternalProtocol>): void {
    const wildcard = host.startsWith('*.');
    new ServiceEntry(this, `External-${host}`, {
      metadata: { name: serviceEntryName(host), namespace: this.name },
      spec: {
        hosts: [host],
        exportTo: ['.'],
        location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
        ports: Lazy.any({
          produce: () => [...ports].map(([number, protocol]) => ({ number, name: `${protocol.toLowerCase()}-${number}`, protocol })),
        }),
        // a wildcard cannot be resolved: the proxy forwards to the address the application dialled
        resolution: wildcard ? ServiceEntrySpecResolution.NONE : ServiceEntrySpecResolution.DNS,
      },
    });
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

  /** `0.0.0.0/0` and `::/0`, each without the cluster's blocks of its family. */
  private anyAddressBut(clusterCidrs: string[] = []): k8s.NetworkPolicyPeer[] {
    const blocks = clusterCidrs.map(c => checkCanonicalCidr(this, 'clusterCidrs', c));
    if (new Set(blocks.map(b => b.cidr)).size !== blocks.length) {
      throw invalid(this, 'clusterCidrs', clusterCidrs, 'lists a block twice; list each once');
    }
    return ([[ANY_IPV4, 4], [ANY_IPV6, 6]] as const).map(([cidr, family]) => {
      const except = blocks.filter(b => b.family === family).map(b => b.cidr);
      return { ipBlock: { cidr, ...except.length > 0 ? { except } : {} } };
    });
  }

  private checkPorts(field: string, ports?: number[]): number[] | undefined {
    if (ports === undefined) return undefined;
    if (ports.length === 0) throw invalid(this, field, ports, 'must list at least one port; leave it out to mean every port');
    ports.forEach(p => checkPort(this, field, p));
    return [...new Set(ports)].sort((a, b) => a - b);
  }

  private checkPodSecurity(level: PodSecurityLevel): string[] {
    return workloadsIn(this, this.name).flatMap(({ name, template }) => {
      const problems = podSecurityViolations(level, template);
      return problems.length === 0 ? [] : [`workload ${name} would be rejected by the Pod Security level "${level}" ` +
        `of namespace ${this.name}: ${problems.join('; ')}; fix its pod spec (PodSecurity.restrict() completes ` +
        'a cdk8s-plus workload for "restricted") or lower the podSecurity of the namespace'];
    });
  }

  private checkPlainTextPorts(): string[] {
    return this.plainText.flatMap(exception => {
      const selected = selectWorkloads(this, this.name, exception.selector);
      if (selected.names.length === 0) return []; // deployed by other means: nothing to compare with
      return exception.ports.filter(p => !selected.ports.has(p)).map(p => invalidMessage(
        `allowPlainText "${exception.name}" port`, p,
        `the workloads its selector matches (${selected.names.join(', ')}) declare no such container port; ` +
        'port-level mTLS uses the workload (container) port, not the Service port'));
    });
  }
}

/** A namespace the app does not create. */
class ZeroTrustNamespaceReference extends Construct implements IZeroTrustNamespace {
  public readonly name: string;
  public readonly trustDomain: string;

  public constructor(scope: Construct, id: string, name: string, options: ZeroTrustNamespaceReferenceOptions) {
    super(scope, id);
    this.name = checkDnsLabel(this, 'name', name);
    this.trustDomain = checkTrustDomain(this, 'trustDomain', options.trustDomain ?? DEFAULT_TRUST_DOMAIN);
  }
}

/** Why labels given in props are not the user's to set, or undefined. */
function reservedLabelProblem(labels: { [key: string]: string }, revision?: string): string | undefined {
  if (revision !== undefined && 'istio-injection' in labels) return BOTH_REQUESTED;
  if ('istio.io/rev' in labels) return "set istio.io/rev with the 'revision' prop";
  const podSecurity = Object.keys(labels).find(k => k.startsWith('pod-security.kubernetes.io/'));
  if (podSecurity) return `set ${podSecurity} with the 'podSecurity' prop`;
  return labelConflict(labels, revision);
}

/** Why a set of namespace labels contradicts the injection asked for, or undefined. */
function labelConflict(labels: { [key: string]: string }, revision?: string): string | undefined {
  const injection = labels['istio-injection'];
  const rev = labels['istio.io/rev'];
  if (injection !== undefined && rev !== undefined) {
    return BOTH_REQUESTED;
  }
  if (injection !== undefined && injection !== 'enabled') {
    return 'a zero-trust namespace needs sidecar injection (sidecars enforce mTLS and authorization): remove istio-injection';
  }
  if (rev !== undefined && rev !== revision) {
    return "set istio.io/rev with the 'revision' prop";
  }
  return undefined;
}

/**
 * The ServiceEntry name of an external host: `external-<host>`, and `external--wildcard.<domain>`
 * for `*.<domain>`. A host never starts with '-', so no host name gives the double dash of a
 * wildcard's name: `*.googleapis.com` and `wildcard.googleapis.com` get different names. A name
 * longer than a resource name may be (253, an RFC 1123 subdomain) is cut and ends with a hash of
 * the host.
 */
function serviceEntryName(host: string): string {
  const name = host.startsWith('*.') ? `external--wildcard${host.slice(1)}` : `external-${host}`;
  if (name.length <= MAX_NAME) return name;
  const hash = sha256(host, 10);
  // cut where the rest still ends with a letter or digit, as a subdomain must
  const head = name.slice(0, MAX_NAME - hash.length - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}`;
}

/** Pods whose `istio` label has one of the values (Istio's gateway charts set it on every gateway). */
function istioLabelSelector(values: string[]): k8s.LabelSelector {
  return values.length === 1
    ? { matchLabels: { istio: values[0] } }
    : { matchExpressions: [{ key: 'istio', operator: 'In', values }] };
}

function tcpPorts(ports: number[]): k8s.NetworkPolicyPort[] {
  return ports.map(port => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
}

function checkList(scope: IConstruct, field: string, values: string[] | undefined, ok: (v: string) => boolean, rule: string): string[] | undefined {
  if (values === undefined) return undefined;
  if (values.length === 0 || !values.every(v => typeof v === 'string' && ok(v))) throw invalid(scope, field, values, rule);
  return [...new Set(values)].sort();
}

function sortKeys(o: { [key: string]: string }): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

function describe(source: string, options: AllowOptions): string {
  const parts = [source];
  if (options.ports) parts.push(`ports ${options.ports.join(',')}`);
  if (options.methods) parts.push(`methods ${options.methods.join(',')}`);
  if (options.paths) parts.push(`paths ${options.paths.join(',')}`);
  return parts.join(' ');
}
