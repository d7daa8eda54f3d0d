// Kubernetes NetworkPolicies of zero trust: the L3/L4 defence in depth under Istio's authorization.
// A namespace denies everything by default and admits, namespace-wide, what its coarse rules allow;
// each workload of the service graph gets a policy of its own that admits exactly its declared
// calls, in and out. NetworkPolicies add up: a connection passes when any policy allows it
// (Kubernetes docs, "Network Policies"). Internal.
import { ApiObject, Lazy } from 'cdk8s';
import { k8s, Namespace } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { MeshModel, WorkloadIntent } from '../graph/model';
import type { ResolvedCall } from '../graph/resolve';

/** The pods of a namespace as a NetworkPolicy peer; the policy's own namespace needs no selector. */
export function namespacePeer(namespace: string, policyNamespace: string): k8s.NetworkPolicyPeer {
  if (namespace === policyNamespace) return { podSelector: {} };
  return { namespaceSelector: { matchLabels: { [Namespace.NAME_LABEL]: namespace } } };
}

/** A workload's pods as a NetworkPolicy peer. */
export function workloadPeer(workload: WorkloadIntent, policyNamespace: string): k8s.NetworkPolicyPeer {
  return { ...namespacePeer(workload.namespace.name, policyNamespace), podSelector: { matchLabels: { ...workload.selector } } };
}

export function tcpPorts(ports: number[]): k8s.NetworkPolicyPort[] {
  return ports.map(port => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
}

/** Rules in the order they were added, each once (rules are equal when their JSON is). */
export class RuleList<T> {
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

/** The ports of a call at the callee's pods, as its data plane says. */
function inboundPorts(call: ResolvedCall): number[] {
  return call.callee.namespace.dataPlane.inboundPorts(call);
}

/**
 * The NetworkPolicy of one workload of the graph, named after it: ingress from the pods of each
 * caller on the ports the call arrives on, egress to the pods of each callee likewise.
 */
export function addWorkloadNetworkPolicy(scope: Construct, id: string, workload: WorkloadIntent, model: MeshModel): ApiObject {
  const namespace = workload.namespace.name;
  const ingress = () => dedupe(model.resolved().inbound(workload).map(call =>
    ({ from: [workloadPeer(call.caller, namespace)], ports: tcpPorts(inboundPorts(call)) })));
  const egress = () => dedupe(model.resolved().outbound(workload).map(call =>
    ({ to: [workloadPeer(call.callee, namespace)], ports: tcpPorts(inboundPorts(call)) })));
  return new k8s.KubeNetworkPolicy(scope, id, {
    metadata: { name: workloadObjectName(workload), namespace },
    spec: {
      podSelector: { matchLabels: { ...workload.selector } },
      policyTypes: Lazy.any({
        produce: () => [...ingress().length > 0 ? ['Ingress'] : [], ...egress().length > 0 ? ['Egress'] : []],
      }),
      ingress: Lazy.any({ produce: () => nonEmpty(ingress()) }),
      egress: Lazy.any({ produce: () => nonEmpty(egress()) }),
    },
  });
}

/** The name of a workload's own policies: its Service name, or its service account's without one. */
export function workloadObjectName(workload: WorkloadIntent): string {
  return workload.serviceName ?? workload.serviceAccountName;
}

function dedupe<T>(rules: T[]): T[] {
  const list = new RuleList<T>();
  rules.forEach(r => list.add(r));
  return list.all;
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

/**
 * The namespace-wide NetworkPolicies: `default-deny` (ingress and egress), and `allow-ingress` and
 * `allow-egress`, each created with its first rule, whose rules are read at synth time.
 */
export class NamespaceNetworkPolicies {
  /** The NetworkPolicy that denies all ingress and egress the other policies do not allow. */
  public readonly defaultDeny: ApiObject;

  private readonly ingressRules = new RuleList<k8s.NetworkPolicyIngressRule>();
  private readonly egressRules = new RuleList<k8s.NetworkPolicyEgressRule>();
  private ingress?: ApiObject;
  private egress?: ApiObject;

  /**
   * @param extraEgress egress rules read at synth time, after the namespace's own (destinations of
   * every proxy of the mesh)
   */
  public constructor(private readonly scope: Construct, private readonly namespace: string,
    private readonly extraEgress: () => k8s.NetworkPolicyEgressRule[] = () => []) {
    this.defaultDeny = new k8s.KubeNetworkPolicy(scope, 'DefaultDeny', {
      metadata: { name: 'default-deny', namespace },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
  }

  /** The NetworkPolicy `allow-egress`, once it has a rule. */
  public get egressPolicy(): ApiObject | undefined {
    return this.egress;
  }

  /** Adds an ingress rule for every pod of the namespace; false when it is already there. */
  public addIngress(rule: k8s.NetworkPolicyIngressRule): boolean {
    this.ingress ??= new k8s.KubeNetworkPolicy(this.scope, 'AllowIngress', {
      metadata: { name: 'allow-ingress', namespace: this.namespace },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: Lazy.any({ produce: () => this.ingressRules.all }) },
    });
    return this.ingressRules.add(rule);
  }

  /** Adds an egress rule for every pod of the namespace; false when it is already there. */
  public addEgress(rule: k8s.NetworkPolicyEgressRule): boolean {
    this.egress ??= new k8s.KubeNetworkPolicy(this.scope, 'AllowEgress', {
      metadata: { name: 'allow-egress', namespace: this.namespace },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: Lazy.any({ produce: () => dedupe([...this.egressRules.all, ...this.extraEgress()]) }),
      },
    });
    return this.egressRules.add(rule);
  }
}
