// The waypoint of an ambient namespace: the Envoy that does L7 (HTTP routing, HTTP authorization,
// circuit breaking) for the namespace's services, created the first time something needs it.
// Istio deploys it from a Gateway API `Gateway` of class `istio-waypoint` with one `mesh` listener,
// HBONE on 15008 (`istioctl waypoint generate`; Istio docs, "Configure waypoint proxies"), and the
// namespace label `istio.io/use-waypoint` sends every call to the namespace's services through it.
//
// Two facts decide its policies (Istio 1.30, pilot/pkg/model/policyattachment.go): a waypoint only
// applies AuthorizationPolicies with `targetRefs` (its Gateway, or a Service it serves), never
// namespace-wide or selector ones; and traffic it forwards reaches the callee's ztunnel with the
// waypoint's own identity (Istio docs, "Use Layer 4 security policy": waypoints do not impersonate
// the caller). So the waypoint names the original callers, and the callee's ztunnel admits the
// waypoint. Internal.
import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AmbientWaypoint, PodGroup } from './data-plane';
import { Gateway } from '../../imports/gateway.networking.k8s.io';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../../imports/security.istio.io';
import { ISTIO_PORTS, ISTIOD_POD_LABELS, principal } from '../common/istio';
import { managedLabels } from '../common/labels';
import type { MeshModel, NamespaceAllowRule, NamespaceIntent, WorkloadIntent } from '../graph/model';
import type { ResolvedCall } from '../graph/resolve';
import { addAllowPolicy, AuthorizationRule } from '../zero-trust/authorization';
import { dedupe, namespacePeer, nonEmpty, podsPeer, tcpPorts, workloadObjectName, workloadPeer } from '../zero-trust/network-policy';

/** The waypoint's name, as `istioctl waypoint generate` names it: also its Deployment and service account. */
export const WAYPOINT_NAME = 'waypoint';
/** Istio's waypoint GatewayClass (pilot/pkg/config/kube/gatewaycommon/classinfo.go). */
export const WAYPOINT_CLASS = 'istio-waypoint';
/** The label that sends a namespace's (or a Service's) traffic through a waypoint. */
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
/** The label that sends ingress gateways' traffic to a namespace's services through its waypoint too. */
export const INGRESS_USE_WAYPOINT_LABEL = 'istio.io/ingress-use-waypoint';
/** What the waypoint handles: `service` (the default), `workload`, `all` or `none`. */
const WAYPOINT_FOR_LABEL = 'istio.io/waypoint-for';
/** The label istiod puts on a Gateway's pods (manifests/charts/istiod files/waypoint.yaml). */
const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
/** Says which features pulled the waypoint in. */
export const NEEDED_BY_ANNOTATION = 'cdk8s-mesh/waypoint-needed-by';

const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

const waypoints = new WeakMap<NamespaceIntent, NamespaceWaypoint>();

/** The waypoint of one ambient namespace the app creates: absent until something needs it. */
export class NamespaceWaypoint {
  /** The waypoint of an ambient namespace, if the app creates the namespace. */
  public static of(namespace: NamespaceIntent): NamespaceWaypoint | undefined {
    return waypoints.get(namespace);
  }

  /** The waypoint's pods, as NetworkPolicies select them. */
  public readonly pods: PodGroup;

  /** Its mTLS identity: the service account istiod gives its Deployment, named after the Gateway. */
  public readonly principal: string;

  private readonly reasons: string[] = [];
  private gateway?: ApiObject;
  private ingress = false;

  public constructor(
    /** The namespace's construct: the waypoint's objects are created under it. */
    private readonly scope: Construct,
    private readonly namespace: NamespaceIntent,
    public readonly mode: AmbientWaypoint,
    private readonly model: MeshModel,
  ) {
    waypoints.set(namespace, this);
    this.pods = { namespace: namespace.name, selector: { [GATEWAY_NAME_LABEL]: WAYPOINT_NAME } };
    this.principal = principal(namespace.trustDomain, namespace.name, WAYPOINT_NAME);
  }

  /** Whether the namespace has its waypoint (once it has, it keeps it). */
  public get exists(): boolean {
    return this.gateway !== undefined;
  }

  /** What pulled the waypoint in, in the order it was asked for. */
  public get neededBy(): string[] {
    return [...this.reasons];
  }

  /**
   * Gives the namespace its waypoint, for `reason` (what needs L7, for the Gateway's annotation).
   * With `AmbientWaypoint.NEVER` the caller reports the error instead: this is never called.
   */
  public require(reason: string): void {
    if (!this.reasons.includes(reason)) this.reasons.push(reason);
    if (this.gateway) return;
    this.gateway = this.addGateway();
    ApiObject.of(this.scope).metadata.addLabel(USE_WAYPOINT_LABEL, WAYPOINT_NAME);
    this.addWaypointPolicy();
    this.addNetworkPolicy();
    this.renderAllowRules();
    // the workloads of the graph already in the namespace get their waypoint policy now
    for (const workload of this.model.workloads) {
      if (workload.namespace === this.namespace) this.renderWorkload(workload);
    }
  }

  /** Adds the waypoint's AuthorizationPolicy of a workload with a Service, once the waypoint exists. */
  public renderWorkload(workload: WorkloadIntent): void {
    if (!this.exists || workload.serviceName === undefined) return;
    if (this.model.callsOf(workload).inbound.length === 0) return;
    if (workload.construct.node.tryFindChild('WaypointAuthorizationPolicy')) return;
    addWaypointAuthorization(workload.construct as Construct, 'WaypointAuthorizationPolicy', workload, this.model, this);
  }

  /**
   * Sends the ingress gateways' calls through the waypoint as well (`istio.io/ingress-use-waypoint`
   * on the namespace, Istio 1.30 pilot/pkg/serviceregistry/ambient/services.go): for the HTTP rules
   * of their calls, which only the waypoint can enforce, and for the routes it applies (a gateway
   * that reaches the pods itself skips their weights).
   */
  public requireForIngress(reason: string): void {
    this.require(reason);
    if (this.ingress) return;
    this.ingress = true;
    ApiObject.of(this.scope).metadata.addLabel(INGRESS_USE_WAYPOINT_LABEL, 'true');
  }

  /**
   * Whether a call goes through this waypoint: ztunnel's callers follow it, and ingress gateways
   * where the namespace asks; sidecars bypass it (istio/istio#51445).
   */
  public carries(call: ResolvedCall): boolean {
    if (!this.exists || call.callee.namespace !== this.namespace) return false;
    return call.caller.namespace.dataPlane.outboundViaZtunnel || (this.ingress && call.caller.ingressGateway === true);
  }

  private addGateway(): ApiObject {
    return new Gateway(this.scope, 'Waypoint', {
      metadata: {
        name: WAYPOINT_NAME,
        namespace: this.namespace.name,
        labels: managedLabels({ [WAYPOINT_FOR_LABEL]: 'service' }),
        annotations: { [NEEDED_BY_ANNOTATION]: Lazy.any({ produce: () => this.reasons.join('; ') }) },
      },
      spec: {
        gatewayClassName: WAYPOINT_CLASS,
        listeners: [{ name: 'mesh', port: ISTIO_PORTS.HBONE, protocol: 'HBONE' }],
      },
    });
  }

  /**
   * The namespace-wide `allowFrom` rules for callers through the waypoint, once there are any: at
   * ztunnel, the waypoint's identity on the rules' ports (`allow-from-waypoint`), and HBONE from the
   * waypoint to every pod of the namespace.
   */
  public renderAllowRules(): void {
    if (!this.exists || this.allowRules().length === 0 || this.scope.node.tryFindChild('AllowFromWaypoint')) return;
    addAllowPolicy(this.scope, 'AllowFromWaypoint', {
      name: `allow-from-${WAYPOINT_NAME}`,
      namespace: this.namespace.name,
      rules: () => dedupe(this.allowRules().map(r => this.rule(r.ports))),
    });
    new k8s.KubeNetworkPolicy(this.scope, 'AllowFromWaypointNetworkPolicy', {
      metadata: { name: `allow-from-${WAYPOINT_NAME}`, namespace: this.namespace.name },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [podsPeer(this.pods, this.namespace.name)], ports: tcpPorts([ISTIO_PORTS.HBONE]) }],
      },
    });
  }

  private allowRules(): NamespaceAllowRule[] {
    return this.namespace.allowRules ?? [];
  }

  /**
   * The waypoint's namespace-wide policy (`targetRefs` its Gateway): the `allowFrom` rules without
   * their ports, which ztunnel checks. Without any it admits nobody: an ALLOW policy without rules
   * is the waypoint's deny-by-default, as `allow-nothing` is ztunnel's (which no waypoint applies).
   */
  private addWaypointPolicy(): void {
    new AuthorizationPolicy(this.scope, 'WaypointAllowByIdentity', {
      metadata: { name: `${WAYPOINT_NAME}-allow-by-identity`, namespace: this.namespace.name },
      spec: {
        targetRefs: [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: WAYPOINT_NAME }],
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: Lazy.any({ produce: () => dedupe(this.allowRules().map(r => withoutPorts(r.rule))) }),
      },
    });
  }

  /**
   * The NetworkPolicy of the waypoint's pods (the namespace denies everything by default): HBONE in
   * from the callers it carries, HBONE out to their callees, istiod for its configuration; for
   * `allowFrom` rules, HBONE in from their sources and out to every pod.
   */
  private addNetworkPolicy(): void {
    const ns = this.namespace.name;
    const hbone = tcpPorts([ISTIO_PORTS.HBONE]);
    const calls = () => this.model.workloads
      .filter(w => w.namespace === this.namespace)
      .flatMap(w => this.model.resolved().inbound(w))
      .filter(c => this.carries(c));
    const ingress = () => dedupe([
      ...calls().map(c => ({ from: [workloadPeer(c.caller, ns)], ports: hbone })),
      ...this.allowRules().map(r => ({ from: [r.peer], ports: hbone })),
    ]);
    const egress = () => dedupe([
      {
        to: [{ ...namespacePeer(this.namespace.rootNamespace, ns), podSelector: { matchLabels: { ...ISTIOD_POD_LABELS } } }],
        ports: tcpPorts([ISTIO_PORTS.XDS]),
      },
      ...calls().map(c => ({ to: [workloadPeer(c.callee, ns)], ports: hbone })),
      ...this.allowRules().length > 0 ? [{ to: [{ podSelector: {} }], ports: hbone }] : [],
    ]);
    new k8s.KubeNetworkPolicy(this.scope, 'WaypointNetworkPolicy', {
      metadata: { name: WAYPOINT_NAME, namespace: ns },
      spec: {
        podSelector: { matchLabels: { ...this.pods.selector } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: Lazy.any({ produce: () => nonEmpty(ingress()) }),
        egress: Lazy.any({ produce: () => egress() }),
      },
    });
  }

  /** The ztunnel rule that admits the waypoint's identity, on some workload ports (all when undefined). */
  public rule(ports?: number[]): AuthorizationRule {
    return {
      from: [{ source: { principals: [this.principal] } }],
      ...ports ? { to: [{ operation: { ports: ports.map(String) } }] } : {},
    };
  }
}

/**
 * The waypoint's ALLOW policy for one Service of the graph (`targetRefs`): a rule per call that
 * goes through the waypoint, naming the original caller, with its methods and paths. Ports are
 * left to ztunnel, which admits the waypoint on the call's container ports: the Service has one.
 */
function addWaypointAuthorization(scope: Construct, id: string, workload: WorkloadIntent, model: MeshModel,
  waypoint: NamespaceWaypoint): ApiObject {
  return new AuthorizationPolicy(scope, id, {
    metadata: { name: `${workloadObjectName(workload)}-${WAYPOINT_NAME}`, namespace: workload.namespace.name },
    spec: {
      targetRefs: [{ group: '', kind: 'Service', name: workload.serviceName! }],
      action: AuthorizationPolicySpecAction.ALLOW,
      rules: Lazy.any({
        produce: () => dedupe(model.resolved().inbound(workload).filter(c => waypoint.carries(c)).map(l7Rule)),
      }),
    },
  });
}

/** The caller's principal, with the call's methods and paths. */
function l7Rule(call: ResolvedCall): AuthorizationRule {
  const op = { ...call.methods ? { methods: call.methods } : {}, ...call.paths ? { paths: call.paths } : {} };
  return { from: [{ source: { principals: [call.principal] } }], ...Object.keys(op).length > 0 ? { to: [{ operation: op }] } : {} };
}

/** A namespace-wide rule as the waypoint applies it: ports are checked at ztunnel. */
function withoutPorts(rule: AuthorizationRule): AuthorizationRule {
  const to = (rule.to ?? [])
    .map(t => Object.fromEntries(Object.entries(t.operation).filter(([k]) => k !== 'ports')))
    .filter(op => Object.keys(op).length > 0)
    .map(operation => ({ operation }));
  return { ...rule.from ? { from: rule.from } : {}, ...to.length > 0 ? { to } : {} };
}

