import { ApiObject, JsonPatch } from 'cdk8s';
import { AbstractPod, Sysctl } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { SysctlKey } from './sysctl-key';
import { recordPodLevelKeys, sysctlProblem } from './sysctl-rules';
import { SysctlScope } from './sysctl-scope';
import { podSpecPointer } from '../common/pod-spec';
import { invalid, invalidMessage } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/** The oldest Kubernetes this library supports (cdk8s-plus-27). */
const OLDEST_MINOR = 27;

/**
 * Options of `PodSysctls.of`.
 */
export interface PodSysctlsOptions {
  /**
   * The minor version of the oldest kubelet that may run the pods (`29` for Kubernetes 1.29).
   * Keys that joined Kubernetes' safe set later count as unsafe: `tcp_keepalive_*` and
   * `tcp_fin_timeout` joined in 1.29, `tcp_rmem` and `tcp_wmem` in 1.32.
   *
   * @default 27
   */
  readonly kubernetesMinorVersion?: number;
}

// What each pod already got from applyTo, so a second PodSysctls merges instead of replacing.
const applied = new WeakMap<AbstractPod, Sysctl[]>();

/**
 * Kernel parameters for a pod's own namespaces, set in its `securityContext.sysctls`.
 *
 * Network keys such as `net.core.somaxconn` are per network namespace: a value set on the node is
 * not seen inside pods, which start from the kernel default (kubernetes/kubernetes#78977). The
 * pods that need a value (the app and its Envoy sidecar share the pod's namespace) must set it
 * themselves.
 *
 * Keys outside Kubernetes' safe set (somaxconn, tcp_max_syn_backlog, tcp_tw_reuse, ...) work only
 * where the kubelet allows them (`allowedUnsafeSysctls`) and the namespace's Pod Security level is
 * `privileged`; using them reports a synth-time warning that says so.
 *
 * ```ts
 * const sysctls = PodSysctls.of({ 'net.core.somaxconn': '32768' });
 * sysctls.applyTo(deployment);                                        // an existing pod or workload
 * new kplus.Deployment(chart, 'web', {
 *   securityContext: { sysctls: sysctls.toSysctls(chart) },           // or at construction
 * });
 * ```
 */
export class PodSysctls {
  /**
   * Pod-level kernel parameters. Throws on a malformed key, a value of the wrong shape, and on
   * node-level keys, which no pod can set.
   *
   * @param sysctls key to value, e.g. `{ 'net.core.somaxconn': '32768' }`
   */
  public static of(sysctls: { [key: string]: string }, options: PodSysctlsOptions = {}): PodSysctls {
    const minor = options.kubernetesMinorVersion ?? OLDEST_MINOR;
    if (!Number.isInteger(minor) || minor < OLDEST_MINOR) {
      throw new Error(invalidMessage('kubernetesMinorVersion', minor,
        `must be an integer of at least ${OLDEST_MINOR} (Kubernetes 1.${OLDEST_MINOR}, the oldest this library supports)`));
    }
    for (const [key, value] of Object.entries(sysctls)) {
      const problem = sysctlProblem(key, value);
      if (problem) throw new Error(invalidMessage(problem.field, problem.value, problem.rule));
      if (!SysctlKey.of(key).podSettable) {
        throw new Error(invalidMessage('sysctls key', key,
          'is node-level, and the kubelet rejects node-level sysctls in pods; set it on the nodes with TunedNodePool'));
      }
    }
    return new PodSysctls(Object.entries(sysctls).map(([name, value]) => ({ name, value })), minor);
  }

  private readonly entries: Sysctl[];

  private constructor(entries: Sysctl[], private readonly minor: number) {
    this.entries = entries;
  }

  /** The parameters, in the order given. */
  public get sysctls(): Sysctl[] {
    return this.entries.map(s => ({ ...s }));
  }

  /** Keys that need the kubelet's `allowedUnsafeSysctls` on the oldest supported kubelet. */
  public get unsafeKeys(): string[] {
    return this.entries.map(s => s.name).filter(name => !SysctlKey.of(name).isSafeOn(this.minor));
  }

  /**
   * Only the keys of Kubernetes' safe set: the ones every kubelet accepts and Pod Security
   * "baseline" and "restricted" admit, for workloads in such a namespace (a `ZeroTrustNamespace`).
   * The other keys cannot reach those pods at all.
   */
  public safeOnly(): PodSysctls {
    return new PodSysctls(this.entries.filter(s => SysctlKey.of(s.name).isSafeOn(this.minor)), this.minor);
  }

  /**
   * The parameters for a pod's `securityContext.sysctls` (cdk8s-plus `PodSecurityContextProps`, or
   * the pod template of any L1 workload), reporting on `scope` a warning for unsafe keys.
   *
   * @param scope the construct that builds the pod: warnings are reported there
   */
  public toSysctls(scope: IConstruct): Sysctl[] {
    this.report(scope);
    return this.sysctls;
  }

  /**
   * Adds the parameters to the `securityContext.sysctls` of an existing cdk8s-plus pod or workload
   * (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob), next to the sysctls it already has.
   * Throws when the pod sets one of the keys to another value, or uses the host network.
   *
   * @param pod the pod or workload
   */
  public applyTo(pod: AbstractPod): void {
    const network = this.entries.filter(s => SysctlKey.of(s.name).scope === SysctlScope.NETWORK_NAMESPACE);
    if (pod.hostNetwork && network.length > 0) {
      throw invalid(pod, 'hostNetwork', true,
        `a pod on the host network shares the node's network namespace, and the kubelet rejects ${network[0].name} there; ` +
        'tune the node with TunedNodePool instead');
    }
    const current = applied.get(pod) ?? pod.securityContext.sysctls;
    for (const s of this.entries) {
      const existing = current.find(c => c.name === s.name);
      if (existing && existing.value !== s.value) {
        throw invalid(pod, `securityContext.sysctls[${JSON.stringify(s.name)}]`, existing.value,
          `conflicts with ${JSON.stringify(s.value)} from PodSysctls; set each key once`);
      }
    }
    const merged = [...current, ...this.sysctls.filter(s => !current.some(c => c.name === s.name))];
    applied.set(pod, merged);

    // cdk8s-plus has no way to add sysctls after construction: patch the pod spec. The security
    // context always exists there (cdk8s-plus writes runAsNonRoot and fsGroupChangePolicy).
    const api = ApiObject.of(pod);
    api.addJsonPatch(JsonPatch.add(`${podSpecPointer(api.kind)}/securityContext/sysctls`, merged));
    this.report(pod);
  }

  private report(scope: IConstruct): void {
    recordPodLevelKeys(scope, this.entries.map(s => s.name));
    const unsafe = this.unsafeKeys;
    if (unsafe.length === 0) return;
    MeshWarnings.of(scope).add(
      `sysctls ${unsafe.join(', ')} are outside Kubernetes' safe set (1.${this.minor}): ` +
      'the pod starts only on nodes whose kubelet allows them (allowedUnsafeSysctls, or --allowed-unsafe-sysctls), ' +
      'else it fails with SysctlForbidden, and Pod Security "baseline" and "restricted" reject it, ' +
      'so its namespace must enforce "privileged"');
  }
}
