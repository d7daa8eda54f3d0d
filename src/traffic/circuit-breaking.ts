// Circuit breaking: DestinationRule connection pool limits and outlier detection. Istio's own
// defaults disable the pool limits (2^32-1) and, with maxEjectionPercent 10%, eject nothing from a
// version running fewer than 10 pods: Envoy ejects a host only while
// 100 * (ejected + 1) / hosts <= maxEjectionPercent, the first ejection included since Envoy 1.28
// (changelog 1.28.0, "Outlier detection will always respect max_ejection_percent now";
// envoyproxy/envoy#27909). Envoy 1.31's opt-in `always_eject_one_host` restores the old "at least one
// host" rule, but Istio's DestinationRule does not expose it (Istio 1.30 CRD).
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { checkDurationMs, formatDuration } from '../common/duration';
import { invalid } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/**
 * Circuit breaking for every version of the service: limits on what each calling proxy sends
 * (Istio `connectionPool`) and ejection of pods that keep failing (Istio `outlierDetection`).
 * Limits apply per calling proxy and per version.
 */
export interface CircuitBreaker {
  /**
   * Maximum HTTP/1.1 and TCP connections to the version (`connectionPool.tcp.maxConnections`).
   *
   * @default 1024 (Envoy's own circuit-breaker default; Istio lifts it to 2^32-1, i.e. no limit)
   */
  readonly maxConnections?: number;

  /**
   * Maximum requests waiting for a connection (`connectionPool.http.http1MaxPendingRequests`).
   *
   * @default 1024 (Envoy's own default)
   */
  readonly http1MaxPendingRequests?: number;

  /**
   * Maximum concurrent requests to the version (`connectionPool.http.http2MaxRequests`, HTTP/1.1 included).
   *
   * @default 1024 (Envoy's own default)
   */
  readonly http2MaxRequests?: number;

  /**
   * Consecutive 5xx responses (or connection failures) after which a pod is ejected; 0 turns
   * outlier detection off.
   *
   * @default 5 (Istio's default)
   */
  readonly consecutive5xxErrors?: number;

  /**
   * Time between ejection sweeps.
   *
   * @default Duration.seconds(10) (Istio's default)
   */
  readonly interval?: Duration;

  /**
   * How long an ejected pod stays out, multiplied by the number of times it was ejected.
   *
   * @default Duration.seconds(30) (Istio's default)
   */
  readonly baseEjectionTime?: Duration;

  /**
   * Largest share of a version's pods that may be ejected at once.
   *
   * Envoy ejects a pod only while `100 * (ejected + 1) / pods <= maxEjectionPercent`, the first
   * ejection included (Envoy 1.28+), so Istio's default, 10%, ejects nothing below 10 pods. 50%
   * ejects one pod of two and never the last pod of a version: Istio turns off Envoy's panic
   * routing (`minHealthPercent` defaults to 0, istio/api DestinationRule `OutlierDetection`), so a
   * version with every pod ejected answers 503. 100 can eject a version's only pod.
   *
   * @default 50
   */
  readonly maxEjectionPercent?: number;
}

/** Circuit-breaking settings with defaults applied, in Istio's units. */
export interface ResolvedCircuitBreaker {
  readonly maxConnections: number;
  readonly http1MaxPendingRequests: number;
  readonly http2MaxRequests: number;
  readonly consecutive5xxErrors: number;
  readonly interval: string;
  readonly baseEjectionTime: string;
  readonly maxEjectionPercent: number;
}

const ENVOY_DEFAULT_LIMIT = 1024;

/**
 * Validates circuit-breaking settings, applies the defaults, and warns when outlier detection could
 * never eject a pod of a version, or could eject the only pod of a version.
 *
 * @param replicas pods per version name
 */
export function resolveCircuitBreaker(scope: IConstruct, service: string, props: CircuitBreaker = {},
  replicas: Record<string, number>): ResolvedCircuitBreaker {
  const limit = (field: keyof CircuitBreaker, value?: number): number => {
    const v = value ?? ENVOY_DEFAULT_LIMIT;
    if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) {
      throw invalid(scope, `circuitBreaker.${field}`, v, 'must be a positive integer (at most 2147483647)');
    }
    return v;
  };
  const consecutive5xxErrors = props.consecutive5xxErrors ?? 5;
  if (!Number.isInteger(consecutive5xxErrors) || consecutive5xxErrors < 0) {
    throw invalid(scope, 'circuitBreaker.consecutive5xxErrors', consecutive5xxErrors,
      'must be a non-negative integer (0 turns outlier detection off)');
  }
  const maxEjectionPercent = props.maxEjectionPercent ?? 50;
  if (!Number.isInteger(maxEjectionPercent) || maxEjectionPercent < 0 || maxEjectionPercent > 100) {
    throw invalid(scope, 'circuitBreaker.maxEjectionPercent', maxEjectionPercent, 'must be an integer from 0 to 100');
  }
  const interval = props.interval ?? Duration.seconds(10);
  const baseEjectionTime = props.baseEjectionTime ?? Duration.seconds(30);
  checkDurationMs(scope, 'circuitBreaker.interval', interval);
  checkDurationMs(scope, 'circuitBreaker.baseEjectionTime', baseEjectionTime);

  if (consecutive5xxErrors > 0) {
    for (const [version, pods] of Object.entries(replicas)) {
      const needed = Math.ceil(100 / pods);
      if (pods > 1 && maxEjectionPercent < needed) {
        MeshWarnings.of(scope).add(
          `service ${service}: outlier detection can never eject a pod of ${version}: with ${pods} pods, ` +
          `maxEjectionPercent ${maxEjectionPercent} allows none (Envoy 1.28+ ejects only while ejected pods stay within it, ` +
          `the first one included); set circuitBreaker.maxEjectionPercent to at least ${needed}`);
      }
      if (pods === 1 && maxEjectionPercent >= 100) {
        MeshWarnings.of(scope).add(
          `service ${service}: outlier detection can eject the only pod of ${version} for baseEjectionTime ` +
          `${formatDuration(baseEjectionTime)} (longer at each new ejection), and with Istio's panic routing off ` +
          `(minHealthPercent 0) the ${version} subset then answers 503 to all its traffic; run at least 2 replicas ` +
          'or set circuitBreaker.maxEjectionPercent below 100');
      }
    }
  }

  return {
    maxConnections: limit('maxConnections', props.maxConnections),
    http1MaxPendingRequests: limit('http1MaxPendingRequests', props.http1MaxPendingRequests),
    http2MaxRequests: limit('http2MaxRequests', props.http2MaxRequests),
    consecutive5xxErrors,
    interval: formatDuration(interval),
    baseEjectionTime: formatDuration(baseEjectionTime),
    maxEjectionPercent,
  };
}
