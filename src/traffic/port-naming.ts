// Istio picks how a sidecar handles a port from the Service port's `appProtocol` or, failing that,
// from its name `<protocol>[-<suffix>]`; an unclassified port is treated as opaque TCP, so HTTP
// routes, retries and HTTP metrics silently stop applying.
// https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/
import { IConstruct } from 'constructs';
import { AppProtocol } from '../common/app-protocol';
import { invalid, isDnsLabel } from '../common/validation';

// AppProtocol moved to src/common (IMeshService names it); re-exported for the traffic modules.
export { AppProtocol };

/** Name prefixes Istio recognizes; CanaryService supports the ones in `AppProtocol`. */
const ISTIO_PREFIXES = ['http', 'http2', 'https', 'grpc', 'grpc-web', 'mongo', 'mysql', 'redis', 'tcp', 'tls', 'udp'];

const SUPPORTED = Object.values(AppProtocol).join(', ');

/** Whether routes for this protocol are HTTP routes (timeouts, retries, header matches, mirroring). */
export function isHttpFamily(protocol: AppProtocol): boolean {
  return protocol !== AppProtocol.TCP;
}

/**
 * Resolves the Service port name and protocol. With only a name, the protocol is read from its
 * prefix; with only a protocol, the name is the protocol itself; with both, they must agree.
 */
export function resolvePortProtocol(scope: IConstruct, protocol?: AppProtocol, portName?: string):
{ readonly name: string; readonly protocol: AppProtocol } {
  if (portName === undefined) {
    const resolved = protocol ?? AppProtocol.HTTP;
    return { name: resolved, protocol: resolved };
  }
  if (!isDnsLabel(portName)) {
    throw invalid(scope, 'portName', portName,
      "must be an RFC 1123 label (lowercase letters, digits, '-') of the form <protocol>[-<suffix>], e.g. \"http\" or \"http-api\"");
  }
  const prefix = portName.startsWith('grpc-web') ? 'grpc-web' : portName.split('-')[0];
  const named = Object.values(AppProtocol).find(p => p === prefix);
  if (!named) {
    const why = ISTIO_PREFIXES.includes(prefix)
      ? `Istio reads protocol "${prefix}" from it, which CanaryService does not route`
      : 'Istio cannot classify it and would treat the port as opaque TCP';
    throw invalid(scope, 'portName', portName,
      `${why}; name it <protocol>[-<suffix>] with protocol one of ${SUPPORTED} (e.g. "http" or "grpc-api")`);
  }
  if (protocol !== undefined && protocol !== named) {
    throw invalid(scope, 'portName', portName,
      `its prefix "${named}" disagrees with protocol "${protocol}"; name it "${protocol}" or "${protocol}-<suffix>", or drop one of the two`);
  }
  return { name: portName, protocol: named };
}
