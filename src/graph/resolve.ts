// The resolve step: checks the intents of the whole app once and computes, per workload, the calls
// it receives and makes, with everything the renderers need (principals, container ports, hosts).
// It never throws: problems are returned and reported by the whole-app validation. Internal.
import { IConstruct } from 'constructs';
import { chainBudgetWarnings } from './budgets';
import type { CallIntent, MeshModel, WorkloadIntent } from './model';
import { principal, serviceHost } from '../common/istio';
import { invalidMessage } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/** A call as the renderers write it. */
export interface ResolvedCall {
  readonly caller: WorkloadIntent;
  readonly callee: WorkloadIntent;
  /** The caller's principal, in the callee's trust domain. */
  readonly principal: string;
  /** The callee's container ports the call reaches (authorization and NetworkPolicies match these). */
  readonly targetPorts: number[];
  readonly methods?: string[];
  readonly paths?: string[];
  /** The callee's fully qualified host, as the caller's proxy must know it. */
  readonly host: string;
}

/** A problem of the intents, reported as a validation error of `scope`. */
export interface Problem {
  readonly scope: IConstruct;
  readonly message: string;
}

/** The mesh as the renderers see it. */
export interface ResolvedMesh {
  /** Problems that fail the synth, with the construct they are about. */
  readonly problems: Problem[];
  /** Calls a workload receives, in declaration order. */
  inbound(workload: WorkloadIntent): ResolvedCall[];
  /** Calls a workload makes, in declaration order. */
  outbound(workload: WorkloadIntent): ResolvedCall[];
}

/** Resolves the model's intents. */
export function resolveMesh(model: MeshModel): ResolvedMesh {
  const problems: Problem[] = [];
  const inbound = new Map<WorkloadIntent, ResolvedCall[]>();
  const outbound = new Map<WorkloadIntent, ResolvedCall[]>();
  for (const call of model.calls) {
    const resolved = resolveCall(call, problems);
    if (!resolved) continue;
    // what the callee's data plane cannot enforce as declared (ambient: L7 rules sidecars bypass)
    const problem = call.callee.namespace.dataPlane.checkCall(resolved);
    if (problem) problems.push({ scope: call.caller.construct, message: problem });
    push(inbound, call.callee, resolved);
    push(outbound, call.caller, resolved);
  }
  problems.push(...overlappingSelectors(model.workloads));
  for (const warning of chainBudgetWarnings(model)) MeshWarnings.of(warning.scope).add(warning.message);
  return {
    inbound: w => inbound.get(w) ?? [],
    outbound: w => outbound.get(w) ?? [],
    problems,
  };
}

function resolveCall(call: CallIntent, problems: Problem[]): ResolvedCall | undefined {
  const { caller, callee } = call;
  const ports = call.ports === undefined ? callee.ports : callee.ports.filter(p => call.ports!.includes(p.port));
  const missing = (call.ports ?? []).filter(p => !callee.ports.some(q => q.port === p));
  if (missing.length > 0) {
    problems.push({
      scope: caller.construct,
      message: invalidMessage('calls ports', missing,
        `${callee.description} has no such Service port (it has ${callee.ports.map(p => p.port).join(', ')}); ` +
      'name the port callers dial, not the container port'),
    });
    return undefined;
  }
  if ((call.methods || call.paths) && !ports.every(p => p.http)) {
    problems.push({
      scope: caller.construct,
      message: invalidMessage(call.methods ? 'calls methods' : 'calls paths', call.methods ?? call.paths,
        `${callee.description} speaks TCP on ${ports.filter(p => !p.http).map(p => p.port).join(', ')}, where a rule with ` +
      'methods or paths never matches (Istio authorization); remove them or narrow the call to its HTTP ports'),
    });
    return undefined;
  }
  return {
    caller,
    callee,
    principal: principal(callee.namespace.trustDomain, caller.namespace.name, caller.serviceAccountName),
    targetPorts: [...new Set(ports.map(p => p.targetPort))].sort((a, b) => a - b),
    methods: call.methods,
    paths: call.paths,
    host: serviceHost(callee.serviceName!, callee.namespace.name, callee.namespace.clusterDomain),
  };
}

/**
 * Two workloads of a namespace whose selectors match the same pods would share each other's
 * policies, and Istio refuses two workload-selected Sidecars for one pod (istioctl IST0110). A
 * selector matches a workload when the workload's pods carry all of its labels (its known pod
 * labels, or, for a workload the app only refers to, its own selector).
 */
function overlappingSelectors(workloads: WorkloadIntent[]): Problem[] {
  const problems: Problem[] = [];
  const byNamespace = new Map<string, WorkloadIntent[]>();
  for (const w of workloads) push(byNamespace, w.namespace.name, w);
  for (const list of byNamespace.values()) {
    list.forEach((a, i) => {
      for (const b of list.slice(i + 1)) {
        if (matches(a.selector, b.podLabels ?? b.selector) || matches(b.selector, a.podLabels ?? a.selector)) {
          problems.push({
            scope: b.construct,
            message: invalidMessage('selector', b.selector,
              `selects the same pods as ${a.description} (${a.construct.node.path}, selector ${JSON.stringify(a.selector)}), ` +
            'so each would get the other\'s policies; give the workloads labels that tell their pods apart'),
          });
        }
      }
    });
  }
  return problems;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value); else map.set(key, [value]);
}
