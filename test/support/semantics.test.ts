// The evaluators the service-graph tests rely on, each checked on hand-made cases whose outcome the
// upstream documentation states.
import { callPath, HBONE_PORT, inAmbient, waypointAuthorize, waypointFor, waypointPrincipal, ztunnelAuthorize } from './semantics/ambient';
import { authorize, stringMatch } from './semantics/istio-authorization';
import { selects } from './semantics/labels';
import { connects } from './semantics/network-policy';
import { effectiveSidecar, sees } from './semantics/sidecar-scope';

const policy = (namespace: string, spec: any, name = 'p') => ({ kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec });
const web = { namespace: 'shop', labels: { app: 'web' } };
const fromFrontend = { principal: 'cluster.local/ns/frontend/sa/fe', namespace: 'frontend', port: 8080, method: 'GET', path: '/' };

describe('label selectors', () => {
  test('matchLabels and matchExpressions are ANDed; an empty selector selects all', () => {
    expect(selects({}, { app: 'web' })).toBe(true);
    expect(selects({ matchLabels: { app: 'web' } }, { app: 'web', version: 'v1' })).toBe(true);
    expect(selects({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'version', operator: 'In', values: ['v2'] }] }, { app: 'web', version: 'v1' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, { app: 'web' })).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, { app: 'web' })).toBe(false);
  });
});

describe('Istio authorization', () => {
  test('no policy: allowed; an empty ALLOW policy (allow-nothing): denied', () => {
    expect(authorize([], web, fromFrontend)).toBe(true);
    expect(authorize([policy('shop', {})], web, fromFrontend)).toBe(false);
  });

  test('an ALLOW rule for the principal lets it in, and nobody else', () => {
    const allow = policy('shop', { action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/frontend/sa/fe'] } }] }] });
    expect(authorize([policy('shop', {}, 'deny'), allow], web, fromFrontend)).toBe(true);
    expect(authorize([allow], web, { ...fromFrontend, principal: 'cluster.local/ns/frontend/sa/other' })).toBe(false);
  });

  test('a selector narrows a policy to the pods it matches', () => {
    const onlyApi = policy('shop', { selector: { matchLabels: { app: 'api' } }, rules: [{}] });
    // the policy does not apply to web: no ALLOW policy applies, so web allows
    expect(authorize([onlyApi], web, fromFrontend)).toBe(true);
    expect(authorize([onlyApi, policy('shop', {}, 'deny')], web, fromFrontend)).toBe(false);
  });

  test('DENY wins over ALLOW; root-namespace policies apply mesh-wide', () => {
    const allowAll = policy('shop', { rules: [{}] });
    const deny = policy('istio-system', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['frontend'] } }] }] });
    expect(authorize([allowAll, deny], web, fromFrontend)).toBe(false);
    expect(authorize([allowAll, deny], web, { ...fromFrontend, namespace: 'ops' })).toBe(true);
  });

  test('operations: ports, methods and paths, with prefix and suffix matches', () => {
    const rule = policy('shop', { rules: [{ to: [{ operation: { ports: ['8080'], methods: ['POST'], paths: ['/pay/*'] } }] }] });
    expect(authorize([rule], web, { ...fromFrontend, method: 'POST', path: '/pay/42' })).toBe(true);
    expect(authorize([rule], web, { ...fromFrontend, method: 'GET', path: '/pay/42' })).toBe(false);
    expect(authorize([rule], web, { ...fromFrontend, method: 'POST', path: '/refund' })).toBe(false);
    expect(authorize([rule], web, { ...fromFrontend, method: 'POST', path: '/pay/1', port: 9090 })).toBe(false);
    expect(stringMatch('*.png', '/a.png')).toBe(true);
  });

  test('HTTP-only fields never match TCP in ALLOW rules, and are ignored in DENY rules', () => {
    const tcp = { principal: fromFrontend.principal, namespace: 'frontend', port: 5432 };
    expect(authorize([policy('shop', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })], web, tcp)).toBe(false);
    expect(authorize([policy('shop', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })], web, tcp)).toBe(false);
  });

  test('plain text has no principal: it matches notPrincipals ["*"], and ipBlocks narrow it', () => {
    const plain = { port: 8080, sourceIp: '10.20.1.5', method: 'GET', path: '/' };
    const exception = policy('shop', { rules: [{ from: [{ source: { notPrincipals: ['*'], ipBlocks: ['10.20.0.0/16'] } }] }] });
    expect(authorize([exception], web, plain)).toBe(true);
    expect(authorize([exception], web, { ...plain, sourceIp: '10.30.0.1' })).toBe(false);
    expect(authorize([exception], web, fromFrontend)).toBe(false);
  });
});

describe('Kubernetes NetworkPolicy', () => {
  const np = (namespace: string, spec: any) => ({ kind: 'NetworkPolicy', metadata: { name: 'np', namespace }, spec });
  const a = { namespace: 'frontend', labels: { app: 'web' } };
  const b = { namespace: 'orders', labels: { app: 'checkout' } };
  const denyAll = (ns: string) => np(ns, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

  test('no policy: connected; default-deny on either side: not', () => {
    expect(connects([], { from: a, to: b, port: 8080 })).toBe(true);
    expect(connects([denyAll('orders')], { from: a, to: b, port: 8080 })).toBe(false);
    expect(connects([denyAll('frontend')], { from: a, to: b, port: 8080 })).toBe(false);
  });

  test('both ends must allow: egress of the caller and ingress of the callee', () => {
    const egress = np('frontend', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } }, podSelector: { matchLabels: { app: 'checkout' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      }],
    });
    const ingress = np('orders', {
      podSelector: { matchLabels: { app: 'checkout' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } }, podSelector: { matchLabels: { app: 'web' } } }] }],
    });
    const policies = [denyAll('frontend'), denyAll('orders'), egress];
    expect(connects(policies, { from: a, to: b, port: 8080 })).toBe(false);
    expect(connects([...policies, ingress], { from: a, to: b, port: 8080 })).toBe(true);
    expect(connects([...policies, ingress], { from: a, to: b, port: 9090 })).toBe(false);
    expect(connects([...policies, ingress], { from: { ...a, labels: { app: 'other' } }, to: b, port: 8080 })).toBe(false);
  });

  test('a podSelector alone means pods of the policy\'s own namespace', () => {
    const sameNs = np('orders', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] });
    expect(connects([sameNs], { from: a, to: b, port: 8080 })).toBe(false);
    expect(connects([sameNs], { from: { namespace: 'orders', labels: { app: 'x' } }, to: b, port: 8080 })).toBe(true);
  });

  test('ipBlocks match addresses, except their exceptions', () => {
    const external = np('frontend', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }],
    });
    expect(connects([external], { from: a, to: { namespace: 'x', labels: {}, ip: '203.0.113.1' }, port: 443 })).toBe(true);
    expect(connects([external], { from: a, to: { namespace: 'x', labels: {}, ip: '10.1.2.3' }, port: 443 })).toBe(false);
  });
});

describe('Sidecar scope', () => {
  const sidecar = (namespace: string, hosts: string[], labels?: Record<string, string>, name = 'default') => ({
    kind: 'Sidecar', metadata: { name, namespace }, spec: { ...labels ? { workloadSelector: { labels } } : {}, egress: [{ hosts }] },
  });

  test('without a Sidecar a proxy knows every host', () => {
    expect(sees([], { namespace: 'shop', labels: {} }, 'db.data.svc.cluster.local', 'data')).toBe(true);
  });

  test('a workload-selected Sidecar wins over the namespace default, which wins over the root namespace\'s', () => {
    const sidecars = [sidecar('shop', ['./*']), sidecar('shop', ['data/db.data.svc.cluster.local'], { app: 'web' }, 'web'), sidecar('istio-system', ['*/*'])];
    const webProxy = { namespace: 'shop', labels: { app: 'web' } };
    expect(effectiveSidecar(sidecars, webProxy).metadata.name).toBe('web');
    expect(sees(sidecars, webProxy, 'db.data.svc.cluster.local', 'data')).toBe(true);
    expect(sees(sidecars, webProxy, 'cart.shop.svc.cluster.local', 'shop')).toBe(false);
    expect(sees(sidecars, { namespace: 'shop', labels: { app: 'cart' } }, 'cart.shop.svc.cluster.local', 'shop')).toBe(true);
    expect(sees(sidecars, { namespace: 'ops', labels: {} }, 'anything.x.svc.cluster.local', 'x')).toBe(true);
  });

  test('namespace and host wildcards; two Sidecars for one pod are a conflict', () => {
    const sidecars = [sidecar('shop', ['*/*.example.com', 'data/*'])];
    const proxy = { namespace: 'shop', labels: {} };
    expect(sees(sidecars, proxy, 'api.example.com', 'ext')).toBe(true);
    expect(sees(sidecars, proxy, 'db.data.svc.cluster.local', 'data')).toBe(true);
    expect(sees(sidecars, proxy, 'db.other.svc.cluster.local', 'other')).toBe(false);
    const twice = [sidecar('shop', ['./*'], { app: 'web' }, 'a'), sidecar('shop', ['./*'], { tier: 'front' }, 'b')];
    expect(() => effectiveSidecar(twice, { namespace: 'shop', labels: { app: 'web', tier: 'front' } })).toThrow('IST0110');
  });
});

describe('Istio ambient (ztunnel, waypoints, HBONE)', () => {
  const ns = (name: string, labels: Record<string, string>) => ({ kind: 'Namespace', metadata: { name, labels } });
  const gateway = (namespace: string, name = 'waypoint', handles?: string) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace, ...handles ? { labels: { 'istio.io/waypoint-for': handles } } : {} },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  });
  const service = (namespace: string, name: string, labels?: Record<string, string>) => ({ kind: 'Service', metadata: { name, namespace, ...labels ? { labels } : {} } });
  const get = { ...fromFrontend, method: 'GET', path: '/' };

  test('ztunnel: L4 rules apply; an ALLOW rule with HTTP attributes never matches, a DENY rule is enforced without them', () => {
    const l4 = policy('shop', { selector: { matchLabels: { app: 'web' } }, rules: [{ from: [{ source: { principals: [fromFrontend.principal] } }], to: [{ operation: { ports: ['8080'] } }] }] });
    expect(ztunnelAuthorize([l4], web, get)).toBe(true);
    expect(ztunnelAuthorize([l4], web, { ...get, port: 9090 })).toBe(false);
    const l7 = policy('shop', { selector: { matchLabels: { app: 'web' } }, rules: [{ from: [{ source: { principals: [fromFrontend.principal] } }], to: [{ operation: { methods: ['GET'] } }] }] });
    // the same caller, a GET: still denied, since ztunnel sees no method (fails closed)
    expect(ztunnelAuthorize([l7], web, get)).toBe(false);
    const deny = policy('shop', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['frontend'] } }], to: [{ operation: { methods: ['DELETE'] } }] }] });
    expect(ztunnelAuthorize([deny], web, get)).toBe(false);
  });

  test('ztunnel ignores policies with targetRefs; the waypoint applies only those', () => {
    const onService = policy('shop', { targetRefs: [{ group: '', kind: 'Service', name: 'web' }], rules: [{ to: [{ operation: { methods: ['POST'] } }] }] });
    expect(ztunnelAuthorize([onService], web, get)).toBe(true);
    const waypoint = { namespace: 'shop', gateway: 'waypoint' };
    expect(waypointAuthorize([onService], waypoint, 'web', get)).toBe(false);
    expect(waypointAuthorize([onService], waypoint, 'web', { ...get, method: 'POST' })).toBe(true);
    // another Service of the same waypoint: the policy does not apply to it
    expect(waypointAuthorize([onService], waypoint, 'cart', get)).toBe(true);
    // namespace-wide and selector policies are ztunnel's, never the waypoint's
    expect(waypointAuthorize([policy('shop', {}), policy('shop', { selector: { matchLabels: { app: 'web' } } })], waypoint, 'web', get)).toBe(true);
  });

  test('waypoint: a Gateway policy applies to all its Services, and an empty one denies what no other ALLOW admits', () => {
    const waypoint = { namespace: 'shop', gateway: 'waypoint' };
    const denyAll = policy('shop', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }] }, 'gw');
    const allowWeb = policy('shop', { targetRefs: [{ group: '', kind: 'Service', name: 'web' }], rules: [{ from: [{ source: { principals: [fromFrontend.principal] } }] }] }, 'web');
    expect(waypointAuthorize([denyAll], waypoint, 'web', get)).toBe(false);
    expect(waypointAuthorize([denyAll, allowWeb], waypoint, 'web', get)).toBe(true);
    expect(waypointAuthorize([denyAll, allowWeb], waypoint, 'cart', get)).toBe(false);
    expect(waypointAuthorize([denyAll, allowWeb], { namespace: 'shop', gateway: 'other' }, 'cart', get)).toBe(true);
    const classWide = policy('istio-system', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }] });
    expect(waypointAuthorize([classWide], waypoint, 'web', get)).toBe(false);
  });

  test('which waypoint a Service uses: its own label, else its namespace\'s, naming a Gateway of class istio-waypoint for service traffic', () => {
    const docs = [ns('shop', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' }), gateway('shop'), gateway('shop', 'pods', 'workload'),
      service('shop', 'cart', { 'istio.io/use-waypoint': 'none' }), service('shop', 'stock', { 'istio.io/use-waypoint': 'pods' })];
    expect(inAmbient(docs, 'shop')).toBe(true);
    expect(inAmbient(docs, 'other')).toBe(false);
    expect(waypointFor(docs, 'shop', 'web')).toEqual({ namespace: 'shop', gateway: 'waypoint' });
    expect(waypointFor(docs, 'shop', 'cart')).toBeUndefined();
    // a waypoint for workload traffic does not carry traffic to Services
    expect(waypointFor(docs, 'shop', 'stock')).toBeUndefined();
    expect(waypointFor([ns('shop', { 'istio.io/use-waypoint': 'waypoint' })], 'shop', 'web')).toBeUndefined();
    expect(waypointPrincipal({ namespace: 'shop', gateway: 'waypoint' })).toBe('cluster.local/ns/shop/sa/waypoint');
  });

  test('the path of a call: HBONE to 15008 wherever ztunnel is involved, through the waypoint only from ztunnel', () => {
    const docs = [ns('shop', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' }), gateway('shop'),
      ns('edge', { 'istio.io/dataplane-mode': 'ambient' }), ns('legacy', { 'istio-injection': 'enabled' })];
    const end = (namespace: string, app: string) => ({ namespace, labels: { app }, principal: `cluster.local/ns/${namespace}/sa/${app}` });
    const viaWaypoint = callPath(docs, end('edge', 'web'), end('shop', 'cart'), 'cart', 8080);
    expect(viaWaypoint.enforcement).toBe('waypoint+ztunnel');
    expect(viaWaypoint.hops.map(h => [h.from.labels, h.to.labels, h.port])).toEqual([
      [{ app: 'web' }, { 'gateway.networking.k8s.io/gateway-name': 'waypoint' }, HBONE_PORT],
      [{ 'gateway.networking.k8s.io/gateway-name': 'waypoint' }, { app: 'cart' }, HBONE_PORT],
    ]);
    // a sidecar bypasses the waypoint, with HBONE straight to the pod
    expect(callPath(docs, end('legacy', 'batch'), end('shop', 'cart'), 'cart', 8080)).toEqual({
      hops: [{ from: end('legacy', 'batch'), to: end('shop', 'cart'), port: HBONE_PORT }], enforcement: 'ztunnel',
    });
    // ztunnel to a sidecar: HBONE to the sidecar, which enforces everything
    expect(callPath(docs, end('edge', 'web'), end('legacy', 'batch'), 'batch', 8080).hops[0].port).toBe(HBONE_PORT);
    expect(callPath(docs, end('edge', 'web'), end('legacy', 'batch'), 'batch', 8080).enforcement).toBe('sidecar');
    // sidecar to sidecar: the container port
    expect(callPath(docs, end('legacy', 'a'), end('legacy', 'b'), 'b', 8080).hops[0].port).toBe(8080);
    // an ingress gateway goes through the waypoint only where istio.io/ingress-use-waypoint says so
    const gw = { ...end('istio-system', 'ingressgateway'), ingressGateway: true };
    expect(callPath(docs, gw, end('shop', 'cart'), 'cart', 8080).waypoint).toBeUndefined();
    const asked = [...docs, service('shop', 'cart', { 'istio.io/ingress-use-waypoint': 'true' })];
    expect(callPath(asked, gw, end('shop', 'cart'), 'cart', 8080).waypoint).toEqual({ namespace: 'shop', gateway: 'waypoint' });
    const namespaceWide = [ns('shop', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'True' }), gateway('shop')];
    expect(callPath(namespaceWide, gw, end('shop', 'cart'), 'cart', 8080).enforcement).toBe('waypoint+ztunnel');
  });

  test('NetworkPolicy: a port list without 15008 blocks HBONE; kubelet probes come from 169.254.7.127', () => {
    const np = (spec: any) => ({ kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'shop' }, spec });
    const onlyApp = np({ podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080, protocol: 'TCP' }] }] });
    const pod = { namespace: 'shop', labels: { app: 'web' } };
    const client = { namespace: 'edge', labels: { app: 'x' } };
    expect(connects([onlyApp], { from: client, to: pod, port: HBONE_PORT })).toBe(false);
    const withHbone = np({ podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080, protocol: 'TCP' }, { port: 15008, protocol: 'TCP' }] }] });
    expect(connects([withHbone], { from: client, to: pod, port: HBONE_PORT })).toBe(true);
    const probes = np({ podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }] });
    expect(connects([probes], { from: { namespace: '', labels: {}, ip: '169.254.7.127' }, to: pod, port: 8080 })).toBe(true);
    expect(connects([probes], { from: { namespace: 'edge', labels: {}, ip: '10.0.0.9' }, to: pod, port: 8080 })).toBe(false);
  });
});
