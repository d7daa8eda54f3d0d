// A call the app declares (`a.calls(b)`) that the emitted objects do not let through is a broken
// call: a DENY AuthorizationPolicy, a NetworkPolicy or a Sidecar added by hand, or a patch, can undo
// what the service graph wrote. Each declared call is judged at every layer with the semantics of
// Istio authorization, Kubernetes NetworkPolicy and Sidecar scope (src/analysis/semantics).
import { MESH } from '../_catalog';
import type { Check, CheckContext, DeclaredCall } from '../_engine';
import { AnalyzedObject, ObjectIndex, TYPES } from '../_object-index';
import { authorize } from '../semantics/istio-authorization';
import { matchesLabels } from '../semantics/labels';
import { connects } from '../semantics/network-policy';
import { effectiveSidecar, sees } from '../semantics/sidecar-scope';

export const callGraphPolicies: Check = {
  name: 'mesh.CallGraphAnalyzer',
  description: 'Checks that authorization, NetworkPolicies and Sidecars let every call the app declares through',
  messages: [MESH.CallWithoutPolicy],
  run(context: CheckContext) {
    if (context.calls.length === 0) return;
    const { index } = context;
    const root = index.meshConfig.rootNamespace;
    // each layer reads the objects of one or two namespaces: indexed once, never scanned per call
    const byNamespace = (type: string) => {
      const map = new Map<string, any[]>();
      for (const o of index.ofType(type)) map.set(o.namespace ?? '', [...map.get(o.namespace ?? '') ?? [], o.manifest]);
      return (...namespaces: string[]) => [...new Set(namespaces)].flatMap(ns => map.get(ns) ?? []);
    };
    const policies = byNamespace(TYPES.AuthorizationPolicy);
    const networkPolicies = byNamespace(TYPES.NetworkPolicy);
    const sidecars = byNamespace(TYPES.Sidecar);
    for (const call of context.calls) {
      const denied = deniedBy(call, policies(call.to.namespace, root), networkPolicies(call.from.namespace, call.to.namespace),
        sidecars(call.from.namespace, root), root);
      if (!denied) continue;
      const object = reportOn(index, denied.type, call, denied.request);
      if (object) context.report(object, MESH.CallWithoutPolicy, [call.description, denied.what, denied.fix]);
    }
  },
};

interface Request {
  readonly principal: string;
  readonly namespace: string;
  readonly port: number;
  readonly method?: string;
  readonly path?: string;
}

interface Denial {
  readonly type: string;
  readonly what: string;
  readonly fix: string;
  /** The request that is refused. */
  readonly request: Request;
}

function deniedBy(call: DeclaredCall, policies: any[], networkPolicies: any[], sidecars: any[], root: string): Denial | undefined {
  const callee = { namespace: call.to.namespace, labels: call.to.labels };
  const caller = { namespace: call.from.namespace, labels: call.from.labels };
  // one request the call may make: its first method and a path its first pattern matches
  const method = call.http ? call.methods?.[0] ?? 'GET' : undefined;
  const path = call.http ? (call.paths?.[0] ?? '/').replace(/^\*/, '/x').replace(/\*$/, 'x') : undefined;
  const request = (port: number): Request => ({ principal: call.principal, namespace: call.from.namespace, port, method, path });
  const refused = call.ports.find(port => !authorize(policies, callee, request(port), root));
  if (refused !== undefined) {
    return {
      request: request(refused),
      type: TYPES.AuthorizationPolicy,
      what: `the AuthorizationPolicies of ${call.to.namespace} (port ${refused}${method ? `, ${method} ${path}` : ''})`,
      fix: 'remove or narrow the policy that denies it, or declare the call as it is made',
    };
  }
  const blocked = call.networkPorts.find(port => !connects(networkPolicies, { from: caller, to: callee, port }));
  if (blocked !== undefined) {
    return {
      request: request(call.ports[0]),
      type: TYPES.NetworkPolicy,
      what: `the NetworkPolicies of ${call.from.namespace} and ${call.to.namespace} (TCP ${blocked})`,
      fix: 'let the caller\'s pods reach the callee\'s on that port (egress and ingress)',
    };
  }
  if (call.from.scoped && !sees(sidecars, caller, call.to.host, call.to.namespace, root)) {
    return {
      request: request(call.ports[0]),
      type: TYPES.Sidecar,
      what: `the Sidecar of the caller, whose egress hosts leave out ${call.to.namespace}/${call.to.host}`,
      fix: 'list the host in its egress hosts',
    };
  }
  return undefined;
}

/**
 * The object the finding is about: the DENY policy that refuses the call, or the callee's own
 * policy (selector first, then namespace-wide), or the caller's Sidecar; else the callee's Namespace.
 */
function reportOn(index: ObjectIndex, type: string, call: DeclaredCall, request: Request): AnalyzedObject | undefined {
  const root = index.meshConfig.rootNamespace;
  if (type === TYPES.Sidecar) {
    const sidecars = index.ofType(type);
    const effective = effectiveSidecar(sidecars.map(o => o.manifest), { namespace: call.from.namespace, labels: call.from.labels }, root);
    return sidecars.find(o => o.manifest === effective);
  }
  const selector = (o: AnalyzedObject) => type === TYPES.NetworkPolicy ? o.spec?.podSelector?.matchLabels : o.spec?.selector?.matchLabels;
  const inScope = (o: AnalyzedObject) => o.namespace === call.to.namespace || (type === TYPES.AuthorizationPolicy && o.namespace === root);
  const selecting = index.ofType(type).filter(o => inScope(o) && matchesLabels(selector(o), call.to.labels));
  const deny = selecting.find(o => o.spec?.action === 'DENY' && !authorize([o.manifest], call.to, request, root));
  const own = selecting.find(o => Object.keys(selector(o) ?? {}).length > 0);
  return deny ?? own ?? selecting[0] ?? index.find(TYPES.Namespace, undefined, call.to.namespace);
}
