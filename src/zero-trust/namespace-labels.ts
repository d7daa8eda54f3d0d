// The labels of a zero-trust Namespace: the user's, the data plane's (which put its pods on the
// mesh) and Pod Security's, which the user may not set by hand. Internal.
import { IConstruct } from 'constructs';
import { PodSecurityLevel, podSecurityLabels } from '../common/labels';
import { checkLabels, invalid, invalidMessage } from '../common/validation';
import type { DataPlaneRenderer } from '../data-plane/data-plane';

const POD_SECURITY_PREFIX = 'pod-security.kubernetes.io/';

/** The Namespace's labels: the user's, checked, then the data plane's and Pod Security's. */
export function namespaceLabels(scope: IConstruct, labels: Record<string, string> | undefined, dataPlane: DataPlaneRenderer,
  revision: string | undefined, level: PodSecurityLevel): Record<string, string> {
  // a revision the data plane refuses on its own (ambient has no sidecar injection to pin)
  const revisionProblem = revision === undefined ? undefined : dataPlane.labelConflict({}, revision);
  if (revisionProblem) throw invalid(scope, 'revision', revision, revisionProblem);
  const given = checkLabels(scope, 'labels', labels ?? {}, true);
  const podSecurity = Object.keys(given).find(k => k.startsWith(POD_SECURITY_PREFIX));
  const problem = podSecurity ? `set ${podSecurity} with the 'podSecurity' prop` : dataPlane.labelConflict(given, revision);
  if (problem) throw invalid(scope, 'labels', labels, problem);
  return { ...given, ...dataPlane.namespaceLabels({ revision }), ...podSecurityLabels(level) };
}

/** The problem with a Namespace's final labels (after escape hatches), as a validation message. */
export function namespaceLabelsProblem(labels: Record<string, string>, dataPlane: DataPlaneRenderer, revision?: string): string[] {
  const problem = dataPlane.labelConflict(labels, revision);
  return problem ? [invalidMessage('labels', labels, problem)] : [];
}
