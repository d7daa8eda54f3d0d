// istioctl's auth.AuthorizationPoliciesAnalyzer (analyzers/authz/authorizationpolicies.go): an
// AuthorizationPolicy must apply to some mesh workload (a sidecar or ambient pod) - in the whole mesh
// for one with a selector in the root namespace, in its namespace otherwise (IST0127); every namespace
// its rules name (`namespaces`, `notNamespaces`, with `*` globs) must exist (IST0101). Without a
// cluster, a namespace exists when an object creates it or lives in it, or every cluster has it.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES, Workload } from '../_object-index';
import { hasSidecar, isAmbient, selectorString } from './_shared';

export const authorizationPolicies: Check = {
  name: 'auth.AuthorizationPoliciesAnalyzer',
  description: 'Checks the validity of authorization policies',
  messages: [IST.NoMatchingWorkloadsFound, IST.ReferencedResourceNotFound],
  run(context: CheckContext) {
    const { index } = context;
    const inMesh = new Map<Workload, boolean>();
    const meshPods = (pods: Workload[]) => pods.filter(w => {
      let known = inMesh.get(w);
      if (known === undefined) inMesh.set(w, known = hasSidecar(w, index) || isAmbient(w, index));
      return known;
    });
    const namespaces = [...index.knownNamespaces].map(n => n.toLowerCase());
    const exact = new Set(namespaces);

    for (const policy of index.ofType(TYPES.AuthorizationPolicy)) {
      const selector = policy.spec.selector;
      const hasSelector = selector !== undefined && selector !== null;
      if (policy.namespace === index.meshConfig.rootNamespace) {
        // mesh-wide: only a selector can miss
        if (hasSelector && context.judges('*') && meshPods(index.selectWorkloads(selector.matchLabels)).length === 0) {
          context.report(policy, IST.NoMatchingWorkloadsFound, [selectorString(selector.matchLabels)]);
        }
      } else if (!hasSelector) {
        if (meshPods(index.workloadsIn(policy.namespace!)).length === 0) context.report(policy, IST.NoMatchingWorkloadsFound, ['']);
      } else if (meshPods(index.selectWorkloads(selector.matchLabels, policy.namespace)).length === 0) {
        context.report(policy, IST.NoMatchingWorkloadsFound, [selectorString(selector.matchLabels)]);
      }

      (policy.spec.rules ?? []).forEach((rule: any, i: number) => (rule?.from ?? []).forEach((from: any, j: number) => {
        for (const field of ['namespaces', 'notNamespaces']) {
          (from?.source?.[field] ?? []).forEach((ns: string, k: number) => {
            if (!namespaceExists(String(ns), exact, namespaces) && context.judges(String(ns))) {
              context.report(policy, IST.ReferencedResourceNotFound, ['namespace', ns], ['spec', 'rules', i, 'from', j, 'source', field, k]);
            }
          });
        }
      }));
    }
  },
};

/** namespaceMatch: `*`, `*suffix`, `prefix*` or a name (case-insensitive) against the known namespaces. */
function namespaceExists(pattern: string, exact: Set<string>, namespaces: string[]): boolean {
  if (pattern === '*') return namespaces.length > 0;
  if (pattern.startsWith('*')) return namespaces.some(n => n.endsWith(pattern.slice(1).toLowerCase()));
  if (pattern.endsWith('*')) return namespaces.some(n => n.startsWith(pattern.slice(0, -1).toLowerCase()));
  return exact.has(pattern.toLowerCase());
}
