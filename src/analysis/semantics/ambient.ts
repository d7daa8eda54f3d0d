// Istio's ambient data plane as a cluster carries a call (Istio 1.30), for MESH0009 and the tests:
// - a namespace is ambient with `istio.io/dataplane-mode: ambient` (Istio docs, "Add workloads");
// - ztunnel enforces, at the callee's node, the AuthorizationPolicies with a selector or none (those
//   of the workload's namespace and the root namespace), on L4 attributes only: an ALLOW rule with
//   HTTP attributes is omitted (it never matches), a DENY rule is enforced without them; policies
//   with targetRefs are not ztunnel's (pilot/pkg/serviceregistry/ambient/authorization.go);
// - a Service's traffic goes to a waypoint when `istio.io/use-waypoint` (on the Service, else its
//   namespace) names a Gateway of class `istio-waypoint` that handles service traffic
//   (`istio.io/waypoint-for` service, the default, or all; Istio docs, "Configure waypoint proxies"),
//   and the caller is on ztunnel, or is an ingress gateway and `istio.io/ingress-use-waypoint: "true"`
//   is on the Service, else its namespace (pilot/pkg/serviceregistry/ambient/services.go); sidecars and
//   other gateways send straight to the pods (istio/istio#51445);
// - a waypoint applies only policies with targetRefs: its Gateway, the Service, or in the root
//   namespace the GatewayClass `istio-waypoint` (pilot/pkg/model/policyattachment.go), with HTTP
//   attributes; it reaches the callee's ztunnel with its own identity, the service account named
//   after its Gateway (pilot gatewaycommon deploymentcontroller.go), so ztunnel sees the waypoint;
// - every hop involving ztunnel or a waypoint is HBONE to the pod's port 15008; a sidecar reaches a
//   sidecar on the container port (Istio docs, "Ambient and Kubernetes NetworkPolicy").
import { AuthorizationRequest, authorize, evaluate, Workload } from './istio-authorization';
import { Labels } from './labels';
import { connects } from './network-policy';
import { sees } from './sidecar-scope';
import { DATAPLANE_MODE_LABEL, ISTIO_PORTS } from '../../common/istio';

export const HBONE_PORT = ISTIO_PORTS.HBONE;
const USE_WAYPOINT = 'istio.io/use-waypoint';

/** The labels of a namespace, from its Namespace document. */
export function namespaceLabels(docs: any[], namespace: string): Labels {
  return docs.find(d => d.kind === 'Namespace' && d.metadata?.name === namespace)?.metadata?.labels ?? {};
}

/** Whether a namespace's pods are on ztunnel. */
export function inAmbient(docs: any[], namespace: string): boolean {
  return namespaceLabels(docs, namespace)[DATAPLANE_MODE_LABEL] === 'ambient';
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
  /** An ingress gateway (a router, not a sidecar). */
  readonly ingressGateway?: boolean;
}

/** Whether ingress gateways use a Service's waypoint: the label on the Service, else its namespace. */
export function ingressUsesWaypoint(docs: any[], namespace: string, service: string): boolean {
  const key = 'istio.io/ingress-use-waypoint';
  const own = docs.find(d => d.kind === 'Service' && d.metadata?.namespace === namespace && d.metadata?.name === service)?.metadata?.labels?.[key];
  return (own ?? namespaceLabels(docs, namespace)[key] ?? '').toLowerCase() === 'true';
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
  const follows = callerAmbient || (caller.ingressGateway === true && ingressUsesWaypoint(docs, callee.namespace, service));
  const waypoint = follows && calleeAmbient ? waypointFor(docs, callee.namespace, service) : undefined;
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

/** A service as the pair tests know it: its pods, identity, host and container port. */
export interface ServiceEnd extends CallEnd {
  /** The Service name. */
  readonly name: string;
  readonly host: string;
  readonly targetPort: number;
}

/**
 * The path of a request from `a` to the Service of `b` and the decision of every layer on it
 * (undefined: not on the path): NetworkPolicy on each hop, the callee's sidecar (L4 and L7), the
 * callee's ztunnel (L4, with the identity that arrives: the waypoint's through one), the waypoint
 * (L7, with the caller's identity), the caller's Sidecar scope.
 */
export function callDecisions(docs: any[], a: ServiceEnd, b: ServiceEnd, method: string, path: string) {
  const p = callPath(docs, a, b, b.name, b.targetPort);
  const request = { principal: a.principal, namespace: a.namespace, port: b.targetPort, method, path };
  const decisions = {
    network: p.hops.every(h => connects(docs, { from: h.from, to: h.to, port: h.port })),
    sidecar: p.enforcement === 'sidecar' ? authorize(docs, b, request) : undefined,
    ztunnel: p.enforcement === 'sidecar' ? undefined
      : ztunnelAuthorize(docs, b, p.waypoint ? { ...request, principal: waypointPrincipal(p.waypoint), namespace: b.namespace } : request),
    waypoint: p.waypoint ? waypointAuthorize(docs, p.waypoint, b.name, request) : undefined,
    scope: inAmbient(docs, a.namespace) || a.ingressGateway ? undefined : sees(docs, a, b.host, b.namespace),
  };
  return { path: p.waypoint ? 'waypoint' : p.enforcement, ...decisions, allowed: Object.values(decisions).every(d => d !== false) };
}
