// A namespace's `pod-security.kubernetes.io/enforce` level rejects pods that break it, and the
// admission error only shows in the cluster, on the ReplicaSet, long after the YAML was committed.
// The rules are those ZeroTrustNamespace applies (src/zero-trust/pod-security-check.ts).
import { PodSecurityLevel } from '../../common/labels';
import { podSecurityViolations } from '../../zero-trust/pod-security-check';
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';

const ENFORCE = 'pod-security.kubernetes.io/enforce';

export const podSecurity: Check = {
  name: 'mesh.PodSecurityAnalyzer',
  description: 'Checks the pods of each namespace against the Pod Security level it enforces',
  messages: [MESH.PodSecurityViolation],
  run(context: CheckContext) {
    const { index } = context;
    for (const ns of index.ofType(TYPES.Namespace)) {
      const level = Object.values(PodSecurityLevel).find(l => l === ns.labels[ENFORCE]);
      if (level === undefined || level === PodSecurityLevel.PRIVILEGED) continue;
      for (const workload of index.workloadsIn(ns.name)) {
        const problems = podSecurityViolations(level, { metadata: { annotations: workload.annotations }, spec: workload.spec });
        if (problems.length > 0) context.report(workload.object, MESH.PodSecurityViolation, [level, ns.name, problems.join('; ')]);
      }
    }
  },
};
