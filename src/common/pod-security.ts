import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';

/**
 * Pod Security Standards for cdk8s-plus workloads.
 */
export class PodSecurity {
  /**
   * Completes a cdk8s-plus pod or workload for the "restricted" Pod Security Standard.
   *
   * cdk8s-plus-27 already runs containers as non-root without privilege escalation, but cannot
   * express the other two rules of "restricted": the runtime's default seccomp profile and
   * dropping ALL capabilities (kubernetes.io/docs/concepts/security/pod-security-standards,
   * "Restricted"). This adds both with JSON patches, to every container the workload has now:
   * call it after the last `addContainer`. A `ZeroTrustNamespace` fails synthesis for a pod its
   * level would reject, so a container added later does not go unnoticed.
   */
  public static restrict(workload: kplus.AbstractPod): void {
    const spec = podSpecPath(workload);
    const patches = [JsonPatch.add(`${spec}/securityContext/seccompProfile`, { type: 'RuntimeDefault' })];
    const drop = (list: string, i: number) => JsonPatch.add(`${spec}/${list}/${i}/securityContext/capabilities`, { drop: ['ALL'] });
    workload.initContainers.forEach((_, i) => patches.push(drop('initContainers', i)));
    workload.containers.forEach((_, i) => patches.push(drop('containers', i)));
    ApiObject.of(workload).addJsonPatch(...patches);
  }

  private constructor() {}
}

/** Where a workload kind keeps its pod spec. */
function podSpecPath(workload: kplus.AbstractPod): string {
  if (workload instanceof kplus.Pod) return '/spec';
  if (workload instanceof kplus.CronJob) return '/spec/jobTemplate/spec/template/spec';
  return '/spec/template/spec';
}
