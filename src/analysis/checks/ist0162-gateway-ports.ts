// istioctl's gateway.IngressGatewayPortAnalyzer (analyzers/gateway/gateway.go): a Gateway's selector
// must select pods (IST0101), and each server port must be a port, or a targetPort, of a TCP port of a
// Service in the pods' namespace that selects them (IST0162). A port without a protocol or targetPort
// gets the API server's defaults (TCP, the port), as it would in the cluster istioctl reads.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { AnalyzedObject, TYPES } from '../_object-index';
import { gatewayPods } from './_gateways';
import { groupBy, isEmpty, selectorString } from './_shared';

export const gatewayPorts: Check = {
  name: 'gateway.IngressGatewayPortAnalyzer',
  description: 'Checks a gateway\'s ports against the gateway\'s Kubernetes service ports',
  messages: [IST.ReferencedResourceNotFound, IST.GatewayPortNotDefinedOnService],
  run(context: CheckContext) {
    const { index } = context;
    // istioctl's selector match also takes Services without a selector (an empty selector matches every pod)
    const selectorless = groupBy(index.ofType(TYPES.Service).filter(s => isEmpty(s.spec.selector)), s => s.namespace!);
    for (const gateway of index.ofType(TYPES.Gateway)) {
      const selector = selectorString(gateway.spec.selector);
      const field = ['spec', 'selector', selector.split('=')[0]];
      const pods = gatewayPods(index, gateway.spec.selector);
      if (pods.length === 0) {
        // the gateway's pods may run anywhere in the cluster (Istio's gateway charts)
        if (context.judges('*')) context.report(gateway, IST.ReferencedResourceNotFound, ['selector', selector], field);
        continue;
      }
      const targetPorts = new Set<number>();
      const servicePorts = new Set<number>();
      const services = new Set<AnalyzedObject>();
      for (const pod of pods) {
        for (const svc of [...index.servicesSelecting(pod), ...selectorless.get(pod.namespace) ?? []]) services.add(svc);
      }
      for (const svc of services) {
        for (const p of svc.spec.ports ?? []) {
          if ((p.protocol ?? 'TCP') !== 'TCP') continue;
          const target = Number(p.targetPort ?? p.port);
          // a named targetPort counts as 0 in istioctl (IntOrString.IntValue): the port is used
          if (Number.isInteger(target) && target !== 0) {
            targetPorts.add(target);
            servicePorts.add(Number(p.port));
          } else {
            targetPorts.add(Number(p.port));
          }
        }
      }
      for (const server of gateway.spec.servers ?? []) {
        const port = server?.port?.number;
        if (port === undefined || port === null) continue;
        if (!targetPorts.has(Number(port)) && !servicePorts.has(Number(port))) {
          context.report(gateway, IST.GatewayPortNotDefinedOnService, [Number(port), selector], field);
        }
      }
    }
  },
};
