import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Autoscaling } from './autoscaling';
import { CanaryAnalysis } from './canary-analysis';
import { resolveCanarySpec } from './canary-spec';
import { CircuitBreaker } from './circuit-breaking';
import { AppProtocol, isHttpFamily } from './port-naming';
import { RetryPolicy } from './retries';
import { HeaderMatch } from './routing';
import { StaticSplit } from './static-split';
import { TopologySpread } from './topology-spread';
import { ServiceVersion } from './workload';
import { enableAppChecks } from '../common/app-checks';
import { workloadLabels } from '../common/labels';
import { CallOptions, declareCall, IMeshWorkload, namespaceIntentOf } from '../graph/mesh-workload';
import { MeshModel } from '../graph/model';
import { PodSysctls } from '../node-tuning/pod-sysctls';
import type { IZeroTrustNamespace } from '../zero-trust/zero-trust-namespace';

/**
 * Properties of a `CanaryService`.
 */
export interface CanaryServiceProps {
  /**
   * The namespace the service runs in: a `ZeroTrustNamespace` of the app, or one the app names with
   * `ZeroTrustNamespace.fromName()` because it is created elsewhere.
   */
  readonly namespace: IZeroTrustNamespace;

  /**
   * The service name: the Kubernetes Service, the mesh host, the `app` label.
   */
  readonly name: string;

  /**
   * The port the Service listens on.
   */
  readonly port: number;

  /**
   * The port the application container listens on.
   *
   * @default - the same as `port`
   */
  readonly targetPort?: number;

  /**
   * The application protocol; sets the Service port's `appProtocol` and decides between HTTP and
   * TCP routes.
   *
   * @default - read from `portName` when given, otherwise AppProtocol.HTTP
   */
  readonly protocol?: AppProtocol;

  /**
   * The Service port name, `<protocol>[-<suffix>]` as Istio's protocol selection expects
   * (e.g. "http" or "grpc-api").
   *
   * @default - the protocol name, e.g. "http"
   */
  readonly portName?: string;

  /**
   * The version that serves users now.
   */
  readonly stable: ServiceVersion;

  /**
   * The version being tried: deployed beside the stable one, with its share of the traffic.
   *
   * @default - no canary: the stable version takes all traffic
   */
  readonly canary?: ServiceVersion;

  /**
   * Timeout of a request through the mesh, every retry included.
   *
   * @default - no timeout (Istio's default for HTTP routes)
   */
  readonly timeout?: Duration;

  /**
   * How failed requests are retried. The policy is always written on HTTP routes, so Istio's own
   * default (which also retries gRPC "unavailable" and 503, requests the application may have
   * processed) never applies. Without a `perTryTimeout`, one that fits every attempt into `timeout`
   * is derived when `retryOn` retries timed-out attempts ("5xx", "gateway-error", "reset").
   * `{ attempts: 0 }` turns retries off.
   *
   * @default - 2 retries of requests the application never received ("connect-failure",
   * "refused-stream", "reset-before-request"), no per-try timeout
   */
  readonly retries?: RetryPolicy;

  /**
   * Connection limits and outlier detection for every version.
   *
   * @default - the `CircuitBreaker` defaults: limits of 1024, ejection after 5 consecutive
   * 5xx errors, at most half of a version's pods ejected
   */
  readonly circuitBreaker?: CircuitBreaker;

  /**
   * Requests carrying this header go to the canary whatever the weights (for testers).
   *
   * @default - no header route
   */
  readonly canaryHeader?: HeaderMatch;

  /**
   * Percentage of the requests (0-100) copied to the canary, whose responses are discarded.
   * Only for requests safe to process twice.
   *
   * @default - no mirroring
   */
  readonly mirrorPercentage?: number;

  /**
   * The service account the pods run as: the workload identity authorization rules name.
   *
   * @default - the service name
   */
  readonly serviceAccountName?: string;

  /**
   * Kernel parameters of the pods' network namespace (`securityContext.sysctls`), for example
   * `tunedNodePool.podSysctls`: per-network-namespace keys set on the node never reach a pod
   * (kubernetes/kubernetes#78977). Keys outside Kubernetes' safe set need the kubelet's
   * `allowedUnsafeSysctls`, and Pod Security "baseline" and "restricted" reject them.
   *
   * @default - none: the kernel's defaults
   */
  readonly sysctls?: PodSysctls;

  /**
   * Paths in the application container that get a writable `emptyDir` each: the root filesystem
   * is read-only (cdk8s-plus' secure default), and many images write temporary files.
   *
   * @default ["/tmp"]
   */
  readonly writablePaths?: string[];

  /**
   * How each version's pods spread over nodes and zones.
   *
   * @default TopologySpread.preferred(): across nodes and zones when the scheduler can, so small
   * clusters and clusters without zones still schedule every pod
   */
  readonly spread?: TopologySpread;

  /**
   * A HorizontalPodAutoscaler for the version that serves users (the stable version, or with
   * `analysis` the one Deployment the controller copies). Its workload then carries no replica
   * count, and its PodDisruptionBudget (maxUnavailable 1) follows `maxReplicas`. Give no
   * `replicas` to that version.
   *
   * @default - a fixed replica count (`ServiceVersion.replicas`)
   */
  readonly autoscaling?: Autoscaling;

  /**
   * Hand the rollout to a progressive-delivery controller, Flagger or Argo Rollouts: it moves
   * traffic to the canary step by step while the canary's p99 latency and 5xx rate stay within
   * bounds, then promotes it, or rolls it back.
   *
   * With it, `canary` names the version being rolled out: the emitted workload runs it, and the
   * controller shifts traffic to it from the version running now. Weights cannot be given.
   *
   * @default - no controller: the static split of the versions' weights
   */
  readonly analysis?: CanaryAnalysis;
}

/**
 * A service with a stable version and an optional canary, split by weight through Istio, or rolled
 * out by Flagger or Argo Rollouts with automatic analysis.
 *
 * Emits a ServiceAccount, a Service with an Istio-conformant port name and `appProtocol`, one
 * Deployment per version (spread over nodes and zones, with a writable `/tmp`, and a
 * PodDisruptionBudget when it runs more than one pod; a HorizontalPodAutoscaler with
 * `autoscaling`), and the routing of its namespace's data plane: with sidecars a DestinationRule
 * (Istio mutual TLS, circuit breaking, one subset per version) and a VirtualService (weights,
 * timeout, retries), all `networking.istio.io/v1`; in ambient, where a waypoint is needed, a
 * Gateway API HTTPRoute whose parent is the Service (weights, timeout), a Service per version and
 * a DestinationRule per version Service (circuit breaking).
 *
 * With `analysis`, one Deployment runs the version being rolled out, and the controller's
 * resources replace the static split: a Flagger Canary and the HorizontalPodAutoscaler that holds
 * the replica count (Flagger then creates the Services, DestinationRules and VirtualService), or an
 * Argo Rollouts Rollout and AnalysisTemplate beside the Service, DestinationRule and VirtualService
 * it manages.
 *
 * A CanaryService is a workload of the service graph: `calls` declares whom it calls, and its
 * own Sidecar, AuthorizationPolicy and NetworkPolicy admit exactly the calls declared.
 */
export class CanaryService extends Construct implements IMeshWorkload {
  /** The Kubernetes Service name, also the service's short host name in the mesh. */
  public readonly serviceName: string;

  /** The namespace the service runs in. */
  public readonly namespace: string;

  /** The service account its pods run as. */
  public readonly serviceAccountName: string;

  /** The application protocol of its port (always set; optional as in `IMeshService`, which jsii requires). */
  public readonly protocol?: AppProtocol;

  /** The service account. */
  public readonly serviceAccount: kplus.ServiceAccount;

  /**
   * The Kubernetes Service (escape hatch: `addJsonPatch`); undefined with Flagger, which creates
   * the Services itself.
   */
  public readonly service?: ApiObject;

  /**
   * The Deployments: one per version, stable first; with `analysis`, the single Deployment that
   * runs the version being rolled out.
   */
  public readonly deployments: kplus.Deployment[];

  /**
   * The DestinationRule (escape hatch: `addJsonPatch` for fields its schema knows); undefined with
   * Flagger, which owns it.
   */
  public readonly destinationRule?: ApiObject;

  /**
   * The VirtualService (escape hatch: `addJsonPatch` for fields its schema knows); undefined with
   * Flagger, which owns it.
   */
  public readonly virtualService?: ApiObject;

  /**
   * The Gateway API HTTPRoute whose parent is the Service (GAMMA), in an ambient namespace whose
   * waypoint routes it; undefined otherwise.
   */
  public readonly httpRoute?: ApiObject;

  /**
   * The DestinationRules: with sidecars the one of `destinationRule`; in ambient one per version
   * Service the HTTPRoute sends to (or per Service Flagger creates), which the waypoint applies.
   */
  public readonly destinationRules: ApiObject[];

  /** The Flagger Canary, with `CanaryAnalysis.flagger()`. */
  public readonly flaggerCanary?: ApiObject;

  /**
   * The HorizontalPodAutoscaler: with `autoscaling`, and with `CanaryAnalysis.flagger()`, where it
   * holds the replica count (minReplicas = maxReplicas without `autoscaling`): Flagger sizes the
   * primary from it, and the Deployment carries no `spec.replicas` for GitOps tools to restore after
   * Flagger scales it to 0.
   */
  public readonly autoscaler?: ApiObject;

  /** The Argo Rollouts Rollout, with `CanaryAnalysis.argoRollouts()`. */
  public readonly rollout?: ApiObject;

  /** The Argo Rollouts AnalysisTemplate, with `CanaryAnalysis.argoRollouts()`. */
  public readonly analysisTemplate?: ApiObject;

  public constructor(scope: Construct, id: string, props: CanaryServiceProps) {
    super(scope, id);
    enableAppChecks(this);
    const namespace = namespaceIntentOf(this, 'namespace', props.namespace);
    const rollout = props.analysis?._rollout ?? new StaticSplit();
    const spec = resolveCanarySpec(this, namespace, props, rollout.staticSplit);
    rollout.check(this, props, spec);
    this.serviceName = spec.name;
    this.namespace = namespace.name;
    this.serviceAccountName = spec.serviceAccountName;
    this.protocol = spec.protocol;
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: spec.serviceAccountName, namespace: namespace.name, labels: spec.labels },
    });

    const rendered = rollout.render(this, spec, this.serviceAccount);
    this.service = rendered.service;
    this.deployments = rendered.deployments;
    this.destinationRule = rendered.destinationRule;
    this.virtualService = rendered.virtualService;
    this.httpRoute = rendered.httpRoute;
    this.destinationRules = rendered.destinationRules ?? (rendered.destinationRule ? [rendered.destinationRule] : []);
    this.flaggerCanary = rendered.flaggerCanary;
    this.autoscaler = rendered.autoscaler;
    this.rollout = rendered.rollout;
    this.analysisTemplate = rendered.analysisTemplate;

    MeshModel.of(this).addWorkload({
      construct: this,
      namespace,
      serviceName: spec.name,
      serviceAccountName: spec.serviceAccountName,
      selector: rendered.selector,
      podLabels: { ...workloadLabels(spec.name), ...rendered.selector },
      ports: [{ port: spec.port, targetPort: spec.targetPort, http: isHttpFamily(spec.protocol) }],
      owned: true,
      description: `service ${namespace.name}/${spec.name}`,
      route: rendered.budget ?? spec.resilience.budget,
      routing: {
        engine: props.analysis?.engine,
        route: rendered.routeSpec,
        resilience: spec.resilience,
        timeout: props.timeout,
        retries: props.retries,
      },
    });
  }

  /**
   * Declares that this service calls `callee`, optionally narrowed to some of its ports, methods and
   * paths: the callee admits exactly this call (AuthorizationPolicy on its pods for this service's
   * identity, NetworkPolicy ingress from this service's pods), and this service may make it
   * (NetworkPolicy egress, the callee's host in its Sidecar).
   */
  public calls(callee: IMeshWorkload, options?: CallOptions): void {
    declareCall(this, callee, options);
  }
}
