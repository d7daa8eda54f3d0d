// How a CanaryService's versions reach users: the static split of their weights, or a progressive
// delivery controller (flagger.ts, argo-rollouts.ts). Each is one class that owns its checks and
// its resources; CanaryService only asks it to render. Internal.
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CanarySpec, CanarySpecInput, replicasOf } from './canary-spec';
import { ResolvedCircuitBreaker, resolveCircuitBreaker } from './circuit-breaking';
import type { RouteSpec } from './routing';
import { addWorkload, ServiceVersion } from './workload';
import type { RouteBudget } from '../graph/model';

/** What a rollout rendered, for the CanaryService's escape hatches. */
export interface RenderedCanary {
  readonly service?: ApiObject;
  readonly deployments: kplus.Deployment[];
  readonly destinationRule?: ApiObject;
  readonly virtualService?: ApiObject;
  readonly httpRoute?: ApiObject;
  readonly destinationRules?: ApiObject[];
  readonly autoscaler?: ApiObject;
  readonly flaggerCanary?: ApiObject;
  readonly rollout?: ApiObject;
  readonly analysisTemplate?: ApiObject;
  /** Labels that select every pod of the service, whatever the controller renames. */
  readonly selector: Record<string, string>;
  /** The timeout and retries the data plane applies, when they differ from what was asked for. */
  readonly budget?: RouteBudget;
  /** The route asked of the data plane; undefined when the controller writes the route (Flagger). */
  readonly routeSpec?: RouteSpec;
}

/** A way to roll out a CanaryService. */
export interface CanaryRollout {
  /** Whether the split's weights are the user's (true) or a controller's to move (false). */
  readonly staticSplit: boolean;

  /** Refuses props the rollout cannot honour, before anything is rendered. */
  check(scope: Construct, props: CanarySpecInput, spec: CanarySpec): void;

  /** Renders the service's workloads, routing and the rollout's own resources. */
  render(scope: Construct, spec: CanarySpec, serviceAccount: kplus.IServiceAccount): RenderedCanary;
}

/** The one Deployment a progressive delivery controller drives, and what its render needs of it. */
export interface ControlledWorkload {
  /** The version its template runs: the one being rolled out (the canary), else the stable one. */
  readonly running: ServiceVersion;
  /** Its pod count (the autoscaler's minimum when autoscaled). */
  readonly pods: number;
  readonly circuitBreaker: ResolvedCircuitBreaker;
  readonly deployment: kplus.Deployment;
  /** Labels on every pod of the service, whatever copy the controller makes of the template. */
  readonly allPods: Record<string, string>;
}

/**
 * Flagger and Argo Rollouts both take one Deployment and make the stable and canary pods from it,
 * so its ID and name do not depend on the version (promoting the canary into `stable` changes
 * nothing), and it selects by `app` alone (the controllers relabel the copies they make).
 * `replicas`: the Deployment's own count (undefined leaves it to an autoscaler).
 */
export function addControlledWorkload(scope: Construct, spec: CanarySpec, serviceAccount: kplus.IServiceAccount,
  replicas: number | undefined): ControlledWorkload {
  const running = spec.canary ?? spec.stable;
  const pods = replicasOf(scope, spec, spec.canary ? 'canary' : 'stable', running, true);
  const circuitBreaker = resolveCircuitBreaker(scope, `${spec.namespace.name}/${spec.name}`, spec.circuitBreaker, { [running.version]: pods });
  const allPods = { 'app.kubernetes.io/name': spec.name };
  const deployment = addWorkload(scope, 'Deployment', {
    name: spec.name,
    namespace: spec.namespace.name,
    app: spec.name,
    version: running,
    replicas,
    containerPort: spec.targetPort,
    serviceAccount,
    selector: { app: spec.name },
    sysctls: spec.sysctls,
    writablePaths: spec.writablePaths,
    spread: spec.spread,
    spreadLabels: allPods,
  });
  return { running, pods, circuitBreaker, deployment, allPods };
}
