// One place computes the labels every construct puts on what it emits.

/** The value of `app.kubernetes.io/managed-by` on everything this library labels. */
export const MANAGED_BY = 'cdk8s-mesh';

/**
 * Pod Security Standards levels (the `pod-security.kubernetes.io/*` namespace labels).
 */
export enum PodSecurityLevel {
  /** Unrestricted: only for system components that must reach the host. */
  PRIVILEGED = 'privileged',
  /** Blocks known privilege escalations. */
  BASELINE = 'baseline',
  /** Hardened pods: non-root, no privilege escalation, restricted volumes and capabilities. */
  RESTRICTED = 'restricted',
}

/** `labels` plus `app.kubernetes.io/managed-by: cdk8s-mesh`, for objects that need no other labels. */
export function managedLabels(labels: Record<string, string> = {}): Record<string, string> {
  return { ...labels, 'app.kubernetes.io/managed-by': MANAGED_BY };
}

/** Labels that enforce, audit and warn at one Pod Security level. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/audit': level,
    'pod-security.kubernetes.io/warn': level,
  };
}

/**
 * Labels of a mesh workload: `app` and `version` (Istio telemetry and Kiali group by them) plus
 * the recommended `app.kubernetes.io/*` labels.
 */
export function workloadLabels(app: string, version?: string, component?: string): Record<string, string> {
  return {
    app,
    ...(version ? { version } : {}),
    'app.kubernetes.io/name': app,
    ...(version ? { 'app.kubernetes.io/version': version } : {}),
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
    ...managedLabels(),
  };
}
