// Istio's ambient data plane: no sidecar. The node's ztunnel carries each pod's traffic over HBONE,
// mutual TLS on port 15008 into the callee's pod, and enforces L4 authorization (principals,
// namespaces, ports) at the callee's side; a waypoint of the namespace (waypoint.ts) does L7 where
// something needs it. Everything specific to ambient lives here: the namespace label, what ztunnel
// and the waypoint each enforce, the ports NetworkPolicies must open, the Gateway API routing.
//
// Facts (Istio 1.30): pods join with `istio.io/dataplane-mode: ambient` on their namespace (Istio
// docs, "Add workloads to the mesh"); ztunnel enforces AuthorizationPolicies with a selector or
// none, omitting ALLOW rules with HTTP attributes (pilot/pkg/serviceregistry/ambient/authorization.go);
// a call through a waypoint reaches the callee's ztunnel with the waypoint's identity (Istio docs,
// "Use Layer 4 security policy"); sidecars reach ambient pods over HBONE straight to the pod,
// bypassing waypoints (Istio docs, "Migrate policies"; istio/istio#51445); NetworkPolicies see
// HBONE's 15008, and kubelet probes from 169.254.7.127 (Istio docs, "Ambient and Kubernetes
// NetworkPolicy"); an ingress gateway reaches the pods too, past the waypoint, unless
// `istio.io/ingress-use-waypoint: "true"` sends it through (pilot/pkg/serviceregistry/ambient/
// services.go; pilot's TestIngressUseWaypoint sends the Service's cluster to the waypoint, with the
// Service's address), which the namespace gets when a gateway's call needs the waypoint: HTTP
// rules, or a service whose route the waypoint applies.
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { ambientProblems } from './ambient-analysis';
import {
  AmbientOptions, AmbientWaypoint, CallProxy, DataPlaneRenderer, ensureChild, GatewayRouting, NamespaceDataPlaneObjects,
} from './data-plane';
import { INGRESS_USE_WAYPOINT_LABEL, NamespaceWaypoint, USE_WAYPOINT_LABEL, WAYPOINT_NAME } from './waypoint';
import { DATAPLANE_MODE_LABEL, INJECTION_LABEL, ISTIO_PORTS, REVISION_LABEL } from '../common/istio';
import { invalid, invalidMessage } from '../common/validation';
import { MeshWarnings } from '../common/warnings';
import { MeshModel, NamespaceIntent, RouteBudget, WorkloadIntent } from '../graph/model';
import type { ResolvedCall } from '../graph/resolve';
import type { FlaggerRoute, FlaggerRouteSpec } from '../traffic/flagger';
import { gatewayApiFlaggerRoute } from '../traffic/flagger-gateway-api';
import { addGatewayApiRoute, ISTIO_DEFAULT_RETRIES, routeNeeds, waypointBudget, waypointRetryWarning } from '../traffic/gateway-api-routing';
import type { RenderedRoute, RouteSpec } from '../traffic/routing';
import { addAllowPolicy, AuthorizationRule, operation } from '../zero-trust/authorization';
import { addWorkloadNetworkPolicy, dedupe, workloadObjectName } from '../zero-trust/network-policy';

const INJECTION_LABELS = [INJECTION_LABEL, REVISION_LABEL];
/** The address istio-cni gives kubelet probes of ambient pods (SNAT), so ztunnel lets them through. */
const KUBELET_PROBE_CIDR = '169.254.7.127/32';

/**
 * The services of each ambient namespace whose route the waypoint applies (an HTTPRoute whose
 * parent is the Service, the app's or Flagger's).
 */
const waypointRoutes = new WeakMap<NamespaceIntent, Set<string>>();

function routedByWaypoint(workload: WorkloadIntent): boolean {
  return workload.serviceName !== undefined && waypointRoutes.get(workload.namespace)?.has(workload.serviceName) === true;
}

function addWaypointRoute(namespace: NamespaceIntent, service: string): void {
  const services = waypointRoutes.get(namespace) ?? new Set<string>();
  waypointRoutes.set(namespace, services.add(service));
}

/** The ambient data plane. */
export class AmbientDataPlane implements DataPlaneRenderer {
  public readonly name = 'ambient';

  // App pods have no proxy: the waypoint's merged metrics and Envoy's own (ztunnel runs in the
  // root namespace and is scraped there)
  public readonly metricsPorts = [ISTIO_PORTS.AGENT_METRICS, ISTIO_PORTS.ENVOY_METRICS];

  public readonly outboundViaZtunnel = true;

  private readonly waypoint: AmbientWaypoint;

  public constructor(options: AmbientOptions) {
    const mode = options.waypoint ?? AmbientWaypoint.AUTOMATIC;
    if (!Object.values(AmbientWaypoint).includes(mode)) {
      throw new Error(invalidMessage('waypoint', mode, `must be one of ${Object.values(AmbientWaypoint).join(', ')}`));
    }
    this.waypoint = mode;
  }

  public namespaceLabels(): Record<string, string> {
    return { [DATAPLANE_MODE_LABEL]: 'ambient' };
  }

  public labelConflict(labels: Record<string, string>, revision?: string): string | undefined {
    if (revision !== undefined) {
      return 'selects the revision of the sidecar injector, and ambient namespaces have no sidecars; remove it';
    }
    const injection = INJECTION_LABELS.filter(l => labels[l] !== undefined);
    if (injection.length > 0) {
      return `an ambient namespace has no sidecar injection, and pods with a sidecar are left out of ztunnel's traffic: remove ${injection.join(', ')}`;
    }
    const mode = labels[DATAPLANE_MODE_LABEL];
    if (mode !== undefined && mode !== 'ambient') return `set ${DATAPLANE_MODE_LABEL} with the 'dataPlane' prop`;
    for (const [label, value] of [[USE_WAYPOINT_LABEL, WAYPOINT_NAME], [INGRESS_USE_WAYPOINT_LABEL, 'true']]) {
      if (labels[label] !== undefined && labels[label] !== value) {
        return `the library labels the namespace ${label}: ${value} when something needs its waypoint: remove ${label}`;
      }
    }
    return undefined;
  }

  public renderNamespace(scope: Construct, ns: NamespaceIntent): NamespaceDataPlaneObjects {
    const waypoint = new NamespaceWaypoint(scope, ns, this.waypoint, MeshModel.of(scope));
    if (this.waypoint === AmbientWaypoint.ALWAYS) waypoint.require('AmbientWaypoint.ALWAYS');
    scope.node.addValidation({ validate: () => ambientProblems(scope.node.root, ns.name) });
    return {};
  }

  public namespaceEgress(): k8s.NetworkPolicyEgressRule[] {
    // pods never reach istiod: ztunnel and the waypoint do (the waypoint's own NetworkPolicy)
    return [];
  }

  public namespaceIngress(): k8s.NetworkPolicyIngressRule[] {
    // istio-cni rewrites the source of kubelet probes to a link-local address, which a
    // NetworkPolicy may block where it did not block the node before
    return [{ from: [{ ipBlock: { cidr: KUBELET_PROBE_CIDR } }] }];
  }

  public namespaceInboundPorts(_ports: number[]): number[] {
    // every mesh caller arrives over HBONE; ztunnel checks the workload ports
    return [ISTIO_PORTS.HBONE];
  }

  public namespaceOutboundPorts(ports: number[]): number[] {
    // ztunnel tunnels to mesh pods (and waypoints) on 15008, and passes through to the others' ports
    return [...ports, ISTIO_PORTS.HBONE];
  }

  public renderAllowRule(namespace: NamespaceIntent): void {
    // callers through the waypoint arrive at ztunnel with the waypoint's identity
    NamespaceWaypoint.of(namespace)?.renderAllowRules();
  }

  public renderWorkload(workload: WorkloadIntent, model: MeshModel): void {
    const scope = workload.construct as Construct;
    const waypoint = NamespaceWaypoint.of(workload.namespace)!;
    const { inbound, outbound } = model.callsOf(workload);
    if (waypoint.mode !== AmbientWaypoint.NEVER) {
      const l7 = inbound.filter(c => c.methods || c.paths);
      const reason = `calls to ${workload.description} narrowed by methods or paths`;
      if (l7.some(c => c.caller.namespace.dataPlane.outboundViaZtunnel)) waypoint.require(reason);
      if (l7.some(c => c.caller.ingressGateway)) waypoint.requireForIngress(reason);
      // an ingress gateway applies its own route and reaches the pods, past the waypoint that
      // splits the versions, unless the namespace sends it through (ingress-use-waypoint)
      if (routedByWaypoint(workload) && inbound.some(c => c.caller.ingressGateway)) {
        waypoint.requireForIngress(`ingress gateways' requests to ${workload.description}, whose route the waypoint applies`);
      }
    }
    if (inbound.length > 0) {
      ensureChild(scope, 'AuthorizationPolicy', () => addZtunnelAuthorization(scope, 'AuthorizationPolicy', workload, model, waypoint));
    }
    waypoint.renderWorkload(workload);
    if (inbound.length + outbound.length > 0) {
      ensureChild(scope, 'NetworkPolicy', () => addWorkloadNetworkPolicy(scope, 'NetworkPolicy', workload, model));
    }
  }

  public inboundPorts(_call: ResolvedCall): number[] {
    // ztunnel, a waypoint and an HBONE-sending sidecar all tunnel to the pod's port 15008
    return [ISTIO_PORTS.HBONE];
  }

  public proxyOf(call: ResolvedCall): CallProxy | undefined {
    const waypoint = NamespaceWaypoint.of(call.callee.namespace);
    return waypoint?.carries(call) ? { pods: waypoint.pods, ports: [ISTIO_PORTS.HBONE] } : undefined;
  }

  public checkCall(call: ResolvedCall): string | undefined {
    if (!call.methods && !call.paths) return undefined;
    const field = call.methods ? 'calls methods' : 'calls paths';
    const value = call.methods ?? call.paths;
    const callee = `${call.callee.description} in ambient namespace ${call.callee.namespace.name}`;
    if (!call.caller.namespace.dataPlane.outboundViaZtunnel && !call.caller.ingressGateway) {
      return invalidMessage(field, value,
        `cannot be enforced at ${callee}: ${call.caller.description} runs with a sidecar, and sidecars send straight to the pods, ` +
        'past the waypoint where HTTP rules are enforced (istio/istio#51445); move the caller\'s namespace to DataPlane.ambient() ' +
        'first (migrate callers before callees), or drop methods and paths');
    }
    const waypoint = NamespaceWaypoint.of(call.callee.namespace);
    if (waypoint?.mode === AmbientWaypoint.NEVER) {
      return invalidMessage(field, value,
        `needs a waypoint at ${callee}, whose data plane is DataPlane.ambient({ waypoint: AmbientWaypoint.NEVER }): ztunnel cannot ` +
        'enforce HTTP rules (istioctl IST0167, "IneffectivePolicy"); drop methods and paths, or let the namespace have a waypoint');
    }
    return undefined;
  }

  public renderRoute(scope: Construct, route: RouteSpec): RenderedRoute {
    const service = `${route.namespace}/${route.name}`;
    if (route.controller !== undefined) {
      throw invalid(scope, 'analysis', route.controller,
        `cannot roll out service ${service} in an ambient namespace: its routes are Gateway API HTTPRoutes, and this library does ` +
        'not configure Argo Rollouts\' Gateway API plugin; use CanaryAnalysis.flagger() (Flagger\'s Gateway API provider), or a sidecar namespace');
    }
    const ns = namespaceOf(scope, route.namespace);
    const waypoint = NamespaceWaypoint.of(ns);
    const needs = routeNeeds(route);
    if (needs.length === 0 && waypoint?.mode !== AmbientWaypoint.ALWAYS) {
      // ztunnel alone: no route, no retries, unless another service gives the namespace a waypoint
      if (waypoint) this.warnWhenWaypointRetries(scope, waypoint, service, route);
      return { budget: waypoint ? lazyBudget(waypoint, route.resilience.budget.timeoutMs) : undefined };
    }
    this.needWaypoint(scope, waypoint, `service ${service}: ${needs.join(', ')}`, 'route', needs);
    const rendered = addGatewayApiRoute(scope, route);
    if (rendered.httpRoute) addWaypointRoute(ns, route.name);
    const warning = waypointRetryWarning(service, route.resilience, route.protocol);
    if (warning) MeshWarnings.of(scope).add(warning);
    return { ...rendered, budget: waypointBudget(route.resilience) };
  }

  public flaggerRoute(scope: Construct, route: FlaggerRouteSpec): FlaggerRoute {
    const service = `${route.namespace}/${route.name}`;
    const waypoint = NamespaceWaypoint.of(namespaceOf(scope, route.namespace));
    this.needWaypoint(scope, waypoint, `service ${service}: progressive delivery (Flagger)`, 'analysis', ['progressive delivery']);
    addWaypointRoute(namespaceOf(scope, route.namespace), route.name);
    return gatewayApiFlaggerRoute(scope, route);
  }

  /**
   * A gateway's route sends to the Service: without a route of the service's own, ztunnel carries
   * it to the pods (all of one version); with one, the waypoint applies it to the gateway's requests
   * too (weights, header route, mirroring, and Flagger's route), once `istio.io/ingress-use-waypoint`
   * sends the gateway there (Istio 1.30 pilot/pkg/serviceregistry/ambient/services.go; `renderWorkload`
   * labels the namespace when the gateway's call is declared). Subsets would name nothing: ambient
   * writes a Service per version, no DestinationRule subsets.
   */
  public gatewayRouting(scope: IConstruct, callee: WorkloadIntent): GatewayRouting {
    if (routedByWaypoint(callee) && !callee.namespace.managed) {
      throw invalid(scope, 'route', callee.description,
        `has its route applied by the waypoint of ambient namespace ${callee.namespace.name}, which the app does not create, and ingress ` +
        'gateways go through a waypoint only where istio.io/ingress-use-waypoint: "true" is on the namespace or the Service, which the app ' +
        'cannot know, so users could skip the route (its weights, its header route); create the namespace in the app (a ZeroTrustNamespace ' +
        'with DataPlane.ambient(), which gets the label), or expose a service without a route of its own');
    }
    return {};
  }

  /** Gives the namespace its waypoint, or fails when it may not have one (a namespace the app only names has its own). */
  private needWaypoint(scope: IConstruct, waypoint: NamespaceWaypoint | undefined, reason: string, field: string, needs: string[]): void {
    if (!waypoint) return;
    if (waypoint.mode === AmbientWaypoint.NEVER) {
      throw invalid(scope, field, needs.join(', '),
        'needs a waypoint, and the namespace is DataPlane.ambient({ waypoint: AmbientWaypoint.NEVER }), where ztunnel alone ' +
        'carries the traffic at L4, so nothing would apply it (istioctl IST0167, "IneffectivePolicy"); remove it, or let the ' +
        'namespace have a waypoint (AmbientWaypoint.AUTOMATIC)');
    }
    waypoint.require(reason);
  }

  /**
   * A service without a route of its own still goes through its namespace's waypoint, when the
   * namespace has one, which then retries it with Istio's default: known at synth only.
   */
  private warnWhenWaypointRetries(scope: Construct, waypoint: NamespaceWaypoint, service: string, route: RouteSpec): void {
    // warnings added at validation go to a child, which cdk8s validates after its parent
    const target = scope.node.tryFindChild('Service') ?? scope;
    scope.node.addValidation({
      validate: () => {
        const warning = waypoint.exists ? waypointRetryWarning(service, route.resilience, route.protocol) : undefined;
        if (warning) MeshWarnings.of(target).add(`${warning} (the namespace's waypoint is there for ${waypoint.neededBy.join('; ')})`);
        return [];
      },
    });
  }
}

/** The ztunnel policy of a workload, selecting its pods: the waypoint's identity, or a caller's that bypasses it. */
function addZtunnelAuthorization(scope: Construct, id: string, workload: WorkloadIntent, model: MeshModel, waypoint: NamespaceWaypoint) {
  return addAllowPolicy(scope, id, {
    name: workloadObjectName(workload),
    namespace: workload.namespace.name,
    selector: workload.selector,
    rules: () => dedupe(model.resolved().inbound(workload).map(call => waypoint.carries(call) ? waypoint.rule(call.targetPorts) : l4Rule(call))),
  });
}

/** A call's rule as ztunnel enforces it: principal and container ports (HTTP rules are the waypoint's). */
function l4Rule(call: ResolvedCall): AuthorizationRule {
  const to = operation(call.targetPorts);
  return { from: [{ source: { principals: [call.principal] } }], ...to ? { to } : {} };
}

/** The budget of a service whose calls the namespace's waypoint may carry: Istio's default retries then. */
function lazyBudget(waypoint: NamespaceWaypoint, timeoutMs?: number): RouteBudget {
  return {
    timeoutMs,
    get retries() {
      return waypoint.exists ? ISTIO_DEFAULT_RETRIES.attempts : 0;
    },
  };
}

function namespaceOf(scope: IConstruct, name: string): NamespaceIntent {
  return MeshModel.of(scope).namespaces.get(name)!;
}
