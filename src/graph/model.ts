// The model of the mesh: what the constructs of one app declare, recorded as intents (namespaces,
// workloads, calls), resolved once per synth (resolve.ts) and turned into objects by the renderers of
// each namespace's data plane. Constructs record; they do not render each other's objects. Internal.
import type { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { unknownNames } from './names';
import { Problem, resolveMesh, ResolvedMesh } from './resolve';
import { enableAppChecks, renderedObjects } from '../common/app-checks';
import { DEFAULT_CLUSTER_DOMAIN, DEFAULT_TRUST_DOMAIN, ISTIO_NAMESPACE } from '../common/istio';
import { invalidMessage } from '../common/validation';
import type { DataPlaneRenderer } from '../data-plane/data-plane';
import { SidecarDataPlane } from '../data-plane/sidecar';
import type { AnalysisEngine } from '../traffic/canary-analysis';
import type { RetryPolicy, RouteResilience } from '../traffic/retries';
import type { RouteSpec } from '../traffic/routing';
import type { AuthorizationRule } from '../zero-trust/authorization';

/** A namespace the app creates (managed) or names as existing elsewhere. */
export interface NamespaceIntent {
  readonly name: string;
  /** The ZeroTrustNamespace, or the reference that names it. */
  readonly construct: IConstruct;
  /** Whether the app creates the namespace and its policies. */
  readonly managed: boolean;
  readonly trustDomain: string;
  readonly rootNamespace: string;
  readonly clusterDomain: string;
  /** The data plane of the namespace's pods. */
  readonly dataPlane: DataPlaneRenderer;
  /** The control-plane revision (or revision tag) the namespace follows, when not the default. */
  readonly revision?: string;
  /** Whether its proxies reach only hosts in their registry (REGISTRY_ONLY). */
  readonly registryOnly: boolean;
  /** More DNS destinations than the kube-dns pods (NodeLocal DNSCache). */
  readonly dnsCidrs: string[];
  /** What the namespace allows every pod of its own (the coarse, namespace-wide rules). */
  readonly egress: NamespaceEgress;
  /** Namespaces its rules name by string, with the field that names them, for the whole-app check. */
  readonly namedNamespaces: NamedNamespace[];
  /** Service accounts its rules name by string. */
  readonly namedServiceAccounts: NamedServiceAccount[];
  /** Its namespace-wide allow rules (`allowFrom`), in a namespace the app creates. */
  readonly allowRules?: NamespaceAllowRule[];
}

/** A namespace-wide allow rule: the AuthorizationPolicy rule and its NetworkPolicy peer. */
export interface NamespaceAllowRule {
  readonly rule: AuthorizationRule;
  readonly peer: k8s.NetworkPolicyPeer;
  /** The workload ports it narrows to; undefined: every port. */
  readonly ports?: number[];
}

/** The destinations a namespace allows for all of its pods. */
export interface NamespaceEgress {
  /** Sidecar egress hosts `<namespace>/<host>` of in-mesh destinations (allowEgressToService/-Namespace). */
  readonly meshHosts: string[];
  /** External hosts (ServiceEntries of the namespace, exported to it only). */
  readonly externalHosts: string[];
}

export interface NamedNamespace {
  readonly field: string;
  readonly name: string;
}

export interface NamedServiceAccount {
  readonly field: string;
  readonly namespace: string;
  readonly name: string;
}

/**
 * A destination every proxy of the mesh sends to, whatever its calls: the tracing collector of
 * the control plane's extension providers, say.
 */
export interface MeshEgress {
  /** The namespace of an in-cluster destination; undefined for a host outside the cluster. */
  readonly namespace?: string;
  /** The fully qualified host. */
  readonly host: string;
  readonly port: number;
}

/** A port of a workload's Service. */
export interface WorkloadPort {
  /** The Service port, which callers dial. */
  readonly port: number;
  /** The container port the pods listen on: what authorization and NetworkPolicies see. */
  readonly targetPort: number;
  /** Whether HTTP routing and L7 rules apply (HTTP, HTTP/2, gRPC). */
  readonly http: boolean;
}

/** The timeout and retries of the route to a workload's Service, for budgets along call chains. */
export interface RouteBudget {
  /** Route timeout in ms, every retry included; undefined: none. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Per-try timeout in ms, when set. */
  readonly perTryTimeoutMs?: number;
}

/** A workload the graph knows: it can call, and (with a Service) be called. */
export interface WorkloadIntent {
  /** The construct that declared it: per-workload objects are created under it. */
  readonly construct: IConstruct;
  readonly namespace: NamespaceIntent;
  /** The Kubernetes Service name; undefined for a caller without a Service. */
  readonly serviceName?: string;
  readonly serviceAccountName: string;
  /** Labels that select the workload's pods (its policies' selector). */
  readonly selector: Record<string, string>;
  /** Every label of its pods, when the app builds them; else only the selector is known. */
  readonly podLabels?: Record<string, string>;
  readonly ports: WorkloadPort[];
  /** Whether the app deploys it (a CanaryService) rather than referring to it. */
  readonly owned: boolean;
  /** How `describe` names it in messages. */
  readonly description: string;
  /**
   * Whether it is an ingress gateway: not on ztunnel, it still goes through the waypoint of a
   * namespace labelled `istio.io/ingress-use-waypoint: "true"`.
   */
  readonly ingressGateway?: boolean;
  /** The route to its Service, when the app writes one. */
  route?: RouteBudget;
  /** How mesh callers are routed to its Service, when the app writes the route (a CanaryService). */
  routing?: WorkloadRouting;
}

/**
 * How the mesh routes callers to a workload's Service: what a gateway that routes to the same
 * Service must carry too, or its requests skip the weights (issue 18).
 */
export interface WorkloadRouting {
  /** The controller that moves the weights; undefined for the app's own static split. */
  readonly engine?: AnalysisEngine;
  /** The route the data plane renders for mesh callers; undefined with Flagger, which writes its own. */
  readonly route?: RouteSpec;
  /** The route's timeout and retries, resolved. */
  readonly resilience: RouteResilience;
  /** The timeout and retries as given, for a gateway route that overrides one of them. */
  readonly timeout?: Duration;
  readonly retries?: RetryPolicy;
}

/**
 * The Kubernetes Service of a gateway that the app routes through but does not deploy (Istio's
 * install does): the analysis stands it in with its ports, where a Gateway server's port is checked.
 */
export interface GatewayServiceIntent {
  readonly construct: IConstruct;
  readonly name: string;
  readonly namespace: string;
  /** The labels of the gateway's pods, which the Service selects. */
  readonly selector: Record<string, string>;
  readonly ports: Array<{ readonly name: string; readonly port: number; readonly targetPort: number }>;
}

/**
 * A route from a gateway to a workload, recorded so that the workload's progressive-delivery
 * controller moves the gateway's weights too (Flagger's `service.gateways`, Argo Rollouts'
 * `virtualServices`).
 */
export interface GatewayRouteIntent {
  /** The construct that routes (a MeshIngress). */
  readonly construct: IConstruct;
  readonly callee: WorkloadIntent;
  /** The Istio Gateway as a VirtualService names it, `<namespace>/<name>`. */
  readonly gateway: string;
  /** The host users call. */
  readonly host: string;
  /**
   * The VirtualService that holds the route and the names of its routes that a controller weights;
   * undefined when the controller writes the route itself (Flagger).
   */
  readonly virtualService?: { readonly name: string; readonly namespace: string; readonly routes: string[] };
}

/** The calls of one workload. */
export interface WorkloadCalls {
  readonly inbound: CallIntent[];
  readonly outbound: CallIntent[];
}

/** A declared call. */
export interface CallIntent {
  readonly caller: WorkloadIntent;
  readonly callee: WorkloadIntent;
  /** Service ports narrowed to; undefined: every port of the callee's Service. */
  readonly ports?: number[];
  readonly methods?: string[];
  readonly paths?: string[];
}

const models = new WeakMap<IConstruct, MeshModel>();

/**
 * The intents of one app. `MeshModel.of(construct)` is the model of the construct's app; the
 * resolved view is computed once for a given set of intents.
 */
export class MeshModel {
  /** The model of the app `scope` belongs to. */
  public static of(scope: IConstruct): MeshModel {
    const root = scope.node.root;
    let model = models.get(root);
    if (!model) {
      model = new MeshModel(root);
      models.set(root, model);
      enableAppChecks(root);
    }
    return model;
  }

  /** The model of the app `scope` belongs to, if any construct made one. */
  public static existing(scope: IConstruct): MeshModel | undefined {
    return models.get(scope.node.root);
  }

  public readonly namespaces = new Map<string, NamespaceIntent>();
  public readonly workloads: WorkloadIntent[] = [];
  public readonly calls: CallIntent[] = [];
  /** Routes of gateways to workloads, in declaration order. */
  public readonly gatewayRoutes: GatewayRouteIntent[] = [];
  /** Services of gateways the app routes through, once each. */
  public readonly gatewayServices: GatewayServiceIntent[] = [];
  /** Destinations every proxy of the mesh sends to. */
  public readonly meshEgress: MeshEgress[] = [];
  /** The most tries one request may cause at a service, along any call chain. */
  public maxTriesPerRequest = DEFAULT_MAX_TRIES;

  private readonly byConstruct = new WeakMap<IConstruct, WorkloadIntent>();
  /** The calls of each workload, so that rendering one reads its own calls, not the whole mesh's. */
  private readonly callIndex = new Map<WorkloadIntent, WorkloadCalls>();
  private version = 0;
  private cached?: { version: number; mesh: ResolvedMesh };
  private names?: Problem[];

  private constructor(public readonly root: IConstruct) {}

  /** Records a namespace: the one the app creates wins over references to it. */
  public addNamespace(intent: NamespaceIntent): void {
    const existing = this.namespaces.get(intent.name);
    if (existing?.managed && intent.managed) {
      throw new Error(`${intent.construct.node.path}: ${invalidMessage('name', intent.name,
        `${existing.construct.node.path} already creates this namespace; create each namespace once and refer to it elsewhere`)}`);
    }
    if (!existing?.managed) this.namespaces.set(intent.name, intent);
    this.changed();
    this.validate(intent.construct);
  }

  /**
   * Records that the app names a namespace which exists elsewhere (where Prometheus runs, say),
   * unless it already knows it.
   */
  public nameNamespace(construct: IConstruct, name: string): void {
    if (this.namespaces.has(name)) return;
    this.addNamespace({
      name,
      construct,
      managed: false,
      trustDomain: DEFAULT_TRUST_DOMAIN,
      rootNamespace: ISTIO_NAMESPACE,
      clusterDomain: DEFAULT_CLUSTER_DOMAIN,
      dataPlane: new SidecarDataPlane(),
      registryOnly: true,
      dnsCidrs: [],
      egress: { meshHosts: [], externalHosts: [] },
      namedNamespaces: [],
      namedServiceAccounts: [],
    });
  }

  /** Records a destination of every proxy (its namespace, when in the cluster, counts as named). */
  public addMeshEgress(construct: IConstruct, egress: MeshEgress): void {
    if (this.meshEgress.some(e => e.host === egress.host && e.port === egress.port)) return;
    this.meshEgress.push(egress);
    if (egress.namespace) this.nameNamespace(construct, egress.namespace);
    this.changed();
  }

  /** Records a workload. */
  public addWorkload(intent: WorkloadIntent): void {
    this.workloads.push(intent);
    this.byConstruct.set(intent.construct, intent);
    this.changed();
    this.validate(intent.construct);
    this.render(intent);
  }

  /** The workload a construct declared, if any. */
  public workloadOf(construct: IConstruct): WorkloadIntent | undefined {
    return this.byConstruct.get(construct);
  }

  /** Records a call and lets both ends render what it needs. */
  public addCall(call: CallIntent): void {
    this.calls.push(call);
    this.callsOf(call.caller).outbound.push(call);
    this.callsOf(call.callee).inbound.push(call);
    this.changed();
    this.render(call.callee);
    this.render(call.caller);
  }

  /** The calls a workload receives and makes, in declaration order. */
  public callsOf(workload: WorkloadIntent): WorkloadCalls {
    let calls = this.callIndex.get(workload);
    if (!calls) {
      calls = { inbound: [], outbound: [] };
      this.callIndex.set(workload, calls);
    }
    return calls;
  }

  /** The call already declared from `caller` to `callee` with the same ports, methods and paths. */
  public findCall(caller: WorkloadIntent, callee: WorkloadIntent, ports?: number[], methods?: string[], paths?: string[]): CallIntent | undefined {
    const key = JSON.stringify([ports, methods, paths]);
    return this.callsOf(callee).inbound.find(c => c.caller === caller && JSON.stringify([c.ports, c.methods, c.paths]) === key);
  }

  /** Records a route of a gateway to a workload. */
  public addGatewayRoute(route: GatewayRouteIntent): void {
    this.gatewayRoutes.push(route);
    this.changed();
  }

  /** Records the Service of a gateway, unless one of that name and namespace is known. */
  public addGatewayService(service: GatewayServiceIntent): void {
    if (this.gatewayServices.some(s => s.name === service.name && s.namespace === service.namespace)) return;
    this.gatewayServices.push(service);
  }

  /** The gateway routes to the workload that `construct` declared. */
  public gatewayRoutesTo(construct: IConstruct): GatewayRouteIntent[] {
    return this.gatewayRoutes.filter(r => r.callee.construct === construct);
  }

  /**
   * Reports the model's problems about `construct` as its own validation errors, so cdk8s names
   * the construct they are about. Names given as strings are checked against the objects of the
   * app, rendered once per synth.
   */
  private validate(construct: IConstruct): void {
    construct.node.addValidation({
      validate: () => {
        if (!this.names) {
          this.names = unknownNames(this, renderedObjects(this.root));
          queueMicrotask(() => this.names = undefined);
        }
        return [...this.resolved().problems, ...this.names].filter(p => p.scope === construct).map(p => p.message);
      },
    });
  }

  /** Lets the workload's data plane render what it needs now, in a namespace the app manages. */
  private render(workload: WorkloadIntent): void {
    if (workload.namespace.managed) workload.namespace.dataPlane.renderWorkload(workload, this);
  }

  /** Notes that an intent changed (a rule added later), so the next read resolves again. */
  public changed(): void {
    this.version++;
  }

  /** The resolved mesh for the intents recorded so far. */
  public resolved(): ResolvedMesh {
    if (this.cached?.version !== this.version) {
      this.cached = { version: this.version, mesh: resolveMesh(this) };
    }
    return this.cached.mesh;
  }
}

/**
 * Retries multiply along a call chain: a request retried 3 times at each of 3 hops reaches the
 * last service up to (3 + 1)^3 = 64 times. 27 lets the library's default (2 retries per route) run
 * along a chain of three calls (3 x 3 x 3); a fourth such hop, or more retries, is reported.
 */
export const DEFAULT_MAX_TRIES = 27;
