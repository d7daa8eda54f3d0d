/**
 * What sidecars do with outbound traffic to destinations outside their service registry: Istio's
 * `outboundTrafficPolicy.mode`, mesh-wide (`IstioControlPlane`) or per namespace (the `Sidecar` of
 * a `ZeroTrustNamespace`).
 */
export enum IstioOutboundTrafficPolicy {
  /** Pass traffic to unknown destinations through (Istio's mesh-wide default). */
  ALLOW_ANY = 'ALLOW_ANY',
  /**
   * Only allow destinations in the service registry the proxy sees: Kubernetes services and
   * ServiceEntries. The zero-trust choice: every external dependency is declared, and its traffic
   * is visible.
   */
  REGISTRY_ONLY = 'REGISTRY_ONLY',
}
