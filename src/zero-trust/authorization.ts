// Istio AuthorizationPolicies of zero trust. A request reaches a workload only if no DENY policy
// matches it and some ALLOW policy does, once any ALLOW policy selects the workload (Istio docs,
// "Authorization Policy", "Policy evaluation"); `allow-nothing` (ALLOW without rules) selects every
// pod of a namespace and matches nothing, so only explicit rules let requests in. Internal.
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { workloadObjectName } from './network-policy';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../../imports/security.istio.io';
import type { MeshModel, WorkloadIntent } from '../graph/model';
import type { ResolvedCall } from '../graph/resolve';

/** An AuthorizationPolicy rule: who (`from`) may do what (`to`). */
export interface AuthorizationRule {
  readonly from?: Array<{ readonly source: Record<string, string[]> }>;
  readonly to?: Array<{ readonly operation: Record<string, string[]> }>;
}

/** The `to` of a rule narrowed to ports, methods and paths; undefined when it is not narrowed. */
export function operation(ports?: number[], methods?: string[], paths?: string[]): AuthorizationRule['to'] {
  const op = {
    ...ports ? { ports: ports.map(String) } : {},
    ...methods ? { methods } : {},
    ...paths ? { paths } : {},
  };
  return Object.keys(op).length > 0 ? [{ operation: op }] : undefined;
}

/** The rule a declared call needs at its callee: the caller's principal, on the call's ports, methods and paths. */
export function callRule(call: ResolvedCall): AuthorizationRule {
  const to = operation(call.targetPorts, call.methods, call.paths);
  return { from: [{ source: { principals: [call.principal] } }], ...to ? { to } : {} };
}

/** The deny-by-default policy of a namespace: an ALLOW policy without rules matches nothing. */
export function addAllowNothing(scope: Construct, id: string, namespace: string): ApiObject {
  return new AuthorizationPolicy(scope, id, { metadata: { name: 'allow-nothing', namespace }, spec: {} });
}

/** An ALLOW policy whose rules are read at synth time. */
export function addAllowPolicy(scope: Construct, id: string, o: {
  readonly name: string;
  readonly namespace: string;
  readonly selector?: Record<string, string>;
  readonly rules: () => AuthorizationRule[];
}): ApiObject {
  return new AuthorizationPolicy(scope, id, {
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      ...o.selector ? { selector: { matchLabels: { ...o.selector } } } : {},
      action: AuthorizationPolicySpecAction.ALLOW,
      rules: Lazy.any({ produce: () => o.rules() }),
    },
  });
}

/** The ALLOW policy of one workload of the graph, selecting its pods: a rule per call it receives. */
export function addWorkloadAuthorization(scope: Construct, id: string, workload: WorkloadIntent, model: MeshModel): ApiObject {
  return addAllowPolicy(scope, id, {
    name: workloadObjectName(workload),
    namespace: workload.namespace.name,
    selector: workload.selector,
    rules: () => model.resolved().inbound(workload).map(callRule),
  });
}
