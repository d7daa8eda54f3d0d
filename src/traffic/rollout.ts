// How a CanaryService's versions reach users: the static split of their weights, or a progressive
// delivery controller (flagger.ts, argo-rollouts.ts). Each is one class that owns its checks and
// its resources; CanaryService only asks it to render. Internal.
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { CanarySpec, CanarySpecInput } from './canary-spec';
import type { RouteSpec } from './routing';
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
