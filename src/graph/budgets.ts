// Timeouts and retries along call chains. A route's timeout covers every retry of that route
// (Envoy router, "x-envoy-upstream-rq-timeout-ms"; istio/istio#21137), and each hop's retries
// multiply the tries of the hops before it. Internal.
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import type { MeshModel, RouteBudget, WorkloadIntent } from './model';
import { formatDuration } from '../common/duration';
import { worstCaseBackoffMs } from '../traffic/retries';

export interface BudgetWarning {
  readonly scope: IConstruct;
  readonly message: string;
}

/** The longest a request to a route may take, retries included; undefined when nothing bounds it. */
export function routeBudgetMs(route: RouteBudget): number | undefined {
  if (route.timeoutMs !== undefined) return route.timeoutMs;
  if (route.perTryTimeoutMs === undefined) return undefined;
  return (route.retries + 1) * route.perTryTimeoutMs + worstCaseBackoffMs(route.retries);
}

/** Warnings for the call chains of the model. */
export function chainBudgetWarnings(model: MeshModel): BudgetWarning[] {
  return [...timeoutWarnings(model), ...amplificationWarnings(model)];
}

/**
 * A caller whose own route times out before its callee's route has run out of retries: the
 * caller's clients give up while it still waits for the callee.
 */
function timeoutWarnings(model: MeshModel): BudgetWarning[] {
  const warnings: BudgetWarning[] = [];
  for (const { caller, callee } of model.calls) {
    const callerTimeout = caller.route?.timeoutMs;
    const calleeBudget = callee.route && routeBudgetMs(callee.route);
    if (callerTimeout === undefined || calleeBudget === undefined || calleeBudget < callerTimeout) continue;
    warnings.push({
      scope: caller.construct,
      message: `${caller.description}: its route timeout ${ms(callerTimeout)} is not longer than its call to ` +
        `${callee.description} may take with ${callee.description}'s retries (up to ${ms(calleeBudget)}), so its callers ` +
        'give up while it still waits; give it a longer timeout than the services it calls, or shorten theirs',
    });
  }
  return warnings;
}

/** A service that one request may reach more often than `maxTriesPerRequest`, through retries at several hops. */
function amplificationWarnings(model: MeshModel): BudgetWarning[] {
  // The most tries one request may cause at a workload, and the chain that causes them. A workload
  // no declared call reaches is where requests enter (its own route's retries are not on the path);
  // each call to a callee multiplies by the tries of the callee's route.
  const memo = new Map<WorkloadIntent, { tries: number; chain: WorkloadIntent[] }>();
  const visiting = new Set<WorkloadIntent>();
  const worst = (w: WorkloadIntent): { tries: number; chain: WorkloadIntent[] } => {
    const known = memo.get(w);
    if (known) return known;
    visiting.add(w);
    let result = { tries: 1, chain: [w] };
    for (const { caller } of model.callsOf(w).inbound) {
      if (caller === w || visiting.has(caller)) continue; // a cycle: counted once
      const upstream = worst(caller);
      const tries = upstream.tries * ((w.route?.retries ?? 0) + 1);
      if (tries > result.tries || result.chain.length === 1) result = { tries, chain: [...upstream.chain, w] };
    }
    visiting.delete(w);
    memo.set(w, result);
    return result;
  };
  const warnings: BudgetWarning[] = [];
  for (const w of model.workloads) {
    const { tries, chain } = worst(w);
    if (tries <= model.maxTriesPerRequest) continue;
    const factors = chain.slice(1).map(c => (c.route?.retries ?? 0) + 1).join(' x ');
    warnings.push({
      scope: w.construct,
      message: `${w.description}: one request may reach it up to ${tries} times, since retries multiply along ` +
        `${chain.map(c => c.description).join(' -> ')} (${factors} tries), above the limit of ${model.maxTriesPerRequest}; ` +
        'retry at one hop only (retries: { attempts: 0 } on the others), or raise maxTriesPerRequest with MeshWorkload.setLimits()',
    });
  }
  return warnings;
}

function ms(value: number): string {
  return formatDuration(Duration.millis(value));
}
