// istioctl's telemetry.SelectorAnalyzer (analyzers/telemetry/selector.go): a Telemetry's selector
// must select pods of its namespace (IST0101), and no pod may be selected by two Telemetries (IST0159).
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { AnalyzedObject, TYPES, Workload } from '../_object-index';
import { isEmpty, selectorString } from './_shared';

export const telemetrySelectors: Check = {
  name: 'telemetry.SelectorAnalyzer',
  description: 'Validates that telemetries that define a selector match at least one pod, ' +
    'and that there aren\'t multiple telemetry resources that select overlapping pods',
  messages: [IST.ReferencedResourceNotFound, IST.ConflictingTelemetryWorkloadSelectors],
  run(context: CheckContext) {
    const { index } = context;
    const byWorkload = new Map<Workload, AnalyzedObject[]>();
    for (const telemetry of index.ofType(TYPES.Telemetry)) {
      const labels = telemetry.spec.selector?.matchLabels;
      if (isEmpty(labels)) continue;
      const selected = index.selectWorkloads(labels, telemetry.namespace);
      if (selected.length === 0) {
        const selector = selectorString(labels);
        context.report(telemetry, IST.ReferencedResourceNotFound, ['selector', selector],
          ['spec', 'selector', 'matchLabels', selector.split('=')[0]]);
      }
      for (const w of selected) byWorkload.set(w, [...byWorkload.get(w) ?? [], telemetry]);
    }
    for (const [workload, telemetries] of byWorkload) {
      if (telemetries.length < 2) continue;
      const names = telemetries.map(t => t.name).sort();
      for (const telemetry of telemetries) {
        context.report(telemetry, IST.ConflictingTelemetryWorkloadSelectors, [names, workload.namespace, workload.name], ['metadata', 'name']);
      }
    }
  },
};
