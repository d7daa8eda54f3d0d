import { minorAtLeast, sysctlIsLimit, sysctlKeyProblem, sysctlSafeSince, sysctlScope } from './sysctl-rules';
import { SysctlScope } from './sysctl-scope';
import { invalidMessage } from '../common/validation';

/**
 * A kernel parameter name with what Kubernetes and Linux make of it: where it lives (the node, or
 * a network or IPC namespace) and whether a pod may set it without a kubelet change.
 *
 * ```ts
 * SysctlKey.of('net.core.somaxconn').scope;       // SysctlScope.NETWORK_NAMESPACE
 * SysctlKey.of('net.core.somaxconn').isSafeOn(30); // false: the kubelet must allow it
 * ```
 */
export class SysctlKey {
  /**
   * Classifies a key. Throws when it is not a well-formed kernel parameter name.
   *
   * @param name the key, dot-separated (e.g. `net.core.somaxconn`)
   */
  public static of(name: string): SysctlKey {
    const problem = sysctlKeyProblem(name);
    if (problem) throw new Error(invalidMessage('sysctl key', name, problem));
    return new SysctlKey(name);
  }

  /** The key, dot-separated. */
  public readonly name: string;

  /** Where the parameter lives. */
  public readonly scope: SysctlScope;

  /**
   * The first Kubernetes version whose safe set holds the key (kubelet and Pod Security "baseline"
   * accept it in a pod with no kubelet change), e.g. `1.29`.
   *
   * @default - not in the safe set: a pod may set it only where the kubelet allows it
   */
  public readonly safeSince?: string;

  /**
   * Whether the key is a limit this library knows (a table size or queue length such as
   * `fs.file-max`, `nf_conntrack_max`, `somaxconn`): a value above the one asked for does no harm.
   */
  public readonly isLimit: boolean;

  private constructor(name: string) {
    this.name = name;
    this.scope = sysctlScope(name);
    this.safeSince = sysctlSafeSince(name);
    this.isLimit = sysctlIsLimit(name);
  }

  /**
   * Whether a pod can set it at all: only namespaced keys; the kubelet rejects node-level ones.
   */
  public get podSettable(): boolean {
    return this.scope !== SysctlScope.NODE;
  }

  /**
   * Whether a pod may set it on nodes of a Kubernetes version with no kubelet change.
   *
   * @param kubernetesMinorVersion the minor version of the oldest kubelet (27 for 1.27)
   */
  public isSafeOn(kubernetesMinorVersion: number): boolean {
    return this.safeSince !== undefined && minorAtLeast(kubernetesMinorVersion, this.safeSince);
  }
}
