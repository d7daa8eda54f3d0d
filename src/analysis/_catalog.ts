// The messages of the mesh analysis. istioctl's come from Istio 1.30's
// pkg/config/analysis/msg/messages.yaml, with the same code, level and template (Go fmt verbs,
// formatted by _format.ts), so lines read exactly as `istioctl analyze` prints them.
// The library's own checks use MESH0001-MESH0999, a range istioctl does not use (its codes are
// IST0001-IST0999). Internal.
import { AnalysisLevel } from './analysis-level';

/** A kind of message: its code, level and template. */
export interface MessageType {
  readonly code: string;
  /** istioctl's name of the message type, or the library's. */
  readonly name: string;
  readonly level: AnalysisLevel;
  /** A Go fmt template: %s, %q, %v and %d are the verbs used. */
  readonly template: string;
}

const { ERROR, WARNING, INFO } = AnalysisLevel;

function type(code: string, name: string, level: AnalysisLevel, template: string): MessageType {
  return { code, name, level, template };
}

/** istioctl's messages, by istioctl's names (messages.yaml). */
export const IST = {
  ReferencedResourceNotFound: type('IST0101', 'ReferencedResourceNotFound', ERROR, 'Referenced %s not found: %q'),
  NamespaceNotInjected: type('IST0102', 'NamespaceNotInjected', INFO,
    "The namespace is not enabled for Istio injection. Run 'kubectl label namespace %s istio-injection=enabled' to enable it, " +
    "or 'kubectl label namespace %s istio-injection=disabled' to explicitly mark it as not needing injection."),
  ConflictingMeshGatewayVirtualServiceHosts: type('IST0109', 'ConflictingMeshGatewayVirtualServiceHosts', ERROR,
    'The VirtualServices %s associated with mesh gateway define the same host %s which can lead to undefined behavior. ' +
    'This can be fixed by merging the conflicting VirtualServices into a single resource.'),
  ConflictingSidecarWorkloadSelectors: type('IST0110', 'ConflictingSidecarWorkloadSelectors', ERROR,
    'The Sidecars %v in namespace %q select the same workload pod %q, which can lead to undefined behavior.'),
  MultipleSidecarsWithoutWorkloadSelectors: type('IST0111', 'MultipleSidecarsWithoutWorkloadSelectors', ERROR,
    'The Sidecars %v in namespace %q have no workload selector, which can lead to undefined behavior.'),
  VirtualServiceDestinationPortSelectorRequired: type('IST0112', 'VirtualServiceDestinationPortSelectorRequired', ERROR,
    'This VirtualService routes to a service %q that exposes multiple ports %v. Specifying a port in the destination is required to disambiguate.'),
  DeploymentAssociatedToMultipleServices: type('IST0116', 'DeploymentAssociatedToMultipleServices', WARNING,
    'This deployment %s is associated with multiple services using port %d but different protocols: %v'),
  PortNameIsNotUnderNamingConvention: type('IST0118', 'PortNameIsNotUnderNamingConvention', INFO,
    "Port name %s (port: %d, targetPort: %s) doesn't follow the naming convention of Istio port."),
  NamespaceMultipleInjectionLabels: type('IST0123', 'NamespaceMultipleInjectionLabels', WARNING,
    'The namespace has more than one type of injection labels %v, which may lead to undefined behavior. Make sure only one injection label exists.'),
  NoMatchingWorkloadsFound: type('IST0127', 'NoMatchingWorkloadsFound', WARNING,
    'No matching workloads for this resource with the following labels: %s'),
  NoServerCertificateVerificationDestinationLevel: type('IST0128', 'NoServerCertificateVerificationDestinationLevel', WARNING,
    'DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s'),
  NoServerCertificateVerificationPortLevel: type('IST0129', 'NoServerCertificateVerificationPortLevel', WARNING,
    'DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s at port %s'),
  VirtualServiceUnreachableRule: type('IST0130', 'VirtualServiceUnreachableRule', WARNING, 'VirtualService rule %v not used (%s).'),
  VirtualServiceIneffectiveMatch: type('IST0131', 'VirtualServiceIneffectiveMatch', INFO,
    'VirtualService rule %v match %v is not used (duplicate/overlapping match in rule %v).'),
  VirtualServiceHostNotFoundInGateway: type('IST0132', 'VirtualServiceHostNotFoundInGateway', WARNING,
    'one or more host %v defined in VirtualService %s not found in Gateway %s.'),
  ServiceEntryAddressesRequired: type('IST0134', 'ServiceEntryAddressesRequired', WARNING, 'ServiceEntry addresses are required for this protocol.'),
  DeploymentConflictingPorts: type('IST0137', 'DeploymentConflictingPorts', WARNING,
    'This deployment %s is associated with multiple services %v using targetPort %q but different ports: %v.'),
  InvalidApplicationUID: type('IST0144', 'InvalidApplicationUID', WARNING, 'User ID (UID) 1337 is reserved for the sidecar proxy.'),
  ConflictingGateways: type('IST0145', 'ConflictingGateways', ERROR, 'Conflict with gateways %s (workload selector %s, port %s, hosts %v).'),
  NamespaceInjectionEnabledByDefault: type('IST0148', 'NamespaceInjectionEnabledByDefault', INFO,
    'is enabled for Istio injection, as Istio is installed with enableNamespacesByDefault as true.'),
  ExternalNameServiceTypeInvalidPortName: type('IST0150', 'ExternalNameServiceTypeInvalidPortName', WARNING,
    'Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol ' +
    'from being forwarded correctly'),
  ConflictingTelemetryWorkloadSelectors: type('IST0159', 'ConflictingTelemetryWorkloadSelectors', ERROR,
    'The Telemetries %v in namespace %q select the same workload pod %q, which can lead to undefined behavior.'),
  MultipleTelemetriesWithoutWorkloadSelectors: type('IST0160', 'MultipleTelemetriesWithoutWorkloadSelectors', ERROR,
    'The Telemetries %v in namespace %q have no workload selector, which can lead to undefined behavior.'),
  GatewayPortNotDefinedOnService: type('IST0162', 'GatewayPortNotDefinedOnService', WARNING,
    'The gateway is listening on a target port (port %d) that is not defined in the Service associated with its workload instances ' +
    '(Pod selector %s). If you need to access the gateway port through the gateway Service, it will not be available.'),
  IneffectivePolicy: type('IST0167', 'IneffectivePolicy', WARNING, 'The policy has no impact: %s.'),
  DestinationRuleSubsetNotSelectPods: type('IST0173', 'DestinationRuleSubsetNotSelectPods', ERROR,
    'The Subset %s defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).'),
  UnknownDestinationRuleHost: type('IST0174', 'UnknownDestinationRuleHost', WARNING,
    'The host %s defined in the DestinationRule does not match any services in the mesh.'),
} as const;

/** The library's own messages (README, "Analysis"). */
export const MESH = {
  DuplicateObject: type('MESH0001', 'DuplicateObject', ERROR, '%s'),
  RetriesExceedRouteTimeout: type('MESH0002', 'RetriesExceedRouteTimeout', WARNING,
    'HTTP route %s: retries do not fit in the route timeout %s: after an attempt that runs into perTryTimeout %s, %s can run ' +
    "(Envoy's route timeout includes every attempt and the back-off between them, istio/istio#21137); %s"),
  RouteWeightsNot100: type('MESH0003', 'RouteWeightsNot100', WARNING,
    '%s: destination weights add up to %d, not 100, and Istio shares traffic in proportion to them: %s; make them add up to 100'),
  SelectsNoPods: type('MESH0004', 'SelectsNoPods', WARNING, '%s selects no pod (labels %s); %s'),
  MissingAppVersionLabels: type('MESH0005', 'MissingAppVersionLabels', INFO,
    'The pods of this mesh workload have no %s label; Istio telemetry and Kiali name workloads by app and version ' +
    '(app or app.kubernetes.io/name, version or app.kubernetes.io/version)'),
  PlainTextUnderStrictMesh: type('MESH0006', 'PlainTextUnderStrictMesh', WARNING,
    '%s is %s under the mesh-wide STRICT mode of PeerAuthentication %s, so plain-text clients get in there; ' +
    'remove the exception once those clients run with a sidecar'),
  PodSecurityViolation: type('MESH0007', 'PodSecurityViolation', ERROR,
    'The pods would be rejected by the Pod Security level %q that namespace %s enforces: %s; fix the pod spec or lower the level of the namespace'),
  UndeclaredNamespace: type('MESH0008', 'UndeclaredNamespace', WARNING,
    'Namespace %s is not among the objects analyzed, so its data plane (sidecar injection or ambient) is unknown, ' +
    'and a namespace created without labels gets no sidecars; add the Namespace with its labels, or fix the namespace name'),
  CallWithoutPolicy: type('MESH0009', 'CallWithoutPolicy', ERROR, 'The declared call %s is not allowed by %s; %s'),
  GatewayRouteSkipsWeights: type('MESH0010', 'GatewayRouteSkipsWeights', ERROR,
    '%s sends to %s %s, but %s splits that host by weight for the mesh (%s); a gateway applies only its own routes, so it balances over ' +
    'every pod of the Service instead (about one request in two to a one-pod canary); route it with MeshIngress, whose routes carry the ' +
    'split, or give this route the same destinations and weights'),
} as const;

/** Every message type, in code order. */
export const ALL_MESSAGE_TYPES: MessageType[] = [...Object.values(IST), ...Object.values(MESH)]
  .sort((a, b) => a.code.localeCompare(b.code));

/** The page that explains a code: istio.io for istioctl's, the README table for the library's. */
export function documentationUrl(code: string): string {
  return code.startsWith('IST')
    ? `https://istio.io/latest/docs/reference/config/analysis/${code.toLowerCase()}/`
    : `https://github.com/cdk8s-mesh/cdk8s-mesh/blob/main/README.md#${code.toLowerCase()}`;
}
