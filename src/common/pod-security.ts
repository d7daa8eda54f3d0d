import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { podSpecPointer } from './pod-spec';

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
    const api = ApiObject.of(workload);
    const spec = podSpecPointer(api.kind);
    const patches = [JsonPatch.add(`${spec}/securityContext/seccompProfile`, { type: 'RuntimeDefault' })];
    const drop = (list: string, i: number) => JsonPatch.add(`${spec}/${list}/${i}/securityContext/capabilities`, { drop: ['ALL'] });
    workload.initContainers.forEach((_, i) => patches.push(drop('initContainers', i)));
    workload.containers.forEach((_, i) => patches.push(drop('containers', i)));
    api.addJsonPatch(...patches);
  }

  private constructor() {}
}
