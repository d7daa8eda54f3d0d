// A call the app declares (`a.calls(b)`) that the emitted objects do not let through is a broken
// call: a DENY AuthorizationPolicy, a NetworkPolicy or a Sidecar added by hand, or a patch, can undo
// what the service graph wrote. Each declared call is judged at every layer with the semantics of
// Istio authorization, Kubernetes NetworkPolicy and Sidecar scope, along the path the data plane
// gives it: the callee's sidecar, or its ztunnel and the waypoint in between (src/analysis/semantics).
import { MESH } from '../_catalog';
import type { Check, CheckContext, DeclaredCall } from '../_engine';
import { AnalyzedObject, ObjectIndex, TYPES } from '../_object-index';
import { callPath, waypointAuthorize, waypointPrincipal, ztunnelAuthorize } from '../semantics/ambient';
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
    // each layer reads the objects of a few namespaces: indexed once, never scanned per call
    const byNamespace = (type: string) => {
      const map = new Map<string, any[]>();
      for (const o of index.ofType(type)) {
        const list = map.get(o.namespace ?? '');
        if (list) list.push(o.manifest); else map.set(o.namespace ?? '', [o.manifest]);
      }
      return (...namespaces: string[]) => [...new Set(namespaces)].flatMap(ns => map.get(ns) ?? []);
    };
    const layers = {
      policies: byNamespace(TYPES.AuthorizationPolicy),
      networkPolicies: byNamespace(TYPES.NetworkPolicy),
      sidecars: byNamespace(TYPES.Sidecar),
      gateways: byNamespace(TYPES.KubernetesGateway),
    };
    for (const call of context.calls) {
      // what decides the call's path: the two Namespaces' labels, the callee's Service and waypoints
      const path = [
        index.find(TYPES.Namespace, undefined, call.from.namespace)?.manifest,
        index.find(TYPES.Namespace, undefined, call.to.namespace)?.manifest,
        index.find(TYPES.Service, call.to.namespace, call.to.service)?.manifest,
        ...layers.gateways(call.to.namespace),
      ].filter(d => d !== undefined);
      const denied = deniedBy(call, {
        path,
        policies: layers.policies(call.to.namespace, root),
        networkPolicies: layers.networkPolicies(call.from.namespace, call.to.namespace),
        sidecars: layers.sidecars(call.from.namespace, root),
      }, root);
      if (!denied) continue;
      const object = reportOn(index, call, denied);
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
  /** Whether one policy alone refuses it, at the layer that refused the call (to name a DENY policy). */
  readonly refusedBy?: (policy: any) => boolean;
}

/** The objects that judge one call. */
interface Layers {
  /** What decides its path (src/analysis/semantics/ambient.ts). */
  readonly path: any[];
  readonly policies: any[];
  readonly networkPolicies: any[];
  readonly sidecars: any[];
}

function deniedBy(call: DeclaredCall, layers: Layers, root: string): Denial | undefined {
  const callee = { namespace: call.to.namespace, labels: call.to.labels, principal: call.principal };
  const caller = { namespace: call.from.namespace, labels: call.from.labels, principal: call.principal, ingressGateway: call.from.ingressGateway };
  // one request the call may make: its first method and a path its first pattern matches
  const method = call.http ? call.methods?.[0] ?? 'GET' : undefined;
  const path = call.http ? (call.paths?.[0] ?? '/').replace(/^\*/, '/x').replace(/\*$/, 'x') : undefined;
  const request = (port: number): Request => ({ principal: call.principal, namespace: call.from.namespace, port, method, path });
  const policies = `the AuthorizationPolicies of ${call.to.namespace}`;
  const fix = 'remove or narrow the policy that denies it, or declare the call as it is made';
  for (const port of call.ports) {
    const route = callPath(layers.path, caller, callee, call.to.service, port);
    const at = `port ${port}${method ? `, ${method} ${path}` : ''}`;
    // each layer on the path decides with the policies it enforces
    const judges: Array<[boolean, Request, (applicable: any[], r: Request) => boolean, string]> = [
      [route.enforcement === 'sidecar', request(port), (ps, r) => authorize(ps, callee, r, root), `${policies} (${at})`],
    ];
    const waypoint = route.waypoint;
    if (waypoint) {
      judges.push([true, request(port), (ps, r) => waypointAuthorize(ps, waypoint, call.to.service, r, root),
        `${policies} attached to the waypoint ${waypoint.gateway} (${at})`]);
    }
    if (route.enforcement !== 'sidecar') {
      // through a waypoint, the callee's ztunnel sees the waypoint's identity (its service account)
      const seen = waypoint
        ? { ...request(port), principal: waypointPrincipal(waypoint, call.principal.split('/ns/')[0]), namespace: call.to.namespace }
        : request(port);
      judges.push([true, seen, (ps, r) => ztunnelAuthorize(ps, callee, r, root),
        `${policies} as the callee's ztunnel enforces them (${waypoint ? `from the waypoint ${waypoint.gateway}, ` : ''}${at})`]);
    }
    for (const [applies, seen, allows, what] of judges) {
      if (applies && !allows(layers.policies, seen)) {
        return { request: seen, type: TYPES.AuthorizationPolicy, what, fix, refusedBy: p => p.spec?.action === 'DENY' && !allows([p], seen) };
      }
    }
    const blocked = route.hops.find(hop => !connects(layers.networkPolicies, hop));
    if (blocked) {
      const namespaces = [...new Set([blocked.from.namespace, blocked.to.namespace])].join(' and ');
      return {
        request: request(port),
        type: TYPES.NetworkPolicy,
        what: `the NetworkPolicies of ${namespaces} (TCP ${blocked.port}${route.waypoint ? `, on the way through the waypoint ${route.waypoint.gateway}` : ''})`,
        fix: 'let the caller\'s pods reach the callee\'s on that port (egress and ingress)',
      };
    }
  }
  if (call.from.scoped && !sees(layers.sidecars, caller, call.to.host, call.to.namespace, root)) {
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
function reportOn(index: ObjectIndex, call: DeclaredCall, denial: Denial): AnalyzedObject | undefined {
  const root = index.meshConfig.rootNamespace;
  const type = denial.type;
  if (type === TYPES.Sidecar) {
    const sidecars = index.ofType(type);
    const effective = effectiveSidecar(sidecars.map(o => o.manifest), { namespace: call.from.namespace, labels: call.from.labels }, root);
    return sidecars.find(o => o.manifest === effective);
  }
  const selector = (o: AnalyzedObject) => type === TYPES.NetworkPolicy ? o.spec?.podSelector?.matchLabels : o.spec?.selector?.matchLabels;
  const inScope = (o: AnalyzedObject) => o.namespace === call.to.namespace || (type === TYPES.AuthorizationPolicy && o.namespace === root);
  const selecting = index.ofType(type).filter(o => inScope(o) && matchesLabels(selector(o), call.to.labels));
  const deny = selecting.find(o => denial.refusedBy?.(o.manifest));
  const own = selecting.find(o => Object.keys(selector(o) ?? {}).length > 0);
  return deny ?? own ?? selecting[0] ?? index.find(TYPES.Namespace, undefined, call.to.namespace);
}
