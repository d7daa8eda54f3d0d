/**
 * Istio's built-in installation profiles (Istio docs: Installation Configuration Profiles). The
 * IstioOperator overlays its settings on the profile; `istioctl profile dump PROFILE` shows one.
 */
export enum IstioProfile {
  /** istiod and an ingress gateway; recommended for production. */
  DEFAULT = 'default',
  /** Everything switched on with small resources, for showcases; not for production. */
  DEMO = 'demo',
  /** The control plane only, without gateways. */
  MINIMAL = 'minimal',
  /** A remote cluster managed by a control plane elsewhere. */
  REMOTE = 'remote',
  /** Ambient mode: istiod, the CNI node agent and ztunnel instead of sidecars. */
  AMBIENT = 'ambient',
  /** Nothing; a base for a fully custom configuration. */
  EMPTY = 'empty',
  /** Experimental features; stability, security and performance not guaranteed. */
  PREVIEW = 'preview',
}
