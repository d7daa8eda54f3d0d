import { ApiObject, JsonPatch } from 'cdk8s';
import { Deployment, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  ExternalProtocol, IMeshService, IZeroTrustNamespace, OutboundTrafficMode, PodSecurityLevel, WorkloadIdentity,
  ZeroTrustNamespace,
} from '../../src';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';

/** A mesh service as another construct would offer it. */
class FakeService extends Construct implements IMeshService {
  public constructor(scope: Construct, id: string,
    public readonly serviceName: string, public readonly namespace: string, public readonly serviceAccountName: string) {
    super(scope, id);
  }
}

const nsSelector = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
const tcp = (...ports: number[]) => ports.map(port => ({ port, protocol: 'TCP' }));

describe('ZeroTrustNamespace', () => {
  test('defaults: injection, restricted Pod Security, STRICT mTLS, deny everything but DNS and istiod', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(docs.map(d => `${d.apiVersion} ${d.kind} ${d.metadata.name}`)).toEqual([
      'v1 Namespace payments',
      'security.istio.io/v1 PeerAuthentication default',
      'security.istio.io/v1 AuthorizationPolicy allow-nothing',
      'networking.istio.io/v1 Sidecar default',
      'networking.k8s.io/v1 NetworkPolicy default-deny',
      'networking.k8s.io/v1 NetworkPolicy allow-ingress',
      'networking.k8s.io/v1 NetworkPolicy allow-egress',
    ]);
    expect(docs.slice(1).every(d => d.metadata.namespace === 'payments')).toBe(true);

    expect(findOne(docs, 'Namespace').metadata.labels).toEqual({
      'istio-injection': 'enabled',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    const peer = findOne(docs, 'PeerAuthentication');
    expect(peer.spec).toEqual({ mtls: { mode: 'STRICT' } });
    // no selector and no rules: every request to the namespace is denied
    expect(findOne(docs, 'AuthorizationPolicy', 'allow-nothing').spec).toEqual({});

    expect(findOne(docs, 'Sidecar').spec).toEqual({
      egress: [{ hosts: ['./*', 'istio-system/*'] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    });

    expect(findOne(docs, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [nsSelector('istio-system')] }],
    });
    expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ ...nsSelector('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
        },
        { to: [{ podSelector: {} }] },
        { to: [{ ...nsSelector('istio-system'), podSelector: { matchLabels: { app: 'istiod' } } }], ports: tcp(15012) },
      ],
    });
    expect(warningsOf(chart)).toEqual([]);
  });

  test('all options', () => {
    // GIVEN
    const chart = testChart();
    const ledger = new FakeService(chart, 'ledger', 'ledger', 'finance', 'ledger-sa');
    const checkout = new FakeService(chart, 'checkout', 'checkout', 'shop', 'checkout-sa');

    // WHEN
    const ns = new ZeroTrustNamespace(chart, 'payments', {
      name: 'payments',
      revision: '1-30',
      podSecurity: PodSecurityLevel.BASELINE,
      labels: { team: 'payments' },
      rootNamespace: 'mesh-root',
      trustDomain: 'prod.example.com',
      clusterDomain: 'cluster.example',
      outboundTrafficMode: OutboundTrafficMode.ALLOW_ANY,
      rootNamespaceIngress: false,
    });
    ns.allowFrom(WorkloadIdentity.ingressGateway(), { ports: [8080] });
    ns.allowFrom(WorkloadIdentity.ofService(checkout), { ports: [8080], methods: ['POST'], paths: ['/v1/charges'] });
    ns.allowFrom(WorkloadIdentity.serviceAccount('payments', 'refunds'));
    ns.allowFrom(WorkloadIdentity.namespace('backoffice'), { methods: ['GET'] });
    ns.allowFrom(WorkloadIdentity.principal('legacy.example.com/ns/batch/sa/reports'), { ports: [9090] });
    ns.allowMetricsScrapingFrom('monitoring');
    ns.allowEgressTo('api.stripe.com', 443);
    ns.allowEgressTo('*.googleapis.com', 443, { protocol: ExternalProtocol.HTTPS });
    ns.allowEgressToService(ledger, { ports: [8443] });
    ns.allowEgressToNamespace('audit');
    ns.allowPlainText('legacy-billing', { selector: { app: 'billing' }, ports: [8080], fromNamespaces: ['legacy'], fromCidrs: ['10.20.0.0/16'] });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(findOne(docs, 'Namespace').metadata.labels).toEqual({
      'istio.io/rev': '1-30',
      'team': 'payments',
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/audit': 'baseline',
      'pod-security.kubernetes.io/warn': 'baseline',
    });
    expect(ns.trustDomain).toBe('prod.example.com');
    expect(ns.rootNamespace).toBe('mesh-root');
    expect(findOne(docs, 'Sidecar').spec).toEqual({
      egress: [{ hosts: ['./*', 'mesh-root/*', 'finance/ledger.finance.svc.cluster.example', 'audit/*'] }],
      outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    });
    expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules.map((r: any) => r.from[0].source)).toEqual([
      { principals: ['prod.example.com/ns/mesh-root/sa/istio-ingressgateway-service-account'] },
      { principals: ['prod.example.com/ns/shop/sa/checkout-sa'] },
      { principals: ['prod.example.com/ns/payments/sa/refunds'] },
      { namespaces: ['backoffice'] },
      { principals: ['legacy.example.com/ns/batch/sa/reports'] },
    ]);
    expect(findAll(docs, 'ServiceEntry').map(d => d.metadata.name)).toEqual(['external-api.stripe.com', 'external-wildcard.googleapis.com']);
    expect(findAll(docs, 'PeerAuthentication').map(d => d.metadata.name)).toEqual(['default', 'plain-text-legacy-billing']);
    expect(warningsOf(chart)).toHaveLength(1);
  });

  describe('sidecar injection', () => {
    test('a revision replaces istio-injection with istio.io/rev', () => {
      const chart = testChart();
      new ZeroTrustNamespace(chart, 'payments', { name: 'payments', revision: 'canary' });
      const labels = findOne(synthValid(chart), 'Namespace').metadata.labels;
      expect(labels['istio.io/rev']).toBe('canary');
      expect(labels['istio-injection']).toBeUndefined();
    });

    test('a label istio-injection: enabled given without revision is accepted', () => {
      const chart = testChart();
      new ZeroTrustNamespace(chart, 'payments', { name: 'payments', labels: { 'istio-injection': 'enabled' } });
      expect(findOne(synthValid(chart), 'Namespace').metadata.labels['istio-injection']).toBe('enabled');
    });
  });

  test('Pod Security level applies to enforce, audit and warn', () => {
    const chart = testChart();
    new ZeroTrustNamespace(chart, 'payments', { name: 'payments', podSecurity: PodSecurityLevel.PRIVILEGED });
    const labels = findOne(synthValid(chart), 'Namespace').metadata.labels;
    expect(labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(labels['pod-security.kubernetes.io/audit']).toBe('privileged');
    expect(labels['pod-security.kubernetes.io/warn']).toBe('privileged');
  });

  describe('allowFrom', () => {
    test('a service account: principal in the trust domain, its namespace at L3', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowFrom(WorkloadIdentity.serviceAccount('shop', 'frontend'));
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec).toEqual({
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }] }],
      });
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[1]).toEqual({ from: [nsSelector('shop')] });
    });

    test('a service of the same namespace: every pod of the namespace at L3', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowFrom(WorkloadIdentity.ofService(new FakeService(chart, 'svc', 'refunds', 'payments', 'refunds-sa')), { ports: [8080] });
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules[0].from[0].source)
        .toEqual({ principals: ['cluster.local/ns/payments/sa/refunds-sa'] });
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[1]).toEqual({ from: [{ podSelector: {} }], ports: tcp(8080) });
    });

    test('narrowed to ports, methods and paths, in a stable order', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowFrom(WorkloadIdentity.namespace('shop'), { ports: [9090, 8080, 8080], methods: ['POST', 'GET'], paths: ['/v1/*', '/health'] });
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules).toEqual([{
        from: [{ source: { namespaces: ['shop'] } }],
        to: [{ operation: { ports: ['8080', '9090'], methods: ['GET', 'POST'], paths: ['/health', '/v1/*'] } }],
      }]);
      // methods and paths are L7: the NetworkPolicy mirrors only the ports
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[1]).toEqual({ from: [nsSelector('shop')], ports: tcp(8080, 9090) });
    });

    test('the ingress gateway: its service account, and its pods in the root namespace at L3', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', rootNamespace: 'mesh-root' });
      ns.allowFrom(WorkloadIdentity.ingressGateway(), { ports: [8080] });
      ns.allowFrom(WorkloadIdentity.ingressGateway({ namespace: 'gateways', serviceAccount: 'public-gw', podLabels: { gateway: 'public' } }));
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules.map((r: any) => r.from[0].source.principals)).toEqual([
        ['cluster.local/ns/mesh-root/sa/istio-ingressgateway-service-account'],
        ['cluster.local/ns/gateways/sa/public-gw'],
      ]);
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress.slice(1)).toEqual([
        { from: [{ ...nsSelector('mesh-root'), podSelector: { matchLabels: { istio: 'ingressgateway' } } }], ports: tcp(8080) },
        { from: [{ ...nsSelector('gateways'), podSelector: { matchLabels: { gateway: 'public' } } }] },
      ]);
    });

    test('a principal of another trust domain is kept as written', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowFrom(WorkloadIdentity.principal('east.example.com/ns/shop/sa/frontend'));
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules[0].from[0].source)
        .toEqual({ principals: ['east.example.com/ns/shop/sa/frontend'] });
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[1]).toEqual({ from: [nsSelector('shop')] });
    });

    test('the same source with different narrowing is a different rule', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowFrom(WorkloadIdentity.serviceAccount('shop', 'frontend'), { ports: [8080], methods: ['GET'] });
      ns.allowFrom(WorkloadIdentity.serviceAccount('shop', 'frontend'), { ports: [8080], methods: ['POST'] });
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules).toHaveLength(2);
      // their L3/L4 mirror is the same, and written once
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress).toEqual([
        { from: [nsSelector('istio-system')] },
        { from: [nsSelector('shop')], ports: tcp(8080) },
      ]);
    });

    test('no allow-by-identity policy until a rule is added', () => {
      const chart = testChart();
      new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      expect(findAll(synthValid(chart), 'AuthorizationPolicy').map(d => d.metadata.name)).toEqual(['allow-nothing']);
    });
  });

  test('without root namespace ingress, only allowed sources get in at L3', () => {
    const chart = testChart();
    const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', rootNamespaceIngress: false });
    expect(findAll(synthValid(chart), 'NetworkPolicy', 'allow-ingress')).toEqual([]);

    ns.allowFrom(WorkloadIdentity.ingressGateway(), { ports: [8080] });
    expect(findOne(synthValid(chart), 'NetworkPolicy', 'allow-ingress').spec.ingress).toEqual([
      { from: [{ ...nsSelector('istio-system'), podSelector: { matchLabels: { istio: 'ingressgateway' } } }], ports: tcp(8080) },
    ]);
  });

  test('allowMetricsScrapingFrom opens the merged-metrics and Envoy ports only', () => {
    const chart = testChart();
    const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
    ns.allowMetricsScrapingFrom('monitoring');
    const docs = synthValid(chart);
    expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[1]).toEqual({ from: [nsSelector('monitoring')], ports: tcp(15020, 15090) });
    expect(findAll(docs, 'AuthorizationPolicy').map(d => d.metadata.name)).toEqual(['allow-nothing']);
  });

  describe('egress', () => {
    test('an external host: ServiceEntry for this namespace only, egress to any address on its port', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowEgressTo('api.stripe.com', 443);
      ns.allowEgressTo('api.stripe.com', 80, { protocol: ExternalProtocol.HTTP });
      const docs = synthValid(chart);
      expect(findOne(docs, 'ServiceEntry')).toEqual({
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'external-api.stripe.com', namespace: 'payments' },
        spec: {
          hosts: ['api.stripe.com'],
          exportTo: ['.'],
          location: 'MESH_EXTERNAL',
          ports: [{ number: 443, name: 'tls-443', protocol: 'TLS' }, { number: 80, name: 'http-80', protocol: 'HTTP' }],
          resolution: 'DNS',
        },
      });
      const anyAddress = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
      expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress.slice(3)).toEqual([
        { to: anyAddress, ports: tcp(443) },
        { to: anyAddress, ports: tcp(80) },
      ]);
      // the ServiceEntry is in this namespace: `./*` already shows it to the proxies
      expect(findOne(docs, 'Sidecar').spec.egress[0].hosts).toEqual(['./*', 'istio-system/*']);
    });

    test('a wildcard host is not resolved: the proxy forwards to the address dialled', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowEgressTo('*.googleapis.com', 443);
      const entry = findOne(synthValid(chart), 'ServiceEntry');
      expect(entry.metadata.name).toBe('external-wildcard.googleapis.com');
      expect(entry.spec.hosts).toEqual(['*.googleapis.com']);
      expect(entry.spec.resolution).toBe('NONE');
    });

    test('two hosts on one port share one NetworkPolicy rule', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowEgressTo('api.stripe.com', 443);
      ns.allowEgressTo('api.adyen.com', 443);
      const docs = synthValid(chart);
      expect(findAll(docs, 'ServiceEntry')).toHaveLength(2);
      expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress).toHaveLength(4);
    });

    test('a mesh service in another namespace: its host in the Sidecar, its namespace in the NetworkPolicy', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowEgressToService(new FakeService(chart, 'ledger', 'ledger', 'finance', 'ledger'), { ports: [8443] });
      ns.allowEgressToNamespace('audit');
      const docs = synthValid(chart);
      expect(findOne(docs, 'Sidecar').spec.egress[0].hosts)
        .toEqual(['./*', 'istio-system/*', 'finance/ledger.finance.svc.cluster.local', 'audit/*']);
      expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress.slice(3)).toEqual([
        { to: [nsSelector('finance')], ports: tcp(8443) },
        { to: [nsSelector('audit')] },
      ]);
    });

    test('a service or namespace of the namespace itself is already allowed', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowEgressToService(new FakeService(chart, 'refunds', 'refunds', 'payments', 'refunds'));
      ns.allowEgressToNamespace('payments');
      const docs = synthValid(chart);
      expect(findOne(docs, 'Sidecar').spec.egress[0].hosts).toEqual(['./*', 'istio-system/*']);
      expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress).toHaveLength(3);
    });
  });

  describe('plain-text exceptions', () => {
    test('port-level PERMISSIVE for the selected pods, allowed for callers without identity, warned at synth', () => {
      // GIVEN
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });

      // WHEN
      ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080, 8081], fromCidrs: ['10.20.0.0/16', 'fd00::/8'] });

      // THEN
      const docs = synthValid(chart);
      expect(findOne(docs, 'PeerAuthentication', 'plain-text-legacy').spec).toEqual({
        selector: { matchLabels: { app: 'billing' } },
        mtls: { mode: 'STRICT' },
        portLevelMtls: { 8080: { mode: 'PERMISSIVE' }, 8081: { mode: 'PERMISSIVE' } },
      });
      expect(findOne(docs, 'AuthorizationPolicy', 'plain-text-legacy').spec).toEqual({
        selector: { matchLabels: { app: 'billing' } },
        action: 'ALLOW',
        rules: [{
          from: [{ source: { notPrincipals: ['*'], ipBlocks: ['10.20.0.0/16', 'fd00::/8'] } }],
          to: [{ operation: { ports: ['8080', '8081'] } }],
        }],
      });
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[1]).toEqual({
        from: [{ ipBlock: { cidr: '10.20.0.0/16' } }, { ipBlock: { cidr: 'fd00::/8' } }],
        ports: tcp(8080, 8081),
      });
      expect(warningsOf(chart)).toEqual([
        'test/payments: plain-text exception "legacy": pods {"app":"billing"} accept plain text (PERMISSIVE mTLS) on ports 8080, 8081 ' +
        'from 10.20.0.0/16, fd00::/8; remove it once those clients run with a sidecar',
      ]);
    });

    test('clients in a namespace: addresses cannot narrow the authorization, the NetworkPolicy does', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080], fromNamespaces: ['legacy'], fromCidrs: ['192.168.1.0/24'] });
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'plain-text-legacy').spec.rules[0].from).toEqual([{ source: { notPrincipals: ['*'] } }]);
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[1]).toEqual({
        from: [nsSelector('legacy'), { ipBlock: { cidr: '192.168.1.0/24' } }],
        ports: tcp(8080),
      });
      expect(warningsOf(chart)[0]).toContain('on port 8080 from namespace legacy, 192.168.1.0/24;');
    });

    test('a workload of the app in the namespace that declares the port passes', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      const billing = new Deployment(chart, 'billing', { metadata: { namespace: 'payments' }, containers: [{ image: 'billing', portNumber: 8080 }] });
      ns.allowPlainText('legacy', { selector: billing.matchLabels, ports: [8080], fromNamespaces: ['legacy'] });
      expect(findOne(synthValid(chart), 'PeerAuthentication', 'plain-text-legacy').spec.selector).toEqual({ matchLabels: billing.matchLabels });
    });

    test('workloads the app does not declare, or declares in another namespace, cannot be checked', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      new k8s.KubeDeployment(chart, 'elsewhere', {
        metadata: { namespace: 'other' },
        spec: {
          selector: { matchLabels: { app: 'billing' } },
          template: { metadata: { labels: { app: 'billing' } }, spec: { containers: [{ name: 'main', image: 'billing', ports: [{ containerPort: 9999 }] }] } },
        },
      });
      ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080], fromNamespaces: ['legacy'] });
      expect(findAll(synthValid(chart), 'PeerAuthentication')).toHaveLength(2);
    });
  });

  test('fromName refers to a namespace the app does not create', () => {
    const chart = testChart();
    const existing: IZeroTrustNamespace = ZeroTrustNamespace.fromName(chart, 'shop', 'shop', { trustDomain: 'prod.example.com' });
    const created: IZeroTrustNamespace = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
    expect([existing.name, existing.trustDomain]).toEqual(['shop', 'prod.example.com']);
    expect([created.name, created.trustDomain]).toEqual(['payments', 'cluster.local']);
    expect(ZeroTrustNamespace.fromName(chart, 'default-td', 'other').trustDomain).toBe('cluster.local');
    // a reference emits nothing
    expect(findAll(synthValid(chart), 'Namespace').map(d => d.metadata.name)).toEqual(['payments']);
  });

  test('escape hatches: patches and labels on the emitted objects survive synth', () => {
    const chart = testChart();
    const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
    ns.metadata.addLabel('team', 'payments');
    ns.sidecar.addJsonPatch(JsonPatch.add('/spec/egress/0/hosts/-', 'shared/*'));
    ns.egressNetworkPolicy.addJsonPatch(JsonPatch.add('/spec/egress/-', { to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ port: 443, protocol: 'TCP' }] }));
    const patched: ApiObject[] = [ns.peerAuthentication, ns.denyAll, ns.defaultDenyNetworkPolicy];
    patched.forEach(o => o.metadata.addAnnotation('owner', 'platform'));
    const docs = synthValid(chart);
    expect(findOne(docs, 'Namespace').metadata.labels.team).toBe('payments');
    expect(findOne(docs, 'Sidecar').spec.egress[0].hosts).toEqual(['./*', 'istio-system/*', 'shared/*']);
    expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress[3].to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }]);
    expect(findOne(docs, 'PeerAuthentication').metadata.annotations).toEqual({ owner: 'platform' });
    expect(findOne(docs, 'NetworkPolicy', 'default-deny').metadata.annotations).toEqual({ owner: 'platform' });
  });
});
