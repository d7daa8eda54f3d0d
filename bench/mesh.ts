// The mesh the scale benchmark synthesizes, shaped like a platform team's cluster: one chart per
// namespace, 20 CanaryServices with a canary each per namespace, golden-signal alerts for each,
// and a few calls per service (the next two services of its namespace, and the first service of
// the next namespace from the first of each).
import { App, Chart, Duration } from 'cdk8s';
import type * as mesh from '../src';

/** Services per namespace. */
export const SERVICES_PER_NAMESPACE = 20;

/** Builds the mesh of `services` services with the library `lib` (the compiled package). */
export function buildMesh(lib: typeof mesh, services: number, outdir: string): App {
  const app = new App({ outdir });
  lib.MeshWarnings.setMode(app, lib.WarningMode.COLLECT);
  new lib.IstioControlPlane(new Chart(app, 'istio'), 'control-plane', { cni: true });
  const meshChart = new Chart(app, 'mesh');
  new lib.ZeroTrustMesh(meshChart, 'zero-trust');
  const observability = new lib.MeshObservability(meshChart, 'observability');
  const gateway = lib.MeshWorkload.ingressGateway(meshChart, 'ingress-gateway');
  const namespaces = Math.ceil(services / SERVICES_PER_NAMESPACE);
  const firsts: mesh.CanaryService[] = [];
  for (let n = 0; n < namespaces; n++) {
    const chart = new Chart(app, `team-${n}`);
    const namespace = new lib.ZeroTrustNamespace(chart, 'namespace', { name: `team-${n}`, rootNamespaceIngress: false });
    namespace.allowMetricsScrapingFrom(observability.prometheus.namespace);
    const team: mesh.CanaryService[] = [];
    for (let s = 0; s < SERVICES_PER_NAMESPACE && n * SERVICES_PER_NAMESPACE + s < services; s++) {
      const svc = new lib.CanaryService(chart, `svc-${s}`, {
        namespace,
        name: `svc-${s}`,
        port: 8080,
        stable: { version: 'v1', image: `registry.example.com/svc-${s}:1.0.0` },
        canary: { version: 'v2', image: `registry.example.com/svc-${s}:1.1.0`, weight: 10 },
        timeout: Duration.seconds(2),
      });
      observability.addServiceAlerts(svc);
      team.push(svc);
    }
    team.forEach((svc, i) => team.slice(i + 1, i + 3).forEach(callee => svc.calls(callee, { methods: ['GET', 'POST'] })));
    gateway.calls(team[0]);
    firsts.push(team[0]);
  }
  firsts.forEach((svc, n) => { if (n + 1 < firsts.length) svc.calls(firsts[n + 1]); });
  return app;
}
