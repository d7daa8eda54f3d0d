// Istio's telemetry and Kiali name a workload by its pods' `app` and `version` labels (or
// `app.kubernetes.io/name` and `app.kubernetes.io/version`; Istio docs, "Application Requirements"):
// without them, metrics and the service graph show it as unknown.
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { hasSidecar, isAmbient, isControlPlane } from './_shared';

export const appVersionLabels: Check = {
  name: 'mesh.WorkloadLabelAnalyzer',
  description: 'Checks that the pods of each mesh workload have app and version labels',
  messages: [MESH.MissingAppVersionLabels],
  run(context: CheckContext) {
    const { index } = context;
    for (const workload of index.workloads) {
      if (isControlPlane(workload.labels) || !(hasSidecar(workload, index) || isAmbient(workload, index))) continue;
      const missing = [
        ...!('app' in workload.labels || 'app.kubernetes.io/name' in workload.labels) ? ['app'] : [],
        ...!('version' in workload.labels || 'app.kubernetes.io/version' in workload.labels) ? ['version'] : [],
      ];
      if (missing.length > 0) context.report(workload.object, MESH.MissingAppVersionLabels, [missing.join(' or ')]);
    }
  },
};
