// Route timeout and retries. Envoy's route timeout covers the whole request, every retry and the
// back-off between retries included (Envoy router filter docs, "x-envoy-max-retries"; istio/istio#21137,
// #55748): a per-try timeout as long as the route timeout leaves no time for any retry of a slow attempt.
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { AppProtocol } from './port-naming';
import { formatDuration } from '../common/duration';
import { invalid } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/**
 * How the mesh retries a failed request to the service (Istio `HTTPRetry`).
 */
export interface RetryPolicy {
  /**
   * Number of retries after the first attempt.
   *
   * @default 2 (Istio's default number of retries)
   */
  readonly attempts?: number;

  /**
   * Timeout of each attempt, the first one included.
   *
   * @default - with a route `timeout`, the longest per-try timeout that fits the first attempt,
   * every retry and Envoy's worst-case back-off into it; without one, no per-try timeout
   */
  readonly perTryTimeout?: Duration;

  /**
   * Conditions that trigger a retry (Envoy `x-envoy-retry-on` and `x-envoy-retry-grpc-on` policies,
   * or HTTP status codes such as "503").
   *
   * The default retries only what a server did not process or reported as a gateway failure
   * (the example of Istio's HTTPRetry reference); a per-try timeout counts as a 504, so it is retried.
   * Add "5xx" only for idempotent endpoints.
   *
   * @default ["gateway-error", "connect-failure", "refused-stream"], plus "unavailable" for gRPC
   */
  readonly retryOn?: string[];
}

/** The route's timeout and retries as Istio and Flagger spell them. */
export interface RouteResilience {
  readonly timeout?: string;
  readonly retries?: { readonly attempts: number; readonly perTryTimeout?: string; readonly retryOn: string };
}

/** Istio's `supportedRetryOnPolicies` (pkg/config/validation); numeric HTTP status codes are also accepted. */
const RETRY_ON_POLICIES = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
];

const DEFAULT_ATTEMPTS = 2;

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
 * Validates the timeout and retries of a service's HTTP routes, derives a per-try timeout that fits,
 * and warns when a given one leaves no time for the retries.
 *
 * @param service `namespace/name`, for the warning
 */
export function resolveRouteResilience(scope: IConstruct, service: string, protocol: AppProtocol,
  timeout?: Duration, retries?: RetryPolicy): RouteResilience {
  const timeoutMs = timeout === undefined ? undefined : checkDurationMs(scope, 'timeout', timeout);
  if (!retries) {
    return { timeout: timeoutMs === undefined ? undefined : formatDuration(timeout!) };
  }

  const attempts = retries.attempts ?? DEFAULT_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw invalid(scope, 'retries.attempts', attempts, 'must be a positive integer (the number of retries after the first attempt)');
  }
  const retryOn = resolveRetryOn(scope, protocol, retries.retryOn);

  let perTryMs: number | undefined;
  if (retries.perTryTimeout !== undefined) {
    perTryMs = checkDurationMs(scope, 'retries.perTryTimeout', retries.perTryTimeout);
    if (timeoutMs !== undefined && perTryMs > timeoutMs) {
      throw invalid(scope, 'retries.perTryTimeout', formatDuration(retries.perTryTimeout),
        `is longer than the route timeout ${formatDuration(timeout!)}, which includes every attempt; ` +
        'lower it, or leave it unset to derive one that fits');
    }
    if (timeoutMs !== undefined) {
      warnWhenRetriesCannotFit(scope, service, timeoutMs, attempts, perTryMs);
    }
  } else if (timeoutMs !== undefined) {
    perTryMs = Math.floor((timeoutMs - worstCaseBackoffMs(attempts)) / (attempts + 1));
    if (perTryMs < 1) {
      throw invalid(scope, 'timeout', formatDuration(timeout!),
        `is too short for ${attempts} retries and Envoy's back-off between them (${worstCaseBackoffMs(attempts)}ms); ` +
        'raise it or lower retries.attempts');
    }
  }

  return {
    timeout: timeoutMs === undefined ? undefined : formatDuration(timeout!),
    retries: {
      attempts,
      perTryTimeout: perTryMs === undefined ? undefined : formatDuration(Duration.millis(perTryMs)),
      retryOn: retryOn.join(','),
    },
  };
}

function warnWhenRetriesCannotFit(scope: IConstruct, service: string, timeoutMs: number, attempts: number, perTryMs: number) {
  const needed = (attempts + 1) * perTryMs + worstCaseBackoffMs(attempts);
  if (needed <= timeoutMs) return;
  let fit = 0;
  while (fit < attempts && (fit + 2) * perTryMs + worstCaseBackoffMs(fit + 1) <= timeoutMs) fit++;
  const fitting = Math.floor((timeoutMs - worstCaseBackoffMs(attempts)) / (attempts + 1));
  const fixes = [
    ...(fitting >= 1 ? [`set retries.perTryTimeout to at most ${formatDuration(Duration.millis(fitting))}`] : []),
    `raise timeout to at least ${formatDuration(Duration.millis(needed))}`,
    'or leave retries.perTryTimeout unset to derive one that fits',
  ];
  const which = fit === 0 ? `none of the ${attempts} retries` : `only ${fit} of the ${attempts} retries`;
  MeshWarnings.of(scope).add(
    `service ${service}: retries do not fit in the route timeout: Envoy's route timeout ` +
    `${formatDuration(Duration.millis(timeoutMs))} includes every attempt, so after an attempt that runs into perTryTimeout ` +
    `${formatDuration(Duration.millis(perTryMs))} ${which} can run (istio/istio#21137); ${fixes.join(', ')}`);
}

function resolveRetryOn(scope: IConstruct, protocol: AppProtocol, retryOn?: string[]): string[] {
  if (retryOn === undefined) {
    const safe = ['gateway-error', 'connect-failure', 'refused-stream'];
    // gRPC reports UNAVAILABLE in a 200 response; its status code says the call is safe to retry.
    return protocol === AppProtocol.GRPC ? [...safe, 'unavailable'] : safe;
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

/** Checks a positive duration in whole milliseconds (Istio rejects less than 1ms) and returns it in ms. */
export function checkDurationMs(scope: IConstruct, field: string, value: Duration): number {
  const ms = value.toMilliseconds({ integral: false });
  if (!Number.isInteger(ms) || ms < 1) {
    throw invalid(scope, field, `${ms}ms`, 'must be a positive duration in whole milliseconds (at least 1ms)');
  }
  return ms;
}
