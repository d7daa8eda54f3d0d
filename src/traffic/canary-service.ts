import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addAnalysisTemplate, addRollout, addTemplateRevision, CANARY_SUBSET, STABLE_SUBSET } from './argo-rollouts';
import { AnalysisEngine, CanaryAnalysis, resolveAnalysis } from './canary-analysis';
import { CircuitBreaker, resolveCircuitBreaker } from './circuit-breaking';
import { addFlaggerAutoscaler, addFlaggerCanary } from './flagger';
import { AppProtocol, isHttpFamily, resolvePortProtocol } from './port-naming';
import { resolveRouteResilience, RetryPolicy, RouteResilience } from './retries';
import { addDestinationRule, addVirtualService, HeaderMatch, PRIMARY_ROUTE, WeightedSubset } from './routing';
import { addWorkload, DEFAULT_REPLICAS, ServiceVersion } from './workload';
import { enableAppChecks } from '../common/app-checks';
import { formatDuration } from '../common/duration';
import { workloadLabels } from '../common/labels';
import { IMeshService } from '../common/mesh-service';
import { checkDnsLabel, checkImage, checkPercent, checkPort, invalid } from '../common/validation';
import { MeshWarnings } from '../common/warnings';
import { PodSysctls } from '../node-tuning/pod-sysctls';

/**
 * Properties of a `CanaryService`.
 */
export interface CanaryServiceProps {
  /**
   * The namespace the service runs in (for example `zeroTrustNamespace.name`).
   */
  readonly namespace: string;

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
   * How failed requests are retried. By default only requests the application never received are
   * retried. Without a `perTryTimeout`, one that fits every attempt into `timeout` is derived when
   * `retryOn` retries timed-out attempts ("5xx", "gateway-error", "reset").
   *
   * @default - Istio's default policy: 2 retries on connect-failure, refused-stream, unavailable,
   * cancelled and 503, no per-try timeout
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
 * Deployment per version (and a PodDisruptionBudget when it runs more than one pod), a
 * DestinationRule (Istio mutual TLS, circuit breaking, one subset per version) and a
 * VirtualService (weights, timeout, retries), all `networking.istio.io/v1`.
 *
 * With `analysis`, one Deployment runs the version being rolled out, and the controller's
 * resources replace the static split: a Flagger Canary and the HorizontalPodAutoscaler that holds
 * the replica count (Flagger then creates the Services, DestinationRules and VirtualService), or an
 * Argo Rollouts Rollout and AnalysisTemplate beside the Service, DestinationRule and VirtualService
 * it manages.
 */
export class CanaryService extends Construct implements IMeshService {
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

  /** The Flagger Canary, with `CanaryAnalysis.flagger()`. */
  public readonly flaggerCanary?: ApiObject;

  /**
   * The HorizontalPodAutoscaler that holds the replica count (minReplicas = maxReplicas), with
   * `CanaryAnalysis.flagger()`: Flagger sizes the primary from it, and the Deployment carries no
   * `spec.replicas` for GitOps tools to restore after Flagger scales it to 0.
   */
  public readonly autoscaler?: ApiObject;

  /** The Argo Rollouts Rollout, with `CanaryAnalysis.argoRollouts()`. */
  public readonly rollout?: ApiObject;

  /** The Argo Rollouts AnalysisTemplate, with `CanaryAnalysis.argoRollouts()`. */
  public readonly analysisTemplate?: ApiObject;

  public constructor(scope: Construct, id: string, props: CanaryServiceProps) {
    super(scope, id);
    enableAppChecks(this);
    this.namespace = checkDnsLabel(this, 'namespace', props.namespace);
    this.serviceName = checkDnsLabel(this, 'name', props.name);
    this.serviceAccountName = checkDnsLabel(this, 'serviceAccountName', props.serviceAccountName ?? props.name);
    const port = checkPort(this, 'port', props.port);
    const targetPort = checkPort(this, 'targetPort', props.targetPort ?? port);
    const { name: portName, protocol } = resolvePortProtocol(this, props.protocol, props.portName);
    this.protocol = protocol;
    const versions = this.checkVersions(props);
    const engine = props.analysis && this.checkAnalysisFits(props, protocol, props.analysis.engine);
    const resilience = this.resolveHttpOptions(props, protocol);
    const analysis = props.analysis && resolveAnalysis(this, props.analysis, props.timeout?.toMilliseconds());
    // Argo Rollouts moves the weights during a rollout; Git holds its resting state, 100/0.
    const split: WeightedSubset[] = engine
      ? [{ subset: STABLE_SUBSET, weight: 100 }, { subset: CANARY_SUBSET, weight: 0 }]
      : this.resolveWeights(props);

    // With an engine, one workload runs the version being rolled out: the canary, else the stable one.
    const running = props.canary ?? props.stable;
    const workloads = engine ? [running] : versions;
    const replicas = Object.fromEntries(workloads.map(v => [v.version, v.replicas ?? DEFAULT_REPLICAS]));
    const circuitBreaker = resolveCircuitBreaker(this, this.describe(), props.circuitBreaker, replicas);

    const labels = workloadLabels(this.serviceName);
    // Every object but the ServiceAccount and the per-version ones is named after the service.
    const named = { name: this.serviceName, namespace: this.namespace, labels };
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.serviceAccountName, namespace: this.namespace, labels },
    });

    if (engine !== AnalysisEngine.FLAGGER) {
      this.service = new k8s.KubeService(this, 'Service', {
        metadata: named,
        spec: {
          selector: { app: this.serviceName },
          ports: [{
            name: portName,
            port,
            targetPort: k8s.IntOrString.fromNumber(targetPort),
            protocol: 'TCP',
            appProtocol: protocol,
          }],
        },
      });
    }

    // With Argo Rollouts, the revision of the pod template that the analysis selects the canary by.
    let revision: string | undefined;
    const workload = (workloadId: string, name: string, v: ServiceVersion, pods: number, selector: Record<string, string>) =>
      addWorkload(this, workloadId, {
        name,
        namespace: this.namespace,
        app: this.serviceName,
        version: v,
        replicas: pods,
        containerPort: targetPort,
        serviceAccount: this.serviceAccount,
        selector,
        sysctls: props.sysctls,
      });

    if (!engine) {
      // IDs and names carry the version, so promoting a canary leaves its Deployment untouched.
      this.deployments = versions.map(v => {
        const name = `${this.serviceName}-${v.version}`;
        const selector = { app: this.serviceName, version: v.version };
        const deployment = workload(`Deployment-${v.version}`, name, v, replicas[v.version], selector);
        if (replicas[v.version] > 1) this.addDisruptionBudget(`DisruptionBudget-${v.version}`, name, v.version, selector);
        return deployment;
      });
    } else {
      // One Deployment whose template runs the version being rolled out. Its ID and name do not
      // depend on the version, so moving the canary into `stable` after a promotion changes nothing.
      // Flagger requires a single `app: <name>` selector (Flagger docs, "How it works") and reads the
      // replica count from an HPA; Argo Rollouts takes the pods from it and keeps it at 0 replicas.
      const pods = replicas[running.version];
      const deployment = workload('Deployment', this.serviceName, running,
        engine === AnalysisEngine.ARGO_ROLLOUTS ? 0 : pods, { app: this.serviceName });
      this.deployments = [deployment];
      if (engine === AnalysisEngine.FLAGGER) {
        this.autoscaler = addFlaggerAutoscaler(this, 'Autoscaler', { ...named, deployment, replicas: pods });
      } else {
        revision = addTemplateRevision(deployment, running.version);
      }
      if (pods > 1) {
        // Flagger relabels `app` on the primary copy, not `app.kubernetes.io/name`: this covers both copies.
        this.addDisruptionBudget('DisruptionBudget', this.serviceName, undefined, { 'app.kubernetes.io/name': this.serviceName });
      }
    }

    if (engine !== AnalysisEngine.FLAGGER) {
      const argo = engine === AnalysisEngine.ARGO_ROLLOUTS;
      // Argo Rollouts adds each ReplicaSet's pod-template hash to the `stable` and `canary` subsets.
      this.destinationRule = addDestinationRule(this, 'DestinationRule', {
        ...named,
        protocol,
        circuitBreaker,
        subsets: argo
          ? [STABLE_SUBSET, CANARY_SUBSET].map(name => ({ name, labels: { app: this.serviceName } }))
          : versions.map(v => ({ name: v.version, labels: { version: v.version } })),
      });
      this.virtualService = addVirtualService(this, 'VirtualService', {
        ...named,
        protocol,
        split,
        canarySubset: argo ? CANARY_SUBSET : props.canary?.version,
        canaryHeader: props.canaryHeader,
        mirrorPercentage: props.mirrorPercentage,
        resilience,
      });
    }

    if (analysis && engine === AnalysisEngine.FLAGGER) {
      this.flaggerCanary = addFlaggerCanary(this, 'Canary', {
        ...named,
        port,
        targetPort,
        portName,
        protocol,
        resilience,
        circuitBreaker,
        analysis,
      });
    }

    if (analysis && engine === AnalysisEngine.ARGO_ROLLOUTS) {
      this.rollout = addRollout(this, 'Rollout', {
        ...named,
        replicas: replicas[running.version],
        revision: revision!,
        route: PRIMARY_ROUTE,
        analysis,
      });
      this.analysisTemplate = addAnalysisTemplate(this, 'AnalysisTemplate', { ...named, analysis });
    }
  }

  /** `namespace/name`, how warnings name the service. */
  private describe(): string {
    return `${this.namespace}/${this.serviceName}`;
  }

  private checkVersions(props: CanaryServiceProps): ServiceVersion[] {
    const roles: Array<[string, ServiceVersion]> = [['stable', props.stable]];
    if (props.canary) roles.push(['canary', props.canary]);
    for (const [role, v] of roles) {
      checkDnsLabel(this, `${role}.version`, v.version);
      checkImage(this, `${role}.image`, v.image);
      const pods = v.replicas ?? DEFAULT_REPLICAS;
      if (!Number.isInteger(pods) || pods < 1) {
        throw invalid(this, `${role}.replicas`, pods, 'must be a positive integer');
      }
      if (!/[:@][^/]*$/.test(v.image)) {
        MeshWarnings.of(this).add(
          `service ${this.describe()}: ${role}.image "${v.image}" has no tag or digest, so each new pod runs whatever ` +
          '":latest" is then; pin a tag or digest so the version is reproducible');
      }
    }
    if (props.canary && props.canary.version === props.stable.version) {
      throw invalid(this, 'canary.version', props.canary.version,
        'must differ from stable.version: each version is its own Deployment and DestinationRule subset');
    }
    return roles.map(([, v]) => v);
  }

  /** What an engine cannot be combined with; returns the engine. */
  private checkAnalysisFits(props: CanaryServiceProps, protocol: AppProtocol, engine: AnalysisEngine): AnalysisEngine {
    for (const [field, weight] of [['stable.weight', props.stable.weight], ['canary.weight', props.canary?.weight]] as const) {
      if (weight !== undefined) {
        throw invalid(this, field, weight, 'cannot be combined with analysis: the controller moves the traffic step by step; remove the weight');
      }
    }
    if (!isHttpFamily(protocol)) {
      throw invalid(this, 'analysis', engine,
        `needs HTTP request metrics (istio_requests_total), and protocol is "${protocol}"; use an HTTP protocol or remove analysis`);
    }
    if (engine === AnalysisEngine.FLAGGER) {
      const owned = 'Flagger owns the VirtualService (use Flagger\'s A/B testing or mirroring instead)';
      if (props.canaryHeader) throw invalid(this, 'canaryHeader', props.canaryHeader, `cannot be combined with Flagger: ${owned}`);
      if (props.mirrorPercentage !== undefined) throw invalid(this, 'mirrorPercentage', props.mirrorPercentage, `cannot be combined with Flagger: ${owned}`);
      if (props.circuitBreaker?.maxConnections !== undefined) {
        throw invalid(this, 'circuitBreaker.maxConnections', props.circuitBreaker.maxConnections,
          'cannot be passed to Flagger, whose Canary has no TCP connection pool; remove it or use CanaryAnalysis.argoRollouts()');
      }
      if (this.serviceName.length > 55) {
        throw invalid(this, 'name', this.serviceName,
          'is too long for Flagger, which creates the Services <name>-primary and <name>-canary (RFC 1123 labels of at most 63 characters); use at most 55 characters');
      }
    }
    if (engine === AnalysisEngine.ARGO_ROLLOUTS && props.mirrorPercentage !== undefined) {
      throw invalid(this, 'mirrorPercentage', props.mirrorPercentage,
        'cannot be combined with Argo Rollouts: between rollouts its canary subset points at the stable pods, which would serve every mirrored request twice; remove it');
    }
    return engine;
  }

  /** The weighted destinations of the primary route, stable first. */
  private resolveWeights(props: CanaryServiceProps): WeightedSubset[] {
    const weight = (field: string, value?: number): number | undefined => {
      if (value === undefined) return undefined;
      checkPercent(this, field, value);
      if (!Number.isInteger(value)) {
        throw invalid(this, field, value, 'must be an integer from 0 to 100 (Istio weights are integers)');
      }
      return value;
    };
    const stable = weight('stable.weight', props.stable.weight);
    if (!props.canary) {
      if (stable !== undefined && stable !== 100) {
        throw invalid(this, 'stable.weight', stable,
          `leaves ${100 - stable}% for a canary, but no canary is given; add a canary or remove the weight`);
      }
      return [{ subset: props.stable.version, weight: 100 }];
    }
    const canary = weight('canary.weight', props.canary.weight);
    const canaryWeight = canary ?? (stable === undefined ? 0 : 100 - stable);
    const stableWeight = stable ?? 100 - canaryWeight;
    if (stableWeight + canaryWeight !== 100) {
      throw invalid(this, 'canary.weight', canaryWeight,
        `and stable.weight ${stableWeight} must add up to 100; give one of them and the other is derived`);
    }
    return [
      { subset: props.stable.version, weight: stableWeight },
      { subset: props.canary.version, weight: canaryWeight },
    ];
  }

  /** Timeout, retries, header route and mirroring: HTTP routes only, and the last two need a canary. */
  private resolveHttpOptions(props: CanaryServiceProps, protocol: AppProtocol): RouteResilience {
    if (!isHttpFamily(protocol)) {
      const r = props.retries;
      const httpOnly: Array<[string, unknown]> = [
        ['timeout', props.timeout && formatDuration(props.timeout)],
        ['retries', r && { attempts: r.attempts, perTryTimeout: r.perTryTimeout && formatDuration(r.perTryTimeout), retryOn: r.retryOn }],
        ['canaryHeader', props.canaryHeader],
        ['mirrorPercentage', props.mirrorPercentage],
      ];
      for (const [field, value] of httpOnly) {
        if (value !== undefined) {
          throw invalid(this, field, value, `applies to HTTP routes only, and protocol is "${protocol}"; remove it or use an HTTP protocol`);
        }
      }
      return {};
    }
    if (props.canaryHeader) {
      const h = props.canaryHeader;
      if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h.name)) {
        throw invalid(this, 'canaryHeader.name', h.name, 'must be a lowercase HTTP header name (e.g. "x-canary")');
      }
      if (!h.value) {
        throw invalid(this, 'canaryHeader.value', h.value, 'must not be empty');
      }
      if (!props.canary) {
        throw invalid(this, 'canaryHeader', h, 'routes testers to the canary, but no canary is given; add a canary or remove it');
      }
    }
    if (props.mirrorPercentage !== undefined) {
      checkPercent(this, 'mirrorPercentage', props.mirrorPercentage);
      if (props.mirrorPercentage === 0) {
        throw invalid(this, 'mirrorPercentage', 0, 'must be more than 0; leave it unset for no mirroring');
      }
      if (!props.canary) {
        throw invalid(this, 'mirrorPercentage', props.mirrorPercentage, 'copies requests to the canary, but no canary is given; add a canary or remove it');
      }
    }
    return resolveRouteResilience(this, this.describe(), props.timeout, props.retries);
  }

  private addDisruptionBudget(id: string, name: string, version: string | undefined, selector: Record<string, string>) {
    // maxUnavailable 1 lets node drains proceed one pod at a time whatever the replica count.
    new k8s.KubePodDisruptionBudget(this, id, {
      metadata: { name, namespace: this.namespace, labels: workloadLabels(this.serviceName, version) },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
    });
  }
}
