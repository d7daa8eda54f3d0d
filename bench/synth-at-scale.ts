// How long synthesis takes for a large mesh: NAMESPACES zero-trust namespaces, each with SERVICES
// canary services (two versions), one chart per namespace, plus the mesh-wide constructs.
// Run: npx ts-node --transpile-only bench/synth-at-scale.ts [namespaces] [services]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Duration } from 'cdk8s';
import {
  AtomicSynth, CanaryService, IstioControlPlane, MeshObservability, MeshWarnings, WarningMode, WorkloadIdentity,
  ZeroTrustMesh, ZeroTrustNamespace,
} from '../src';

const namespaces = Number(process.argv[2] ?? 50);
const services = Number(process.argv[3] ?? 4);

function build(outdir: string): App {
  const app = new App({ outdir });
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  new IstioControlPlane(new Chart(app, 'istio'), 'control-plane', { cni: true });
  const mesh = new Chart(app, 'mesh');
  new ZeroTrustMesh(mesh, 'zero-trust');
  const observability = new MeshObservability(mesh, 'observability');
  for (let n = 0; n < namespaces; n++) {
    const chart = new Chart(app, `team-${n}`);
    const ns = new ZeroTrustNamespace(chart, 'namespace', { name: `team-${n}` });
    ns.allowFrom(WorkloadIdentity.ingressGateway(), { ports: [8080] });
    for (let s = 0; s < services; s++) {
      const svc = new CanaryService(chart, `svc-${s}`, {
        namespace: ns,
        name: `svc-${s}`,
        port: 8080,
        stable: { version: 'v1', image: `registry.example.com/svc-${s}:1.0.0` },
        canary: { version: 'v2', image: `registry.example.com/svc-${s}:1.1.0`, weight: 10 },
        timeout: Duration.seconds(2),
        retries: { attempts: 2 },
      });
      observability.addServiceAlerts(svc);
    }
  }
  return app;
}

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-bench-'));
const t0 = process.hrtime.bigint();
const app = build(path.join(outdir, 'unused'));
const t1 = process.hrtime.bigint();
const files = AtomicSynth.synth(app, { outdir: path.join(outdir, 'manifests') });
const t2 = process.hrtime.bigint();
const docs = files.reduce((n, f) => n + fs.readFileSync(path.join(outdir, 'manifests', f), 'utf8').split(/^---$/m).length, 0);
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
console.log(JSON.stringify({
  namespaces,
  services: namespaces * services,
  files: files.length,
  documents: docs,
  constructMs: Math.round(ms(t0, t1)),
  synthMs: Math.round(ms(t1, t2)),
  totalMs: Math.round(ms(t0, t2)),
}));
