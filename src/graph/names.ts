// Names given as strings are where typos hide: a rule for `cluster.local/ns/order/sa/chekout` is
// written as given and admits nobody. Every namespace a rule names must be one the app creates or
// names as existing elsewhere, and every service account it names in a namespace the app creates
// must be one the app defines there or refers to. Internal.
import type { MeshModel } from './model';
import type { Problem } from './resolve';
import type { RenderedObject } from '../common/app-checks';
import { invalidMessage } from '../common/validation';

/** One message per name the app does not know. */
export function unknownNames(model: MeshModel, objects: RenderedObject[]): Problem[] {
  const namespaces = new Set(model.namespaces.keys());
  const serviceAccounts = new Set(model.workloads.map(w => `${w.namespace.name}/${w.serviceAccountName}`));
  for (const { object, manifest } of objects) {
    if (object.kind === 'Namespace') namespaces.add(manifest.metadata?.name);
    if (object.kind === 'ServiceAccount') serviceAccounts.add(`${manifest.metadata?.namespace}/${manifest.metadata?.name}`);
  }
  const problems: Problem[] = [];
  for (const ns of model.namespaces.values()) {
    if (!ns.managed) continue;
    const known = (name: string) => namespaces.has(name) || name === ns.rootNamespace;
    for (const { field, name } of ns.namedNamespaces) {
      if (known(name)) continue;
      problems.push({
        scope: ns.construct,
        message: invalidMessage(field, name,
          'is no namespace this app creates or names: fix the name, or declare a namespace that exists elsewhere with ' +
        `ZeroTrustNamespace.fromName(scope, id, ${JSON.stringify(name)})`),
      });
    }
    for (const { field, namespace, name } of ns.namedServiceAccounts) {
      if (!model.namespaces.get(namespace)?.managed || serviceAccounts.has(`${namespace}/${name}`)) continue;
      problems.push({
        scope: ns.construct,
        message: invalidMessage(field, `${namespace}/${name}`,
          `no workload of this app runs as that service account in namespace ${namespace}, which the app creates: fix the name, ` +
        'or declare the workload deployed by other means with MeshWorkload.fromService() or MeshWorkload.fromServiceAccount()'),
      });
    }
  }
  return problems;
}
