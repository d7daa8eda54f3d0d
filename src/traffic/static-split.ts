// The static split: every version runs as a Deployment of its own and the route weights them as
// the user says. No controller moves the traffic. Internal.
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addAutoscaler } from './autoscaling';
import { CanarySpec, replicasOf } from './canary-spec';
import { resolveCircuitBreaker } from './circuit-breaking';
import { CanaryRollout, RenderedCanary } from './rollout';
import type { RouteSpec } from './routing';
import { addService } from './service';
import { addDisruptionBudget, addWorkload } from './workload';
import { workloadLabels } from '../common/labels';

/** One Deployment per version, split by weight. */
export class StaticSplit implements CanaryRollout {
  public readonly staticSplit = true;

  public check(): void {
    // every prop applies
  }

  public render(scope: Construct, spec: CanarySpec, serviceAccount: kplus.IServiceAccount): RenderedCanary {
    const replicas = new Map(spec.versions.map((v, i) => [v.version, replicasOf(scope, spec, i === 0 ? 'stable' : 'canary', v, i === 0)]));
    const circuitBreaker = resolveCircuitBreaker(scope, `${spec.namespace.name}/${spec.name}`, spec.circuitBreaker, Object.fromEntries(replicas));
    const service = addService(scope, spec);

    // IDs and names carry the version, so promoting a canary leaves its Deployment untouched.
    let autoscaler;
    const deployments = spec.versions.map(v => {
      const name = `${spec.name}-${v.version}`;
      const selector = { app: spec.name, version: v.version };
      const autoscaled = v === spec.stable && spec.autoscaling !== undefined;
      const deployment = addWorkload(scope, `Deployment-${v.version}`, {
        name,
        namespace: spec.namespace.name,
        app: spec.name,
        version: v,
        replicas: autoscaled ? undefined : replicas.get(v.version),
        containerPort: spec.targetPort,
        serviceAccount,
        selector,
        sysctls: spec.sysctls,
        writablePaths: spec.writablePaths,
        spread: spec.spread,
        spreadLabels: selector,
      });
      const labels = workloadLabels(spec.name, v.version);
      if ((autoscaled ? spec.autoscaling!.maxReplicas : replicas.get(v.version)!) > 1) {
        addDisruptionBudget(scope, `DisruptionBudget-${v.version}`, { name, namespace: spec.namespace.name, labels, selector });
      }
      if (autoscaled) {
        autoscaler = addAutoscaler(scope, 'Autoscaler', {
          namespace: spec.namespace.name,
          labels,
          target: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          autoscaling: spec.autoscaling!,
        });
      }
      return deployment;
    });

    const routeSpec: RouteSpec = {
      name: spec.name,
      namespace: spec.namespace.name,
      labels: spec.labels,
      protocol: spec.protocol,
      circuitBreaker,
      subsets: spec.versions.map(v => ({ name: v.version, labels: { version: v.version } })),
      split: [...spec.weights].map(([subset, weight]) => ({ subset, weight })),
      canarySubset: spec.canary?.version,
      canaryHeader: spec.canaryHeader,
      mirrorPercentage: spec.mirrorPercentage,
      resilience: spec.resilience,
      servicePort: { port: spec.port, targetPort: spec.targetPort, name: spec.portName },
      explicitCircuitBreaker: spec.circuitBreaker !== undefined,
    };
    const route = spec.namespace.dataPlane.renderRoute(scope, routeSpec);
    return { service, deployments, autoscaler, ...route, selector: { 'app.kubernetes.io/name': spec.name }, routeSpec };
  }
}
