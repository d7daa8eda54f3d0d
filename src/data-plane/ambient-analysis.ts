// What has no effect, or the wrong one, in an ambient namespace, found in the objects the app
// writes there (whoever writes them): the synth fails, naming the object and the fix. In the spirit
// of istioctl's IST0167 "IneffectivePolicy" (which Istio 1.30 reports for a Sidecar in an ambient
// namespace), and of the status istiod writes on AuthorizationPolicies that ztunnel cannot
// enforce (pilot/pkg/serviceregistry/ambient/authorization.go). Internal.
import { IConstruct } from 'constructs';
import { USE_WAYPOINT_LABEL, WAYPOINT_CLASS } from './waypoint';
import { RenderedObject, renderedObjects } from '../common/app-checks';
import { invalidMessage } from '../common/validation';

/** Rule fields ztunnel cannot evaluate: HTTP attributes (pilot ambient authorization `httpOperations`, `httpSources`). */
const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
const HTTP_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];
/** The `when` keys ztunnel evaluates (pilot ambient authorization `l4WhenAttributes`). */
const L4_WHEN_KEYS = ['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port'];

/** The app's objects by namespace (Namespaces under their own name), once per synth. */
const indexes = new WeakMap<RenderedObject[], Map<string, any[]>>();

function objectsOf(root: IConstruct, namespace: string): any[] {
  const rendered = renderedObjects(root);
  let index = indexes.get(rendered);
  if (!index) {
    index = new Map();
    for (const { manifest } of rendered) {
      const key = manifest.kind === 'Namespace' ? manifest.metadata?.name : manifest.metadata?.namespace;
      if (key === undefined) continue;
      const list = index.get(key);
      if (list) list.push(manifest); else index.set(key, [manifest]);
    }
    indexes.set(rendered, index);
  }
  return index.get(namespace) ?? [];
}

const results = new WeakMap<RenderedObject[], Map<string, string[]>>();

/**
 * One message per object of `namespace` that has no effect, or the wrong one, in ambient mode;
 * found once per synth (cdk8s validates the whole app once per chart).
 */
export function ambientProblems(root: IConstruct, namespace: string): string[] {
  const rendered = renderedObjects(root);
  const known = results.get(rendered) ?? new Map<string, string[]>();
  results.set(rendered, known);
  if (!known.has(namespace)) known.set(namespace, findProblems(root, namespace));
  return known.get(namespace)!;
}

function findProblems(root: IConstruct, namespace: string): string[] {
  const all = objectsOf(root, namespace);
  const objects = all.filter(m => m.kind !== 'Namespace');
  const namespaceLabels: Record<string, string> = all.find(m => m.kind === 'Namespace')?.metadata?.labels ?? {};
  const waypoints = new Set(objects
    .filter(m => m.kind === 'Gateway' && m.apiVersion?.startsWith('gateway.networking.k8s.io/') && m.spec?.gatewayClassName === WAYPOINT_CLASS)
    .map(m => m.metadata.name));
  const serviceLabels = new Map<string, Record<string, string>>(objects.filter(m => m.kind === 'Service').map(m => [m.metadata.name, m.metadata.labels ?? {}]));
  // a Service's own label wins over its namespace's (Istio docs, "Configure waypoint proxies")
  const waypointOf = (service?: string): string | undefined => {
    const name = (service !== undefined ? serviceLabels.get(service)?.[USE_WAYPOINT_LABEL] : undefined) ?? namespaceLabels[USE_WAYPOINT_LABEL];
    return name !== undefined && name !== 'none' && waypoints.has(name) ? name : undefined;
  };
  const noWaypoint = `namespace ${namespace} is ambient, and no istio.io/use-waypoint label sends that traffic to a waypoint ` +
    `(a Gateway of class ${WAYPOINT_CLASS} in the namespace), so nothing applies it (istioctl IST0167, "IneffectivePolicy")`;

  const problems: string[] = [];
  for (const m of objects) {
    const id = `${namespace}/${m.metadata?.name}`;
    if (m.kind === 'AuthorizationPolicy') {
      const targets: any[] = m.spec?.targetRefs ?? (m.spec?.targetRef ? [m.spec.targetRef] : []);
      if (targets.length === 0) {
        const http = httpAttributes(m.spec?.rules ?? []);
        if (http.length > 0) {
          problems.push(invalidMessage('AuthorizationPolicy', id,
            `has rules with ${http.join(', ')}, which ztunnel enforces in an ambient namespace (a policy with a selector, or none): ` +
            'it omits such rules from an ALLOW policy, which then admits nobody, and enforces a DENY policy without them; ' +
            'attach the policy to the waypoint with targetRefs (kind Service or Gateway), or declare the call with calls(), which does'));
        }
      } else if (!targets.some(t => (t.kind === 'Service' && waypointOf(t.name)) || (t.kind === 'Gateway' && waypoints.has(t.name)))) {
        problems.push(invalidMessage('AuthorizationPolicy', id, `targets ${targets.map(t => `${t.kind} ${t.name}`).join(', ')}, but ${noWaypoint}`));
      }
    }
    if ((m.kind === 'HTTPRoute' || m.kind === 'GRPCRoute') && m.apiVersion?.startsWith('gateway.networking.k8s.io/')) {
      const services = (m.spec?.parentRefs ?? []).filter((p: any) => p.kind === 'Service' && (p.namespace ?? namespace) === namespace);
      if (services.length > 0 && !services.some((p: any) => waypointOf(p.name))) {
        problems.push(invalidMessage(m.kind, id, `routes Service ${services.map((p: any) => p.name).join(', ')}, but ${noWaypoint}`));
      }
    }
    if (m.kind === 'VirtualService' && (m.spec?.gateways ?? []).length === 0 && !waypointOf()) {
      problems.push(invalidMessage('VirtualService', id, `routes mesh traffic, but ${noWaypoint}`));
    }
    if (m.kind === 'Sidecar') {
      problems.push(invalidMessage('Sidecar', id,
        `has no effect: namespace ${namespace} is in ambient mode, whose pods have no sidecar (istioctl IST0167, "IneffectivePolicy"); remove it`));
    }
  }
  return problems;
}

/** The HTTP attributes the rules use, as field names. */
function httpAttributes(rules: any[]): string[] {
  const found = new Set<string>();
  for (const rule of rules) {
    for (const to of rule.to ?? []) HTTP_OPERATION_FIELDS.filter(f => to.operation?.[f] !== undefined).forEach(f => found.add(f));
    for (const from of rule.from ?? []) HTTP_SOURCE_FIELDS.filter(f => from.source?.[f] !== undefined).forEach(f => found.add(f));
    for (const when of rule.when ?? []) if (!L4_WHEN_KEYS.includes(when.key)) found.add(`when ${when.key}`);
  }
  return [...found];
}
