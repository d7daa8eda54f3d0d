/**
 * Options for autoscaling istiod.
 */
export interface IstioAutoscaleOptions {
  /**
   * The fewest istiod replicas. Two or more keep the control plane available while a node drains.
   */
  readonly minReplicas: number;

  /** The most istiod replicas. */
  readonly maxReplicas: number;

  /**
   * Average CPU use, in percent of the CPU request, at which the autoscaler adds replicas.
   *
   * @default - Istio's default, 80
   */
  readonly targetCpuUtilization?: number;
}

/**
 * How many istiod replicas run: a fixed count or a HorizontalPodAutoscaler range.
 */
export class IstioPilotScaling {
  /**
   * A fixed number of replicas. Turns istiod's HorizontalPodAutoscaler off
   * (`values.pilot.autoscaleEnabled: false`), which would otherwise override the count.
   *
   * @param replicas the number of istiod replicas, at least 1
   */
  public static fixed(replicas: number): IstioPilotScaling {
    return new IstioPilotScaling(replicas, undefined, undefined, undefined);
  }

  /**
   * Autoscale istiod with its HorizontalPodAutoscaler (`components.pilot.k8s.hpaSpec`).
   */
  public static autoscale(options: IstioAutoscaleOptions): IstioPilotScaling {
    return new IstioPilotScaling(undefined, options.minReplicas, options.maxReplicas, options.targetCpuUtilization);
  }

  /** The fixed replica count, when not autoscaled. */
  public readonly replicas?: number;

  /** The fewest replicas, when autoscaled. */
  public readonly minReplicas?: number;

  /** The most replicas, when autoscaled. */
  public readonly maxReplicas?: number;

  /** The CPU utilization target, when autoscaled and not Istio's default. */
  public readonly targetCpuUtilization?: number;

  private constructor(replicas?: number, minReplicas?: number, maxReplicas?: number, targetCpuUtilization?: number) {
    this.replicas = replicas;
    this.minReplicas = minReplicas;
    this.maxReplicas = maxReplicas;
    this.targetCpuUtilization = targetCpuUtilization;
  }
}
