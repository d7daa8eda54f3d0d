// Flagger (flagger.app/v1beta1 Canary) with the provider of the namespace's data plane: Istio's
// with sidecars (`istioFlaggerRoute` below), Gateway API's in ambient (flagger-gateway-api.ts).
// Flagger copies the target Deployment into `<name>-primary`, creates the Services `<name>`,
// `<name>-primary` and `<name>-canary`, and owns the routes (the VirtualService and DestinationRules
// with Istio's provider, the HTTPRoute with Gateway API's; Flagger docs, "How it works"), so none
// of those is emitted beside it.
//
// The replica count lives in a HorizontalPodAutoscaler, where Flagger reads it without fighting
// GitOps. Flagger scales the target Deployment to 0 once its `-primary` copy runs, and sizes the
// primary from the target's `spec.replicas` only when it creates it
// (pkg/canary/deployment_controller.go); a `spec.replicas` in Git is then reverted by every sync,
// and a new count never reaches the primary. Flagger's maintainers recommend an HPA instead
// (fluxcd/flagger#1504): with `autoscalerRef`, Flagger copies its bounds to `<name>-primary` when it
// creates the primary and at each promotion, and the HPA leaves a Deployment scaled to 0 alone
// (Kubernetes HPA docs, "Implicit maintenance-mode deactivation"). Without `autoscaling`,
// minReplicas = maxReplicas pins the count; without metrics Kubernetes defaults to 80% CPU, which
// only matters between the two bounds, so the count holds even without metrics-server.
import { ApiObject, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addAutoscaler } from './autoscaling';
import { AnalysisEngine, checkControllerFits, FlaggerAnalysisOptions, ResolvedAnalysis, resolveAnalysis } from './canary-analysis';
import { CanarySpec, CanarySpecInput } from './canary-spec';
import { CircuitBreaker, ResolvedCircuitBreaker } from './circuit-breaking';
import { AppProtocol } from './port-naming';
import { RouteResilience } from './retries';
import { addControlledWorkload, CanaryRollout, RenderedCanary } from './rollout';
import { addDisruptionBudget } from './workload';
import {
  Canary, CanarySpecAnalysisMetrics, CanarySpecAnalysisWebhooks, CanarySpecAnalysisWebhooksType, CanarySpecAutoscalerRefKind,
  CanarySpecProvider, CanarySpecService, CanarySpecServiceTrafficPolicyTlsMode, CanarySpecTargetRefKind,
} from '../../imports/flagger.app';
import { invalid } from '../common/validation';
import { GatewayRouteIntent, MeshModel } from '../graph/model';

/**
 * Flagger: it moves the traffic to the canary step by step while its built-in Istio metrics stay
 * within bounds, then promotes it, or rolls it back.
 */
export class FlaggerRollout implements CanaryRollout {
  public readonly staticSplit = false;

  public constructor(private readonly options: FlaggerAnalysisOptions) {}

  public check(scope: Construct, props: CanarySpecInput, spec: CanarySpec): void {
    checkControllerFits(scope, props, spec, AnalysisEngine.FLAGGER);
    const owned = 'Flagger owns the VirtualService (use Flagger\'s A/B testing or mirroring instead)';
    if (props.canaryHeader) throw invalid(scope, 'canaryHeader', props.canaryHeader, `cannot be combined with Flagger: ${owned}`);
    if (props.mirrorPercentage !== undefined) throw invalid(scope, 'mirrorPercentage', props.mirrorPercentage, `cannot be combined with Flagger: ${owned}`);
    if (spec.name.length > 55) {
      throw invalid(scope, 'name', spec.name,
        'is too long for Flagger, which creates the Services <name>-primary and <name>-canary (RFC 1123 labels of at most 63 characters); use at most 55 characters');
    }
  }

  /**
   * One Deployment (addControlledWorkload) whose count the HPA holds. Flagger requires a single
   * `app: <name>` selector (Flagger docs, "How it works"), and relabels `app` on the primary copy,
   * not `app.kubernetes.io/name`.
   */
  public render(scope: Construct, spec: CanarySpec, serviceAccount: kplus.IServiceAccount): RenderedCanary {
    const analysis = resolveAnalysis(scope, this.options, spec);
    const { pods, circuitBreaker, deployment, allPods } = addControlledWorkload(scope, spec, serviceAccount, undefined);
    const autoscaler = addAutoscaler(scope, 'Autoscaler', {
      namespace: spec.namespace.name,
      labels: spec.labels,
      target: { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name },
      autoscaling: spec.autoscaling ?? { minReplicas: pods, maxReplicas: pods, metrics: [] },
    });
    if ((spec.autoscaling?.maxReplicas ?? pods) > 1) {
      // covers both copies, the primary and the canary
      addDisruptionBudget(scope, 'DisruptionBudget', { name: spec.name, namespace: spec.namespace.name, labels: spec.labels, selector: allPods });
    }
    const flaggerCanary = addFlaggerCanary(scope, 'Canary', {
      name: spec.name,
      namespace: spec.namespace.name,
      labels: spec.labels,
      port: spec.port,
      targetPort: spec.targetPort,
      portName: spec.portName,
      protocol: spec.protocol,
      analysis,
      route: spec.namespace.dataPlane.flaggerRoute(scope, {
        name: spec.name,
        namespace: spec.namespace.name,
        labels: spec.labels,
        port: spec.port,
        protocol: spec.protocol,
        resilience: spec.resilience,
        circuitBreaker,
        requestedCircuitBreaker: spec.circuitBreaker,
        analysis,
      }),
    });
    return { deployments: [deployment], autoscaler, flaggerCanary, selector: allPods };
  }
}

interface FlaggerCanaryOptions {
  /** Canary and target Deployment name; also the apex Service Flagger creates. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly port: number;
  readonly targetPort: number;
  readonly portName: string;
  readonly protocol: AppProtocol;
  readonly analysis: ResolvedAnalysis;
  /** The routing of the namespace's data plane. */
  readonly route: FlaggerRoute;
}

/** What a data plane needs to know to route a Flagger Canary (data-plane/data-plane.ts `flaggerRoute`). */
export interface FlaggerRouteSpec {
  /** The Canary, target Deployment and apex Service name. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly port: number;
  readonly protocol: AppProtocol;
  readonly resilience: RouteResilience;
  readonly circuitBreaker: ResolvedCircuitBreaker;
  /** The circuit breaker as the user gave it, for what a provider cannot pass on. */
  readonly requestedCircuitBreaker?: CircuitBreaker;
  readonly analysis: ResolvedAnalysis;
}

/** The data plane's part of a Canary: the provider, the routing fields of `service`, the metrics. */
export interface FlaggerRoute {
  readonly provider: CanarySpecProvider;
  /**
   * Whether Flagger's route serves the gateways that route to the service (`service.gateways` and
   * `hosts`, Istio's provider). Otherwise the gateways' routes send to the Service, and the proxy on
   * their way applies Flagger's route (ambient's waypoint).
   */
  readonly servesGateways: boolean;
  readonly service: Partial<CanarySpecService>;
  readonly metrics: CanarySpecAnalysisMetrics[];
}

/**
 * Flagger's Istio provider: Flagger writes the VirtualService (timeout, retries) and the
 * DestinationRules (the Canary's traffic policy) and measures with its built-in Istio metrics.
 */
export function istioFlaggerRoute(scope: Construct, o: FlaggerRouteSpec): FlaggerRoute {
  if (o.requestedCircuitBreaker?.maxConnections !== undefined) {
    throw invalid(scope, 'circuitBreaker.maxConnections', o.requestedCircuitBreaker.maxConnections,
      'cannot be passed to Flagger, whose Canary has no TCP connection pool; remove it or use CanaryAnalysis.argoRollouts()');
  }
  const a = o.analysis;
  const cb = o.circuitBreaker;
  return {
    provider: CanarySpecProvider.ISTIO,
    servesGateways: true,
    service: {
      timeout: o.resilience.timeout,
      retries: o.resilience.retries,
      trafficPolicy: {
        tls: { mode: CanarySpecServiceTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL },
        // Flagger's Canary has no TCP connection pool: maxConnections cannot be passed on.
        connectionPool: { http: { http1MaxPendingRequests: cb.http1MaxPendingRequests, http2MaxRequests: cb.http2MaxRequests } },
        outlierDetection: {
          consecutive5XxErrors: cb.consecutive5xxErrors,
          interval: cb.interval,
          baseEjectionTime: cb.baseEjectionTime,
          maxEjectionPercent: cb.maxEjectionPercent,
        },
      },
    },
    // Flagger's built-in Istio metrics: the non-5xx percentage and the p99 duration in ms.
    metrics: [
      { name: 'request-success-rate', thresholdRange: { min: a.minSuccessRate }, interval: a.interval },
      { name: 'request-duration', thresholdRange: { max: a.maxRequestDurationMs }, interval: a.interval },
    ],
  };
}

/** The Canary: service, the data plane's routing and the analysis. */
function addFlaggerCanary(scope: Construct, id: string, o: FlaggerCanaryOptions): ApiObject {
  const a = o.analysis;
  const webhooks: CanarySpecAnalysisWebhooks[] = [];
  if (a.loadTest) {
    webhooks.push({
      name: 'load-test',
      type: CanarySpecAnalysisWebhooksType.ROLLOUT,
      url: a.loadTest.url,
      timeout: a.loadTest.timeout,
      metadata: { cmd: a.loadTest.command },
    });
  }
  if (a.confirmPromotionUrl) {
    webhooks.push({ name: 'confirm-promotion', type: CanarySpecAnalysisWebhooksType.CONFIRM_HYPHEN_PROMOTION, url: a.confirmPromotionUrl });
  }

  return new Canary(scope, id, {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      provider: o.route.provider,
      metricsServer: a.metricsServer,
      targetRef: { apiVersion: 'apps/v1', kind: CanarySpecTargetRefKind.DEPLOYMENT, name: o.name },
      autoscalerRef: { apiVersion: 'autoscaling/v2', kind: CanarySpecAutoscalerRefKind.HORIZONTAL_POD_AUTOSCALER, name: o.name },
      service: {
        name: o.name,
        // Flagger's VirtualService serves the gateways routed to this service too, so their users get
        // the canary's weights (issue 18); with gateways listed, Flagger adds "mesh" only when told
        // (pkg/router/istio.go reconcileVirtualService)
        gateways: o.route.servesGateways ? Lazy.any({ produce: () => gatewayRoutes(scope, r => r.gateway, ['mesh']) }) : undefined,
        hosts: o.route.servesGateways ? Lazy.any({ produce: () => gatewayRoutes(scope, r => r.host) }) : undefined,
        port: o.port,
        targetPort: o.targetPort,
        portName: o.portName,
        appProtocol: o.protocol,
        ...o.route.service,
      },
      analysis: {
        interval: a.interval,
        threshold: a.threshold,
        stepWeight: a.stepWeight,
        maxWeight: a.maxWeight,
        metrics: o.route.metrics,
        webhooks: webhooks.length > 0 ? webhooks : undefined,
      },
    },
  });
}

/** What the gateway routes to the service name, sorted, after `first`; undefined when none routes to it. */
function gatewayRoutes(scope: Construct, value: (route: GatewayRouteIntent) => string, first: string[] = []): string[] | undefined {
  const routes = MeshModel.of(scope).gatewayRoutesTo(scope);
  return routes.length === 0 ? undefined : [...first, ...[...new Set(routes.map(value))].sort()];
}
