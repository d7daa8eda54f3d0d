// Where each workload kind keeps its pod template: one table for every construct that reads or
// patches pod specs (Pod Security, sysctls, the whole-app checks). Internal.

/** JSON pointer to the pod template (`metadata` and `spec`) of each workload kind. */
const POD_TEMPLATE: { readonly [kind: string]: string } = {
  Pod: '', // the pod is its own template
  Deployment: '/spec/template',
  StatefulSet: '/spec/template',
  DaemonSet: '/spec/template',
  ReplicaSet: '/spec/template',
  Job: '/spec/template',
  CronJob: '/spec/jobTemplate/spec/template',
  // Argo Rollouts; a Rollout with `workloadRef` has no template of its own
  Rollout: '/spec/template',
};

/** Whether objects of this kind run pods from a template of their own. */
export function isWorkloadKind(kind: string): boolean {
  return kind in POD_TEMPLATE;
}

/** JSON pointer to the pod spec of a workload kind, e.g. `/spec/template/spec`; undefined for other kinds. */
export function podSpecPointer(kind: string): string | undefined {
  return isWorkloadKind(kind) ? `${POD_TEMPLATE[kind]}/spec` : undefined;
}

/** The pod template (`metadata` and `spec`) of a workload manifest, or undefined when it has none. */
export function podTemplateOf(manifest: any): any | undefined {
  const pointer = POD_TEMPLATE[manifest?.kind];
  if (pointer === undefined) return undefined;
  let value = manifest;
  for (const key of pointer.split('/').slice(1)) value = value?.[key];
  return value?.spec ? value : undefined;
}
