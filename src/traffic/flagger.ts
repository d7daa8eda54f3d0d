// Flagger (flagger.app/v1beta1 Canary) with the Istio provider. Flagger copies the target
// Deployment into `<name>-primary`, creates the Services `<name>`, `<name>-primary` and
// `<name>-canary`, and owns the DestinationRules and VirtualService (Flagger docs, "How it works"),
// so none of those is emitted beside it.
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ResolvedAnalysis } from './canary-analysis';
import { ResolvedCircuitBreaker } from './circuit-breaking';
import { AppProtocol } from './port-naming';
import { RouteResilience } from './retries';
import {
  Canary, CanarySpecAnalysisWebhooks, CanarySpecAnalysisWebhooksType, CanarySpecAutoscalerRefKind, CanarySpecProvider,
  CanarySpecServiceTrafficPolicyTlsMode, CanarySpecTargetRefKind,
} from '../../imports/flagger.app';

export interface FlaggerAutoscalerOptions {
  /** The target Deployment's name, also the HorizontalPodAutoscaler's. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The target Deployment; its `spec.replicas` is left out. */
  readonly deployment: kplus.Deployment;
  readonly replicas: number;
}

/**
 * The replica count, where Flagger reads it without fighting GitOps. Flagger scales the target
 * Deployment to 0 once its `-primary` copy runs, and sizes the primary from the target's
 * `spec.replicas` only when it creates it (pkg/canary/deployment_controller.go); a `spec.replicas` in
 * Git is then reverted by every sync, and a new count never reaches the primary. Flagger's
 * maintainers recommend an HPA instead (fluxcd/flagger#1504): with `autoscalerRef`, Flagger copies its
 * bounds to `<name>-primary` when it creates the primary and at each promotion, and the HPA leaves a
 * Deployment scaled to 0 alone (Kubernetes HPA docs, "Implicit maintenance-mode deactivation").
 * minReplicas = maxReplicas pins the count; without metrics Kubernetes defaults to 80% CPU, which
 * only matters between the two bounds, so the count holds even without metrics-server.
 */
export function addFlaggerAutoscaler(scope: Construct, id: string, o: FlaggerAutoscalerOptions): ApiObject {
  o.deployment.markHasAutoscaler();
  return new k8s.KubeHorizontalPodAutoscalerV2(scope, id, {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.name },
      minReplicas: o.replicas,
      maxReplicas: o.replicas,
    },
  });
}

export interface FlaggerCanaryOptions {
  /** Canary and target Deployment name; also the apex Service Flagger creates. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly port: number;
  readonly targetPort: number;
  readonly portName: string;
  readonly protocol: AppProtocol;
  readonly resilience: RouteResilience;
  readonly circuitBreaker: ResolvedCircuitBreaker;
  readonly analysis: ResolvedAnalysis;
}

/** The Canary: service, traffic policy and the analysis with Flagger's built-in Istio metrics. */
export function addFlaggerCanary(scope: Construct, id: string, o: FlaggerCanaryOptions): ApiObject {
  const a = o.analysis;
  const cb = o.circuitBreaker;
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
      provider: CanarySpecProvider.ISTIO,
      metricsServer: a.metricsServer,
      targetRef: { apiVersion: 'apps/v1', kind: CanarySpecTargetRefKind.DEPLOYMENT, name: o.name },
      autoscalerRef: { apiVersion: 'autoscaling/v2', kind: CanarySpecAutoscalerRefKind.HORIZONTAL_POD_AUTOSCALER, name: o.name },
      service: {
        name: o.name,
        port: o.port,
        targetPort: o.targetPort,
        portName: o.portName,
        appProtocol: o.protocol,
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
      analysis: {
        interval: a.interval,
        threshold: a.threshold,
        stepWeight: a.stepWeight,
        maxWeight: a.maxWeight,
        // Flagger's built-in Istio metrics: the non-5xx percentage and the p99 duration in ms.
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: a.minSuccessRate }, interval: a.interval },
          { name: 'request-duration', thresholdRange: { max: a.maxRequestDurationMs }, interval: a.interval },
        ],
        webhooks: webhooks.length > 0 ? webhooks : undefined,
      },
    },
  });
}
