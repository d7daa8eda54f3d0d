// istioctl's service.PortNameAnalyzer (analyzers/service/portname.go, pkg/config/kube/conversion.go):
// a Service port whose appProtocol, else name prefix (before `-`), names no protocol Istio knows
// gets protocol sniffing (IST0118; UDP ports and MySQL/MongoDB/SMTP/DNS ports aside). Istio's own
// Services and those gateways manage are skipped; an ExternalName Service gets IST0150 instead.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';
import { isControlPlane } from './_shared';

/** Protocols Istio recognizes in a port name or appProtocol (pkg/config/protocol Parse). */
const PROTOCOLS = new Set(['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql']);
/** appProtocol values Kubernetes defines. */
const KUBERNETES_APP_PROTOCOLS = new Set(['kubernetes.io/h2c', 'kubernetes.io/ws', 'kubernetes.io/wss']);
/** Ports Istio treats as TCP without a protocol (SMTP, DNS, MySQL, MongoDB). */
const WELL_KNOWN_PORTS = new Set([25, 53, 3306, 27017]);
const GATEWAY_CONTROLLERS = new Set(['istio.io-gateway-controller', 'istio.io-mesh-controller', 'istio.io-eastwest-controller']);

export const portNames: Check = {
  name: 'service.PortNameAnalyzer',
  description: 'Checks the port names associated with each service',
  messages: [IST.PortNameIsNotUnderNamingConvention, IST.ExternalNameServiceTypeInvalidPortName],
  run(context: CheckContext) {
    for (const svc of context.index.ofType(TYPES.Service)) {
      if (isControlPlane(svc.labels) || GATEWAY_CONTROLLERS.has(svc.labels['gateway.istio.io/managed'])) continue;
      const externalName = svc.spec.type === 'ExternalName';
      (svc.spec.ports ?? []).forEach((p: any, i: number) => {
        const name = p.name === undefined || p.name === null ? '' : String(p.name);
        if (!unsupported(Number(p.port), name, p.protocol, p.appProtocol) && !(name === 'tcp' && externalName)) return;
        const field = ['spec', 'ports', i, 'port'];
        if (externalName) {
          context.report(svc, IST.ExternalNameServiceTypeInvalidPortName, [], field);
        } else {
          const target = p.targetPort === undefined || p.targetPort === null ? '0' : String(p.targetPort);
          context.report(svc, IST.PortNameIsNotUnderNamingConvention, [name, Number(p.port), target], field);
        }
      });
    }
  },
};

/** Whether Istio falls back to protocol sniffing for the port (ConvertProtocol(...).IsUnsupported()). */
function unsupported(port: number, portName: string, protocol: unknown, appProtocol: unknown): boolean {
  if (protocol === 'UDP') return false;
  let name = appProtocol === undefined || appProtocol === null ? portName : String(appProtocol);
  if (KUBERNETES_APP_PROTOCOLS.has(name)) return false;
  if (name.toLowerCase().startsWith('grpc-web')) return false;
  if (name.includes('-')) name = name.slice(0, name.indexOf('-'));
  return !PROTOCOLS.has(name.toLowerCase()) && !WELL_KNOWN_PORTS.has(port);
}
