// Argo Rollouts (argoproj.io/v1alpha1) with Istio subset-level traffic splitting: the controller
// sets the weights of the VirtualService route it is given and adds the `rollouts-pod-template-hash`
// of each ReplicaSet to the DestinationRule subsets (Argo Rollouts docs, "Istio").
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { canarySteps, ResolvedAnalysis } from './canary-analysis';
import {
  AnalysisTemplate, AnalysisTemplateSpecMetrics, AnalysisTemplateSpecMetricsFailureLimit, Rollout,
  RolloutSpecStrategyCanarySteps, RolloutSpecStrategyCanaryStepsPauseDuration,
} from '../../imports/argoproj.io';

/** Subset names the Rollout and the DestinationRule share. */
export const STABLE_SUBSET = 'stable';
export const CANARY_SUBSET = 'canary';

export interface ArgoRolloutOptions {
  /** Rollout, AnalysisTemplate and referenced Deployment name; the service name. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly replicas: number;
  /** The pods' version label value: how the analysis tells canary requests apart. */
  readonly version: string;
  /** The VirtualService route the controller weights. */
  readonly route: string;
  readonly analysis: ResolvedAnalysis;
}

/**
 * The Rollout. Its pods come from the Deployment it references (`workloadRef`, kept at 0 replicas):
 * the pod template is built in one place whatever the mode (Argo Rollouts docs, "Migrating to Rollouts").
 */
export function addRollout(scope: Construct, id: string, o: ArgoRolloutOptions): ApiObject {
  const a = o.analysis;
  const steps: RolloutSpecStrategyCanarySteps[] = canarySteps(a.stepWeight, a.maxWeight).flatMap(weight => [
    { setWeight: weight },
    { pause: { duration: RolloutSpecStrategyCanaryStepsPauseDuration.fromString(a.interval) } },
  ]);
  return new Rollout(scope, id, {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app: o.name } },
      workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.name },
      strategy: {
        canary: {
          trafficRouting: {
            istio: {
              virtualService: { name: o.name, routes: [o.route] },
              destinationRule: { name: o.name, stableSubsetName: STABLE_SUBSET, canarySubsetName: CANARY_SUBSET },
            },
          },
          // Background analysis from the first weighted step on; a failed metric aborts the rollout.
          analysis: {
            templates: [{ templateName: o.name }],
            startingStep: 1,
            args: [
              { name: 'service', value: o.name },
              { name: 'namespace', value: o.namespace },
              { name: 'canary-version', value: o.version },
            ],
          },
          steps,
        },
      },
    },
  });
}

export interface AnalysisTemplateOptions {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly analysis: ResolvedAnalysis;
}

/**
 * The AnalysisTemplate: the canary's non-5xx percentage and p99 duration from Istio's standard
 * metrics, selected by the destination's `app` and `version` labels (both revisions of a Rollout
 * share a workload name since istio/istio#49256, but not a version).
 */
export function addAnalysisTemplate(scope: Construct, id: string, o: AnalysisTemplateOptions): ApiObject {
  const a = o.analysis;
  const selector = 'reporter="destination",destination_workload_namespace="{{args.namespace}}",' +
    'destination_app="{{args.service}}",destination_version="{{args.canary-version}}"';
  const window = `[${a.interval}]`;
  // Flagger's threshold counts failures up to the rollback; Argo fails a metric above failureLimit.
  const failureLimit = AnalysisTemplateSpecMetricsFailureLimit.fromNumber(a.threshold - 1);
  const metric = (name: string, successCondition: string, query: string): AnalysisTemplateSpecMetrics => ({
    name,
    interval: a.interval,
    successCondition,
    failureLimit,
    provider: { prometheus: { address: a.prometheusAddress, query } },
  });
  return new AnalysisTemplate(scope, id, {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      args: [{ name: 'service' }, { name: 'namespace' }, { name: 'canary-version' }],
      metrics: [
        metric('request-success-rate', `result[0] >= ${a.minSuccessRate}`,
          `100 * sum(rate(istio_requests_total{${selector},response_code!~"5.*"}${window})) / ` +
          `sum(rate(istio_requests_total{${selector}}${window}))`),
        metric('request-duration', `result[0] <= ${a.maxRequestDurationMs}`,
          `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector}}${window})))`),
      ],
    },
  });
}
