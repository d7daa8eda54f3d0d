import { Duration } from 'cdk8s';

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
