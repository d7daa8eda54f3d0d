// The mesh analysis at synth: every object of every chart, errors fail the synth (AtomicSynth then
// keeps the previous output), warnings follow MeshWarnings' modes and are printed once, and a problem
// a construct of the library already reports is not reported again.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Duration, Include, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { cli, fixture, line } from './support';
import { referenceApp } from '../../examples/app';
import {
  AtomicSynth, CanaryService, MeshAnalysis, MeshWarnings, MeshWorkload, WarningMode, ZeroTrustMesh, ZeroTrustNamespace,
} from '../../src';

const VIRTUAL_SERVICE = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews' },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] },
};

/** An app with a construct of the library (which turns the whole-app checks on) in chart `mesh`. */
function meshApp(mode?: WarningMode): { app: App; chart: Chart } {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-analysis-')) });
  if (mode) MeshWarnings.setMode(app, mode);
  const chart = new Chart(app, 'mesh');
  new ZeroTrustMesh(chart, 'zero-trust');
  return { app, chart };
}

function stderrLines(write: jest.SpyInstance): string[] {
  return write.mock.calls.map(c => String(c[0])).filter(l => l.startsWith('[cdk8s-mesh]'));
}

describe('at synth', () => {
  const env = process.env.CDK8S_MESH_WARNINGS;
  beforeEach(() => delete process.env.CDK8S_MESH_WARNINGS);
  afterEach(() => {
    if (env === undefined) delete process.env.CDK8S_MESH_WARNINGS;
    else process.env.CDK8S_MESH_WARNINGS = env;
    jest.restoreAllMocks();
  });

  test('an Error fails every synth path with istioctl\'s line, the construct path as its reference', () => {
    // GIVEN a hand-made object
    const { app, chart } = meshApp(WarningMode.COLLECT);
    new ApiObject(chart, 'reviews', VIRTUAL_SERVICE);
    const expected = 'Error [IST0101] (VirtualService default/reviews mesh/reviews) Referenced host not found: "reviews"';

    // THEN
    expect(() => app.synth()).toThrow(expected);
    expect(() => Testing.synth(chart)).toThrow(expected);
    expect(() => chart.toJson()).toThrow(expected);
  });

  test('AtomicSynth leaves the previous output byte for byte as it was', () => {
    // GIVEN a good first synth
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-atomic-')), 'manifests');
    AtomicSynth.synth(meshApp(WarningMode.COLLECT).app, { outdir: out });
    const before = fs.readFileSync(path.join(out, 'mesh.k8s.yaml'), 'utf8');

    // WHEN the next app routes to a host that does not exist
    const { app, chart } = meshApp(WarningMode.COLLECT);
    new ApiObject(chart, 'reviews', VIRTUAL_SERVICE);

    // THEN
    expect(() => AtomicSynth.synth(app, { outdir: out })).toThrow('[IST0101]');
    expect(fs.readdirSync(out)).toEqual(['mesh.k8s.yaml']);
    expect(fs.readFileSync(path.join(out, 'mesh.k8s.yaml'), 'utf8')).toBe(before);
  });

  test('a Warning is printed once per app, though cdk8s validates once per chart; an Info is not printed', () => {
    // GIVEN an object with a Warning (IST0144) and one with an Info (IST0118), and a second chart
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { app, chart } = meshApp();
    new Include(chart, 'uid', { url: fixture('ist0144-application-uid') });
    new ApiObject(new Chart(app, 'other'), 'svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ name: 'web', port: 80 }] } });

    // WHEN
    Testing.synth(chart);
    app.synth();

    // THEN
    expect(stderrLines(write)).toEqual([
      `[cdk8s-mesh] Warning [IST0144] (Deployment shop/reviews ${chart.node.path}/uid/${app.node.findAll().find(c => ApiObject.isApiObject(c) && c.kind === 'Deployment')!.node.id}) ` +
        'User ID (UID) 1337 is reserved for the sidecar proxy.\n',
    ]);
    expect(MeshAnalysis.analyze(app).map(m => m.code)).toEqual(['IST0144', 'IST0118']);
  });

  test('WarningMode.ERROR and CDK8S_MESH_WARNINGS=error fail the synth on a Warning; COLLECT only records it', () => {
    const build = (mode: WarningMode) => {
      const { app, chart } = meshApp(mode);
      new Include(chart, 'uid', { url: fixture('ist0144-application-uid') });
      return app;
    };
    expect(() => build(WarningMode.ERROR).synth()).toThrow(
      'warning treated as an error (WarningMode.ERROR): Warning [IST0144] (Deployment shop/reviews mesh/uid/');
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const collected = build(WarningMode.COLLECT);
    collected.synth();
    expect(stderrLines(write)).toEqual([]);
    expect(MeshAnalysis.analyze(collected).map(line)).toEqual(['Warning [IST0144] (Deployment shop/reviews) User ID (UID) 1337 is reserved for the sidecar proxy.']);
    process.env.CDK8S_MESH_WARNINGS = 'error';
    expect(() => build(WarningMode.COLLECT).synth()).toThrow('warning treated as an error (WarningMode.ERROR): Warning [IST0144]');
  });

  test('cdk8s-plus objects are analyzed in the namespace of their chart', () => {
    // GIVEN a cdk8s-plus Deployment in a chart of namespace shop, an injected namespace
    const { app } = meshApp(WarningMode.COLLECT);
    const shop = new Chart(app, 'shop', { namespace: 'shop' });
    new kplus.Namespace(new Chart(app, 'namespaces'), 'shop', { metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } });
    const web = new kplus.Deployment(shop, 'web', { containers: [{ image: 'web:1.0', portNumber: 8080, securityContext: { ensureNonRoot: false } }] });

    // THEN its pods, labelled by cdk8s-plus only, have neither app nor version
    expect(MeshAnalysis.analyze(app).map(m => ({ code: m.code, origin: m.origin, path: m.path }))).toEqual([
      { code: 'MESH0005', origin: `Deployment shop/${web.name}`, path: 'shop/web/Resource' },
    ]);
  });

  test('the messages of a synth come from the objects rendered for it, each rendered once', () => {
    const { app, chart } = meshApp(WarningMode.COLLECT);
    new Include(chart, 'uid', { url: fixture('ist0144-application-uid') });
    const toJson = jest.spyOn(ApiObject.prototype, 'toJson');
    MeshAnalysis.analyze(app);
    const once = toJson.mock.calls.length;
    MeshAnalysis.analyze(app);
    expect(toJson.mock.calls.length).toBe(once);
    expect(once).toBe(app.node.findAll().filter(c => ApiObject.isApiObject(c)).length);
  });

  test('an app is part of a cluster: a host in a namespace it does not hold is not judged missing; the CLI, given the files, judges it', () => {
    // GIVEN a route to another team's Service
    const { app, chart } = meshApp(WarningMode.COLLECT);
    const vs = new ApiObject(chart, 'reviews', { ...VIRTUAL_SERVICE, spec: { ...VIRTUAL_SERVICE.spec, http: [{ route: [{ destination: { host: 'ratings.other-team.svc.cluster.local' } }] }] } });

    // THEN
    expect(() => app.synth()).not.toThrow();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-part-'));
    fs.writeFileSync(path.join(dir, 'vs.yaml'), JSON.stringify(vs.toJson()));
    expect(cli(['analyze', path.join(dir, 'vs.yaml')]).stdout).toContain('Referenced host not found: "ratings.other-team.svc.cluster.local"');
  });

  test('what the app names without creating it stands in: a namespace that exists elsewhere, a workload deployed by other means', () => {
    // GIVEN a caller in a namespace of the app, a callee deployed by other means, a namespace named only
    const { app, chart } = meshApp(WarningMode.COLLECT);
    const orders = new ZeroTrustNamespace(chart, 'orders', { name: 'orders' });
    const legacy = ZeroTrustNamespace.fromName(chart, 'legacy', 'legacy');
    const checkout = new CanaryService(chart, 'checkout', { namespace: orders, name: 'checkout', port: 8080, stable: { version: 'v1', image: 'checkout:1.0' } });
    checkout.calls(MeshWorkload.fromService(chart, 'ledger', { namespace: orders, serviceName: 'ledger', port: 5432, podLabels: { app: 'ledger' } }));
    new CanaryService(chart, 'batch', { namespace: legacy, name: 'batch', port: 8080, stable: { version: 'v1', image: 'batch:1.0' } });

    // THEN the ledger's Sidecar and AuthorizationPolicy select its pods, and the batch namespace's data plane is the app's word
    expect(() => app.synth()).not.toThrow();
    expect(MeshAnalysis.analyze(app)).toEqual([]);
  });

  test('the galley.istio.io/analyze-suppress annotation suppresses a code on its object, as in istioctl', () => {
    const { app, chart } = meshApp(WarningMode.COLLECT);
    new ApiObject(chart, 'reviews', { ...VIRTUAL_SERVICE, metadata: { name: 'reviews', annotations: { 'galley.istio.io/analyze-suppress': 'IST0101' } } });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('each problem is reported once', () => {
  afterEach(() => jest.restoreAllMocks());

  test('the retry trap: CanaryService warns while it is built, the synth does not print the analysis\' MESH0002 too', () => {
    // GIVEN the strategy's canary, whose route has the trap
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { app, chart } = meshApp();
    new CanaryService(chart, 'payment', {
      namespace: new ZeroTrustNamespace(chart, 'payments', { name: 'payments' }),
      name: 'payment-service',
      port: 8080,
      stable: { version: 'v1', image: 'registry.example.com/payment:1.4.2' },
      timeout: Duration.seconds(2),
      retries: { attempts: 3, perTryTimeout: Duration.seconds(2) },
    });

    // WHEN
    app.synth();

    // THEN one warning, the construct's
    const printed = stderrLines(write).filter(l => l.includes('retries do not fit'));
    expect(printed).toEqual([expect.stringMatching(/^\[cdk8s-mesh\] warning at mesh\/payment: service payments\/payment-service: retries do not fit/)]);
    // and the analysis still has it, for code that asks
    expect(MeshAnalysis.analyze(app).map(m => m.code)).toContain('MESH0002');
  });

  test('Pod Security: a ZeroTrustNamespace fails the synth for a pod its level rejects; MESH0007 does so for other namespaces', () => {
    const privileged = (chart: Chart) => new kplus.Deployment(chart, 'tool', {
      containers: [{ image: 'tool:1.0', securityContext: { privileged: true, ensureNonRoot: false } }],
    });
    // a ZeroTrustNamespace
    const zt = meshApp(WarningMode.COLLECT);
    new ZeroTrustNamespace(zt.chart, 'payments', { name: 'payments' });
    privileged(new Chart(zt.app, 'payments', { namespace: 'payments' }));
    let error = '';
    try {
      zt.app.synth();
    } catch (e) {
      error = String(e);
    }
    expect(error).toContain('would be rejected by the Pod Security level "restricted" of namespace payments');
    expect(error).not.toContain('MESH0007');
    // a namespace of other means
    const plain = meshApp(WarningMode.COLLECT);
    new ApiObject(plain.chart, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tools', labels: { 'istio-injection': 'enabled', 'pod-security.kubernetes.io/enforce': 'baseline' } } });
    privileged(new Chart(plain.app, 'tools', { namespace: 'tools' }));
    expect(() => plain.app.synth()).toThrow(/Error \[MESH0007\] \(Deployment tools\/tools-tool-\w+ tools\/tool\/Resource\) The pods would be rejected by the Pod Security level "baseline"/);
  });

  test('a plain-text exception: ZeroTrustNamespace.allowPlainText warns, the synth does not print MESH0006 too', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { app, chart } = meshApp();
    const ns = new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
    ZeroTrustNamespace.fromName(chart, 'legacy', 'legacy');
    ns.allowPlainText('legacy', { selector: { app: 'billing' }, ports: [8080], fromNamespaces: ['legacy'] });
    app.synth();
    expect(stderrLines(write).filter(l => l.includes('PERMISSIVE') || l.includes('MESH0006'))).toEqual([expect.stringMatching(/^\[cdk8s-mesh\] warning at mesh\/payments: plain-text exception "legacy"/)]);
    expect(MeshAnalysis.analyze(app).map(m => m.code)).toContain('MESH0006');
  });
});

describe('the reference example', () => {
  test('analyzes clean but for the strategy\'s own retry trap', () => {
    // the node-only sysctls are a warning of TunedNodePool, about nodes rather than mesh objects
    expect(MeshAnalysis.analyze(referenceApp({ outdir: path.join(os.tmpdir(), 'unused') })).map(line)).toEqual([
      'Warning [MESH0002] (VirtualService payments/payment-service) HTTP route "primary": retries do not fit in the route timeout 2s: after an ' +
        'attempt that runs into perTryTimeout 2s, none of the 3 retries can run (Envoy\'s route timeout includes every attempt and the back-off ' +
        'between them, istio/istio#21137); set retries.perTryTimeout to at most 431ms, or raise timeout to at least 8275ms',
    ]);
  });

  test('its synth prints only the strategy\'s own warnings, each once', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    referenceApp({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-reference-')) }).synth();
    const printed = stderrLines(write);
    expect(printed.map(l => l.slice(0, l.indexOf(': ', l.indexOf(' at ')))).sort()).toEqual([
      '[cdk8s-mesh] warning at nodes/tuning',
      '[cdk8s-mesh] warning at payments/payment',
    ]);
    jest.restoreAllMocks();
  });
});
