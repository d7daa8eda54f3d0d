// The reference example is the whole strategy (MISSION.md): what `npm run synth` writes. Every
// file it emits must validate strictly, carry the strategy's values, and stay byte-identical and
// named the same from one synth to the next.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { referenceApp } from '../examples/app';
import { AtomicSynth, MeshWarnings, WarningMode } from '../src';
import { expectValidDocuments, findAll, findOne } from './support';
import { synthExample } from './support/examples';
import { istioGatewayRoute } from './support/semantics/gateway-routing';
import { authorize } from './support/semantics/istio-authorization';
import { connects } from './support/semantics/network-policy';
import { sees } from './support/semantics/sidecar-scope';

const { app, outdir, files } = synthExample(referenceApp);

test('one file per chart, every document valid against its upstream schema', () => {
  expect(Object.keys(files)).toEqual([
    'frontend.k8s.yaml', 'ingress.k8s.yaml', 'istio.k8s.yaml', 'mesh.k8s.yaml', 'nodes.k8s.yaml', 'orders.k8s.yaml', 'payments.k8s.yaml',
  ]);
  for (const docs of Object.values(files)) {
    expect(docs.length).toBeGreaterThan(0);
    expectValidDocuments(docs);
  }
});

describe('the strategy, value by value (MISSION.md)', () => {
  test('1. node tuning: exactly the six sysctls, as minimums for the two limits the node may exceed', () => {
    const conf = findOne(files['nodes.k8s.yaml'], 'ConfigMap').data['tuning.conf'];
    expect(conf.trim().split('\n')).toEqual([
      'fs.file-max>=2097152',
      'net.netfilter.nf_conntrack_max>=262144',
      'net.core.somaxconn>=32768',
      'net.ipv4.tcp_max_syn_backlog>=16384',
      'net.ipv4.tcp_tw_reuse=1',
      'net.ipv4.ip_local_port_range=32768 60999',
    ]);
    const alerts = findOne(files['nodes.k8s.yaml'], 'PrometheusRule').spec.groups[0].rules;
    expect(alerts.find((r: any) => r.alert === 'NodeHighIowait').expr).toMatch(/> 5$/);
  });

  test('2. the IstioOperator, alone in its file for istioctl', () => {
    expect(files['istio.k8s.yaml']).toHaveLength(1);
    const operator = files['istio.k8s.yaml'][0];
    expect(operator.apiVersion).toBe('install.istio.io/v1alpha1');
    expect(operator.kind).toBe('IstioOperator');
    expect(operator.metadata).toEqual({ name: 'coolvds-prod-mesh', namespace: 'istio-system' });
    expect(operator.spec.profile).toBe('default');
    expect(operator.spec.components.pilot.k8s.resources).toEqual({ requests: { cpu: '500m', memory: '2048Mi' } });
    const [gateway] = operator.spec.components.ingressGateways;
    expect(operator.spec.components.ingressGateways).toHaveLength(1);
    expect(gateway.name).toBe('istio-ingressgateway');
    expect(gateway.enabled).toBe(true);
    expect(gateway.k8s.resources).toEqual({ requests: { cpu: '1000m', memory: '1024Mi' } });
    // the reference's two ports, after the status port the library keeps (istio/istio#12503)
    expect(gateway.k8s.service.ports).toEqual([
      { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP' },
      { name: 'http2', port: 80, targetPort: 8080 },
      { name: 'https', port: 443, targetPort: 8443 },
    ]);
    expect(operator.spec.values.global.proxy.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '2000m', memory: '1024Mi' },
    });
    // beyond the reference: the CNI agent that restricted namespaces need
    expect(operator.spec.components.cni).toEqual({ enabled: true });
  });

  test('3. zero trust: the reference PeerAuthentication, and a deny-by-default namespace', () => {
    expect(findOne(files['mesh.k8s.yaml'], 'PeerAuthentication')).toEqual({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'istio-system' },
      spec: { mtls: { mode: 'STRICT' } },
    });
    const payments = files['payments.k8s.yaml'];
    expect(findOne(payments, 'Namespace').metadata.labels).toMatchObject({
      'istio-injection': 'enabled',
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    expect(findOne(payments, 'PeerAuthentication').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(findOne(payments, 'AuthorizationPolicy', 'allow-nothing').spec ?? {}).toEqual({});
    // the service graph: payment-service admits checkout, POST /pay only, on its container port
    expect(findOne(payments, 'AuthorizationPolicy', 'payment-service').spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'payment-service' } },
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: ['cluster.local/ns/orders/sa/checkout'] } }],
        to: [{ operation: { ports: ['8080'], methods: ['POST'], paths: ['/pay', '/pay/*'] } }],
      }],
    });
  });

  test('3. the service graph: exactly the declared calls get through, at every layer', () => {
    const all = Object.values(files).flat();
    const service = (file: string, name: string) => {
      const deployment = findAll(files[file], 'Deployment').find(d => d.metadata.labels.app === name)!;
      const namespace = deployment.metadata.namespace;
      return {
        name,
        namespace,
        labels: deployment.spec.template.metadata.labels,
        principal: `cluster.local/ns/${namespace}/sa/${deployment.spec.template.spec.serviceAccountName}`,
        host: `${name}.${namespace}.svc.cluster.local`,
        port: findOne(files[file], 'Service', name).spec.ports[0].targetPort,
      };
    };
    const services = [service('frontend.k8s.yaml', 'web'), service('orders.k8s.yaml', 'checkout'),
      service('orders.k8s.yaml', 'inventory'), service('payments.k8s.yaml', 'payment-service')];
    const gateway = {
      name: 'gateway',
      namespace: 'istio-system',
      labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
      principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
    };
    const allowed: string[] = [];
    for (const a of [gateway, ...services]) {
      for (const b of services.filter(s => s !== a)) {
        const request = { principal: a.principal, namespace: a.namespace, port: b.port, method: b.name === 'inventory' ? 'GET' : 'POST', path: '/pay' };
        const authorization = authorize(all, b, request);
        const network = connects(all, { from: a, to: b, port: b.port });
        // the gateway's proxy is scoped by its own Gateway and routes, not by a Sidecar of this app
        const visible = a === gateway ? 'n/a' : sees(all, a, b.host, b.namespace);
        if (authorization || network || visible === true) allowed.push(`${a.name}->${b.name} ${[authorization, network, visible]}`);
      }
    }
    expect(allowed.sort()).toEqual([
      'checkout->inventory true,true,true',
      'checkout->payment-service true,true,true',
      'gateway->web true,true,n/a',
      'web->checkout true,true,true',
    ]);
  });

  test('the gateway the strategy installs routes users to web over HTTPS, and redirects HTTP (issue 15)', () => {
    const ingress = files['ingress.k8s.yaml'];
    expect(ingress.map(d => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      'Certificate istio-system/shop-tls', 'Gateway istio-system/shop', 'VirtualService istio-system/shop-shop-example-com',
    ]);
    const gateway = findOne(ingress, 'Gateway');
    expect(gateway.apiVersion).toBe('networking.istio.io/v1');
    expect(gateway.spec.selector).toEqual({ istio: 'ingressgateway' });
    // the pod ports behind the IstioOperator's 443 -> 8443 and 80 -> 8080
    expect(gateway.spec.servers.map((s: any) => [s.port.number, s.port.protocol, s.tls])).toEqual([
      [8443, 'HTTPS', { mode: 'SIMPLE', credentialName: 'shop-tls' }],
      [8080, 'HTTP', { httpsRedirect: true }],
    ]);
    const ports = files['istio.k8s.yaml'][0].spec.components.ingressGateways[0].k8s.service.ports.map((p: any) => p.targetPort);
    expect(gateway.spec.servers.every((s: any) => ports.includes(s.port.number))).toBe(true);
    expect(findOne(ingress, 'Certificate').spec).toEqual({
      secretName: 'shop-tls', dnsNames: ['shop.example.com'], issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt-prod' },
    });
    expect(findOne(ingress, 'VirtualService').spec).toMatchObject({ hosts: ['shop.example.com'], gateways: ['istio-system/shop'] });
    const all = Object.values(files).flat();
    const pod = { namespace: 'istio-system', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } };
    expect(istioGatewayRoute(all, pod, { tls: true, port: 8443, host: 'shop.example.com', path: '/cart' })).toMatchObject({
      kind: 'route', destinations: [{ host: 'web.frontend.svc.cluster.local', subset: 'v1', port: 8080, weight: 100 }],
    });
    expect(istioGatewayRoute(all, pod, { tls: false, port: 8080, host: 'shop.example.com', path: '/cart' }))
      .toEqual({ kind: 'redirect', location: 'https://shop.example.com/cart', status: 301 });
    // web's route: its timeout (5s) and the library's safe retries
    expect(findOne(ingress, 'VirtualService').spec.http[0]).toMatchObject({ timeout: '5s', retries: { attempts: 2 } });
  });

  test('4. the canary: every field of the reference DestinationRule and VirtualService', () => {
    const payments = files['payments.k8s.yaml'];
    const rule = findOne(payments, 'DestinationRule');
    expect(rule.apiVersion).toBe('networking.istio.io/v1');
    expect(rule.spec.host).toMatch(/^payment-service(\.payments\.svc\.cluster\.local)?$/);
    expect(rule.spec.trafficPolicy.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
    expect(rule.spec.subsets).toEqual([
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' } },
    ]);
    const vs = findOne(payments, 'VirtualService');
    expect(vs.apiVersion).toBe('networking.istio.io/v1');
    expect(vs.spec.hosts).toEqual([rule.spec.host]);
    expect(vs.spec.http).toHaveLength(1);
    const [route] = vs.spec.http;
    expect(route.route).toEqual([
      { destination: { host: rule.spec.host, subset: 'v1' }, weight: 95 },
      { destination: { host: rule.spec.host, subset: 'v2' }, weight: 5 },
    ]);
    expect(route.timeout).toBe('2s');
    expect(route.retries).toMatchObject({ attempts: 3, perTryTimeout: '2s' });
  });

  test('4. the retry trap of the reference is reported, naming the service and the fix', () => {
    const warnings = MeshWarnings.collect(app).map(w => `${w.path}: ${w.message}`);
    expect(warnings).toContainEqual(expect.stringMatching(
      /^payments\/payment: service payments\/payment-service: retries do not fit in the route timeout.*istio\/istio#21137.*perTryTimeout/));
  });

  test('the first real app\'s workload needs: spread, a writable /tmp on a read-only root, one autoscaled service', () => {
    const web = findOne(files['frontend.k8s.yaml'], 'Deployment');
    const pod = web.spec.template.spec;
    expect(pod.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ['kubernetes.io/hostname', 'ScheduleAnyway'], ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
    ]);
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.containers[0].volumeMounts).toEqual([{ mountPath: '/tmp', name: 'writable-0' }]);
    expect(pod.volumes).toEqual([{ name: 'writable-0', emptyDir: {} }]);
    // the autoscaler holds the count: no replicas in Git for a sync to restore
    expect(web.spec.replicas).toBeUndefined();
    expect(findOne(files['frontend.k8s.yaml'], 'HorizontalPodAutoscaler').spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-v1' }, minReplicas: 2, maxReplicas: 6,
    });
    expect(findOne(files['frontend.k8s.yaml'], 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  test('5. observability: Kiali, mesh telemetry, scraping and the service\'s golden signals at 200 ms', () => {
    const mesh = files['mesh.k8s.yaml'];
    expect(findOne(mesh, 'Deployment', 'kiali').spec.template.spec.containers[0].image).toMatch(/^quay\.io\/kiali\/kiali:v\d+\.\d+\.\d+$/);
    expect(findOne(mesh, 'Telemetry').apiVersion).toBe('telemetry.istio.io/v1');
    expect(findOne(mesh, 'PodMonitor').metadata.namespace).toBe('istio-system');
    expect(findOne(mesh, 'ServiceMonitor').metadata.namespace).toBe('istio-system');
    const alerts = findOne(mesh, 'PrometheusRule', 'payment-service-golden-signals');
    expect(alerts.metadata.namespace).toBe('payments');
    const latency = alerts.spec.groups[0].rules.find((r: any) => r.alert === 'MeshServiceP99LatencyHigh');
    expect(latency.expr).toContain('destination_service_name="payment-service"');
    expect(latency.expr).toMatch(/> 200$/);
  });
});

describe('GitOps-safe synthesis', () => {
  test('two synths are byte-identical', () => {
    const second = synthExample(referenceApp).outdir;
    for (const file of fs.readdirSync(outdir)) {
      expect(fs.readFileSync(path.join(second, file), 'utf8')).toBe(fs.readFileSync(path.join(outdir, file), 'utf8'));
    }
  });

  test('resource names and construct IDs are stable (renaming one renames it in every cluster)', () => {
    const objects = app.node.findAll().filter(ApiObject.isApiObject).map(o => ({ path: o.node.path, kind: o.kind, namespace: o.metadata.namespace }));
    const names = Object.fromEntries(Object.entries(files).map(([file, docs]) =>
      [file, docs.map(d => `${d.kind} ${d.metadata.namespace ? `${d.metadata.namespace}/` : ''}${d.metadata.name}`)]));
    expect({ names, objects }).toMatchSnapshot();
  });

  test('the example\'s synth is atomic: a failing app keeps the previous manifests', () => {
    const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-atomic-')), 'manifests');
    const good = referenceApp();
    MeshWarnings.setMode(good, WarningMode.COLLECT);
    expect(AtomicSynth.synth(good, { outdir: target })).toEqual(Object.keys(files));
    const before = fs.readdirSync(target).map(f => fs.readFileSync(path.join(target, f), 'utf8'));

    // the trap warning as an error, as a strict CI would run it
    const strict = referenceApp();
    MeshWarnings.setMode(strict, WarningMode.ERROR);
    expect(() => AtomicSynth.synth(strict, { outdir: target })).toThrow('retries do not fit in the route timeout');
    expect(fs.readdirSync(target).map(f => fs.readFileSync(path.join(target, f), 'utf8'))).toEqual(before);
  });
});
