// Argo Rollouts (argoproj.io/v1alpha1) with Istio subset-level traffic splitting: the controller
// sets the weights of the VirtualService route it is given and adds the `rollouts-pod-template-hash`
// of each ReplicaSet to the DestinationRule subsets (Argo Rollouts docs, "Istio").
import { ApiObject, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addAutoscaler } from './autoscaling';
import { AnalysisEngine, ArgoRolloutsAnalysisOptions, canarySteps, checkControllerFits, ResolvedAnalysis, resolveAnalysis } from './canary-analysis';
import { CanarySpec, CanarySpecInput } from './canary-spec';
import { addControlledWorkload, CanaryRollout, RenderedCanary } from './rollout';
import { PRIMARY_ROUTE, RouteSpec } from './routing';
import { addService } from './service';
import { addDisruptionBudget } from './workload';
import {
  AnalysisTemplate, AnalysisTemplateSpecMetrics, AnalysisTemplateSpecMetricsFailureLimit, Rollout,
  RolloutSpecStrategyCanarySteps, RolloutSpecStrategyCanaryStepsPauseDuration,
} from '../../imports/argoproj.io';
import { AppProtocol } from '../common/app-protocol';
import { sha256 } from '../common/hash';
import { invalid } from '../common/validation';
import { MeshModel } from '../graph/model';
import { IstioQuery, p99DurationMs, successRatePercent } from '../observability/promql';

/** Subset names the Rollout and the DestinationRule share. */
const STABLE_SUBSET = 'stable';
const CANARY_SUBSET = 'canary';

/** The pod label Istio reports as `destination_canonical_revision` (istio/istio pkg/model, `CanonicalService`). */
const CANONICAL_REVISION_LABEL = 'service.istio.io/canonical-revision';

/**
 * Argo Rollouts: a Rollout whose pods come from the service's Deployment (`workloadRef`, kept at
 * 0 replicas: the pod template is built in one place whatever the mode; Argo Rollouts docs,
 * "Migrating to Rollouts"), Istio subset-level traffic routing over the VirtualService and
 * DestinationRule beside it, and an AnalysisTemplate over Istio's Prometheus metrics.
 */
export class ArgoRolloutsRollout implements CanaryRollout {
  public readonly staticSplit = false;

  public constructor(private readonly options: ArgoRolloutsAnalysisOptions) {}

  public check(scope: Construct, props: CanarySpecInput, spec: CanarySpec): void {
    checkControllerFits(scope, props, spec, AnalysisEngine.ARGO_ROLLOUTS);
    if (props.mirrorPercentage !== undefined) {
      throw invalid(scope, 'mirrorPercentage', props.mirrorPercentage,
        'cannot be combined with Argo Rollouts: between rollouts its canary subset points at the stable pods, which would serve every mirrored request twice; remove it');
    }
  }

  public render(scope: Construct, spec: CanarySpec, serviceAccount: kplus.IServiceAccount): RenderedCanary {
    const analysis = resolveAnalysis(scope, this.options, spec);
    // the Service first: the order of the documents is the order of the constructs
    const service = addService(scope, spec);
    // replicas 0: the Rollout scales the pods it makes from the template (workloadRef)
    const { running, pods, circuitBreaker, deployment, allPods } = addControlledWorkload(scope, spec, serviceAccount, 0);
    const revision = addTemplateRevision(deployment, running.version);
    if ((spec.autoscaling?.maxReplicas ?? pods) > 1) {
      addDisruptionBudget(scope, 'DisruptionBudget', { name: spec.name, namespace: spec.namespace.name, labels: spec.labels, selector: allPods });
    }
    // Argo Rollouts moves the weights during a rollout; Git holds its resting state, 100/0. It adds
    // each ReplicaSet's pod-template hash to the `stable` and `canary` subsets.
    const routeSpec: RouteSpec = {
      name: spec.name,
      namespace: spec.namespace.name,
      labels: spec.labels,
      protocol: spec.protocol,
      circuitBreaker,
      subsets: [STABLE_SUBSET, CANARY_SUBSET].map(name => ({ name, labels: { app: spec.name } })),
      split: [{ subset: STABLE_SUBSET, weight: 100 }, { subset: CANARY_SUBSET, weight: 0 }],
      canarySubset: CANARY_SUBSET,
      canaryHeader: spec.canaryHeader,
      resilience: spec.resilience,
      controller: 'Argo Rollouts',
    };
    const route = spec.namespace.dataPlane.renderRoute(scope, routeSpec);
    const rollout = addRollout(scope, 'Rollout', {
      name: spec.name,
      namespace: spec.namespace.name,
      labels: spec.labels,
      replicas: spec.autoscaling ? undefined : pods,
      revision,
      route: PRIMARY_ROUTE,
      analysis,
    });
    const analysisTemplate = addAnalysisTemplate(scope, 'AnalysisTemplate', { name: spec.name, namespace: spec.namespace.name, labels: spec.labels, analysis });
    // an HPA scales a Rollout like a Deployment (Argo Rollouts docs, "HorizontalPodAutoscaling")
    const autoscaler = spec.autoscaling && addAutoscaler(scope, 'Autoscaler', {
      namespace: spec.namespace.name,
      labels: spec.labels,
      target: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: spec.name },
      autoscaling: spec.autoscaling,
    });
    return { service, deployments: [deployment], ...route, rollout, analysisTemplate, autoscaler, selector: allPods, routeSpec };
  }
}

/**
 * Labels the pod template with a revision that changes with the template, and returns it (resolved
 * at synth). Both ReplicaSets of a Rollout share the workload name (istio/istio#49256), and the
 * `version` label does not change when a new image is committed under the same version name, so
 * only a label derived from the template tells the canary's requests from the stable ones. Istio
 * reads `service.istio.io/canonical-revision` before `app.kubernetes.io/version` and `version`.
 * The revision is `<version>-<hash>` of the Deployment's final pod template (escape-hatch patches
 * included, the label itself left out), so it is deterministic and changes exactly when Argo
 * Rollouts starts a new revision.
 */
function addTemplateRevision(deployment: kplus.Deployment, version: string): string {
  let hashing = false;
  const revision = Lazy.any({
    produce: () => {
      // the template is rendered once more to hash it; the label's own value is left out
      if (hashing) return '';
      hashing = true;
      try {
        const template = ApiObject.of(deployment).toJson().spec.template;
        delete template.metadata.labels[CANONICAL_REVISION_LABEL];
        const hash = sha256(JSON.stringify(template), 10);
        // a label value: at most 63 characters, starting and ending with an alphanumeric
        return `${version.slice(0, 52)}-${hash}`;
      } finally {
        hashing = false;
      }
    },
  });
  deployment.podMetadata.addLabel(CANONICAL_REVISION_LABEL, revision);
  return revision;
}

interface ArgoRolloutOptions {
  /** Rollout, AnalysisTemplate and referenced Deployment name; the service name. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Undefined when an autoscaler sets the count. */
  readonly replicas?: number;
  /** The canary pod template's canonical revision: how the analysis tells canary requests apart. */
  readonly revision: string;
  /** The VirtualService route the controller weights. */
  readonly route: string;
  readonly analysis: ResolvedAnalysis;
}

/** The Rollout, with the canary steps and background analysis. */
function addRollout(scope: Construct, id: string, o: ArgoRolloutOptions): ApiObject {
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
              // the routes of gateways to the service too, or their users skip the weights (issue 18):
              // Argo Rollouts sets the weights of every route listed
              virtualService: Lazy.any({
                produce: () => gatewayVirtualServices(scope, o.namespace).length > 0 ? undefined : { name: o.name, routes: [o.route] },
              }),
              virtualServices: Lazy.any({
                produce: () => {
                  const gateways = gatewayVirtualServices(scope, o.namespace);
                  return gateways.length === 0 ? undefined : [{ name: o.name, routes: [o.route] }, ...gateways];
                },
              }),
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
              { name: 'canary-revision', value: o.revision },
            ],
          },
          steps,
        },
      },
    },
  });
}

/**
 * The VirtualServices of gateway routes to the service, as a Rollout lists them: `<name>` in the
 * Rollout's namespace, `<name>.<namespace>` elsewhere (Argo Rollouts utils/istio
 * `GetVirtualServiceNamespaceName`).
 */
function gatewayVirtualServices(scope: Construct, namespace: string): Array<{ name: string; routes: string[] }> {
  const routes = new Map<string, string[]>();
  for (const { virtualService: vs } of MeshModel.of(scope).gatewayRoutesTo(scope)) {
    if (!vs) continue;
    const name = vs.namespace === namespace ? vs.name : `${vs.name}.${vs.namespace}`;
    routes.set(name, [...new Set([...routes.get(name) ?? [], ...vs.routes])]);
  }
  return [...routes].map(([name, names]) => ({ name, routes: names }));
}

interface AnalysisTemplateOptions {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly analysis: ResolvedAnalysis;
}

/**
 * The AnalysisTemplate: the canary's non-5xx percentage and p99 duration from Istio's standard
 * metrics, selected by the destination's `app` label and canonical revision (`addTemplateRevision`).
 */
function addAnalysisTemplate(scope: Construct, id: string, o: AnalysisTemplateOptions): ApiObject {
  const a = o.analysis;
  const canary: IstioQuery = {
    protocol: AppProtocol.HTTP,
    selector: {
      reporter: 'destination',
      destination_workload_namespace: '{{args.namespace}}',
      destination_app: '{{args.service}}',
      destination_canonical_revision: '{{args.canary-revision}}',
    },
    window: a.interval,
  };
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
      args: [{ name: 'service' }, { name: 'namespace' }, { name: 'canary-revision' }],
      metrics: [
        metric('request-success-rate', `result[0] >= ${a.minSuccessRate}`, successRatePercent(canary)),
        metric('request-duration', `result[0] <= ${a.maxRequestDurationMs}`, p99DurationMs(canary)),
      ],
    },
  });
}
