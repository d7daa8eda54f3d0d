// Route timeout and retries. Envoy's route timeout covers the whole request, every retry and the
// back-off between retries included (Envoy router filter docs, "x-envoy-max-retries"; istio/istio#21137,
// #55748): a per-try timeout as long as the route timeout leaves no time for any retry of a slow attempt.
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { checkDurationMs, formatDuration } from '../common/duration';
import { invalid } from '../common/validation';
import { MeshWarnings } from '../common/warnings';
import type { RouteBudget } from '../graph/model';

/**
 * How the mesh retries a failed request to the service (Istio `HTTPRetry`).
 */
export interface RetryPolicy {
  /**
   * Number of retries after the first attempt; 0 turns retries off.
   *
   * @default 2 (Istio's default number of retries)
   */
  readonly attempts?: number;

  /**
   * Timeout of each attempt, the first one included.
   *
   * Only useful when `retryOn` retries an attempt that timed out ("5xx", "gateway-error" or
   * "reset"): a per-try timeout that is never retried only cuts slow requests short.
   *
   * @default - when `retryOn` retries timed-out attempts and a route `timeout` is set, the longest
   * per-try timeout that fits the first attempt, every retry and Envoy's worst-case back-off into
   * it; otherwise no per-try timeout
   */
  readonly perTryTimeout?: Duration;

  /**
   * Conditions that trigger a retry (Envoy `x-envoy-retry-on` and `x-envoy-retry-grpc-on` policies,
   * or HTTP status codes such as "503").
   *
   * The default retries only requests the application never received: the connection failed, the
   * server refused the stream (HTTP/2 REFUSED_STREAM), or the connection was reset before the
   * request was sent ("reset-before-request", Envoy 1.31+ and Istio 1.23+). So a non-idempotent
   * request, such as a payment POST, is never sent twice. "5xx", "gateway-error" and "reset" also
   * retry an attempt that timed out or was reset while the application may be processing it
   * (Envoy turns a per-try timeout into a local reset and a 504): use them only for idempotent
   * endpoints; the library warns when they are set. gRPC's "unavailable" is not in the default
   * either: the gRPC status codes say it is "not always safe to retry non-idempotent operations".
   *
   * @default ["connect-failure", "refused-stream", "reset-before-request"]
   */
  readonly retryOn?: string[];
}

/** The route's timeout and retries as Istio and Flagger spell them. */
export interface RouteResilience {
  readonly timeout?: string;
  /** Written on every HTTP route: without it, Istio's own default policy would apply. */
  readonly retries?: { readonly attempts: number; readonly perTryTimeout?: string; readonly retryOn?: string };
  /** The same in numbers, for budgets along call chains. */
  readonly budget: RouteBudget;
}

/** Istio's `supportedRetryOnPolicies` (pkg/config/validation); numeric HTTP status codes are also accepted. */
const RETRY_ON_POLICIES = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
];

const DEFAULT_ATTEMPTS = 2;

/**
 * Retries only requests the application never received: Envoy retries "connect-failure" on a
 * connection failure, "refused-stream" on a REFUSED_STREAM reset, "reset-before-request" on a reset
 * while no byte was sent upstream (Envoy router docs, "x-envoy-retry-on"; retry_state_impl.cc).
 * Istio validates "reset-before-request" in a VirtualService since 1.23 (istio/istio#52032).
 */
const SAFE_RETRY_ON = ['connect-failure', 'refused-stream', 'reset-before-request'];

/**
 * Policies under which Envoy retries an attempt that ran into its per-try timeout. The router resets
 * a timed-out attempt locally and asks the retry state whether a reset is retried: "reset" always,
 * "5xx" and "gateway-error" always, "reset-before-request" only if nothing was sent yet
 * (envoyproxy/envoy source/common/router/router.cc onPerTryTimeoutCommon, retry_state_impl.cc
 * wouldRetryFromReset). "http3-post-connect-failure" needs an HTTP/3 upstream, which Istio's
 * DestinationRule has no setting for.
 */
const RETRIES_TIMED_OUT_ATTEMPTS = ['5xx', 'gateway-error', 'reset'];

// Envoy's default retry back-off: retry N waits a random time below (2^N - 1) x 25ms, capped at 250ms
// (Envoy router filter docs, "x-envoy-max-retries").
const BACKOFF_BASE_MS = 25;
const BACKOFF_MAX_MS = 250;

/** The longest total back-off Envoy may wait before `retries` retries. */
export function worstCaseBackoffMs(retries: number): number {
  let total = 0;
  for (let n = 1; n <= retries; n++) {
    total += Math.min((2 ** n - 1) * BACKOFF_BASE_MS, BACKOFF_MAX_MS);
  }
  return total;
}

/**
 * Validates the timeout and retries of a service's HTTP routes, derives a per-try timeout that fits
 * when timed-out attempts are retried, and warns when a given one leaves no time for the retries or
 * when non-idempotent requests may be sent twice.
 *
 * @param service `namespace/name`, for the warnings
 */
export function resolveRouteResilience(scope: IConstruct, service: string,
  timeout?: Duration, retries: RetryPolicy = {}): RouteResilience {
  const timeoutMs = timeout === undefined ? undefined : checkDurationMs(scope, 'timeout', timeout);
  const formattedTimeout = timeoutMs === undefined ? undefined : formatDuration(timeout!);

  const attempts = retries.attempts ?? DEFAULT_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 0) {
    throw invalid(scope, 'retries.attempts', attempts,
      'must be a non-negative integer (the number of retries after the first attempt; 0 turns retries off)');
  }
  if (attempts === 0) {
    for (const [field, value] of [['perTryTimeout', retries.perTryTimeout], ['retryOn', retries.retryOn]] as const) {
      if (value !== undefined) {
        throw invalid(scope, `retries.${field}`, field === 'perTryTimeout' ? formatDuration(value as Duration) : value,
          'has no effect with retries.attempts 0 (no retries); remove it');
      }
    }
    // Istio reads attempts 0 as "no retries"; without a policy its own default would retry
    return { timeout: formattedTimeout, retries: { attempts: 0 }, budget: { timeoutMs, retries: 0 } };
  }
  const retryOn = resolveRetryOn(scope, retries.retryOn);
  warnWhenNonIdempotentRequestsAreResent(scope, service, retryOn);

  let perTryMs: number | undefined;
  if (retries.perTryTimeout !== undefined) {
    perTryMs = checkDurationMs(scope, 'retries.perTryTimeout', retries.perTryTimeout);
    if (timeoutMs !== undefined && perTryMs > timeoutMs) {
      throw invalid(scope, 'retries.perTryTimeout', formatDuration(retries.perTryTimeout),
        `is longer than the route timeout ${formatDuration(timeout!)}, which includes every attempt; ` +
        'lower it, or leave it unset to derive one that fits');
    }
    if (timeoutMs !== undefined) {
      warnWhenRetriesCannotFit(scope, service, timeoutMs, attempts, perTryMs, retryOn);
    }
  } else if (timeoutMs !== undefined && retriesTimedOutAttempts(retryOn).length > 0) {
    perTryMs = Math.floor((timeoutMs - worstCaseBackoffMs(attempts)) / (attempts + 1));
    if (perTryMs < 1) {
      throw invalid(scope, 'timeout', formatDuration(timeout!),
        `is too short for ${attempts} retries and Envoy's back-off between them (${worstCaseBackoffMs(attempts)}ms); ` +
        'raise it or lower retries.attempts');
    }
  }

  return {
    timeout: formattedTimeout,
    retries: {
      attempts,
      perTryTimeout: perTryMs === undefined ? undefined : formatDuration(Duration.millis(perTryMs)),
      retryOn: retryOn.join(','),
    },
    budget: { timeoutMs, retries: attempts, perTryTimeoutMs: perTryMs },
  };
}

/** How retries fit in a route timeout when each attempt may run into its per-try timeout. */
export interface RetryBudget {
  /** The route timeout every attempt and the worst-case back-off need. */
  readonly neededMs: number;
  /** How many of the retries fit. */
  readonly fittingRetries: number;
  /** The longest per-try timeout with which all of them fit (below 1 when none does). */
  readonly fittingPerTryMs: number;
}

/**
 * The fit rule of the retry trap (pure, shared with the mesh analysis): `attempts` retries after
 * the first attempt, each attempt up to `perTryMs`, Envoy's worst-case back-off between them, all
 * within `timeoutMs`.
 */
export function retryBudget(timeoutMs: number, attempts: number, perTryMs: number): RetryBudget {
  let fit = 0;
  while (fit < attempts && (fit + 2) * perTryMs + worstCaseBackoffMs(fit + 1) <= timeoutMs) fit++;
  return {
    neededMs: (attempts + 1) * perTryMs + worstCaseBackoffMs(attempts),
    fittingRetries: fit,
    fittingPerTryMs: Math.floor((timeoutMs - worstCaseBackoffMs(attempts)) / (attempts + 1)),
  };
}

function warnWhenRetriesCannotFit(scope: IConstruct, service: string, timeoutMs: number, attempts: number, perTryMs: number,
  retryOn: string[]) {
  const { neededMs: needed, fittingRetries: fit, fittingPerTryMs: fitting } = retryBudget(timeoutMs, attempts, perTryMs);
  if (needed <= timeoutMs) return;
  const fixes = [
    ...(fitting >= 1 ? [`set retries.perTryTimeout to at most ${formatDuration(Duration.millis(fitting))}`] : []),
    `raise timeout to at least ${formatDuration(Duration.millis(needed))}`,
    retriesTimedOutAttempts(retryOn).length > 0
      ? 'or leave retries.perTryTimeout unset to derive one that fits'
      // nothing to derive: a timed-out attempt is not retried, so one attempt may use the whole timeout
      : `or leave retries.perTryTimeout unset (retryOn "${retryOn.join(',')}" does not retry a timed-out attempt)`,
  ];
  const which = fit === 0 ? `none of the ${attempts} retries` : `only ${fit} of the ${attempts} retries`;
  MeshWarnings.of(scope).add(
    `service ${service}: retries do not fit in the route timeout: Envoy's route timeout ` +
    `${formatDuration(Duration.millis(timeoutMs))} includes every attempt, so after an attempt that runs into perTryTimeout ` +
    `${formatDuration(Duration.millis(perTryMs))} ${which} can run (istio/istio#21137); ${fixes.join(', ')}`);
}

/** The conditions of `retryOn` under which an attempt that timed out is retried. */
function retriesTimedOutAttempts(retryOn: string[]): string[] {
  return retryOn.filter(c => RETRIES_TIMED_OUT_ATTEMPTS.includes(c));
}

function warnWhenNonIdempotentRequestsAreResent(scope: IConstruct, service: string, retryOn: string[]) {
  const unsafe = retriesTimedOutAttempts(retryOn);
  if (unsafe.length === 0) return;
  MeshWarnings.of(scope).add(
    `service ${service}: retries.retryOn ${unsafe.map(c => `"${c}"`).join(', ')} re-sends requests the application may ` +
    'already be processing (an attempt that ran into its per-try timeout or was reset after it was sent is retried), ' +
    'so a non-idempotent request such as a payment POST can run twice; retry only what never reached the application ' +
    `with ${SAFE_RETRY_ON.join(', ')}, or make the endpoint idempotent`);
}

function resolveRetryOn(scope: IConstruct, retryOn?: string[]): string[] {
  if (retryOn === undefined) {
    return SAFE_RETRY_ON;
  }
  if (retryOn.length === 0) {
    throw invalid(scope, 'retries.retryOn', retryOn, 'must name at least one condition (e.g. ["gateway-error", "connect-failure"])');
  }
  for (const condition of retryOn) {
    const isStatus = /^[1-5][0-9][0-9]$/.test(condition);
    if (!isStatus && !RETRY_ON_POLICIES.includes(condition)) {
      throw invalid(scope, 'retries.retryOn', condition, `must be an HTTP status code or one of ${RETRY_ON_POLICIES.join(', ')}`);
    }
  }
  return retryOn;
}

