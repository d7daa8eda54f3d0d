// What this library knows about kernel parameters: where each key lives (node or namespace),
// whether Kubernetes lets a pod set it without a kubelet change, and what a valid value looks like.
// Internal: the public face is `SysctlKey`, `PodSysctls` and `TunedNodePool`.
import { IConstruct } from 'constructs';
import { SysctlScope } from './sysctl-scope';

// The /proc/sys top-level directories of Linux: anything else is not a kernel parameter.
const TOP_LEVEL = ['abi', 'crypto', 'debug', 'dev', 'fs', 'kernel', 'net', 'sunrpc', 'user', 'vm'];

// Kubernetes' sysctl name format (pkg/apis/core/validation), with dots as the only separator.
const SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const KEY = new RegExp(`^${SEGMENT}(\\.${SEGMENT})+$`);
const MAX_KEY_LENGTH = 253;

const INT_MAX = 2147483647;
const LONG_MAX = '9223372036854775807';

/** A value check: returns what is wrong with the value, or undefined when it is fine. */
type ValueCheck = (value: string) => string | undefined;

interface KnownKey {
  /** Scope when the prefix rules would get it wrong. */
  readonly scope?: SysctlScope;
  /**
   * First Kubernetes version whose kubelet safe set (and Pod Security "baseline") holds the key:
   * https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/ and
   * https://kubernetes.io/docs/reference/node/kernel-version-requirements/#pod-sysctls
   */
  readonly safeSince?: string;
  /** A limit (a table size, a queue length): raising it is the point, a higher value is no harm. */
  readonly limit?: boolean;
  readonly check: ValueCheck;
}

const KNOWN: Record<string, KnownKey> = {
  // node level
  'fs.file-max': { limit: true, check: int(1, LONG_MAX) },
  'fs.nr_open': { limit: true, check: int(1, 1073741816) },
  'fs.inotify.max_user_watches': { limit: true, check: int(1, INT_MAX) },
  'fs.inotify.max_user_instances': { limit: true, check: int(1, INT_MAX) },
  'vm.max_map_count': { limit: true, check: int(0, INT_MAX) },
  'vm.swappiness': { check: int(0, 200) },
  'vm.overcommit_memory': { check: int(0, 2) },
  'kernel.pid_max': { limit: true, check: int(301, 4194304) },
  'net.netfilter.nf_conntrack_max': { limit: true, check: int(0, INT_MAX) },
  'net.core.netdev_max_backlog': { limit: true, check: int(0, INT_MAX) },
  'net.core.rmem_max': { limit: true, check: int(0, INT_MAX) },
  'net.core.wmem_max': { limit: true, check: int(0, INT_MAX) },
  'net.core.rmem_default': { check: int(0, INT_MAX) },
  'net.core.wmem_default': { check: int(0, INT_MAX) },
  // global although under net.ipv4: memory of the whole TCP/UDP stack, in pages
  'net.ipv4.tcp_mem': { scope: SysctlScope.NODE, check: ints(3, 0, LONG_MAX, true) },
  'net.ipv4.udp_mem': { scope: SysctlScope.NODE, check: ints(3, 0, LONG_MAX, true) },

  // per network namespace, unsafe for pods
  'net.core.somaxconn': { limit: true, scope: SysctlScope.NETWORK_NAMESPACE, check: int(0, INT_MAX) },
  'net.ipv4.tcp_max_syn_backlog': { limit: true, check: int(0, INT_MAX) },
  'net.ipv4.tcp_tw_reuse': { check: int(0, 2) },
  'net.ipv4.ip_forward': { check: int(0, 1) },

  // per namespace, in Kubernetes' safe set
  'kernel.shm_rmid_forced': { safeSince: '1.4', check: int(0, 1) },
  'net.ipv4.ip_local_port_range': { safeSince: '1.4', check: portRange },
  'net.ipv4.tcp_syncookies': { safeSince: '1.4', check: int(0, 2) },
  // "1 0" (the kernel default) disables ping sockets, so the pair is not ordered
  'net.ipv4.ping_group_range': { safeSince: '1.18', check: ints(2, 0, String(INT_MAX), false) },
  'net.ipv4.ip_unprivileged_port_start': { safeSince: '1.22', check: int(0, 65536) },
  'net.ipv4.ip_local_reserved_ports': { safeSince: '1.27', check: portList },
  'net.ipv4.tcp_keepalive_time': { safeSince: '1.29', check: int(1, 32767) },
  'net.ipv4.tcp_keepalive_intvl': { safeSince: '1.29', check: int(1, 32767) },
  'net.ipv4.tcp_keepalive_probes': { safeSince: '1.29', check: int(1, 127) },
  'net.ipv4.tcp_fin_timeout': { safeSince: '1.29', check: int(1, INT_MAX) },
  'net.ipv4.tcp_rmem': { safeSince: '1.32', check: ints(3, 1, String(INT_MAX), true) },
  'net.ipv4.tcp_wmem': { safeSince: '1.32', check: ints(3, 1, String(INT_MAX), true) },
};

/** What is wrong with a key, or undefined when it is a well-formed kernel parameter name. */
export function sysctlKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH || !KEY.test(key)) {
    return 'must be a sysctl name: lowercase dot-separated segments of letters, digits, "-" and "_" (e.g. "net.core.somaxconn")';
  }
  if (!TOP_LEVEL.includes(key.split('.')[0])) {
    return `unknown sysctl: it must start with one of ${TOP_LEVEL.join(', ')} (the directories of /proc/sys)`;
  }
  return undefined;
}

/** Where a well-formed key lives. */
export function sysctlScope(key: string): SysctlScope {
  const known = KNOWN[key]?.scope;
  if (known) return known;
  // Namespaced sysctls per https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/
  if (/^kernel\.(shm|msg)/.test(key) || key === 'kernel.sem' || key.startsWith('fs.mqueue.')) {
    return SysctlScope.IPC_NAMESPACE;
  }
  // net.netfilter.* is written from the host network namespace only (kubernetes/kubernetes#29572);
  // of net.core.*, only somaxconn is per namespace.
  if (/^net\.(ipv4|ipv6|unix)\./.test(key)) return SysctlScope.NETWORK_NAMESPACE;
  return SysctlScope.NODE;
}

/** The first Kubernetes version whose safe set holds the key, or undefined when it is unsafe. */
export function sysctlSafeSince(key: string): string | undefined {
  return KNOWN[key]?.safeSince;
}

/** Whether the key is a limit, where a higher value than the one asked for is no harm. */
export function sysctlIsLimit(key: string): boolean {
  return KNOWN[key]?.limit ?? false;
}

/** What is wrong with a value for a key, or undefined when it fits. */
export function sysctlValueProblem(key: string, value: string): string | undefined {
  if (typeof value !== 'string' || !/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(value)) {
    return 'must be printable ASCII words separated by single spaces, with no leading or trailing space (e.g. "32768 60999")';
  }
  return KNOWN[key]?.check(value);
}

/** Whether a Kubernetes minor version (1.x) is at or after a version like "1.29". */
export function minorAtLeast(minor: number, version: string): boolean {
  return minor >= Number(version.split('.')[1]);
}

function int(min: number, max: number | string): ValueCheck {
  return value => inRange(value, min, max) ? undefined : `must be an integer from ${min} to ${max}`;
}

function ints(count: number, min: number, max: string, ordered: boolean): ValueCheck {
  return value => {
    const words = value.split(' ');
    const fits = words.length === count && words.every(w => inRange(w, min, max)) &&
      (!ordered || words.every((w, i) => i === 0 || BigInt(words[i - 1]) <= BigInt(w)));
    return fits ? undefined
      : `must be ${count} integers from ${min} to ${max} separated by spaces${ordered ? ', each at least the one before' : ''}`;
  };
}

function portRange(value: string): string | undefined {
  const [low, high, extra] = value.split(' ');
  const fits = extra === undefined && inRange(low, 1, 65535) && inRange(high, 1, 65535) && Number(low) < Number(high);
  return fits ? undefined : 'must be two ports from 1 to 65535, low then high, with low < high (e.g. "32768 60999")';
}

function portList(value: string): string | undefined {
  const fits = value.split(',').every(part => {
    const [low, high, extra] = part.split('-');
    if (extra !== undefined || !inRange(low, 1, 65535)) return false;
    return high === undefined || (inRange(high, 1, 65535) && Number(low) <= Number(high));
  });
  return fits ? undefined : 'must be ports from 1 to 65535 and low-high ranges separated by commas (e.g. "8080,9148-9150")';
}

function inRange(word: string | undefined, min: number, max: number | string): boolean {
  if (word === undefined || !/^-?\d+$/.test(word)) return false;
  const n = BigInt(word);
  return n >= BigInt(min) && n <= BigInt(max);
}

/** A broken rule: the field to name in the message, the value received, and the rule. */
export interface SysctlProblem {
  readonly field: string;
  readonly value: string;
  readonly rule: string;
}

/** The first problem of a key and its value, or undefined when both are fine. */
export function sysctlProblem(key: string, value: string): SysctlProblem | undefined {
  const keyRule = sysctlKeyProblem(key);
  if (keyRule) return { field: 'sysctls key', value: key, rule: keyRule };
  const valueRule = sysctlValueProblem(key, value);
  if (valueRule) return { field: `sysctls[${JSON.stringify(key)}]`, value, rule: valueRule };
  return undefined;
}

// Keys that pods of an app set in their securityContext, so TunedNodePool can tell whether a
// per-namespace key it sets on the nodes also reaches the pods.
const podLevel = new WeakMap<IConstruct, Set<string>>();

/** Records that a pod under `scope` sets these keys. */
export function recordPodLevelKeys(scope: IConstruct, keys: string[]): void {
  const root = scope.node.root;
  const set = podLevel.get(root) ?? new Set<string>();
  keys.forEach(k => set.add(k));
  podLevel.set(root, set);
}

/** Whether any pod in the app of `scope` sets this key. */
export function isSetByAPod(scope: IConstruct, key: string): boolean {
  return podLevel.get(scope.node.root)?.has(key) ?? false;
}
