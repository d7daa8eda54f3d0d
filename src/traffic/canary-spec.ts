// A CanaryService's props, checked once and resolved into what every rollout (the static split,
// Flagger, Argo Rollouts) renders from: names, ports, versions, route options, pod settings.
// Internal.
import { Construct } from 'constructs';
import { ResolvedAutoscaling, resolveAutoscaling } from './autoscaling';
import type { CanaryServiceProps } from './canary-service';
import { CircuitBreaker } from './circuit-breaking';
import { AppProtocol, isHttpFamily, resolvePortProtocol } from './port-naming';
import { resolveRouteResilience, RouteResilience } from './retries';
import { HeaderMatch } from './routing';
import { TopologySpread } from './topology-spread';
import { DEFAULT_REPLICAS, ServiceVersion } from './workload';
import { formatDuration } from '../common/duration';
import { workloadLabels } from '../common/labels';
import { checkDnsLabel, checkImage, checkPercent, checkPort, invalid } from '../common/validation';
import { MeshWarnings } from '../common/warnings';
import type { NamespaceIntent } from '../graph/model';
import { PodSysctls } from '../node-tuning/pod-sysctls';

/** What a CanaryService is made of, checked. */
export interface CanarySpec {
  readonly namespace: NamespaceIntent;
  /** The Service name, the mesh host, the `app` label. */
  readonly name: string;
  readonly serviceAccountName: string;
  /** Labels of the objects named after the service. */
  readonly labels: Record<string, string>;
  readonly port: number;
  readonly targetPort: number;
  readonly portName: string;
  readonly protocol: AppProtocol;
  readonly stable: ServiceVersion;
  readonly canary?: ServiceVersion;
  /** Stable first. */
  readonly versions: ServiceVersion[];
  /** The static split's weights, by version name (stable first); only without analysis. */
  readonly weights: Map<string, number>;
  readonly resilience: RouteResilience;
  readonly circuitBreaker?: CircuitBreaker;
  readonly canaryHeader?: HeaderMatch;
  readonly mirrorPercentage?: number;
  readonly sysctls?: PodSysctls;
  readonly writablePaths: string[];
  readonly spread: TopologySpread;
  readonly autoscaling?: ResolvedAutoscaling;
}

/** The props `resolveCanarySpec` reads: CanaryServiceProps, whose namespace is resolved already. */
export type CanarySpecInput = Omit<CanaryServiceProps, 'namespace' | 'analysis'>;

// Images commonly write temporary files there (Kubernetes' read-only root filesystem guidance).
const DEFAULT_WRITABLE_PATHS = ['/tmp'];

/** Checks the props and resolves them; `staticSplit` is false when a controller moves the traffic. */
export function resolveCanarySpec(scope: Construct, namespace: NamespaceIntent, p: CanarySpecInput, staticSplit: boolean): CanarySpec {
  const name = checkDnsLabel(scope, 'name', p.name);
  const port = checkPort(scope, 'port', p.port);
  const { name: portName, protocol } = resolvePortProtocol(scope, p.protocol, p.portName);
  const describe = `${namespace.name}/${name}`;
  const versions = checkVersions(scope, describe, p);
  const resilience = resolveHttpOptions(scope, describe, p, protocol);
  return {
    namespace,
    name,
    serviceAccountName: checkDnsLabel(scope, 'serviceAccountName', p.serviceAccountName ?? p.name),
    labels: workloadLabels(name),
    port,
    targetPort: checkPort(scope, 'targetPort', p.targetPort ?? port),
    portName,
    protocol,
    stable: p.stable,
    canary: p.canary,
    versions,
    weights: staticSplit ? resolveWeights(scope, p) : new Map(),
    resilience,
    circuitBreaker: p.circuitBreaker,
    canaryHeader: p.canaryHeader,
    mirrorPercentage: p.mirrorPercentage,
    sysctls: p.sysctls,
    writablePaths: checkWritablePaths(scope, p.writablePaths ?? DEFAULT_WRITABLE_PATHS),
    spread: p.spread ?? TopologySpread.preferred(),
    autoscaling: p.autoscaling && resolveAutoscaling(scope, p.autoscaling),
  };
}

/**
 * The pods of the version a rollout autoscales (`role` names it in messages): the autoscaler's
 * minimum, or its fixed count without autoscaling.
 */
export function replicasOf(scope: Construct, spec: CanarySpec, role: string, version: ServiceVersion, autoscaled: boolean): number {
  if (!autoscaled || !spec.autoscaling) return version.replicas ?? DEFAULT_REPLICAS;
  if (version.replicas !== undefined) {
    throw invalid(scope, `${role}.replicas`, version.replicas,
      'cannot be combined with autoscaling, which sets the count between minReplicas and maxReplicas; remove one of the two');
  }
  return spec.autoscaling.minReplicas;
}

function checkVersions(scope: Construct, describe: string, p: CanarySpecInput): ServiceVersion[] {
  const roles: Array<[string, ServiceVersion]> = [['stable', p.stable]];
  if (p.canary) roles.push(['canary', p.canary]);
  for (const [role, v] of roles) {
    checkDnsLabel(scope, `${role}.version`, v.version);
    checkImage(scope, `${role}.image`, v.image);
    const pods = v.replicas ?? DEFAULT_REPLICAS;
    if (!Number.isInteger(pods) || pods < 1) {
      throw invalid(scope, `${role}.replicas`, pods, 'must be a positive integer');
    }
    if (!/[:@][^/]*$/.test(v.image)) {
      MeshWarnings.of(scope).add(
        `service ${describe}: ${role}.image "${v.image}" has no tag or digest, so each new pod runs whatever ` +
        '":latest" is then; pin a tag or digest so the version is reproducible');
    }
  }
  if (p.canary && p.canary.version === p.stable.version) {
    throw invalid(scope, 'canary.version', p.canary.version,
      'must differ from stable.version: each version is its own Deployment and DestinationRule subset');
  }
  return roles.map(([, v]) => v);
}

/** The weights of the static split, stable first. */
function resolveWeights(scope: Construct, p: CanarySpecInput): Map<string, number> {
  const weight = (field: string, value?: number): number | undefined => {
    if (value === undefined) return undefined;
    checkPercent(scope, field, value);
    if (!Number.isInteger(value)) {
      throw invalid(scope, field, value, 'must be an integer from 0 to 100 (Istio weights are integers)');
    }
    return value;
  };
  const stable = weight('stable.weight', p.stable.weight);
  if (!p.canary) {
    if (stable !== undefined && stable !== 100) {
      throw invalid(scope, 'stable.weight', stable,
        `leaves ${100 - stable}% for a canary, but no canary is given; add a canary or remove the weight`);
    }
    return new Map([[p.stable.version, 100]]);
  }
  const canary = weight('canary.weight', p.canary.weight);
  const canaryWeight = canary ?? (stable === undefined ? 0 : 100 - stable);
  const stableWeight = stable ?? 100 - canaryWeight;
  if (stableWeight + canaryWeight !== 100) {
    throw invalid(scope, 'canary.weight', canaryWeight,
      `and stable.weight ${stableWeight} must add up to 100; give one of them and the other is derived`);
  }
  return new Map([[p.stable.version, stableWeight], [p.canary.version, canaryWeight]]);
}

/** Timeout, retries, header route and mirroring: HTTP routes only, and the last two need a canary. */
function resolveHttpOptions(scope: Construct, describe: string, p: CanarySpecInput, protocol: AppProtocol): RouteResilience {
  if (!isHttpFamily(protocol)) {
    const r = p.retries;
    const httpOnly: Array<[string, unknown]> = [
      ['timeout', p.timeout && formatDuration(p.timeout)],
      ['retries', r && { attempts: r.attempts, perTryTimeout: r.perTryTimeout && formatDuration(r.perTryTimeout), retryOn: r.retryOn }],
      ['canaryHeader', p.canaryHeader],
      ['mirrorPercentage', p.mirrorPercentage],
    ];
    for (const [field, value] of httpOnly) {
      if (value !== undefined) {
        throw invalid(scope, field, value, `applies to HTTP routes only, and protocol is "${protocol}"; remove it or use an HTTP protocol`);
      }
    }
    return { budget: { retries: 0 } };
  }
  if (p.canaryHeader) {
    const h = p.canaryHeader;
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h.name)) {
      throw invalid(scope, 'canaryHeader.name', h.name, 'must be a lowercase HTTP header name (e.g. "x-canary")');
    }
    if (!h.value) {
      throw invalid(scope, 'canaryHeader.value', h.value, 'must not be empty');
    }
    if (!p.canary) {
      throw invalid(scope, 'canaryHeader', h, 'routes testers to the canary, but no canary is given; add a canary or remove it');
    }
  }
  if (p.mirrorPercentage !== undefined) {
    checkPercent(scope, 'mirrorPercentage', p.mirrorPercentage);
    if (p.mirrorPercentage === 0) {
      throw invalid(scope, 'mirrorPercentage', 0, 'must be more than 0; leave it unset for no mirroring');
    }
    if (!p.canary) {
      throw invalid(scope, 'mirrorPercentage', p.mirrorPercentage, 'copies requests to the canary, but no canary is given; add a canary or remove it');
    }
  }
  return resolveRouteResilience(scope, describe, p.timeout, p.retries);
}

/** Absolute, distinct paths other than `/`, each to get an emptyDir. */
function checkWritablePaths(scope: Construct, paths: string[]): string[] {
  for (const path of paths) {
    // one spelling per directory ("/a/b", never "/a//b" or "/a/./b"), so that a path listed twice is seen
    const segments = typeof path === 'string' ? path.split('/').slice(1) : [];
    if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0') || segments.some(p => p === '' || p === '.' || p === '..')) {
      throw invalid(scope, 'writablePaths', path,
        'must be absolute container paths without "..", ".", "//" or a trailing "/" (e.g. "/tmp"), not "/"');
    }
  }
  if (new Set(paths).size !== paths.length) {
    throw invalid(scope, 'writablePaths', paths, 'lists a path twice; list each once');
  }
  return [...paths];
}
