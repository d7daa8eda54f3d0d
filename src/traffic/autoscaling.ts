// A HorizontalPodAutoscaler (autoscaling/v2) for the version that serves users. The workload it
// scales then carries no replica count: a `replicas` in Git would be restored by every GitOps sync,
// undoing the autoscaler (Argo CD docs, "Diffing": HPA-managed replicas).
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { invalid } from '../common/validation';

/**
 * Autoscaling of a service's stable version by CPU and memory utilization.
 */
export interface Autoscaling {
  /**
   * The fewest pods. Two or more keep the service up while a node drains.
   *
   * @default 2
   */
  readonly minReplicas?: number;

  /** The most pods. */
  readonly maxReplicas: number;

  /**
   * Average CPU use, in percent of the CPU request, above which pods are added.
   *
   * @default - 80 when `memoryUtilization` is not given either (Kubernetes' own default), else none
   */
  readonly cpuUtilization?: number;

  /**
   * Average memory use, in percent of the memory request, above which pods are added.
   *
   * @default - none
   */
  readonly memoryUtilization?: number;
}

/** Autoscaling checked, with defaults applied. */
export interface ResolvedAutoscaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly metrics: k8s.MetricSpecV2[];
}

const DEFAULT_CPU_UTILIZATION = 80;

/** Checks autoscaling settings and applies the defaults. */
export function resolveAutoscaling(scope: IConstruct, a: Autoscaling): ResolvedAutoscaling {
  const minReplicas = a.minReplicas ?? 2;
  if (!Number.isInteger(minReplicas) || minReplicas < 1) {
    throw invalid(scope, 'autoscaling.minReplicas', minReplicas, 'must be a positive integer');
  }
  if (!Number.isInteger(a.maxReplicas) || a.maxReplicas < minReplicas) {
    throw invalid(scope, 'autoscaling.maxReplicas', a.maxReplicas, `must be an integer of at least minReplicas (${minReplicas})`);
  }
  const percent = (field: string, value?: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw invalid(scope, `autoscaling.${field}`, value, 'must be a whole percentage of the request greater than zero (e.g. 80)');
    }
    return value;
  };
  const memory = percent('memoryUtilization', a.memoryUtilization);
  const cpu = percent('cpuUtilization', a.cpuUtilization) ?? (memory === undefined ? DEFAULT_CPU_UTILIZATION : undefined);
  const metric = (name: string, averageUtilization: number): k8s.MetricSpecV2 =>
    ({ type: 'Resource', resource: { name, target: { type: 'Utilization', averageUtilization } } });
  return {
    minReplicas,
    maxReplicas: a.maxReplicas,
    metrics: [...cpu === undefined ? [] : [metric('cpu', cpu)], ...memory === undefined ? [] : [metric('memory', memory)]],
  };
}

/** What `addAutoscaler` scales. */
export interface ScaleTarget {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
}

/** The HorizontalPodAutoscaler of a workload, named after it. */
export function addAutoscaler(scope: Construct, id: string, o: {
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly target: ScaleTarget;
  readonly autoscaling: ResolvedAutoscaling;
}): ApiObject {
  return new k8s.KubeHorizontalPodAutoscalerV2(scope, id, {
    metadata: { name: o.target.name, namespace: o.namespace, labels: o.labels },
    spec: {
      scaleTargetRef: { ...o.target },
      minReplicas: o.autoscaling.minReplicas,
      maxReplicas: o.autoscaling.maxReplicas,
      metrics: o.autoscaling.metrics.length > 0 ? o.autoscaling.metrics : undefined,
    },
  });
}
