import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { invalid } from './validation';

/**
 * A duration in the compact Go form that Istio, Envoy, Prometheus, Flagger and Argo Rollouts all
 * accept: `500ms`, `2s`, `10m`, `1h` (the largest unit that divides it exactly).
 */
export function formatDuration(duration: Duration): string {
  const ms = duration.toMilliseconds();
  if (ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  if (s !== 0 && s % 3600 === 0) return `${s / 3600}h`;
  if (s !== 0 && s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/**
 * A duration as Gateway API writes it (GEP-2257, `^([0-9]{1,5}(h|m|s|ms)){1,4}$`): whole hours,
 * minutes, seconds and milliseconds, largest first (`1500ms` is `1s500ms`), `0s` for zero.
 */
export function formatGatewayDuration(duration: Duration): string {
  let ms = duration.toMilliseconds();
  const parts: string[] = [];
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(ms / size);
    ms -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.length > 0 ? parts.join('') : '0s';
}

/**
 * Checks that a duration is a whole number of milliseconds and at least `min`, and returns it.
 * `example` shows a valid value in the message (e.g. "Duration.minutes(5)").
 */
export function checkDuration(scope: IConstruct, field: string, value: Duration, min: Duration, example: string): Duration {
  let ms: number;
  try {
    ms = value.toMilliseconds();
  } catch {
    throw invalid(scope, field, value.toHumanString(), `must be a whole number of milliseconds (e.g. ${example})`);
  }
  if (ms < min.toMilliseconds()) {
    throw invalid(scope, field, formatDuration(value), `must be at least ${formatDuration(min)} (e.g. ${example})`);
  }
  return value;
}

/** Checks a positive duration in whole milliseconds (Istio and Envoy reject less than 1ms) and returns it in ms. */
export function checkDurationMs(scope: IConstruct, field: string, value: Duration): number {
  const ms = value.toMilliseconds({ integral: false });
  if (!Number.isInteger(ms) || ms < 1) {
    throw invalid(scope, field, `${ms}ms`, 'must be a positive duration in whole milliseconds (at least 1ms)');
  }
  return ms;
}
