// What the app itself says about the workloads of a namespace: used to check, at synth time, that a
// port named in a policy is one the selected pods declare, and that the pods pass Pod Security. Internal: not exported from the package.
import { IConstruct } from 'constructs';
import { renderedObjects } from '../common/app-checks';
import { isWorkloadKind, podTemplateOf } from '../common/pod-spec';

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

/** Every workload of the app by namespace, from the objects rendered once per synth. */
function workloadIndex(root: IConstruct): Map<string, NamespaceWorkload[]> {
  let index = indexes.get(root);
  if (!index) {
    index = new Map();
    for (const { object, manifest } of renderedObjects(root)) {
      const namespace = manifest.metadata?.namespace;
      const template = isWorkloadKind(object.kind) && namespace ? podTemplateOf(manifest) : undefined;
      if (!template) continue;
      const list = index.get(namespace) ?? [];
      list.push({ name: `${object.kind}/${object.name}`, template });
      index.set(namespace, list);
    }
    indexes.set(root, index);
    // dropped with the rendered objects it was built from
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
