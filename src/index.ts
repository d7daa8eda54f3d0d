// Shared: warnings, Pod Security, references between constructs
export { AlertSeverity } from './common/alerts';
export { AppProtocol } from './common/app-protocol';
export { PodSecurityLevel } from './common/labels';
export * from './common/mesh-service';
export * from './common/outbound-traffic-policy';
export * from './common/pod-security';
export * from './common/warnings';

// 1. Node kernel tuning
export * from './node-tuning/node-health-alerts';
export * from './node-tuning/pod-sysctls';
export * from './node-tuning/sysctl-key';
export * from './node-tuning/sysctl-scope';
export * from './node-tuning/tuned-node-pool';

// 2. The control plane
export * from './control-plane/delivery';
export * from './control-plane/extension-providers';
export * from './control-plane/gateway';
export * from './control-plane/helm-chart';
export * from './control-plane/istio-control-plane';
export * from './control-plane/mesh-settings';
export * from './control-plane/pilot-scaling';
export * from './control-plane/profile';

// 3. Zero trust, and the service graph that derives least privilege from declared calls
export { WorkloadIdentity } from './zero-trust/workload-identity';
export type { IngressGatewayIdentityOptions } from './zero-trust/workload-identity';
export * from './zero-trust/zero-trust-mesh';
export * from './zero-trust/zero-trust-namespace';
export { ExternalProtocol } from './zero-trust/service-entries';
export type { PlainTextOptions } from './zero-trust/plain-text';
export { MeshWorkload } from './graph/mesh-workload';
export type {
  CallOptions, IMeshCaller, IMeshWorkload, IngressGatewayCallerOptions, MeshCallerReferenceProps, MeshGraphLimits,
  MeshServiceReferenceProps,
} from './graph/mesh-workload';
export { AmbientWaypoint, DataPlane } from './data-plane/data-plane';
export type { AmbientOptions } from './data-plane/data-plane';

// 4. Observability
export * from './observability/golden-signal-alerts';
export * from './observability/kiali';
export * from './observability/mesh-observability';
export * from './observability/mesh-telemetry';
export * from './observability/prometheus';
export { IstioMetrics } from './observability/promql';
export * from './observability/scraping';

// 5. Traffic: the canary, resilience, progressive delivery (modules that also hold internals
// export their public types by name)
export { AnalysisEngine, CanaryAnalysis } from './traffic/canary-analysis';
export type { ArgoRolloutsAnalysisOptions, CanaryAnalysisOptions, FlaggerAnalysisOptions, LoadTestWebhook } from './traffic/canary-analysis';
export { CanaryService } from './traffic/canary-service';
export type { CanaryServiceProps } from './traffic/canary-service';
export type { Autoscaling } from './traffic/autoscaling';
export type { CircuitBreaker } from './traffic/circuit-breaking';
export type { RetryPolicy } from './traffic/retries';
export type { HeaderMatch } from './traffic/routing';
export { TopologySpread } from './traffic/topology-spread';
export type { TopologySpreadOptions } from './traffic/topology-spread';
export type { ServiceVersion } from './traffic/workload';

// Ingress: users into the mesh, over HTTPS
export { IngressApi } from './ingress/ingress-api';
export type { GatewayApiIngressOptions } from './ingress/ingress-api';
export { IngressGateway } from './ingress/ingress-gateway';
export type { IngressGatewayAttributes } from './ingress/ingress-gateway';
export { IngressTls } from './ingress/ingress-tls';
export type { CertManagerTlsOptions } from './ingress/ingress-tls';
export * from './ingress/mesh-ingress';

// Mesh analysis, at every synth and as `cdk8s-mesh analyze`
export * from './analysis/analysis-level';
export * from './analysis/analysis-message';
export * from './analysis/mesh-analysis';

// GitOps delivery
export * from './gitops/atomic-synth';
export * from './gitops/sync-waves';
