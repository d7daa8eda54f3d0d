// The data-plane seam: everything that differs between Istio's sidecar data plane and another one
// (ambient, Linkerd) sits behind `DataPlaneRenderer`. The constructs ask it; adding a data plane is
// one new file implementing it and a static factory here.
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { SidecarDataPlane } from './sidecar';
import type { MeshModel, NamespaceIntent, WorkloadIntent } from '../graph/model';
import type { ResolvedCall } from '../graph/resolve';
import type { RenderedRoute, RouteSpec } from '../traffic/routing';

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

  /** The data plane's name ("sidecar"). */
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

/** One data plane's rendering of the mesh. Internal. */
export interface DataPlaneRenderer {
  readonly name: string;

  /** The ports Prometheus scrapes on the namespace's pods. */
  readonly metricsPorts: number[];

  /** The Namespace labels that put its pods on this data plane. */
  namespaceLabels(settings: { readonly revision?: string }): Record<string, string>;

  /** Why final Namespace labels contradict this data plane, or undefined. */
  labelConflict(labels: Record<string, string>, revision?: string): string | undefined;

  /** Renders the namespace-wide objects of the data plane under the namespace's construct. */
  renderNamespace(scope: Construct, namespace: NamespaceIntent): NamespaceDataPlaneObjects;

  /** NetworkPolicy egress every pod of a namespace needs for the data plane itself. */
  namespaceEgress(intent: NamespaceIntent): k8s.NetworkPolicyEgressRule[];

  /**
   * Renders (or completes) a workload's own objects in a managed namespace, from what the model
   * holds now; called again at each new call, so it creates what is missing only.
   */
  renderWorkload(workload: WorkloadIntent, model: MeshModel): void;

  /** The ports a call arrives on at the callee's pods, as a NetworkPolicy sees them. */
  inboundPorts(call: ResolvedCall): number[];

  /** Renders the routing of a CanaryService in a namespace of this data plane. */
  renderRoute(scope: Construct, route: RouteSpec): RenderedRoute;
}

/** The child of `scope` with that id, created by `create` when missing. */
export function ensureChild<T extends IConstruct>(scope: IConstruct, id: string, create: () => T): T {
  return (scope.node.tryFindChild(id) as T | undefined) ?? create();
}
