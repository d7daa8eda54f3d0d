/**
 * Istio's Helm charts (Istio docs, "Install with Helm"), as the Argo CD and Flux deliveries install
 * them from Istio's Helm repository.
 */
export enum IstioHelmChart {
  /** Cluster-wide resources: the CRDs and the default revision's validation webhook. */
  BASE = 'base',
  /** The control plane, istiod, of one revision. */
  ISTIOD = 'istiod',
  /** An ingress or egress gateway (one release per gateway). */
  GATEWAY = 'gateway',
  /** The CNI node agent. */
  CNI = 'cni',
  /** The ambient data plane's node proxy. */
  ZTUNNEL = 'ztunnel',
}
