// The service graph's public face: workloads that declare whom they call. One declaration gives the
// callee an authorization rule for the caller's identity, NetworkPolicy ingress and egress between
// their pods, and the callee's host in the caller's proxy scope; nothing else gets through.
import { IConstruct, Construct } from 'constructs';
import { DEFAULT_MAX_TRIES, MeshModel, WorkloadIntent } from './model';
import { enableAppChecks } from '../common/app-checks';
import { INGRESS_GATEWAY, ISTIO_NAMESPACE, DEFAULT_CLUSTER_DOMAIN, DEFAULT_TRUST_DOMAIN } from '../common/istio';
import { IMeshService } from '../common/mesh-service';
import {
  checkDnsLabel, checkLabels, checkMethods, checkPaths, checkPort, checkPorts, checkServiceAccountName, invalid,
} from '../common/validation';
import { DataPlane } from '../data-plane/data-plane';
import { AppProtocol, isHttpFamily } from '../traffic/port-naming';
import type { IZeroTrustNamespace } from '../zero-trust/zero-trust-namespace';

/**
 * What a call may do: the callee's Service ports it dials and, for HTTP, the methods and paths.
 */
export interface CallOptions {
  /**
   * The callee's Service ports the caller dials (the ports it calls, not the container ports).
   *
   * @default - every port of the callee's Service
   */
  readonly ports?: number[];

  /**
   * HTTP methods the caller may use (gRPC calls are `POST`).
   *
   * @default - every method
   */
  readonly methods?: string[];

  /**
   * Request paths the caller may use: exact (`/health`), prefix (`/pay/*`), suffix (`*.png`) or `*`.
   *
   * @default - every path
   */
  readonly paths?: string[];
}

/**
 * Something that calls mesh workloads: a workload of the app, one it refers to, or an identity such
 * as the ingress gateway.
 */
export interface IMeshCaller extends IConstruct {
  /**
   * Declares that this calls `callee`, optionally narrowed to some ports, methods and paths. The
   * callee admits exactly the declared calls, at every layer.
   */
  calls(callee: IMeshWorkload, options?: CallOptions): void;
}

/**
 * A workload of the service graph: it has a Service others call, and it may call others.
 */
export interface IMeshWorkload extends IMeshService, IMeshCaller {}

/**
 * Properties of `MeshWorkload.fromService()`.
 */
export interface MeshServiceReferenceProps {
  /** The namespace it runs in: a `ZeroTrustNamespace` of the app, or one named with `fromName`. */
  readonly namespace: IZeroTrustNamespace;

  /** The Kubernetes Service name. */
  readonly serviceName: string;

  /** The Service port callers dial. */
  readonly port: number;

  /**
   * The container port the pods listen on.
   *
   * @default - the same as `port`
   */
  readonly targetPort?: number;

  /**
   * The application protocol of the port.
   *
   * @default AppProtocol.HTTP
   */
  readonly protocol?: AppProtocol;

  /**
   * The service account the pods run as: their identity.
   *
   * @default - the Service name
   */
  readonly serviceAccountName?: string;

  /**
   * Labels that select the pods (and only them) in the namespace.
   *
   * @default { app: <serviceName> }
   */
  readonly podLabels?: { [key: string]: string };
}

/**
 * Properties of `MeshWorkload.fromServiceAccount()`.
 */
export interface MeshCallerReferenceProps {
  /** The namespace it runs in: a `ZeroTrustNamespace` of the app, or one named with `fromName`. */
  readonly namespace: IZeroTrustNamespace;

  /** The service account its pods run as: their identity. */
  readonly serviceAccountName: string;

  /** Labels that select its pods (and only them) in the namespace. */
  readonly podLabels: { [key: string]: string };
}

/**
 * Options of `MeshWorkload.ingressGateway()`.
 */
export interface IngressGatewayCallerOptions {
  /**
   * The namespace the gateway runs in.
   *
   * @default "istio-system"
   */
  readonly namespace?: string;

  /**
   * The service account of the gateway pods.
   *
   * @default "istio-ingressgateway-service-account" (the gateway `istioctl install` deploys)
   */
  readonly serviceAccountName?: string;

  /**
   * Labels of the gateway pods.
   *
   * @default { istio: "ingressgateway" } (the gateway `istioctl install` deploys)
   */
  readonly podLabels?: { [key: string]: string };

  /**
   * The trust domain of the mesh.
   *
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
}

/**
 * Limits of the whole service graph, checked along call chains at synth.
 */
export interface MeshGraphLimits {
  /**
   * The most times one request may reach a service through retries at several hops (each hop
   * multiplies: 3 retries at each of 3 hops is up to 64 tries at the last service). A warning names
   * every service above it.
   *
   * @default 27 (the library's default of 2 retries per route, along a chain of three calls)
   */
  readonly maxTriesPerRequest?: number;
}

/**
 * Workloads of the service graph that the app does not deploy itself, and the graph's settings.
 */
export class MeshWorkload {
  /**
   * A workload deployed by other means (a Helm chart, hand-written manifests) that calls or is
   * called. In a `ZeroTrustNamespace` of the app it gets its own policies like a `CanaryService`;
   * in a namespace named with `fromName`, only the other end's policies are written.
   */
  public static fromService(scope: Construct, id: string, props: MeshServiceReferenceProps): IMeshWorkload {
    return new MeshWorkloadReference(scope, id, props);
  }

  /**
   * A caller without a Service (a Job, a CronJob, a worker), by its service account and pod labels.
   */
  public static fromServiceAccount(scope: Construct, id: string, props: MeshCallerReferenceProps): IMeshCaller {
    return new MeshCallerReference(scope, id, props);
  }

  /**
   * The mesh's ingress gateway as a caller: `gateway.calls(web)` lets users reach `web` through it.
   */
  public static ingressGateway(scope: Construct, id: string, options: IngressGatewayCallerOptions = {}): IMeshCaller {
    return new IngressGatewayCaller(scope, id, options);
  }

  /**
   * Sets the limits of the app's service graph.
   *
   * @param scope any construct of the app
   */
  public static setLimits(scope: IConstruct, limits: MeshGraphLimits): void {
    const max = limits.maxTriesPerRequest ?? DEFAULT_MAX_TRIES;
    if (!Number.isInteger(max) || max < 1) {
      throw invalid(scope, 'maxTriesPerRequest', max, 'must be a positive integer (the most tries of one request at a service)');
    }
    const model = MeshModel.of(scope);
    model.maxTriesPerRequest = max;
    model.changed();
  }

  private constructor() {}
}

/** Declares a call from `caller` (a construct that registered a workload) to `callee`. */
export function declareCall(caller: IConstruct, callee: IMeshWorkload, options: CallOptions = {}): void {
  const model = MeshModel.of(caller);
  const from = model.workloadOf(caller);
  const to = model.workloadOf(callee);
  if (!from) throw invalid(caller, 'calls', caller.node.path, 'is not a workload of the service graph');
  if (!to || to.serviceName === undefined) {
    throw invalid(caller, 'calls callee', callee.node.path,
      'is not a workload of this app\'s service graph; use a CanaryService, or MeshWorkload.fromService() for a workload deployed by other means');
  }
  const ports = checkPorts(caller, 'calls ports', options.ports);
  const methods = checkMethods(caller, 'calls methods', options.methods);
  const paths = checkPaths(caller, 'calls paths', options.paths);
  if (model.findCall(from, to, ports, methods, paths)) {
    throw invalid(caller, 'calls', to.description, 'the same call was declared twice; remove one of the declarations');
  }
  model.addCall({ caller: from, callee: to, ports, methods, paths });
}

/** The namespace intent of a namespace reference given to a workload. */
export function namespaceIntentOf(scope: IConstruct, field: string, namespace: IZeroTrustNamespace) {
  const intent = MeshModel.of(scope).namespaces.get(namespace?.name);
  if (!intent) {
    throw invalid(scope, field, namespace?.name,
      'is not a namespace of this app: create it with ZeroTrustNamespace, or name it with ZeroTrustNamespace.fromName()');
  }
  return intent;
}

class MeshWorkloadReference extends Construct implements IMeshWorkload {
  public readonly serviceName: string;
  public readonly namespace: string;
  public readonly serviceAccountName: string;

  public constructor(scope: Construct, id: string, props: MeshServiceReferenceProps) {
    super(scope, id);
    enableAppChecks(this);
    const namespace = namespaceIntentOf(this, 'namespace', props.namespace);
    this.namespace = namespace.name;
    this.serviceName = checkDnsLabel(this, 'serviceName', props.serviceName);
    this.serviceAccountName = checkServiceAccountName(this, 'serviceAccountName', props.serviceAccountName ?? props.serviceName);
    const port = checkPort(this, 'port', props.port);
    const selector = checkLabels(this, 'podLabels', props.podLabels ?? { app: this.serviceName }, false);
    MeshModel.of(this).addWorkload({
      construct: this,
      namespace,
      serviceName: this.serviceName,
      serviceAccountName: this.serviceAccountName,
      selector,
      ports: [{ port, targetPort: checkPort(this, 'targetPort', props.targetPort ?? port), http: isHttpFamily(props.protocol ?? AppProtocol.HTTP) }],
      owned: false,
      description: `service ${this.namespace}/${this.serviceName}`,
    });
  }

  public calls(callee: IMeshWorkload, options?: CallOptions): void {
    declareCall(this, callee, options);
  }
}

class MeshCallerReference extends Construct implements IMeshCaller {
  public constructor(scope: Construct, id: string, props: MeshCallerReferenceProps) {
    super(scope, id);
    enableAppChecks(this);
    const namespace = namespaceIntentOf(this, 'namespace', props.namespace);
    const serviceAccountName = checkServiceAccountName(this, 'serviceAccountName', props.serviceAccountName);
    MeshModel.of(this).addWorkload({
      construct: this,
      namespace,
      serviceAccountName,
      selector: checkLabels(this, 'podLabels', props.podLabels, false),
      ports: [],
      owned: false,
      description: `service account ${namespace.name}/${serviceAccountName}`,
    });
  }

  public calls(callee: IMeshWorkload, options?: CallOptions): void {
    declareCall(this, callee, options);
  }
}

class IngressGatewayCaller extends Construct implements IMeshCaller {
  public constructor(scope: Construct, id: string, options: IngressGatewayCallerOptions) {
    super(scope, id);
    enableAppChecks(this);
    const name = checkDnsLabel(this, 'namespace', options.namespace ?? ISTIO_NAMESPACE);
    const model = MeshModel.of(this);
    // the gateway's namespace is the mesh's, never a zero-trust one: nothing is rendered there
    const namespace = model.namespaces.get(name) ?? {
      name,
      construct: this,
      managed: false,
      trustDomain: options.trustDomain ?? DEFAULT_TRUST_DOMAIN,
      rootNamespace: name,
      clusterDomain: DEFAULT_CLUSTER_DOMAIN,
      dataPlane: DataPlane.sidecar()._renderer,
      registryOnly: false,
      dnsCidrs: [],
      egress: { meshHosts: [], externalHosts: [] },
      namedNamespaces: [],
      namedServiceAccounts: [],
    };
    const serviceAccountName = checkServiceAccountName(this, 'serviceAccountName', options.serviceAccountName ?? INGRESS_GATEWAY.serviceAccount);
    const intent: WorkloadIntent = {
      construct: this,
      namespace,
      serviceAccountName,
      selector: checkLabels(this, 'podLabels', options.podLabels ?? { istio: INGRESS_GATEWAY.podLabels.istio }, false),
      ports: [],
      owned: false,
      description: `ingress gateway ${name}/${serviceAccountName}`,
      ingressGateway: true,
    };
    model.addWorkload(intent);
  }

  public calls(callee: IMeshWorkload, options?: CallOptions): void {
    declareCall(this, callee, options);
  }
}
