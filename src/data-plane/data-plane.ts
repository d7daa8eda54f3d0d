// The data-plane seam: everything that differs between Istio's sidecar data plane and another one
// (ambient, Linkerd) sits behind `DataPlaneRenderer`. The constructs ask it; adding a data plane is
// one new file implementing it and a static factory here.
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { AmbientDataPlane } from './ambient';
import { SidecarDataPlane } from './sidecar';
import type { MeshModel, NamespaceIntent, WorkloadIntent } from '../graph/model';
import type { ResolvedCall } from '../graph/resolve';
import type { FlaggerRoute, FlaggerRouteSpec } from '../traffic/flagger';
import type { RenderedRoute, RouteSpec } from '../traffic/routing';

/**
 * When an ambient namespace gets a waypoint proxy, its L7 proxy.
 */
export enum AmbientWaypoint {
  /**
   * Where something needs L7 processing: a CanaryService route with a canary, a timeout, retries
   * other than the default, a circuit breaker or mirroring; a call narrowed by methods or paths;
   * progressive delivery. The Gateway's `cdk8s-mesh/waypoint-needed-by` annotation says what.
   */
  AUTOMATIC = 'automatic',
  /** Always: every service of the namespace gets HTTP routing, circuit breaking and L7 metrics. */
  ALWAYS = 'always',
  /** Never: L4 only (ztunnel). Anything that needs L7 is an error at synth. */
  NEVER = 'never',
}

/**
 * Options of `DataPlane.ambient()`.
 */
export interface AmbientOptions {
  /**
   * When the namespace gets a waypoint (a Gateway API `Gateway` of class `istio-waypoint`, which
   * istiod deploys as an Envoy Deployment named `waypoint` in the namespace).
   *
   * @default AmbientWaypoint.AUTOMATIC
   */
  readonly waypoint?: AmbientWaypoint;
}

/**
 * The proxies that carry a namespace's traffic: mutual TLS, authorization and routing happen there.
 */
export class DataPlane {
  /**
   * Istio's sidecar data plane: an Envoy proxy injected into every pod (`istio-injection: enabled`,
   * or `istio.io/rev`), scoped by a `Sidecar` resource. The strategy's data plane.
   */
  public static sidecar(): DataPlane {
    return new DataPlane(new SidecarDataPlane());
  }

  /**
   * Istio's ambient data plane: no sidecar; the node's ztunnel carries every pod's traffic over
   * mutual TLS (HBONE, port 15008) and enforces L4 authorization, and a waypoint proxy of the
   * namespace does L7 (routing, HTTP authorization) where something needs it. The namespace gets
   * `istio.io/dataplane-mode: ambient`. Needs a control plane with `IstioProfile.AMBIENT`.
   */
  public static ambient(options: AmbientOptions = {}): DataPlane {
    return new DataPlane(new AmbientDataPlane(options));
  }

  /** The data plane's name ("sidecar" or "ambient"). */
  public readonly name: string;

  private constructor(
    /** @internal */
    public readonly _renderer: DataPlaneRenderer,
  ) {
    this.name = _renderer.name;
  }
}

/** The objects a data plane adds to a managed namespace, for its escape hatches. */
export interface NamespaceDataPlaneObjects {
  /** The namespace-wide proxy scope, when the data plane has one (the sidecar's `Sidecar`). */
  readonly sidecar?: ApiObject;
}

/** Pods at one end of a network hop, as a NetworkPolicy selects them. */
export interface PodGroup {
  readonly namespace: string;
  readonly selector: Record<string, string>;
}

/** A proxy a call passes through between its two ends (ambient's waypoint), as NetworkPolicies see it. */
export interface CallProxy {
  readonly pods: PodGroup;
  /** The ports the caller's pods connect to the proxy on. */
  readonly ports: number[];
}

/**
 * How a gateway's route to a service reaches the service's versions. A gateway applies only its own
 * routes, never the service's mesh route (issue 18), so each data plane says what the gateway's
 * route must carry for the versions to keep their shares.
 */
export interface GatewayRouting {
  /**
   * The mesh route the gateway's route must carry itself: subsets, weights, header route,
   * mirroring. Undefined: the gateway's route sends to the Service, and what is on the way (the
   * Service's pods, all of one version, or a proxy that applies the service's own route) decides.
   */
  readonly split?: RouteSpec;
  /**
   * What the service's rollout controller does with the gateway's route: `writes` it (Flagger binds
   * its own VirtualService to the gateway), or `weights` it (Argo Rollouts, through a delegate).
   * Undefined: neither.
   */
  readonly controller?: 'writes' | 'weights';
}

/** One data plane's rendering of the mesh. Internal. */
export interface DataPlaneRenderer {
  readonly name: string;

  /** The ports Prometheus scrapes on the namespace's pods. */
  readonly metricsPorts: number[];

  /**
   * Whether ztunnel carries the outbound calls of its pods: they then reach every mesh workload
   * over HBONE (port 15008), through the callee's waypoint where it has one. Sidecars send HBONE
   * only to workloads without a sidecar, and never through waypoints.
   */
  readonly outboundViaZtunnel: boolean;

  /** The Namespace labels that put its pods on this data plane. */
  namespaceLabels(settings: { readonly revision?: string }): Record<string, string>;

  /** Why final Namespace labels contradict this data plane, or undefined. */
  labelConflict(labels: Record<string, string>, revision?: string): string | undefined;

  /** Renders the namespace-wide objects of the data plane under the namespace's construct. */
  renderNamespace(scope: Construct, namespace: NamespaceIntent): NamespaceDataPlaneObjects;

  /** NetworkPolicy egress every pod of a namespace needs for the data plane itself. */
  namespaceEgress(intent: NamespaceIntent): k8s.NetworkPolicyEgressRule[];

  /** NetworkPolicy ingress every pod of a namespace needs for the data plane itself. */
  namespaceIngress(intent: NamespaceIntent): k8s.NetworkPolicyIngressRule[];

  /**
   * The ports a namespace-wide allow rule's callers arrive on at the pods, as a NetworkPolicy
   * sees them, for the workload ports the rule names.
   */
  namespaceInboundPorts(ports: number[]): number[];

  /**
   * The ports a namespace-wide egress rule's connections leave the pods on, as a NetworkPolicy
   * sees them, for the workload ports the rule names.
   */
  namespaceOutboundPorts(ports: number[]): number[];

  /** Renders what a new namespace-wide allow rule (`allowFrom`) of a managed namespace needs. */
  renderAllowRule(namespace: NamespaceIntent): void;

  /**
   * Renders (or completes) a workload's own objects in a managed namespace, from what the model
   * holds now; called again at each new call, so it creates what is missing only.
   */
  renderWorkload(workload: WorkloadIntent, model: MeshModel): void;

  /** The ports a call arrives on at the callee's pods, as a NetworkPolicy sees them. */
  inboundPorts(call: ResolvedCall): number[];

  /** The proxy a call to a workload of this data plane passes through, if any. */
  proxyOf(call: ResolvedCall): CallProxy | undefined;

  /** Why a call to a workload of this data plane cannot be enforced as declared, or undefined. */
  checkCall(call: ResolvedCall): string | undefined;

  /** Renders the routing of a CanaryService in a namespace of this data plane. */
  renderRoute(scope: Construct, route: RouteSpec): RenderedRoute;

  /** Renders what a Flagger Canary needs to route in a namespace of this data plane. */
  flaggerRoute(scope: Construct, route: FlaggerRouteSpec): FlaggerRoute;

  /**
   * How a gateway's route to a workload of this data plane reaches its versions; errors name
   * `scope` (the construct that routes) when no gateway route could keep them.
   */
  gatewayRouting(scope: IConstruct, callee: WorkloadIntent): GatewayRouting;
}

/** The child of `scope` with that id, created by `create` when missing. */
export function ensureChild<T extends IConstruct>(scope: IConstruct, id: string, create: () => T): T {
  return (scope.node.tryFindChild(id) as T | undefined) ?? create();
}
