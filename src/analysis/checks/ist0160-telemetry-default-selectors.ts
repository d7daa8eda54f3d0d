// istioctl's telemetry.DefaultSelectorAnalyzer (analyzers/telemetry/default_selector.go): a
// namespace may have only one Telemetry without a selector.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';
import { groupBy } from './_shared';

export const telemetryDefaultSelectors: Check = {
  name: 'telemetry.DefaultSelectorAnalyzer',
  description: 'Validates that there aren\'t multiple telemetry resources that have no selector',
  messages: [IST.MultipleTelemetriesWithoutWorkloadSelectors],
  run(context: CheckContext) {
    // istioctl: a Telemetry without `selector` at all (an empty one does not count)
    const selectorless = context.index.ofType(TYPES.Telemetry).filter(t => t.spec.selector === undefined || t.spec.selector === null);
    for (const [namespace, telemetries] of groupBy(selectorless, t => t.namespace!)) {
      if (telemetries.length < 2) continue;
      const names = telemetries.map(t => t.name).sort();
      for (const telemetry of telemetries) context.report(telemetry, IST.MultipleTelemetriesWithoutWorkloadSelectors, [names, namespace]);
    }
  },
};
