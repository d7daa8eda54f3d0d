// Facts several checks share: label selectors as istioctl prints them, and whether a workload's pods
// are in the mesh. Internal.
import { DATAPLANE_MODE_LABEL, INJECTION_LABEL, REVISION_LABEL, SIDECAR_INJECT_LABEL } from '../../common/istio';
import { ObjectIndex, TYPES, Workload } from '../_object-index';

export const PROXY_CONTAINER = 'istio-proxy';

/** A label selector as Kubernetes prints it (labels.SelectorFromSet(...).String()): `a=1,b=2`, keys sorted. */
export function selectorString(selector: Record<string, unknown> | undefined): string {
  return Object.keys(selector ?? {}).sort().map(k => `${k}=${selector![k]}`).join(',');
}

/** Whether a selector (a `matchLabels` or a `workloadSelector.labels`) names no label. */
export function isEmpty(selector: Record<string, unknown> | undefined): boolean {
  return selector === undefined || selector === null || Object.keys(selector).length === 0;
}

/**
 * Whether a workload's pods get a sidecar (util.DeploymentInMesh, PodInMesh): an `istio-proxy`
 * container, the pod's `sidecar.istio.io/inject` label or annotation, else its namespace's
 * injection label. istioctl looks at running pods, already injected; a pod template is not yet,
 * so a namespace labelled `istio.io/rev` also counts, as the injector would inject it.
 */
export function hasSidecar(workload: Workload, index: ObjectIndex, withInitContainers = true): boolean {
  const containers = [...workload.spec?.containers ?? [], ...withInitContainers ? workload.spec?.initContainers ?? [] : []];
  if (containers.some((c: any) => c?.name === PROXY_CONTAINER && c.image)) return true;
  const inject = workload.labels[SIDECAR_INJECT_LABEL] ?? workload.annotations[SIDECAR_INJECT_LABEL];
  if (inject !== undefined) return inject === 'true';
  const namespace = index.find(TYPES.Namespace, undefined, workload.namespace);
  if (!namespace) return false;
  return namespace.labels[INJECTION_LABEL] === 'enabled'
    || (namespace.labels[INJECTION_LABEL] === undefined && !!namespace.labels[REVISION_LABEL]);
}

/**
 * Whether a workload's pods run in ambient mode: istioctl reads the CNI's redirection annotation
 * on running pods; before they run, their namespace's `istio.io/dataplane-mode: ambient` (and no
 * sidecar, no opt-out on the pod) says the same.
 */
export function isAmbient(workload: Workload, index: ObjectIndex): boolean {
  if (workload.annotations['ambient.istio.io/redirection'] === 'enabled') return true;
  if (workload.labels[DATAPLANE_MODE_LABEL] === 'none' || hasSidecar(workload, index)) return false;
  if (workload.labels[DATAPLANE_MODE_LABEL] === 'ambient') return true;
  const namespace = index.find(TYPES.Namespace, undefined, workload.namespace);
  return namespace !== undefined && namespaceIsAmbient(namespace.labels);
}

/** util.NamespaceInAmbientMode: ambient, unless a sidecar injection label says otherwise. */
export function namespaceIsAmbient(labels: Record<string, string>): boolean {
  if (labels[INJECTION_LABEL] === 'enabled' || labels[REVISION_LABEL]) return false;
  return labels[DATAPLANE_MODE_LABEL] === 'ambient';
}

/** Whether an object belongs to Istio's own control plane (util.IsIstioControlPlane): an `istio` label, or `release: istio`. */
export function isControlPlane(labels: Record<string, string>): boolean {
  return 'istio' in labels || labels.release === 'istio';
}

/** Groups values by a key, in order. */
export function groupBy<T>(values: Iterable<T>, keyOf: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const v of values) {
    const k = keyOf(v);
    const list = groups.get(k);
    if (list) list.push(v);
    else groups.set(k, [v]);
  }
  return groups;
}
