// istioctl's deployment.MultiServiceAnalyzer (analyzers/deployment/services.go): for each Deployment
// whose pods get a sidecar (waypoints aside), the Services of its namespace that select its pods must
// not use one port with two protocols (IST0116), nor one targetPort behind two ports (IST0137).
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';
import { hasSidecar } from './_shared';

export const deploymentServices: Check = {
  name: 'deployment.MultiServiceAnalyzer',
  description: 'Checks association between services and pods',
  messages: [IST.DeploymentAssociatedToMultipleServices, IST.DeploymentConflictingPorts],
  run(context: CheckContext) {
    const { index } = context;
    for (const workload of index.workloads) {
      const deployment = workload.object;
      if (deployment.type !== TYPES.Deployment) continue;
      if (deployment.labels['gateway.istio.io/managed'] === 'istio.io-mesh-controller') continue; // a waypoint
      if (!hasSidecar(workload, index, false)) continue;
      const services = index.servicesSelecting(workload);
      if (services.length < 2) continue;

      // port -> protocol -> services; targetPort -> port -> service
      const protocols = new Map<number, Map<string, string[]>>();
      const targets = new Map<string, Map<number, string>>();
      for (const svc of services) {
        const name = `${svc.namespace}/${svc.name}`;
        for (const p of svc.spec.ports ?? []) {
          const port = Number(p.port);
          const byProtocol = protocols.get(port) ?? new Map<string, string[]>();
          protocols.set(port, byProtocol);
          const protocol = String(p.protocol || 'TCP');
          byProtocol.set(protocol, [...byProtocol.get(protocol) ?? [], name]);
          const target = p.targetPort === undefined || p.targetPort === null || String(p.targetPort) === '0' || p.targetPort === ''
            ? String(port) : String(p.targetPort);
          const byPort = targets.get(target) ?? new Map<number, string>();
          targets.set(target, byPort);
          byPort.set(port, name);
        }
      }
      for (const port of [...protocols.keys()].sort((a, b) => a - b)) {
        const byProtocol = protocols.get(port)!;
        if (byProtocol.size < 2) continue;
        const names = [...byProtocol.values()].flat().sort();
        context.report(deployment, IST.DeploymentAssociatedToMultipleServices, [deployment.name, port, names], ['metadata', 'name']);
      }
      for (const [target, byPort] of targets) {
        if (byPort.size < 2) continue;
        context.report(deployment, IST.DeploymentConflictingPorts,
          [deployment.name, [...byPort.values()].sort(), target, [...byPort.keys()].sort((a, b) => a - b)], ['metadata', 'name']);
      }
    }
  },
};
