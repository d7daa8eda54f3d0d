// Istio's ambient data plane as a cluster carries a call (Istio 1.30), for the service-graph tests:
// - a namespace is ambient with `istio.io/dataplane-mode: ambient` (Istio docs, "Add workloads");
// - ztunnel enforces, at the callee's node, the AuthorizationPolicies with a selector or none (those
//   of the workload's namespace and the root namespace), on L4 attributes only: an ALLOW rule with
//   HTTP attributes is omitted (it never matches), a DENY rule is enforced without them; policies
//   with targetRefs are not ztunnel's (pilot/pkg/serviceregistry/ambient/authorization.go);
// - a Service's traffic goes to a waypoint when `istio.io/use-waypoint` (on the Service, else its
//   namespace) names a Gateway of class `istio-waypoint` that handles service traffic
//   (`istio.io/waypoint-for` service, the default, or all; Istio docs, "Configure waypoint proxies"),
//   and the caller is on ztunnel: sidecars and gateways send straight to the pods (istio/istio#51445);
// - a waypoint applies only policies with targetRefs: its Gateway, the Service, or in the root
//   namespace the GatewayClass `istio-waypoint` (pilot/pkg/model/policyattachment.go), with HTTP
//   attributes; it reaches the callee's ztunnel with its own identity, the service account named
//   after its Gateway (pilot gatewaycommon deploymentcontroller.go), so ztunnel sees the waypoint;
// - every hop involving ztunnel or a waypoint is HBONE to the pod's port 15008; a sidecar reaches a
//   sidecar on the container port (Istio docs, "Ambient and Kubernetes NetworkPolicy").
import { AuthorizationRequest, authorize, evaluate, Workload } from './istio-authorization';
import { Labels } from './labels';

export const HBONE_PORT = 15008;
const USE_WAYPOINT = 'istio.io/use-waypoint';

/** The labels of a namespace, from its Namespace document. */
export function namespaceLabels(docs: any[], namespace: string): Labels {
  return docs.find(d => d.kind === 'Namespace' && d.metadata?.name === namespace)?.metadata?.labels ?? {};
}

/** Whether a namespace's pods are on ztunnel. */
export function inAmbient(docs: any[], namespace: string): boolean {
  return namespaceLabels(docs, namespace)['istio.io/dataplane-mode'] === 'ambient';
}

/** The waypoint that carries service traffic to a Service: its namespace and Gateway name. */
export interface Waypoint {
  readonly namespace: string;
  readonly gateway: string;
}

/** The waypoint of a Service, if any (whoever calls it). */
export function waypointFor(docs: any[], namespace: string, service: string): Waypoint | undefined {
  const own = docs.find(d => d.kind === 'Service' && d.metadata?.namespace === namespace && d.metadata?.name === service)?.metadata?.labels?.[USE_WAYPOINT];
  const name = own ?? namespaceLabels(docs, namespace)[USE_WAYPOINT];
  if (name === undefined || name === 'none') return undefined;
  const gateway = docs.find(d => d.kind === 'Gateway' && d.apiVersion?.startsWith('gateway.networking.k8s.io/') &&
    d.metadata?.namespace === namespace && d.metadata?.name === name && d.spec?.gatewayClassName === 'istio-waypoint');
  const handles = gateway?.metadata?.labels?.['istio.io/waypoint-for'] ?? 'service';
  return gateway && ['service', 'all'].includes(handles) ? { namespace, gateway: name } : undefined;
}

/** The waypoint's identity: the service account istiod names after the Gateway. */
export function waypointPrincipal(waypoint: Waypoint, trustDomain = 'cluster.local'): string {
  return `${trustDomain}/ns/${waypoint.namespace}/sa/${waypoint.gateway}`;
}

/** The labels istiod puts on a waypoint's pods. */
export function waypointPodLabels(waypoint: Waypoint): Labels {
  return { 'gateway.networking.k8s.io/gateway-name': waypoint.gateway };
}

/** Whether the callee's ztunnel lets a connection in: L4 attributes only. */
export function ztunnelAuthorize(policies: any[], workload: Workload, request: AuthorizationRequest, rootNamespace = 'istio-system'): boolean {
  const { method, path, ...l4 } = request;
  void method;
  void path;
  return authorize(policies, workload, l4, rootNamespace);
}

/** Whether a waypoint lets a request to one of its Services in. */
export function waypointAuthorize(policies: any[], waypoint: Waypoint, service: string, request: AuthorizationRequest, rootNamespace = 'istio-system'): boolean {
  const targets = (p: any): any[] => p.spec?.targetRefs ?? (p.spec?.targetRef ? [p.spec.targetRef] : []);
  const attached = (p: any, t: any) => {
    const ns = p.metadata?.namespace;
    if (ns === rootNamespace && t.kind === 'GatewayClass' && t.name === 'istio-waypoint') return true;
    if (ns !== waypoint.namespace || (t.namespace ?? ns) !== ns) return false;
    if (t.kind === 'Gateway') return (t.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io' && t.name === waypoint.gateway;
    return t.kind === 'Service' && (t.group ?? '') === '' && t.name === service;
  };
  return evaluate(policies.filter(p => p.kind === 'AuthorizationPolicy' && targets(p).some(t => attached(p, t))), request);
}

/** One end of a call as the cluster knows it. */
export interface CallEnd {
  readonly namespace: string;
  readonly labels: Labels;
  readonly principal: string;
}

/** The pods a connection leaves and reaches, and the port the network sees. */
export interface Hop {
  readonly from: { readonly namespace: string; readonly labels: Labels };
  readonly to: { readonly namespace: string; readonly labels: Labels };
  readonly port: number;
}

/** How a call from `caller` to the Service `service` of `callee` (container port `port`) crosses the mesh. */
export interface CallPath {
  /** The waypoint on the way, when there is one. */
  readonly waypoint?: Waypoint;
  readonly hops: Hop[];
  /** Who enforces L7 and L4 authorization, with the identity each sees. */
  readonly enforcement: 'sidecar' | 'ztunnel' | 'waypoint+ztunnel';
}

export function callPath(docs: any[], caller: CallEnd, callee: CallEnd, service: string, port: number): CallPath {
  const callerAmbient = inAmbient(docs, caller.namespace);
  const calleeAmbient = inAmbient(docs, callee.namespace);
  const waypoint = callerAmbient && calleeAmbient ? waypointFor(docs, callee.namespace, service) : undefined;
  if (waypoint) {
    const pods = { namespace: waypoint.namespace, labels: waypointPodLabels(waypoint) };
    return {
      waypoint,
      hops: [{ from: caller, to: pods, port: HBONE_PORT }, { from: pods, to: callee, port: HBONE_PORT }],
      enforcement: 'waypoint+ztunnel',
    };
  }
  // ztunnel tunnels to every mesh pod; a sidecar tunnels only to pods without one
  const tunnel = callerAmbient || calleeAmbient;
  return { hops: [{ from: caller, to: callee, port: tunnel ? HBONE_PORT : port }], enforcement: calleeAmbient ? 'ztunnel' : 'sidecar' };
}
