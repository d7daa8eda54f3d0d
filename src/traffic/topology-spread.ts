// How a version's pods spread over nodes and zones: `topologySpreadConstraints` of the pod spec.
// cdk8s-plus-27's own `spread` is a pod anti-affinity, required unless weighted, which leaves pods
// Pending on a cluster with fewer nodes than replicas.
import { Topology } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { checkLabelKey, invalid } from '../common/validation';

/**
 * Options of `TopologySpread.preferred()` and `TopologySpread.required()`.
 */
export interface TopologySpreadOptions {
  /**
   * The topologies to spread over, by node label (`Topology.HOSTNAME`, `Topology.ZONE`,
   * `Topology.custom('rack')`).
   *
   * @default - preferred: nodes and zones; required: nodes
   */
  readonly topologies?: Topology[];

  /**
   * The largest difference in pod count allowed between two nodes (or zones).
   *
   * @default 1
   */
  readonly maxSkew?: number;
}

/** `whenUnsatisfiable` of a topology spread constraint. */
enum WhenUnsatisfiable {
  SCHEDULE_ANYWAY = 'ScheduleAnyway',
  DO_NOT_SCHEDULE = 'DoNotSchedule',
}

/**
 * How the pods of a version spread over the cluster, so that losing one node (or zone) does not
 * take every replica with it.
 */
export class TopologySpread {
  /**
   * Spread when the scheduler can, place the pod anyway when it cannot (`whenUnsatisfiable:
   * ScheduleAnyway`): replicas land on different nodes and zones where there are several, and a
   * small cluster, or one without zone labels, still schedules every pod.
   */
  public static preferred(options: TopologySpreadOptions = {}): TopologySpread {
    return new TopologySpread(WhenUnsatisfiable.SCHEDULE_ANYWAY, options.topologies ?? [Topology.HOSTNAME, Topology.ZONE], options.maxSkew);
  }

  /**
   * Never break the spread (`whenUnsatisfiable: DoNotSchedule`): a pod that would stays Pending.
   * A node without the topology's label takes no pod, so require a zone spread only on a cluster
   * whose nodes all carry `topology.kubernetes.io/zone`.
   */
  public static required(options: TopologySpreadOptions = {}): TopologySpread {
    return new TopologySpread(WhenUnsatisfiable.DO_NOT_SCHEDULE, options.topologies ?? [Topology.HOSTNAME], options.maxSkew);
  }

  /** No spread constraint: the scheduler's own defaults apply. */
  public static none(): TopologySpread {
    return new TopologySpread(WhenUnsatisfiable.SCHEDULE_ANYWAY, [], undefined);
  }

  private constructor(
    private readonly whenUnsatisfiable: WhenUnsatisfiable,
    private readonly topologies: Topology[],
    private readonly maxSkew: number | undefined,
  ) {}

  /**
   * The pod spec's `topologySpreadConstraints` for pods carrying `podLabels`. `matchLabelKeys`
   * counts each ReplicaSet's pods apart, so a rolling update (or a canary's copy) does not skew
   * the spread of the pods it replaces (Kubernetes docs, "Pod Topology Spread Constraints";
   * Deployments label pods `pod-template-hash`, Argo Rollouts `rollouts-pod-template-hash`).
   *
   * @internal
   */
  public _render(scope: IConstruct, field: string, podLabels: Record<string, string>): any[] | undefined {
    const maxSkew = this.maxSkew ?? 1;
    if (!Number.isInteger(maxSkew) || maxSkew < 1) {
      throw invalid(scope, `${field}.maxSkew`, maxSkew,
        'must be a positive integer (1 allows one pod more on a node, or in a zone, than on any other)');
    }
    const keys = this.topologies.map(t => checkLabelKey(scope, `${field}.topologies`, t.key));
    if (new Set(keys).size !== keys.length) {
      throw invalid(scope, `${field}.topologies`, keys, 'lists a topology twice; list each once');
    }
    if (keys.length === 0 && this.whenUnsatisfiable === WhenUnsatisfiable.DO_NOT_SCHEDULE) {
      throw invalid(scope, `${field}.topologies`, keys, 'must name at least one topology for a required spread; use TopologySpread.none() for no constraint');
    }
    if (keys.length === 0) return undefined;
    return keys.map(topologyKey => ({
      maxSkew,
      topologyKey,
      whenUnsatisfiable: this.whenUnsatisfiable,
      labelSelector: { matchLabels: podLabels },
      matchLabelKeys: ['pod-template-hash', 'rollouts-pod-template-hash'],
    }));
  }
}
