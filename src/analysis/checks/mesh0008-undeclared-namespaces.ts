// A workload's data plane is decided by its namespace's labels (istio-injection, istio.io/rev,
// istio.io/dataplane-mode). When no Namespace object declares them, they are unknown: a namespace
// created bare (`kubectl create namespace`, Argo CD's CreateNamespace=true) gets no sidecars, and
// under STRICT mTLS its pods reach nothing; a misspelt namespace looks the same.
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';

/** Namespaces that exist in every cluster, with no data plane of the mesh's to decide. */
const CLUSTER_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export const undeclaredNamespaces: Check = {
  name: 'mesh.NamespaceAnalyzer',
  description: 'Checks that each workload\'s namespace is declared, with its data-plane labels',
  messages: [MESH.UndeclaredNamespace],
  run(context: CheckContext) {
    const { index } = context;
    const istio = new Set([index.meshConfig.istioNamespace, index.meshConfig.rootNamespace]);
    for (const workload of index.workloads) {
      const ns = workload.namespace;
      if (CLUSTER_NAMESPACES.has(ns) || istio.has(ns) || index.find(TYPES.Namespace, undefined, ns)) continue;
      context.report(workload.object, MESH.UndeclaredNamespace, [ns], ['metadata', 'namespace']);
    }
  },
};
