// How long the mesh analysis takes on a large mesh: OBJECTS objects (default 50,000) in namespaces
// of 50 services, each service a Service, two Deployments (v1, v2), a DestinationRule, a
// VirtualService, a ServiceAccount and an AuthorizationPolicy, each namespace its Namespace, Sidecar
// and PeerAuthentication; one route in a hundred points at a host that does not exist. Timed three
// ways: the analysis of the objects, `cdk8s-mesh analyze` on them as YAML files (parsing included),
// and MeshAnalysis.analyze() of a cdk8s app holding them (rendering included). A benchmark, never a test.
// Run: npx projen bench:analyze [objects]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { MeshAnalysis } from '../src';
import { analyze } from '../src/analysis/_engine';
import { run } from '../src/cli/main';

const objects = Number(process.argv[2] ?? 50_000);
const SERVICES_PER_NAMESPACE = 50;
const PER_SERVICE = 7;
const PER_NAMESPACE = 3;

function service(ns: string, name: string, i: number): any[] {
  const labels = (version: string) => ({ app: name, version });
  const deployment = (version: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `${name}-${version}`, namespace: ns },
    spec: {
      selector: { matchLabels: labels(version) },
      template: { metadata: { labels: labels(version) }, spec: { serviceAccountName: name, containers: [{ name, image: `${name}:${version}`, ports: [{ containerPort: 8080 }] }] } },
    },
  });
  const host = i % 100 === 99 ? `${name}-missing` : name;
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 8080 }] } },
    deployment('v1'),
    deployment('v2'),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name, namespace: ns },
      spec: { host: name, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, subsets: ['v1', 'v2'].map(v => ({ name: v, labels: { version: v } })) },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name, namespace: ns },
      spec: {
        hosts: [name],
        http: [{
          name: 'primary',
          timeout: '2s',
          retries: { attempts: 2, perTryTimeout: '500ms' },
          route: [{ destination: { host, subset: 'v1' }, weight: 90 }, { destination: { host, subset: 'v2' }, weight: 10 }],
        }],
      },
    },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name, namespace: ns },
      spec: { selector: { matchLabels: { app: name } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/web`] } }] }] },
    },
  ];
}

function namespace(ns: string): any[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio-injection': 'enabled' } } },
    { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: ns }, spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }] } },
    { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: ns }, spec: { mtls: { mode: 'STRICT' } } },
  ];
}

/** The mesh, one list of objects per namespace. */
function mesh(count: number): any[][] {
  const namespaces: any[][] = [];
  let total = 0;
  let i = 0;
  for (let n = 0; total < count; n++) {
    const ns = `team-${n}`;
    const list = namespace(ns);
    for (let s = 0; s < SERVICES_PER_NAMESPACE && total + list.length + PER_SERVICE <= count; s++) list.push(...service(ns, `svc-${s}`, i++));
    namespaces.push(list);
    total += list.length;
    if (list.length === PER_NAMESPACE) break;
  }
  return namespaces;
}

function time<T>(what: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const result = what();
  return [result, Math.round(Number(process.hrtime.bigint() - start) / 1e6)];
}

const byNamespace = mesh(objects);
const manifests = byNamespace.flat();

// 1. the analysis of the objects
const [result, analysisMs] = time(() => analyze(manifests.map(manifest => ({ manifest, source: {} }))));

// 2. the command, on one YAML file per namespace
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-bench-analyze-'));
byNamespace.forEach((list, n) => fs.writeFileSync(path.join(dir, `team-${n}.yaml`), list.map(o => stringify(o)).join('---\n')));
let cliOut = '';
const [exitCode, cliMs] = time(() => run(['analyze', '-o', 'json', dir], {
  stdout: t => { cliOut += t; }, stderr: () => undefined, readStdin: () => '', stdoutIsTty: false, stdinIsTty: false, env: {},
}));

// 3. an app holding them
const app = new App({ outdir: path.join(dir, 'unused') });
byNamespace.forEach((list, n) => {
  const chart = new Chart(app, `team-${n}`);
  list.forEach((o, i) => new ApiObject(chart, `o${i}`, o));
});
const [messages, appMs] = time(() => MeshAnalysis.analyze(app));

console.log(JSON.stringify({
  objects: manifests.length,
  namespaces: byNamespace.length,
  messages: result.findings.length,
  analysisMs,
  cli: { exitCode, messages: JSON.parse(cliOut).length, ms: cliMs },
  app: { messages: messages.length, ms: appMs },
}));
