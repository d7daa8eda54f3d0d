import { ApiObject, Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s, NodeTaintQuery } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PodSysctls } from './pod-sysctls';
import { SysctlKey } from './sysctl-key';
import { isSetByAPod, sysctlProblem } from './sysctl-rules';
import { SysctlScope } from './sysctl-scope';
import { CONF_FILE, MOUNT_PATH, SCRIPT_FILE, TUNING_SCRIPT } from './tuning-script';
import { enableAppChecks } from '../common/app-checks';
import { configChecksum } from '../common/hash';
import { INJECTION_LABEL, SIDECAR_INJECT_LABEL } from '../common/istio';
import { managedLabels, PodSecurityLevel, podSecurityLabels, workloadLabels } from '../common/labels';
import { renderKubeResources } from '../common/resources';
import { checkDnsLabel, checkImage, checkLabels, invalid } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/**
 * Properties of a `TunedNodePool`.
 */
export interface TunedNodePoolProps {
  /**
   * Name of the namespace the pool's tuner runs in, and of its DaemonSet and ConfigMap. Give each
   * pool its own name.
   *
   * @default "node-tuning"
   */
  readonly name?: string;

  /**
   * Kernel parameters to add to the defaults, or to override them (key to value, as `sysctl -w`
   * takes them: `{ 'net.core.somaxconn': '65535' }`).
   *
   * @default - the strategy's six: see `TunedNodePool.DEFAULT_SYSCTLS`
   */
  readonly sysctls?: { [key: string]: string };

  /**
   * Keys of `TunedNodePool.DEFAULT_SYSCTLS` to leave out.
   *
   * @default - none
   */
  readonly excludeSysctls?: string[];

  /**
   * Node labels that select the pool's nodes (every one must match).
   *
   * @default - every Linux node
   */
  readonly nodeSelector?: { [key: string]: string };

  /**
   * Taints the tuner tolerates.
   *
   * @default - every taint (`NodeTaintQuery.any()`): the tuner must run on every node it selects,
   * tainted or not ready, as kube-proxy does
   */
  readonly tolerations?: NodeTaintQuery[];

  /**
   * How often the long-running container verifies the values and re-applies those that drifted.
   * Whole seconds.
   *
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;

  /**
   * The container image: it needs a POSIX shell and `sysctl` (BusyBox has both), and must pin a
   * version (a tag other than `latest`, or a digest).
   *
   * @default "docker.io/library/busybox:1.37.0"
   */
  readonly image?: string;

  /**
   * Digest the image is pinned to (`sha256:` and 64 hex digits), appended as `image@digest`.
   *
   * @default - the tag alone
   */
  readonly imageDigest?: string;

  /**
   * Resources of each container (the init container and the long-running one).
   *
   * @default - requests cpu 10m and memory 16Mi, limits cpu 100m and memory 32Mi
   */
  readonly resources?: ContainerResources;

  /**
   * Leave a limit alone where the node's value is already higher (`SysctlKey.isLimit`: fs.file-max,
   * nf_conntrack_max, somaxconn, tcp_max_syn_backlog, ...): the values are floors. kube-proxy sets
   * nf_conntrack_max to 32768 per core (more than 262144 from 9 cores on) and systemd raises
   * fs.file-max to its maximum at boot; an exact value would lower both. Other keys are always
   * set exactly.
   *
   * @default true
   */
  readonly keepHigherLimits?: boolean;

  /**
   * Keys a node may lack altogether because their kernel module is not loaded there (for example
   * `net.netfilter.nf_conntrack_max` on nodes without kube-proxy, where nothing loads
   * nf_conntrack). On a node without the key the tuner skips it and stays ready; where the key
   * exists it is set and verified like the others.
   *
   * A key that is not listed here and missing on a node is skipped too, so the other keys are
   * still set, but the readiness probe keeps the tuner unready there, naming the key.
   *
   * @default - none: every key must exist on every node of the pool
   */
  readonly optionalSysctls?: string[];

  /**
   * Warn at synth time when a per-namespace key (network or IPC) is set on the nodes but no pod in
   * this app sets it (pods do not see the node's value). Turn off when the workloads that need the
   * keys live in another app.
   *
   * @default true
   */
  readonly warnNodeOnlyKeys?: boolean;
}

const DEFAULT_IMAGE = 'docker.io/library/busybox:1.37.0';
const DEFAULT_RESOURCES = {
  cpu: { request: Cpu.millis(10), limit: Cpu.millis(100) },
  memory: { request: Size.mebibytes(16), limit: Size.mebibytes(32) },
};
const PROBE_PERIOD_SECONDS = 10;
// GKE and other clusters admit system-node-critical pods only where a ResourceQuota covers that
// priority class (kubernetes.io/docs/concepts/policy/resource-quotas, "Limit Priority Class
// consumption by default"). 5000 is the largest cluster Kubernetes supports, so it never binds.
const PRIORITY_CLASS = 'system-node-critical';
const MAX_NODES = 5000;

/**
 * Kernel tuning on every node of a pool, applied before the mesh runs and kept in place.
 *
 * Emits, in a namespace of its own whose Pod Security level is `privileged` (the only place this
 * library needs it):
 * - a DaemonSet on the host network (so `net.*` keys land in the node's namespace), priority
 *   `system-node-critical`. A privileged init container applies the values; a long-running
 *   container verifies them every `interval` and re-applies what drifted (kube-proxy rewrites
 *   `net.netfilter.nf_conntrack_max` when it starts), and its readiness probe fails while any value
 *   is not in place. Limits are floors: a node's higher value stays (`keepHigherLimits`);
 * - a ConfigMap with the values and the script;
 * - a ResourceQuota that lets the namespace run `system-node-critical` pods where that is limited.
 *
 * Per-network-namespace keys (`net.core.somaxconn`, `net.ipv4.*`) set on the node reach only
 * host-network pods, and IPC keys (`kernel.shm*`, `kernel.msg*`, `kernel.sem`) only host-IPC
 * pods: give the pods that need them `podSysctls` (kubernetes/kubernetes#78977).
 *
 * A key a node lacks (its kernel module is not loaded) or refuses does not stop the others: it is
 * reported and skipped, and the readiness probe fails while it is not in place, unless it is one of
 * `optionalSysctls` and absent. Nothing orders the tuner before other pods on a new node: see the
 * README for a startup taint.
 */
export class TunedNodePool extends Construct {
  /**
   * The strategy's kernel tuning for mesh nodes: more open files, a larger conntrack table, longer
   * accept and SYN queues, TIME_WAIT reuse and the full ephemeral port range.
   */
  public static readonly DEFAULT_SYSCTLS: { [key: string]: string } = Object.freeze({
    'fs.file-max': '2097152',
    'net.netfilter.nf_conntrack_max': '262144',
    'net.core.somaxconn': '32768',
    'net.ipv4.tcp_max_syn_backlog': '16384',
    'net.ipv4.tcp_tw_reuse': '1',
    'net.ipv4.ip_local_port_range': '32768 60999',
  });

  /** The namespace the tuner runs in. */
  public readonly namespace: string;

  /** The kernel parameters applied on every node of the pool, in the order applied. */
  public readonly sysctls: { [key: string]: string };

  /**
   * The pool's per-namespace keys (network and IPC), for the pods that need them:
   * `pool.podSysctls.applyTo(deployment)`.
   */
  public readonly podSysctls: PodSysctls;

  /** The DaemonSet (escape hatch: `addJsonPatch`). */
  public readonly daemonSet: ApiObject;

  /** The ConfigMap with the values and the script. */
  public readonly configMap: ApiObject;

  public constructor(scope: Construct, id: string, props: TunedNodePoolProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    this.namespace = checkDnsLabel(this, 'name', props.name ?? 'node-tuning');
    this.sysctls = Object.freeze(this.resolveSysctls(props));
    const keys = Object.keys(this.sysctls).map(k => SysctlKey.of(k));
    // a pod has its own network and IPC namespaces, which start from the kernel defaults
    // (Linux ipc/shm.c shm_init_ns, msg_init_ns), not from the node's values
    const namespaced = keys.filter(k => k.podSettable);
    this.podSysctls = PodSysctls.of(Object.fromEntries(namespaced.map(k => [k.name, this.sysctls[k.name]])));
    const optional = this.checkOptional(props.optionalSysctls);

    const interval = checkInterval(this, props.interval ?? Duration.minutes(1));
    const image = checkPinnedImage(this, props.image ?? DEFAULT_IMAGE, props.imageDigest);
    // each of cpu and memory replaces its default as a whole, as in cdk8s-plus containers
    const resources = renderKubeResources(this, 'resources', {
      cpu: props.resources?.cpu ?? DEFAULT_RESOURCES.cpu,
      memory: props.resources?.memory ?? DEFAULT_RESOURCES.memory,
      ephemeralStorage: props.resources?.ephemeralStorage,
    });
    const nodeSelector = checkNodeSelector(this, props.nodeSelector);
    const tolerations = (props.tolerations ?? [NodeTaintQuery.any()])
      // cdk8s-plus renders its own tolerations this way; there is no public accessor
      .map(t => t._toKube());

    const labels = workloadLabels(this.namespace, undefined, 'node-tuning');
    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: this.namespace,
        labels: {
          ...podSecurityLabels(PodSecurityLevel.PRIVILEGED),
          // the tuner must start before the mesh and never wait for a sidecar
          [INJECTION_LABEL]: 'disabled',
          ...managedLabels(),
        },
      },
    });

    new k8s.KubeResourceQuota(this, 'CriticalPods', {
      metadata: { name: 'critical-pods', namespace: this.namespace, labels },
      spec: {
        hard: { pods: k8s.Quantity.fromNumber(MAX_NODES) },
        scopeSelector: {
          matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: [PRIORITY_CLASS] }],
        },
      },
    });

    // "key>=value" asks the script for at least the value, "key=value" for exactly it; "?key" may be absent
    const keepHigher = props.keepHigherLimits ?? true;
    const conf = keys.map(k =>
      `${optional.includes(k.name) ? '?' : ''}${k.name}${keepHigher && k.isLimit ? '>=' : '='}${this.sysctls[k.name]}\n`).join('');
    this.configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: this.namespace, namespace: this.namespace, labels },
      data: { [CONF_FILE]: conf, [SCRIPT_FILE]: TUNING_SCRIPT },
    });

    const script = `${MOUNT_PATH}/${SCRIPT_FILE}`;
    const container = {
      image,
      imagePullPolicy: 'IfNotPresent',
      resources,
      // /proc/sys is read-only in a container unless it is privileged; root writes it
      securityContext: { privileged: true, runAsUser: 0, readOnlyRootFilesystem: true },
      volumeMounts: [{ name: 'config', mountPath: MOUNT_PATH, readOnly: true }],
    };
    const selector = { 'app.kubernetes.io/name': this.namespace };
    this.daemonSet = new k8s.KubeDaemonSet(this, 'DaemonSet', {
      metadata: { name: this.namespace, namespace: this.namespace, labels },
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: {
            labels: { ...labels, [SIDECAR_INJECT_LABEL]: 'false' },
            // a new value rolls the pods, so the init container applies it at once
            annotations: configChecksum(conf + TUNING_SCRIPT),
          },
          spec: {
            hostNetwork: true,
            // IPC keys belong to the IPC namespace: the node's, only with hostIPC
            hostIpc: keys.some(k => k.scope === SysctlScope.IPC_NAMESPACE) || undefined,
            priorityClassName: PRIORITY_CLASS,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            nodeSelector: { 'kubernetes.io/os': 'linux', ...nodeSelector },
            tolerations,
            initContainers: [{ name: 'apply', command: ['sh', script, 'apply'], ...container }],
            containers: [{
              name: 'enforce',
              command: ['sh', script, 'watch'],
              env: [{ name: 'INTERVAL_SECONDS', value: String(interval) }],
              readinessProbe: {
                exec: { command: ['sh', script, 'verify'] },
                periodSeconds: PROBE_PERIOD_SECONDS,
                timeoutSeconds: 5,
                failureThreshold: 1,
              },
              ...container,
            }],
            volumes: [{ name: 'config', configMap: { name: this.namespace } }],
          },
        },
      },
    });
    this.node.defaultChild = this.daemonSet;

    if (props.warnNodeOnlyKeys ?? true) {
      // known only once the whole app exists: pods may get the keys after this pool is built
      this.node.addValidation({ validate: () => this.warnNodeOnly(namespaced) });
    }
  }

  private resolveSysctls(props: TunedNodePoolProps): { [key: string]: string } {
    const excluded = props.excludeSysctls ?? [];
    for (const key of excluded) {
      if (!(key in TunedNodePool.DEFAULT_SYSCTLS)) {
        throw invalid(this, 'excludeSysctls', key,
          `is not a default key; the defaults are ${Object.keys(TunedNodePool.DEFAULT_SYSCTLS).join(', ')}`);
      }
      if (props.sysctls && key in props.sysctls) {
        throw invalid(this, 'excludeSysctls', key, 'is also set in sysctls; keep it in one of the two');
      }
    }
    const sysctls: { [key: string]: string } = {};
    for (const [key, value] of Object.entries({ ...TunedNodePool.DEFAULT_SYSCTLS, ...props.sysctls })) {
      if (excluded.includes(key)) continue;
      const problem = sysctlProblem(key, value);
      if (problem) throw invalid(this, problem.field, problem.value, problem.rule);
      sysctls[key] = value;
    }
    if (Object.keys(sysctls).length === 0) {
      throw invalid(this, 'excludeSysctls', excluded, 'leaves no kernel parameter to apply; keep at least one or set sysctls');
    }
    return sysctls;
  }

  private warnNodeOnly(namespaced: SysctlKey[]): string[] {
    const missing = namespaced.filter(key => !isSetByAPod(this, key.name));
    if (missing.length > 0) {
      const where = [[SysctlScope.NETWORK_NAMESPACE, 'network'], [SysctlScope.IPC_NAMESPACE, 'IPC']].flatMap(([scope, name]) => {
        const inScope = missing.filter(k => k.scope === scope).map(k => k.name);
        return inScope.length === 0 ? [] : [`${inScope.join(', ')} ${inScope.length === 1 ? 'is' : 'are'} per ${name} namespace`];
      });
      MeshWarnings.of(this).add(
        `${where.join(' and ')}: the node's value does not reach pods, ` +
        'which start from the kernel default (kubernetes/kubernetes#78977), and no pod in this app sets ' +
        `${missing.length === 1 ? 'it' : 'them'}; apply podSysctls to the workloads that need them ` +
        '(pool.podSysctls.applyTo(deployment)), or set warnNodeOnlyKeys: false when they are set elsewhere ' +
        'or cannot be (unsafe keys in a namespace that enforces Pod Security "baseline" or "restricted")');
    }
    return [];
  }

  private checkOptional(optional: string[] = []): string[] {
    for (const key of optional) {
      if (!(key in this.sysctls)) {
        throw invalid(this, 'optionalSysctls', key,
          `is not a key this pool sets; its keys are ${Object.keys(this.sysctls).join(', ')}`);
      }
    }
    return optional;
  }
}

function checkInterval(scope: Construct, interval: Duration): number {
  const ms = interval.toMilliseconds();
  if (ms < 1000 || ms % 1000 !== 0) {
    throw invalid(scope, 'interval', `${ms}ms`, 'must be a whole number of seconds, at least 1 (e.g. Duration.minutes(1))');
  }
  return ms / 1000;
}

/** A well-formed reference that pins a version: the same tuner on every node. */
function checkPinnedImage(scope: Construct, image: string, digest: string | undefined): string {
  checkImage(scope, 'image', image);
  if (digest !== undefined) {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw invalid(scope, 'imageDigest', digest, 'must be "sha256:" and 64 lowercase hex digits');
    }
    if (image.includes('@')) {
      throw invalid(scope, 'image', image, 'already carries a digest; give the digest in one place');
    }
    return `${image}@${digest}`;
  }
  const name = image.split('/').pop() ?? image;
  const tag = name.includes('@') ? undefined : name.split(':')[1];
  if (!name.includes('@') && (tag === undefined || tag === 'latest')) {
    throw invalid(scope, 'image', image,
      'must pin a version: a tag other than "latest" (e.g. busybox:1.37.0) or a digest (imageDigest), so nodes do not drift');
  }
  return image;
}

function checkNodeSelector(scope: Construct, selector: { [key: string]: string } | undefined): { [key: string]: string } {
  if (selector === undefined) return {};
  if (Object.keys(selector).length === 0) {
    throw invalid(scope, 'nodeSelector', selector,
      'must name at least one node label to select the pool (e.g. { "node-pool": "mesh" }); leave it out to tune every Linux node');
  }
  return checkLabels(scope, 'nodeSelector', selector);
}

