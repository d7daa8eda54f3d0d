// What the app itself says about the workloads of a namespace: used to check, at synth time, that a
// port named in a policy is one the selected pods declare, and that the pods pass Pod Security. Internal: not exported from the package.
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/** Where each workload kind keeps its pod template. */
const POD_TEMPLATE: { [kind: string]: (manifest: any) => any } = {
  Pod: m => m,
  Deployment: m => m.spec?.template,
  StatefulSet: m => m.spec?.template,
  DaemonSet: m => m.spec?.template,
  ReplicaSet: m => m.spec?.template,
  Job: m => m.spec?.template,
  CronJob: m => m.spec?.jobTemplate?.spec?.template,
  Rollout: m => m.spec?.template, // Argo Rollouts; a Rollout with workloadRef has none and is skipped
};

/** A workload of the app and its pod template (`metadata` and `spec`). */
export interface NamespaceWorkload {
  /** `Kind/name`. */
  readonly name: string;
  readonly template: any;
}

/**
 * The workloads of the whole app (any chart) in `namespace` that have a pod template. Call it at
 * validation time, when the app is complete.
 */
export function workloadsIn(scope: IConstruct, namespace: string): NamespaceWorkload[] {
  return workloadIndex(scope.node.root).get(namespace) ?? [];
}

const indexes = new WeakMap<IConstruct, Map<string, NamespaceWorkload[]>>();

/**
 * Every workload of the app by namespace, rendered once per synth. cdk8s validates the whole app
 * once per chart, and every ZeroTrustNamespace asks, so rendering each time would cost
 * charts x namespaces x workloads. A synth runs synchronously: the index is dropped once the
 * current task is over, so a later synth sees later changes.
 */
function workloadIndex(root: IConstruct): Map<string, NamespaceWorkload[]> {
  let index = indexes.get(root);
  if (!index) {
    index = new Map();
    for (const c of root.node.findAll()) {
      if (!ApiObject.isApiObject(c) || !(c.kind in POD_TEMPLATE) || !c.metadata.namespace) continue;
      let template: any;
      try {
        template = POD_TEMPLATE[c.kind](c.toJson());
      } catch {
        continue; // a workload that cannot render yet reports its own error at synth
      }
      if (!template?.spec) continue;
      const list = index.get(c.metadata.namespace) ?? [];
      list.push({ name: `${c.kind}/${c.name}`, template });
      index.set(c.metadata.namespace, list);
    }
    indexes.set(root, index);
    queueMicrotask(() => indexes.delete(root));
  }
  return index;
}

/** The workloads of an app in one namespace whose pods carry the selector's labels. */
export interface SelectedWorkloads {
  /** `Kind/name` of every workload selected. */
  readonly names: string[];
  /** Every container port they declare. */
  readonly ports: Set<number>;
}

/** The workloads of `namespace` whose pod template carries every label of `selector`, and their container ports. */
export function selectWorkloads(scope: IConstruct, namespace: string, selector: { [key: string]: string }): SelectedWorkloads {
  const names: string[] = [];
  const ports = new Set<number>();
  for (const { name, template } of workloadsIn(scope, namespace)) {
    const labels: { [key: string]: string } = template.metadata?.labels ?? {};
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
    names.push(name);
    for (const container of template.spec.containers ?? []) {
      for (const port of container.ports ?? []) ports.add(port.containerPort);
    }
  }
  return { names, ports };
}
