// The ambient data plane: namespace labels and their conflicts, the waypoint (when, what, why),
// what ztunnel and the waypoint each enforce, HBONE in NetworkPolicies, and the analysis of what
// has no effect in an ambient namespace.
import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpRoute } from '../../imports/gateway.networking.k8s.io';
import { Sidecar } from '../../imports/networking.istio.io';
import { AuthorizationPolicy } from '../../imports/security.istio.io';
import {
  AmbientWaypoint, CanaryService, DataPlane, MeshWorkload, WorkloadIdentity, ZeroTrustNamespace,
} from '../../src';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';

const image = (name: string) => `registry.example.com/${name}:1.0.0`;
const hbone = [{ port: 15008, protocol: 'TCP' }];
const service = (scope: Construct, namespace: ZeroTrustNamespace, name: string, extra: object = {}) =>
  new CanaryService(scope, name, { namespace, name, port: 8080, stable: { version: 'v1', image: image(name) }, ...extra });

describe('DataPlane.ambient()', () => {
  test('defaults: the ambient label, no injection and no Sidecar, no istiod egress, kubelet probes from ztunnel\'s address', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', dataPlane: DataPlane.ambient() });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(ns.dataPlane.name).toBe('ambient');
    expect(ns.sidecar).toBeUndefined();
    expect(docs.map(d => `${d.kind} ${d.metadata.name}`)).toEqual([
      'Namespace payments', 'PeerAuthentication default', 'AuthorizationPolicy allow-nothing',
      'NetworkPolicy default-deny', 'NetworkPolicy allow-ingress', 'NetworkPolicy allow-egress',
    ]);
    expect(findOne(docs, 'Namespace').metadata.labels).toEqual({
      'istio.io/dataplane-mode': 'ambient',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    // ztunnel enforces STRICT mTLS and the namespace-wide deny-by-default as a sidecar would
    expect(findOne(docs, 'PeerAuthentication').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[0]).toEqual({ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] });
    // only DNS: ztunnel, not the pods, talks to istiod
    expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress.map((r: any) => r.ports[0].port)).toEqual([53]);
  });

  test('all options: AmbientWaypoint.ALWAYS gives the namespace its waypoint even without L7', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    new ZeroTrustNamespace(chart, 'payments', { name: 'payments', dataPlane: DataPlane.ambient({ waypoint: AmbientWaypoint.ALWAYS }) });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(findOne(docs, 'Gateway')).toEqual({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: {
        name: 'waypoint',
        namespace: 'payments',
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-mesh', 'istio.io/waypoint-for': 'service' },
        annotations: { 'cdk8s-mesh/waypoint-needed-by': 'AmbientWaypoint.ALWAYS' },
      },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    expect(findOne(docs, 'Namespace').metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
    // the waypoint's deny-by-default: its Gateway's ALLOW policy without rules
    expect(findOne(docs, 'AuthorizationPolicy', 'waypoint-allow-by-identity').spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }], action: 'ALLOW', rules: [],
    });
    // its pods reach istiod for their configuration; nothing else until calls go through it
    expect(findOne(docs, 'NetworkPolicy', 'waypoint').spec).toEqual({
      podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
      policyTypes: ['Ingress', 'Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }],
        ports: [{ port: 15012, protocol: 'TCP' }],
      }],
    });
  });

  test('label conflicts: injection labels, a revision, another data-plane mode or waypoint', () => {
    const ambient = (props: object) => () => new ZeroTrustNamespace(testChart(), 'ns', { name: 'payments', dataPlane: DataPlane.ambient(), ...props });
    expect(ambient({ labels: { 'istio-injection': 'enabled' } })).toThrow(
      'test/ns: invalid labels {"istio-injection":"enabled"}: an ambient namespace has no sidecar injection, and pods with a sidecar are left out of ztunnel\'s traffic: remove istio-injection');
    expect(ambient({ labels: { 'istio.io/rev': 'canary' } })).toThrow('remove istio.io/rev');
    expect(ambient({ revision: 'canary' })).toThrow(
      'test/ns: invalid revision "canary": selects the revision of the sidecar injector, and ambient namespaces have no sidecars; remove it');
    expect(ambient({ labels: { 'istio.io/dataplane-mode': 'none' } })).toThrow('set istio.io/dataplane-mode with the \'dataPlane\' prop');
    expect(ambient({ labels: { 'istio.io/use-waypoint': 'shared' } })).toThrow(
      'the library labels the namespace istio.io/use-waypoint: waypoint when something needs its waypoint: remove istio.io/use-waypoint');
    expect(ambient({ labels: { 'istio.io/ingress-use-waypoint': 'false' } })).toThrow('remove istio.io/ingress-use-waypoint');
    expect(ambient({ labels: { 'istio.io/dataplane-mode': 'ambient', 'team': 'pay' } })).not.toThrow();
    // the final labels are checked too, after the escape hatch
    const chart = testChart();
    const ns = new ZeroTrustNamespace(chart, 'ns', { name: 'payments', dataPlane: DataPlane.ambient() });
    ns.metadata.addLabel('istio-injection', 'enabled');
    expect(() => synthValid(chart)).toThrow('[test/ns] invalid labels');
    expect(() => DataPlane.ambient({ waypoint: 'sometimes' as AmbientWaypoint })).toThrow('invalid waypoint "sometimes": must be one of automatic, always, never');
  });

  test('the waypoint comes with the first L7 need and says which features need it', () => {
    // GIVEN
    const chart = testChart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.ambient() });
    const web = service(chart, shop, 'web');
    const cart = service(chart, shop, 'cart');
    expect(findAll(synthValid(chart), 'Gateway')).toEqual([]);

    // WHEN
    const api = service(chart, shop, 'api', { timeout: Duration.seconds(3), circuitBreaker: { consecutive5xxErrors: 3 } });
    web.calls(cart, { methods: ['GET'] });
    web.calls(api);

    // THEN
    const docs = synthValid(chart);
    expect(findOne(docs, 'Gateway').metadata.annotations).toEqual({
      'cdk8s-mesh/waypoint-needed-by': 'service shop/api: a route timeout, a circuit breaker; calls to service shop/cart narrowed by methods or paths',
    });
    // every callee of the graph gets its policy at the waypoint, naming the original caller
    expect(findOne(docs, 'AuthorizationPolicy', 'cart-waypoint').spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'cart' }],
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { methods: ['GET'] } }] }],
    });
    expect(findOne(docs, 'AuthorizationPolicy', 'api-waypoint').spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] }]);
    // and its ztunnel policy admits the waypoint, which is where every call from ztunnel arrives from
    expect(findOne(docs, 'AuthorizationPolicy', 'cart').spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'cart' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }], to: [{ operation: { ports: ['8080'] } }] }],
    });
    // HBONE from the caller to the waypoint, and from the waypoint to the callee
    expect(findOne(docs, 'NetworkPolicy', 'web').spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } }], ports: hbone }]);
    expect(findOne(docs, 'NetworkPolicy', 'cart').spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } }], ports: hbone }]);
    expect(findOne(docs, 'NetworkPolicy', 'waypoint').spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } }], ports: hbone }]);
  });

  test('without a waypoint ztunnel enforces each call at L4, with the caller\'s identity, over HBONE', () => {
    const chart = testChart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.ambient() });
    service(chart, shop, 'web').calls(service(chart, shop, 'cart', { targetPort: 9080 }));
    const docs = synthValid(chart);
    expect(findAll(docs, 'Gateway')).toEqual([]);
    expect(findOne(docs, 'AuthorizationPolicy', 'cart').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['9080'] } }] },
    ]);
    expect(findOne(docs, 'NetworkPolicy', 'cart').spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } }], ports: hbone }]);
    expect(findAll(docs, 'HTTPRoute')).toEqual([]);
    expect(findAll(docs, 'DestinationRule')).toEqual([]);
  });

  test('the ingress gateway reaches ambient pods over HBONE, past a waypoint that routes nothing of theirs: ztunnel admits its identity', () => {
    const chart = testChart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.ambient(), rootNamespaceIngress: false });
    // the waypoint is there for api's timeout; web has no route of its own
    service(chart, shop, 'api', { timeout: Duration.seconds(3) });
    MeshWorkload.ingressGateway(chart, 'gateway').calls(service(chart, shop, 'web'));
    const docs = synthValid(chart);
    expect(findOne(docs, 'Namespace').metadata.labels['istio.io/ingress-use-waypoint']).toBeUndefined();
    expect(findOne(docs, 'AuthorizationPolicy', 'web').spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'] } }], to: [{ operation: { ports: ['8080'] } }],
    }]);
    expect(findOne(docs, 'AuthorizationPolicy', 'web-waypoint').spec.rules).toEqual([]);
    expect(findOne(docs, 'NetworkPolicy', 'web').spec.ingress[0].ports).toEqual(hbone);
  });

  test('an ingress gateway\'s call narrowed by methods sends the gateway through the waypoint (istio.io/ingress-use-waypoint)', () => {
    const chart = testChart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.ambient(), rootNamespaceIngress: false });
    const web = service(chart, shop, 'web');
    MeshWorkload.ingressGateway(chart, 'gateway').calls(web, { methods: ['GET'] });
    const docs = synthValid(chart);
    expect(findOne(docs, 'Namespace').metadata.labels).toMatchObject({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' });
    const gatewayPrincipal = 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
    expect(findOne(docs, 'AuthorizationPolicy', 'web-waypoint').spec.rules).toEqual([{ from: [{ source: { principals: [gatewayPrincipal] } }], to: [{ operation: { methods: ['GET'] } }] }]);
    expect(findOne(docs, 'AuthorizationPolicy', 'web').spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }], to: [{ operation: { ports: ['8080'] } }] }]);
    const gatewayPods = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } };
    expect(findOne(docs, 'NetworkPolicy', 'waypoint').spec.ingress).toEqual([{ from: [gatewayPods], ports: hbone }]);
    expect(findOne(docs, 'Gateway').metadata.annotations['cdk8s-mesh/waypoint-needed-by']).toBe('calls to service shop/web narrowed by methods or paths');
  });

  test('an ingress gateway calling a service whose route the waypoint applies goes through the waypoint, which splits its requests too', () => {
    // GIVEN a canary (and, with AmbientWaypoint.ALWAYS, any service: each gets its HTTPRoute)
    for (const [mode, extra] of [[AmbientWaypoint.AUTOMATIC, { canary: { version: 'v2', image: image('web'), weight: 10 } }], [AmbientWaypoint.ALWAYS, {}]] as const) {
      const chart = testChart();
      const shop = new ZeroTrustNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.ambient({ waypoint: mode }), rootNamespaceIngress: false });
      const web = service(chart, shop, 'web', extra);

      // WHEN a gateway calls it, on any path
      MeshWorkload.ingressGateway(chart, 'gateway').calls(web);

      // THEN the namespace sends gateways through its waypoint, which admits the gateway and is admitted by ztunnel
      const docs = synthValid(chart);
      expect(findOne(docs, 'Namespace').metadata.labels).toMatchObject({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' });
      expect(findOne(docs, 'Gateway').metadata.annotations['cdk8s-mesh/waypoint-needed-by'])
        .toContain('ingress gateways\' requests to service shop/web, whose route the waypoint applies');
      const gatewayPrincipal = 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
      expect(findOne(docs, 'AuthorizationPolicy', 'web-waypoint').spec.rules).toEqual([{ from: [{ source: { principals: [gatewayPrincipal] } }] }]);
      expect(findOne(docs, 'AuthorizationPolicy', 'web').spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }], to: [{ operation: { ports: ['8080'] } }] }]);
    }
  });

  test('HTTP rules where nothing could enforce them are errors: from a sidecar, or with AmbientWaypoint.NEVER', () => {
    const chart = testChart();
    const orders = new ZeroTrustNamespace(chart, 'orders', { name: 'orders' });
    const payments = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', dataPlane: DataPlane.ambient() });
    service(chart, orders, 'checkout').calls(service(chart, payments, 'payment'), { methods: ['POST'] });
    expect(() => synthValid(chart)).toThrow(
      '[test/checkout] invalid calls methods ["POST"]: cannot be enforced at service payments/payment in ambient namespace payments: service orders/checkout runs ' +
      'with a sidecar, and sidecars send straight to the pods, past the waypoint where HTTP rules are enforced (istio/istio#51445); move the caller\'s ' +
      'namespace to DataPlane.ambient() first (migrate callers before callees), or drop methods and paths');

    const l4 = testChart();
    const shop = new ZeroTrustNamespace(l4, 'shop', { name: 'shop', dataPlane: DataPlane.ambient({ waypoint: AmbientWaypoint.NEVER }) });
    service(l4, shop, 'web').calls(service(l4, shop, 'cart'), { paths: ['/cart/*'] });
    expect(() => synthValid(l4)).toThrow(
      '[test/web] invalid calls paths ["/cart/*"]: needs a waypoint at service shop/cart in ambient namespace shop, whose data plane is ' +
      'DataPlane.ambient({ waypoint: AmbientWaypoint.NEVER }): ztunnel cannot enforce HTTP rules (istioctl IST0167, "IneffectivePolicy"); drop methods and paths, or let the namespace have a waypoint');
    expect(() => service(l4, shop, 'api', { timeout: Duration.seconds(2) })).toThrow(
      'test/api: invalid route "a route timeout": needs a waypoint, and the namespace is DataPlane.ambient({ waypoint: AmbientWaypoint.NEVER }), where ztunnel alone ' +
      'carries the traffic at L4, so nothing would apply it (istioctl IST0167, "IneffectivePolicy"); remove it, or let the namespace have a waypoint (AmbientWaypoint.AUTOMATIC)');
  });

  test('namespace-wide rules: HBONE in the NetworkPolicy, a copy at the waypoint, the waypoint admitted by ztunnel', () => {
    // GIVEN
    const chart = testChart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.ambient({ waypoint: AmbientWaypoint.ALWAYS }) });
    ZeroTrustNamespace.fromName(chart, 'ops', 'ops');

    // WHEN
    shop.allowFrom(WorkloadIdentity.namespace('ops'), { ports: [8080] });
    shop.allowMetricsScrapingFrom('ops');

    // THEN
    const docs = synthValid(chart);
    const ops = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ops' } } };
    expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress).toContainEqual({ from: [ops], ports: hbone });
    // callers that reach the pods directly (sidecars, gateways) are checked by ztunnel as before
    expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules).toEqual([
      { from: [{ source: { namespaces: ['ops'] } }], to: [{ operation: { ports: ['8080'] } }] },
    ]);
    // callers through the waypoint: the waypoint checks their identity, ztunnel the waypoint's on the port
    expect(findOne(docs, 'AuthorizationPolicy', 'waypoint-allow-by-identity').spec.rules).toEqual([{ from: [{ source: { namespaces: ['ops'] } }] }]);
    expect(findOne(docs, 'AuthorizationPolicy', 'allow-from-waypoint').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }], to: [{ operation: { ports: ['8080'] } }] },
    ]);
    expect(findOne(docs, 'NetworkPolicy', 'allow-from-waypoint').spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } }], ports: hbone },
    ]);
    expect(findOne(docs, 'NetworkPolicy', 'waypoint').spec.ingress).toEqual([{ from: [ops], ports: hbone }]);
    // egress to workload ports leaves over HBONE to mesh pods, on the ports to the others
    shop.allowEgressToNamespace('ops', { ports: [8080] });
    expect(findOne(synthValid(chart), 'NetworkPolicy', 'allow-egress').spec.egress).toContainEqual({ to: [ops], ports: [{ port: 8080, protocol: 'TCP' }, ...hbone] });
    // the waypoint's metrics (app pods have no proxy of their own)
    expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress).toContainEqual({ from: [ops], ports: [{ port: 15020, protocol: 'TCP' }, { port: 15090, protocol: 'TCP' }] });
  });
});

describe('what has no effect in an ambient namespace fails the synth', () => {
  const shop = (mode?: AmbientWaypoint) => {
    const chart = testChart();
    const ns = new ZeroTrustNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.ambient(mode ? { waypoint: mode } : {}) });
    return { chart, ns };
  };

  test('a selector-based (or namespace-wide) rule with HTTP attributes: ztunnel enforces it', () => {
    const { chart, ns } = shop(AmbientWaypoint.ALWAYS);
    new AuthorizationPolicy(chart, 'get-only', {
      metadata: { name: 'get-only', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'web' } }, rules: [{ to: [{ operation: { methods: ['GET'], paths: ['/'] } }], when: [{ key: 'request.headers[x]', values: ['1'] }] }] },
    });
    ns.allowFrom(WorkloadIdentity.namespace('shop'), { methods: ['GET'] });
    expect(() => synthValid(chart)).toThrow(
      'invalid AuthorizationPolicy "shop/get-only": has rules with methods, paths, when request.headers[x], which ztunnel enforces in an ambient namespace ' +
      '(a policy with a selector, or none): it omits such rules from an ALLOW policy, which then admits nobody, and enforces a DENY policy without them; ' +
      'attach the policy to the waypoint with targetRefs (kind Service or Gateway), or declare the call with calls(), which does');
    expect(() => synthValid(chart)).toThrow('invalid AuthorizationPolicy "shop/allow-by-identity": has rules with methods');
  });

  test('an L7 policy or route without a waypoint, and a Sidecar (istioctl IST0167)', () => {
    const { chart } = shop();
    new AuthorizationPolicy(chart, 'l7', { metadata: { name: 'l7', namespace: 'shop' }, spec: { targetRefs: [{ group: '', kind: 'Service', name: 'web' }], rules: [{}] } });
    new HttpRoute(chart, 'route', { metadata: { name: 'web', namespace: 'shop' }, spec: { parentRefs: [{ group: '', kind: 'Service', name: 'web' }], rules: [{}] } });
    new Sidecar(chart, 'sidecar', { metadata: { name: 'default', namespace: 'shop' }, spec: {} });
    const noWaypoint = 'but namespace shop is ambient, and no istio.io/use-waypoint label sends that traffic to a waypoint (a Gateway of class istio-waypoint in ' +
      'the namespace), so nothing applies it (istioctl IST0167, "IneffectivePolicy")';
    expect(() => synthValid(chart)).toThrow(`invalid AuthorizationPolicy "shop/l7": targets Service web, ${noWaypoint}`);
    expect(() => synthValid(chart)).toThrow(`invalid HTTPRoute "shop/web": routes Service web, ${noWaypoint}`);
    expect(() => synthValid(chart)).toThrow(
      'invalid Sidecar "shop/default": has no effect: namespace shop is in ambient mode, whose pods have no sidecar (istioctl IST0167, "IneffectivePolicy"); remove it');
  });

  test('with the waypoint, policies and routes that target it are fine', () => {
    const { chart } = shop(AmbientWaypoint.ALWAYS);
    new AuthorizationPolicy(chart, 'l7', { metadata: { name: 'l7', namespace: 'shop' }, spec: { targetRefs: [{ group: '', kind: 'Service', name: 'web' }], rules: [{}] } });
    new HttpRoute(chart, 'route', { metadata: { name: 'web', namespace: 'shop' }, spec: { parentRefs: [{ group: '', kind: 'Service', name: 'web' }], rules: [{}] } });
    expect(() => synthValid(chart)).not.toThrow();
    expect(warningsOf(chart)).toEqual([]);
  });
});
