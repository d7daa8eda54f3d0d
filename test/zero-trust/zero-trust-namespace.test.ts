import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { Deployment, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  ExternalProtocol, IMeshService, IstioControlPlane, IstioExtensionProvider, IstioOutboundTrafficPolicy, IZeroTrustNamespace, MeshAnalysis,
  PodSecurity, PodSecurityLevel, WorkloadIdentity, ZeroTrustMesh, ZeroTrustNamespace,
} from '../../src';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';
import { connects } from '../support/semantics/network-policy';
import { sees } from '../support/semantics/sidecar-scope';

/** A mesh service as another construct would offer it. */
class FakeService extends Construct implements IMeshService {
  public constructor(scope: Construct, id: string,
    public readonly serviceName: string, public readonly namespace: string, public readonly serviceAccountName: string) {
    super(scope, id);
  }
}

const nsSelector = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
const DNS_HOST = 'kube-system/kube-dns.kube-system.svc.cluster.local';

/** Names namespaces that exist outside the app, as rules that name them require. */
function existingNamespaces(chart: Construct, ...names: string[]): void {
  for (const name of names) ZeroTrustNamespace.fromName(chart, `existing-${name}`, name);
}
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

    // the DNS Service too: the sidecar captures DNS over TCP (istio/istio: outbound TCP is captured, UDP is not)
    expect(findOne(docs, 'Sidecar').spec).toEqual({
      egress: [{ hosts: ['./*', 'istio-system/*', DNS_HOST] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    });

    expect(findOne(docs, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // the ingress gateway of the root namespace, not its other pods (istiod, addons without a sidecar)
    expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ ...nsSelector('istio-system'), podSelector: { matchLabels: { istio: 'ingressgateway' } } }] }],
    });
    expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ ...nsSelector('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
        },
        // no rule for the namespace's own pods: they reach each other only where a call says so
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
    existingNamespaces(chart, 'finance', 'shop', 'backoffice', 'monitoring', 'audit', 'legacy');
    new k8s.KubeServiceAccount(chart, 'refunds', { metadata: { name: 'refunds', namespace: 'payments' } });

    // WHEN
    const ns = new ZeroTrustNamespace(chart, 'payments', {
      name: 'payments',
      revision: '1-30',
      podSecurity: PodSecurityLevel.BASELINE,
      labels: { team: 'payments' },
      rootNamespace: 'mesh-root',
      trustDomain: 'prod.example.com',
      clusterDomain: 'cluster.example',
      outboundTrafficPolicy: IstioOutboundTrafficPolicy.ALLOW_ANY,
      rootNamespaceIngress: true,
      rootNamespaceGateways: ['ingressgateway', 'eastwestgateway'],
      clusterCidrs: ['10.244.0.0/16', '10.96.0.0/12', 'fd00:10:244::/56'],
      dnsCidrs: ['169.254.20.10/32', '10.96.0.10/32'],
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
      egress: [{
        hosts: ['./*', 'mesh-root/*', 'kube-system/kube-dns.kube-system.svc.cluster.example', './node-local-dns.kube-system',
          'finance/ledger.finance.svc.cluster.example', 'audit/*'],
      }],
      outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    });
    expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules.map((r: any) => r.from[0].source)).toEqual([
      { principals: ['prod.example.com/ns/mesh-root/sa/istio-ingressgateway-service-account'] },
      { principals: ['prod.example.com/ns/shop/sa/checkout-sa'] },
      { principals: ['prod.example.com/ns/payments/sa/refunds'] },
      { namespaces: ['backoffice'] },
      { principals: ['legacy.example.com/ns/batch/sa/reports'] },
    ]);
    // NodeLocal DNSCache's link-local address needs a registry entry for DNS over TCP
    expect(findAll(docs, 'ServiceEntry').map(d => d.metadata.name)).toEqual(['node-local-dns', 'external-api.stripe.com', 'external--wildcard.googleapis.com']);
    expect(findOne(docs, 'ServiceEntry', 'node-local-dns').spec).toEqual({
      hosts: ['node-local-dns.kube-system'],
      addresses: ['169.254.20.10/32'],
      exportTo: ['.'],
      location: 'MESH_EXTERNAL',
      ports: [{ number: 53, name: 'tcp-dns', protocol: 'TCP' }],
      resolution: 'NONE',
    });
    expect(findAll(docs, 'PeerAuthentication').map(d => d.metadata.name)).toEqual(['default', 'plain-text-legacy-billing']);
    expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[0]).toEqual({
      from: [{ ...nsSelector('mesh-root'), podSelector: { matchExpressions: [{ key: 'istio', operator: 'In', values: ['eastwestgateway', 'ingressgateway'] }] } }],
    });
    const egress = findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress;
    expect(egress[0].to.slice(1)).toEqual([{ ipBlock: { cidr: '169.254.20.10/32' } }, { ipBlock: { cidr: '10.96.0.10/32' } }]);
    expect(egress.filter((r: any) => r.to[0].ipBlock?.cidr === '0.0.0.0/0').map((r: any) => r.to)).toEqual([[
      { ipBlock: { cidr: '0.0.0.0/0', except: ['10.244.0.0/16', '10.96.0.0/12'] } },
      { ipBlock: { cidr: '::/0', except: ['fd00:10:244::/56'] } },
    ]]);
    expect(warningsOf(chart)).toHaveLength(1);
  });

  test('the README example synthesizes valid documents', () => {
    // GIVEN the example of README.md, section ZeroTrustNamespace
    const chart = testChart();
    new ZeroTrustMesh(chart, 'mesh');
    ZeroTrustNamespace.fromName(chart, 'shop', 'shop');
    ZeroTrustNamespace.fromName(chart, 'monitoring', 'monitoring');

    // WHEN
    const payments = new ZeroTrustNamespace(chart, 'namespace', { name: 'payments' });
    payments.allowFrom(WorkloadIdentity.ingressGateway(), { ports: [8080] });
    payments.allowFrom(WorkloadIdentity.serviceAccount('shop', 'checkout'), {
      ports: [8080], methods: ['POST'], paths: ['/v1/charges'],
    });
    payments.allowMetricsScrapingFrom('monitoring');
    payments.allowEgressTo('api.stripe.com', 443);

    // THEN
    const docs = synthValid(chart);
    expect(docs.map(d => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      'PeerAuthentication/istio-system/default',
      'Namespace/undefined/payments',
      'PeerAuthentication/payments/default',
      'AuthorizationPolicy/payments/allow-nothing',
      'Sidecar/payments/default',
      'NetworkPolicy/payments/default-deny',
      'NetworkPolicy/payments/allow-ingress',
      'NetworkPolicy/payments/allow-egress',
      'AuthorizationPolicy/payments/allow-by-identity',
      'ServiceEntry/payments/external-api.stripe.com',
    ]);
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

  test('the Namespace stays cluster-scoped in a chart with a namespace', () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'apps' });
    new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
    const docs = synthValid(chart);
    expect(findOne(docs, 'Namespace').metadata).not.toHaveProperty('namespace');
    // its policies live in the namespace itself, not in the chart's
    expect(findOne(docs, 'Sidecar').metadata.namespace).toBe('payments');
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
      existingNamespaces(chart, 'shop');
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
      new k8s.KubeServiceAccount(chart, 'refunds', { metadata: { name: 'refunds-sa', namespace: 'payments' } });
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowFrom(WorkloadIdentity.ofService(new FakeService(chart, 'svc', 'refunds', 'payments', 'refunds-sa')), { ports: [8080] });
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules[0].from[0].source)
        .toEqual({ principals: ['cluster.local/ns/payments/sa/refunds-sa'] });
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[1]).toEqual({ from: [{ podSelector: {} }], ports: tcp(8080) });
    });

    test('narrowed to ports, methods and paths, in a stable order', () => {
      const chart = testChart();
      existingNamespaces(chart, 'shop');
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
      existingNamespaces(chart, 'gateways');
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

    test('a principal of another trust domain is kept as written, and names no namespace of this mesh', () => {
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
      existingNamespaces(chart, 'shop');
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowFrom(WorkloadIdentity.serviceAccount('shop', 'frontend'), { ports: [8080], methods: ['GET'] });
      ns.allowFrom(WorkloadIdentity.serviceAccount('shop', 'frontend'), { ports: [8080], methods: ['POST'] });
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'allow-by-identity').spec.rules).toHaveLength(2);
      // their L3/L4 mirror is the same, and written once
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress).toEqual([
        { from: [{ ...nsSelector('istio-system'), podSelector: { matchLabels: { istio: 'ingressgateway' } } }] },
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

  test('root namespace ingress: the gateways named, in a root namespace of its own', () => {
    const chart = testChart();
    new ZeroTrustNamespace(chart, 'payments', { name: 'payments', rootNamespace: 'mesh-root', rootNamespaceGateways: ['public-gateway'] });
    expect(findOne(synthValid(chart), 'NetworkPolicy', 'allow-ingress').spec.ingress).toEqual([
      { from: [{ ...nsSelector('mesh-root'), podSelector: { matchLabels: { istio: 'public-gateway' } } }] },
    ]);
  });

  test('allowMetricsScrapingFrom opens the merged-metrics and Envoy ports only', () => {
    const chart = testChart();
    existingNamespaces(chart, 'monitoring');
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
      expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress.slice(2)).toEqual([
        { to: anyAddress, ports: tcp(443) },
        { to: anyAddress, ports: tcp(80) },
      ]);
      // the ServiceEntry is in this namespace: `./*` already shows it to the proxies
      expect(findOne(docs, 'Sidecar').spec.egress[0].hosts).toEqual(['./*', 'istio-system/*', DNS_HOST]);
    });

    test('a wildcard host is not resolved: the proxy forwards to the address dialled', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowEgressTo('*.googleapis.com', 443);
      const entry = findOne(synthValid(chart), 'ServiceEntry');
      expect(entry.metadata.name).toBe('external--wildcard.googleapis.com');
      expect(entry.spec.hosts).toEqual(['*.googleapis.com']);
      expect(entry.spec.resolution).toBe('NONE');
    });

    // A sidecar routes opaque TCP by destination address and port alone: a TCP ServiceEntry without
    // addresses becomes a 0.0.0.0:<port> listener that takes every connection to the port (IST0134).
    test('a TCP host: its addresses in the ServiceEntry and the NetworkPolicy, so two TCP hosts share a port', () => {
      // GIVEN
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });

      // WHEN
      ns.allowEgressTo('ledger.example.com', 5432, { protocol: ExternalProtocol.TCP, addresses: ['203.0.113.10/32'] });
      ns.allowEgressTo('audit.example.com', 5432, { protocol: ExternalProtocol.TCP, addresses: ['198.51.100.0/28', '2001:db8::/64'] });

      // THEN
      const docs = synthValid(chart);
      const entry = (host: string) => findAll(docs, 'ServiceEntry').find(e => e.spec.hosts[0] === host);
      expect(entry('ledger.example.com').spec).toEqual({
        hosts: ['ledger.example.com'],
        addresses: ['203.0.113.10/32'],
        exportTo: ['.'],
        location: 'MESH_EXTERNAL',
        ports: [{ number: 5432, name: 'tcp-5432', protocol: 'TCP' }],
        // Istio admits address blocks only with NONE or STATIC: the proxy forwards to the address dialled
        resolution: 'NONE',
      });
      expect(entry('audit.example.com').spec.addresses).toEqual(['198.51.100.0/28', '2001:db8::/64']);
      expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress.slice(2)).toEqual([
        { to: [{ ipBlock: { cidr: '203.0.113.10/32' } }], ports: tcp(5432) },
        { to: [{ ipBlock: { cidr: '198.51.100.0/28' } }, { ipBlock: { cidr: '2001:db8::/64' } }], ports: tcp(5432) },
      ]);
      // a pod reaches the ledger's address on 5432, and nothing else outside on that port
      const pod = { namespace: 'payments', labels: { app: 'any' } };
      expect(connects(docs, { from: pod, to: { namespace: 'outside', labels: {}, ip: '203.0.113.10' }, port: 5432 })).toBe(true);
      expect(connects(docs, { from: pod, to: { namespace: 'outside', labels: {}, ip: '192.0.2.1' }, port: 5432 })).toBe(false);
      expect(MeshAnalysis.analyze(chart).filter(m => m.code === 'IST0134')).toEqual([]);
    });

    test('a TCP host without addresses is refused, with the reason and the fix', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      expect(() => ns.allowEgressTo('ledger.example.com', 5432, { protocol: ExternalProtocol.TCP })).toThrow(
        'test/payments: invalid allowEgressTo addresses []: are required for TCP (ledger.example.com:5432): a proxy routes opaque TCP by address, ' +
        'and without addresses every connection of the namespace to port 5432 would go to ledger.example.com (istioctl IST0134); ' +
        'give the host\'s address blocks (e.g. ["203.0.113.10/32"]), or use TLS when the application speaks TLS');
      expect(() => ns.allowEgressTo('ledger.example.com', 5432, { protocol: ExternalProtocol.TCP, addresses: ['203.0.113.10/24'] })).toThrow(
        'test/payments: invalid allowEgressTo addresses "203.0.113.10/24": must be an address block with a prefix of at least 1 and no bits set beyond it ' +
        '(e.g. "10.96.0.0/12", not "10.96.0.1/12")');
    });

    test('a wildcard and a host named like it get different ServiceEntries', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowEgressTo('*.googleapis.com', 443);
      ns.allowEgressTo('wildcard.googleapis.com', 443);
      ns.allowEgressTo('wildcard--googleapis.com', 443);
      const entries = findAll(synthValid(chart), 'ServiceEntry');
      expect(entries.map(e => [e.metadata.name, e.spec.hosts[0], e.spec.resolution])).toEqual([
        ['external--wildcard.googleapis.com', '*.googleapis.com', 'NONE'],
        ['external-wildcard.googleapis.com', 'wildcard.googleapis.com', 'DNS'],
        ['external-wildcard--googleapis.com', 'wildcard--googleapis.com', 'DNS'],
      ]);
    });

    test('a host too long for a plain name gets a valid name that ends with its hash', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      const long = (last: string) => `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(59)}.${last}.com`;
      ns.allowEgressTo(long('x'), 443);
      ns.allowEgressTo(long('y'), 443);
      ns.allowEgressTo(`*.${long('x')}`.slice(0, 253), 443);
      const names = findAll(synthValid(chart), 'ServiceEntry').map(e => e.metadata.name);
      expect(new Set(names).size).toBe(3);
      for (const name of names) {
        expect(name.length).toBeLessThanOrEqual(253);
        expect(name).toMatch(/^external-[-a-z.]+[a-z]-[0-9a-f]{10}$/);
      }
      expect(names[0].startsWith(`external-${'a'.repeat(60)}.`)).toBe(true);
      expect(names[2].startsWith('external--wildcard.')).toBe(true);
    });

    test('the cluster\'s own blocks are left out of an external host\'s egress, by address family', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', clusterCidrs: ['10.244.0.0/16', '10.96.0.0/12'] });
      ns.allowEgressTo('api.stripe.com', 443);
      expect(findOne(synthValid(chart), 'NetworkPolicy', 'allow-egress').spec.egress[2]).toEqual({
        to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.244.0.0/16', '10.96.0.0/12'] } }, { ipBlock: { cidr: '::/0' } }],
        ports: tcp(443),
      });
    });

    test('NodeLocal DNSCache: more DNS destinations next to the kube-dns pods', () => {
      const chart = testChart();
      new ZeroTrustNamespace(chart, 'payments', { name: 'payments', dnsCidrs: ['169.254.20.10/32', 'fd00:10:96::a/128'] });
      expect(findOne(synthValid(chart), 'NetworkPolicy', 'allow-egress').spec.egress[0]).toEqual({
        to: [
          { ...nsSelector('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
          { ipBlock: { cidr: '169.254.20.10/32' } },
          { ipBlock: { cidr: 'fd00:10:96::a/128' } },
        ],
        ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
      });
    });

    test('two hosts on one port share one NetworkPolicy rule', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowEgressTo('api.stripe.com', 443);
      ns.allowEgressTo('api.adyen.com', 443);
      const docs = synthValid(chart);
      expect(findAll(docs, 'ServiceEntry')).toHaveLength(2);
      expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress).toHaveLength(3);
    });

    test('a mesh service in another namespace: its host in the Sidecar, its namespace in the NetworkPolicy', () => {
      const chart = testChart();
      existingNamespaces(chart, 'finance', 'audit');
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowEgressToService(new FakeService(chart, 'ledger', 'ledger', 'finance', 'ledger'), { ports: [8443] });
      ns.allowEgressToNamespace('audit');
      const docs = synthValid(chart);
      expect(findOne(docs, 'Sidecar').spec.egress[0].hosts)
        .toEqual(['./*', 'istio-system/*', DNS_HOST, 'finance/ledger.finance.svc.cluster.local', 'audit/*']);
      expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress.slice(2)).toEqual([
        { to: [nsSelector('finance')], ports: tcp(8443) },
        { to: [nsSelector('audit')] },
      ]);
    });

    test('the tracing collector of the control plane: every proxy may send spans to it', () => {
      // GIVEN a control plane whose mesh config declares a collector (the proxies send spans straight to it)
      const chart = testChart();
      new IstioControlPlane(new Chart(chart, 'istio'), 'control-plane', {
        extensionProviders: [IstioExtensionProvider.openTelemetryTracing('otel', { service: 'otel-collector.observability.svc.cluster.local', port: 4317 })],
      });
      new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });

      // THEN a pod of the namespace reaches the collector at L3/L4, and its proxy knows the host
      const docs = synthValid(chart);
      const pod = { namespace: 'payments', labels: { app: 'billing' } };
      const collector = { namespace: 'observability', labels: { app: 'otel-collector' } };
      expect(connects(docs, { from: pod, to: collector, port: 4317 })).toBe(true);
      expect(connects(docs, { from: pod, to: collector, port: 4318 })).toBe(false);
      expect(sees(docs, pod, 'otel-collector.observability.svc.cluster.local', 'observability')).toBe(true);
    });

    test('pods of the namespace reach each other only when a rule says so', () => {
      // GIVEN no rule: the namespace's own pods are not in allow-egress (the service graph admits them call by call)
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      expect(findOne(synthValid(chart), 'NetworkPolicy', 'allow-egress').spec.egress).toHaveLength(2);

      // WHEN the coarse rules name a service or the whole namespace itself
      ns.allowEgressToService(new FakeService(chart, 'refunds', 'refunds', 'payments', 'refunds'), { ports: [8080] });
      ns.allowEgressToNamespace('payments');

      // THEN
      const docs = synthValid(chart);
      expect(findOne(docs, 'Sidecar').spec.egress[0].hosts).toEqual(['./*', 'istio-system/*', DNS_HOST, 'payments/refunds.payments.svc.cluster.local']);
      expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress.slice(2)).toEqual([
        { to: [{ podSelector: {} }], ports: tcp(8080) },
        { to: [{ podSelector: {} }] },
      ]);
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
      // a plain-text caller has no identity: the warning says what Istio admits
      expect(warningsOf(chart)).toEqual([
        'test/payments: plain-text exception "legacy": pods {"app":"billing"} accept plain text (PERMISSIVE mTLS) on ports 8080, 8081 ' +
        'from 10.20.0.0/16, fd00::/8; Istio admits callers without a mesh identity from 10.20.0.0/16, fd00::/8 there; ' +
        'remove it once those clients run with a sidecar',
      ]);
    });

    test('clients in a namespace: only the NetworkPolicy holds them to it, unless the cluster\'s blocks are known', () => {
      const chart = testChart();
      existingNamespaces(chart, 'legacy');
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080], fromNamespaces: ['legacy'], fromCidrs: ['192.168.1.0/24'] });
      const docs = synthValid(chart);
      expect(findOne(docs, 'AuthorizationPolicy', 'plain-text-legacy').spec.rules[0].from).toEqual([{ source: { notPrincipals: ['*'] } }]);
      expect(findOne(docs, 'NetworkPolicy', 'allow-ingress').spec.ingress[1]).toEqual({
        from: [nsSelector('legacy'), { ipBlock: { cidr: '192.168.1.0/24' } }],
        ports: tcp(8080),
      });
      expect(warningsOf(chart)[0]).toContain('on port 8080 from namespace legacy, 192.168.1.0/24; Istio admits any caller without a mesh ' +
        'identity there (a plain-text caller has no identity to check, and clusterCidrs is not set to narrow it by address): ' +
        'only the NetworkPolicy holds it to those clients;');

      // WHEN the cluster's own blocks are known, the namespace's clients come from them
      const known = testChart();
      existingNamespaces(known, 'legacy');
      new ZeroTrustNamespace(known, 'payments', { name: 'payments', clusterCidrs: ['10.244.0.0/16'] })
        .allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080], fromNamespaces: ['legacy'], fromCidrs: ['192.168.1.0/24'] });
      expect(findOne(synthValid(known), 'AuthorizationPolicy', 'plain-text-legacy').spec.rules[0].from)
        .toEqual([{ source: { notPrincipals: ['*'], ipBlocks: ['192.168.1.0/24', '10.244.0.0/16'] } }]);
    });

    test('a workload of the app in the namespace that declares the port passes', () => {
      const chart = testChart();
      existingNamespaces(chart, 'legacy');
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      const billing = new Deployment(chart, 'billing', { metadata: { namespace: 'payments' }, containers: [{ image: 'billing', portNumber: 8080 }] });
      PodSecurity.restrict(billing);
      ns.allowPlainText('legacy', { selector: billing.matchLabels, ports: [8080], fromNamespaces: ['legacy'] });
      expect(findOne(synthValid(chart), 'PeerAuthentication', 'plain-text-legacy').spec.selector).toEqual({ matchLabels: billing.matchLabels });
    });

    test('workloads the app does not declare, or declares in another namespace, cannot be checked', () => {
      const chart = testChart();
      existingNamespaces(chart, 'legacy');
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
    ns.sidecar!.addJsonPatch(JsonPatch.add('/spec/egress/0/hosts/-', 'shared/*'));
    ns.egressNetworkPolicy.addJsonPatch(JsonPatch.add('/spec/egress/-', { to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ port: 443, protocol: 'TCP' }] }));
    const patched: ApiObject[] = [ns.peerAuthentication, ns.denyAll, ns.defaultDenyNetworkPolicy];
    patched.forEach(o => o.metadata.addAnnotation('owner', 'platform'));
    const docs = synthValid(chart);
    expect(findOne(docs, 'Namespace').metadata.labels.team).toBe('payments');
    expect(findOne(docs, 'Sidecar').spec.egress[0].hosts).toEqual(['./*', 'istio-system/*', DNS_HOST, 'shared/*']);
    expect(findOne(docs, 'NetworkPolicy', 'allow-egress').spec.egress[2].to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }]);
    expect(findOne(docs, 'PeerAuthentication').metadata.annotations).toEqual({ owner: 'platform' });
    expect(findOne(docs, 'NetworkPolicy', 'default-deny').metadata.annotations).toEqual({ owner: 'platform' });
  });

  describe('bad input', () => {
    const make = (props: Partial<ConstructorParameters<typeof ZeroTrustNamespace>[2]> = {}) =>
      new ZeroTrustNamespace(testChart(), 'payments', { name: 'payments', ...props });

    test('a name that is not an RFC 1123 label', () => {
      expect(() => make({ name: 'Payments_Team' }))
        .toThrow('test/payments: invalid name "Payments_Team": must be an RFC 1123 label');
    });

    test('the mesh root namespace as a zero-trust namespace', () => {
      expect(() => make({ name: 'istio-system' }))
        .toThrow('test/payments: invalid name "istio-system": a zero-trust namespace cannot be the mesh root namespace');
      expect(() => make({ rootNamespace: 'Mesh Root' })).toThrow('test/payments: invalid rootNamespace "Mesh Root": must be an RFC 1123 label');
    });

    test('a revision that is not an RFC 1123 label', () => {
      expect(() => make({ revision: '1.30' })).toThrow('test/payments: invalid revision "1.30": must be an RFC 1123 label');
    });

    test('injection label and revision both requested', () => {
      expect(() => make({ revision: '1-30', labels: { 'istio-injection': 'enabled' } }))
        .toThrow('test/payments: invalid labels {"istio-injection":"enabled"}: injection label and revision both requested; ' +
          'istio-injection takes precedence over istio.io/rev');
      expect(() => make({ labels: { 'istio.io/rev': '1-30' } }))
        .toThrow('test/payments: invalid labels {"istio.io/rev":"1-30"}: set istio.io/rev with the \'revision\' prop');
    });

    test('injection label added later next to a revision fails the synth', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', revision: '1-30' });
      ns.metadata.addLabel('istio-injection', 'enabled');
      expect(() => synthValid(chart)).toThrow(/\[test\/payments\] invalid labels \{.*\}: injection label and revision both requested/);
    });

    test('injection turned off', () => {
      expect(() => make({ labels: { 'istio-injection': 'disabled' } }))
        .toThrow('test/payments: invalid labels {"istio-injection":"disabled"}: a zero-trust namespace needs sidecar injection');
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.metadata.addLabel('istio-injection', 'disabled');
      expect(() => synthValid(chart)).toThrow('a zero-trust namespace needs sidecar injection');
    });

    test('Pod Security labels given as labels', () => {
      expect(() => make({ labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } }))
        .toThrow("test/payments: invalid labels {\"pod-security.kubernetes.io/enforce\":\"privileged\"}: set pod-security.kubernetes.io/enforce with the 'podSecurity' prop");
    });

    test('labels that are not Kubernetes labels', () => {
      expect(() => make({ labels: { 'team/name/x': 'payments' } }))
        .toThrow('test/payments: invalid labels key "team/name/x": must be a label key [prefix/]name');
      expect(() => make({ labels: { team: 'a'.repeat(64) } })).toThrow(`test/payments: invalid labels["team"] "${'a'.repeat(64)}": must be a label value`);
      expect(() => make().allowFrom(WorkloadIdentity.ingressGateway({ podLabels: {} })))
        .toThrow('test/payments: invalid ingressGateway podLabels {}: must be Kubernetes labels, at least one,');
    });

    test('a malformed trust domain or cluster domain', () => {
      expect(() => make({ trustDomain: 'spiffe://cluster.local' }))
        .toThrow('test/payments: invalid trustDomain "spiffe://cluster.local": must be a trust domain istiod accepts: ' +
          "dot-separated RFC 1123 labels of lowercase letters, digits and '-', without '_', a scheme or '/'");
      expect(() => make({ trustDomain: 'Cluster.Local' })).toThrow('invalid trustDomain "Cluster.Local"');
      // SPIFFE allows '_', istiod does not (the same check as IstioControlPlane's)
      expect(() => make({ trustDomain: 'prod_example.com' })).toThrow('invalid trustDomain "prod_example.com": must be a trust domain istiod accepts');
      expect(() => make({ clusterDomain: 'cluster.local.' }))
        .toThrow('test/payments: invalid clusterDomain "cluster.local.": must be an RFC 1123 subdomain');
      expect(() => ZeroTrustNamespace.fromName(testChart(), 'shop', 'shop', { trustDomain: 'a/b' }))
        .toThrow('test/shop: invalid trustDomain "a/b": must be a trust domain istiod accepts');
    });

    test('a malformed principal', () => {
      const ns = make();
      for (const principal of ['spiffe://cluster.local/ns/shop/sa/web', 'cluster.local/ns/shop/sa/*', 'cluster.local/shop/web', 'cluster.local/ns/shop/sa/',
        'east_1.example.com/ns/shop/sa/web']) {
        expect(() => ns.allowFrom(WorkloadIdentity.principal(principal)))
          .toThrow(`test/payments: invalid source principal "${principal}": must be "<trustDomain>/ns/<namespace>/sa/<serviceAccount>"`);
      }
      expect(() => ns.allowFrom(WorkloadIdentity.principal('cluster.local/ns/Shop/sa/web')))
        .toThrow('test/payments: invalid source principal namespace "Shop": must be an RFC 1123 label');
    });

    test('a malformed service account or namespace of a source', () => {
      const ns = make();
      expect(() => ns.allowFrom(WorkloadIdentity.serviceAccount('shop', 'Web_Frontend')))
        .toThrow('test/payments: invalid source serviceAccount "Web_Frontend": must be a Kubernetes ServiceAccount name');
      expect(() => ns.allowFrom(WorkloadIdentity.serviceAccount('shop.prod', 'web')))
        .toThrow('test/payments: invalid source namespace "shop.prod": must be an RFC 1123 label');
      expect(() => ns.allowFrom(WorkloadIdentity.namespace('')))
        .toThrow('test/payments: invalid source namespace "": must be an RFC 1123 label');
      expect(() => ns.allowFrom(WorkloadIdentity.ingressGateway({ serviceAccount: 'gw/sa' })))
        .toThrow('test/payments: invalid ingressGateway serviceAccount "gw/sa"');
    });

    test('ports outside 1-65535', () => {
      const ns = make();
      const source = WorkloadIdentity.namespace('shop');
      expect(() => ns.allowFrom(source, { ports: [0] })).toThrow('test/payments: invalid ports 0: must be an integer port from 1 to 65535');
      expect(() => ns.allowFrom(source, { ports: [65536] })).toThrow('test/payments: invalid ports 65536: must be an integer port from 1 to 65535');
      expect(() => ns.allowFrom(source, { ports: [] })).toThrow('test/payments: invalid ports []: must list at least one port');
      expect(() => ns.allowEgressTo('api.stripe.com', 70000)).toThrow('test/payments: invalid allowEgressTo port 70000');
      expect(() => ns.allowEgressToNamespace('audit', { ports: [8080.5] })).toThrow('test/payments: invalid ports 8080.5');
      expect(() => ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [-1], fromNamespaces: ['legacy'] }))
        .toThrow('test/payments: invalid allowPlainText ports -1: must be an integer port from 1 to 65535');
    });

    test('methods and paths that Istio would not match', () => {
      const ns = make();
      expect(() => ns.allowFrom(WorkloadIdentity.namespace('shop'), { methods: ['get'] }))
        .toThrow('test/payments: invalid methods ["get"]: must be upper-case HTTP methods');
      expect(() => ns.allowFrom(WorkloadIdentity.namespace('shop'), { paths: ['api/v1'] }))
        .toThrow('test/payments: invalid paths ["api/v1"]: must be paths starting with "/"');
    });

    test('the same allow rule added twice', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      ns.allowFrom(WorkloadIdentity.serviceAccount('shop', 'web'), { ports: [8080, 9090] });
      expect(() => ns.allowFrom(WorkloadIdentity.serviceAccount('shop', 'web'), { ports: [9090, 8080] }))
        .toThrow('test/payments: invalid allowFrom "service account shop/web ports 9090,8080": the same allow rule was added twice; remove one of the calls');
      const web = new FakeService(chart, 'web', 'web', 'shop', 'web');
      expect(() => ns.allowFrom(WorkloadIdentity.ofService(web), { ports: [8080, 9090] })).toThrow('the same allow rule was added twice');

      ns.allowEgressTo('api.stripe.com', 443);
      expect(() => ns.allowEgressTo('api.stripe.com', 443, { protocol: ExternalProtocol.HTTPS }))
        .toThrow('test/payments: invalid allowEgressTo "api.stripe.com:443": the same allow rule was added twice');
      ns.allowEgressToService(new FakeService(chart, 'ledger', 'ledger', 'finance', 'ledger'));
      expect(() => ns.allowEgressToService(new FakeService(chart, 'ledger2', 'ledger', 'finance', 'ledger')))
        .toThrow('test/payments: invalid allowEgressToService "finance/ledger": the same allow rule was added twice');
      ns.allowEgressToNamespace('audit', { ports: [443] });
      expect(() => ns.allowEgressToNamespace('audit', { ports: [443] }))
        .toThrow('test/payments: invalid allowEgressToNamespace "audit ports 443": the same allow rule was added twice');
      ns.allowMetricsScrapingFrom('monitoring');
      expect(() => ns.allowMetricsScrapingFrom('monitoring'))
        .toThrow('test/payments: invalid allowMetricsScrapingFrom "monitoring": the same allow rule was added twice');
      ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080], fromNamespaces: ['legacy'] });
      expect(() => ns.allowPlainText('legacy', { selector: { app: 'reports' }, ports: [8080], fromNamespaces: ['legacy'] }))
        .toThrow('test/payments: invalid allowPlainText name "legacy": the same exception was added twice');
      expect(() => ns.allowPlainText('legacy-2', { selector: { app: 'billing' }, ports: [8081], fromNamespaces: ['legacy'] }))
        .toThrow('test/payments: invalid allowPlainText selector {"app":"billing"}: already used by the exception "legacy"');
    });

    test('a PERMISSIVE port that no workload of the app exposes', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      new Deployment(chart, 'billing', {
        metadata: { namespace: 'payments' },
        podMetadata: { labels: { app: 'billing' } },
        containers: [{ image: 'billing', portNumber: 8080 }],
      });
      // the Service port, not the container port
      ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [80, 8080], fromNamespaces: ['legacy'] });
      expect(() => synthValid(chart)).toThrow(
        /\[test\/payments\] invalid allowPlainText "legacy" port 80: the workloads its selector matches \(Deployment\/test-billing-\w+\) declare no such container port; port-level mTLS uses the workload \(container\) port, not the Service port/);
    });

    test('a plain-text exception without clients, selector or valid addresses', () => {
      const ns = make();
      expect(() => ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080] }))
        .toThrow('test/payments: invalid allowPlainText "legacy": say where the legacy clients run with fromNamespaces or fromCidrs');
      expect(() => ns.allowPlainText('legacy', { selector: {}, ports: [8080], fromNamespaces: ['legacy'] }))
        .toThrow('test/payments: invalid allowPlainText selector {}: must be Kubernetes labels, at least one,');
      expect(() => ns.allowPlainText('legacy', { selector: { app: 'bill*' }, ports: [8080], fromNamespaces: ['legacy'] }))
        .toThrow('invalid allowPlainText selector["app"] "bill*": must be a label value');
      expect(() => ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [], fromNamespaces: ['legacy'] }))
        .toThrow(/test\/payments: invalid allowPlainText ports \[\]: must list at least one port$/);
      expect(() => ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080], fromCidrs: ['10.0.0.0/33'] }))
        .toThrow('test/payments: invalid allowPlainText fromCidrs "10.0.0.0/33": must be an IPv4 or IPv6 CIDR block');
      expect(() => ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080], fromCidrs: ['10.0.0.1'] }))
        .toThrow('invalid allowPlainText fromCidrs "10.0.0.1"');
      expect(() => ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080], fromNamespaces: ['Legacy'] }))
        .toThrow('test/payments: invalid allowPlainText fromNamespaces ["Legacy"]: must be namespace names');
      expect(() => ns.allowPlainText('Legacy', { selector: { app: 'billing' }, ports: [8080], fromNamespaces: ['legacy'] }))
        .toThrow('test/payments: invalid allowPlainText name "Legacy": must be an RFC 1123 label');
    });

    test.each([
      'https://api.stripe.com', 'api.stripe.com:443', 'stripe', '*', '*.', '10.0.0.1', 'Api.Stripe.com', 'api.*.com', 'api..com',
    ])('an external host that is not a DNS name or wildcard: %s', host => {
      expect(() => make().allowEgressTo(host, 443))
        .toThrow(`test/payments: invalid allowEgressTo host ${JSON.stringify(host)}: must be a fully qualified DNS name`);
    });

    test('root namespace gateways that are no label values, empty, or given with rootNamespaceIngress off', () => {
      const rule = 'must list the values of the gateway pods\' "istio" label (e.g. ["ingressgateway", "eastwestgateway"]); ' +
        'set rootNamespaceIngress: false to admit none';
      expect(() => make({ rootNamespaceGateways: [] })).toThrow(`test/payments: invalid rootNamespaceGateways []: ${rule}`);
      expect(() => make({ rootNamespaceGateways: ['ingress gateway'] })).toThrow('test/payments: invalid rootNamespaceGateways ["ingress gateway"]');
      expect(() => make({ rootNamespaceIngress: false, rootNamespaceGateways: ['ingressgateway'] })).toThrow(
        'test/payments: invalid rootNamespaceGateways ["ingressgateway"]: has no effect with rootNamespaceIngress: false; remove one of the two');
    });

    test('cluster or DNS blocks that cannot be an ipBlock', () => {
      const rule = 'must be an address block with a prefix of at least 1 and no bits set beyond it (e.g. "10.96.0.0/12", not "10.96.0.1/12")';
      expect(() => make({ clusterCidrs: ['10.96.0.1/12'] })).toThrow(`test/payments: invalid clusterCidrs "10.96.0.1/12": ${rule}`);
      expect(() => make({ clusterCidrs: ['fd00:10:244::1/56'] })).toThrow('invalid clusterCidrs "fd00:10:244::1/56": must be an address block');
      expect(() => make({ clusterCidrs: ['0.0.0.0/0'] })).toThrow('invalid clusterCidrs "0.0.0.0/0": must be an address block');
      expect(() => make({ clusterCidrs: ['10.244.0.0'] })).toThrow('invalid clusterCidrs "10.244.0.0": must be an IPv4 or IPv6 CIDR block');
      expect(() => make({ clusterCidrs: ['10.244.0.0/16', '10.244.0.0/16'] }))
        .toThrow('test/payments: invalid clusterCidrs ["10.244.0.0/16","10.244.0.0/16"]: lists a block twice; list each once');
      expect(() => make({ dnsCidrs: ['169.254.20.10/24'] })).toThrow(`test/payments: invalid dnsCidrs "169.254.20.10/24": ${rule}`);
      // IPv6 forms the parser must read: "::", an IPv4 tail
      expect(() => make({ clusterCidrs: ['::ffff:10.0.0.0/104', 'fd00::/8', '2001:db8:0:0:0:0:0:0/32'] })).not.toThrow();
      expect(() => make({ clusterCidrs: ['::ffff:10.0.0.1/104'] })).toThrow('must be an address block');
    });

    test('a reference with a malformed name', () => {
      expect(() => ZeroTrustNamespace.fromName(testChart(), 'shop', 'Shop'))
        .toThrow('test/shop: invalid name "Shop": must be an RFC 1123 label');
    });

    test('a destination with a malformed namespace or service name', () => {
      const chart = testChart();
      const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
      expect(() => ns.allowEgressToService(new FakeService(chart, 'bad', 'Ledger', 'finance', 'ledger')))
        .toThrow('test/payments: invalid allowEgressToService serviceName "Ledger": must be an RFC 1123 label');
      expect(() => ns.allowEgressToNamespace('fin ance')).toThrow('test/payments: invalid allowEgressToNamespace namespace "fin ance"');
      expect(() => ns.allowMetricsScrapingFrom('Monitoring')).toThrow('test/payments: invalid allowMetricsScrapingFrom namespace "Monitoring"');
    });
  });
});
