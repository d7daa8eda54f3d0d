// Kubernetes label selectors, as the API server and controllers evaluate them
// (Kubernetes docs, "Labels and Selectors": matchLabels and matchExpressions are ANDed).
// Internal: the analysis (MESH0009, calls the policies do not allow) and the tests share it.

/** A pod or namespace: its labels. */
export type Labels = Record<string, string>;

/** Whether `selector` (a LabelSelector: matchLabels / matchExpressions) selects `labels`; an empty selector selects everything. */
export function selects(selector: any, labels: Labels): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': if (!has || !e.values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && e.values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

/** Whether every label of `matchLabels` is on `labels` (Istio's `selector.matchLabels`, `workloadSelector.labels`). */
export function matchesLabels(matchLabels: Labels | undefined, labels: Labels): boolean {
  return Object.entries(matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}
