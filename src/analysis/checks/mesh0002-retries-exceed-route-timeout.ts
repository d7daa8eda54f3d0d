// The retry trap (MISSION.md section 4; istio/istio#21137, #55748): Envoy's route timeout includes
// every attempt and the back-off between them, so a per-try timeout as long as the route timeout
// leaves no time for a retry of an attempt that timed out. The fit rule is the one CanaryService
// applies (src/traffic/retries.ts retryBudget), here on any VirtualService http route.
import { retryBudget } from '../../traffic/retries';
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { goQuote } from '../_format';
import { TYPES } from '../_object-index';

/** Istio's number of retries when `retries` names none (HTTPRetry.attempts). */
const DEFAULT_ATTEMPTS = 2;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export const retriesExceedRouteTimeout: Check = {
  name: 'mesh.RetryBudgetAnalyzer',
  description: 'Checks that the retries of each http route fit in its timeout',
  messages: [MESH.RetriesExceedRouteTimeout],
  run(context: CheckContext) {
    for (const vs of context.index.ofType(TYPES.VirtualService)) {
      (vs.spec.http ?? []).forEach((route: any, i: number) => {
        const timeoutMs = durationMs(route?.timeout);
        const perTryMs = durationMs(route?.retries?.perTryTimeout);
        const attempts = Number(route?.retries?.attempts ?? DEFAULT_ATTEMPTS);
        if (timeoutMs === undefined || perTryMs === undefined || !(attempts > 0)) return;
        const budget = retryBudget(timeoutMs, attempts, perTryMs);
        if (budget.neededMs <= timeoutMs) return;
        const which = budget.fittingRetries === 0 ? `none of the ${attempts} retries` : `only ${budget.fittingRetries} of the ${attempts} retries`;
        const fixes = [
          ...budget.fittingPerTryMs >= 1 ? [`set retries.perTryTimeout to at most ${budget.fittingPerTryMs}ms`] : [],
          `raise timeout to at least ${budget.neededMs}ms`,
        ];
        context.report(vs, MESH.RetriesExceedRouteTimeout,
          [route?.name ? goQuote(String(route.name)) : `#${i}`, route.timeout, route.retries.perTryTimeout, which, fixes.join(', or ')],
          ['spec', 'http', i, 'retries', 'perTryTimeout']);
      });
    }
  },
};

/** A Go duration (`2s`, `1.5s`, `500ms`, `1m30s`) in milliseconds, or undefined when there is none. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) return undefined;
  let ms = 0;
  for (const [, n, , unit] of value.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[unit];
  return ms;
}
