// istioctl's applicationUID.Analyzer (analyzers/deployment/pod.go): Pods and Deployments must not
// run their containers as UID 1337, the sidecar's (a pod-level runAsUser, or a container's other than
// istio-proxy and istio-operator); Istio's own control plane is skipped.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';
import { isControlPlane } from './_shared';

const PROXY_UID = 1337;

export const applicationUid: Check = {
  name: 'applicationUID.Analyzer',
  description: 'Checks invalid application UID',
  messages: [IST.InvalidApplicationUID],
  run(context: CheckContext) {
    for (const workload of context.index.workloads) {
      const object = workload.object;
      if (object.type !== TYPES.Pod && object.type !== TYPES.Deployment) continue;
      // the labels of the Pod, or of the Deployment itself
      if (isControlPlane(object.labels)) continue;
      const spec = workload.spec ?? {};
      const podLevel = Number(spec.securityContext?.runAsUser) === PROXY_UID;
      const container = (spec.containers ?? []).some((c: any) =>
        c?.name !== 'istio-proxy' && c?.name !== 'istio-operator' && Number(c?.securityContext?.runAsUser) === PROXY_UID);
      if (podLevel || container) context.report(object, IST.InvalidApplicationUID, []);
    }
  },
};
