// Facts about Istio that several constructs share, each with its source: change one here and every
// construct follows. What only one data plane does (the Sidecar resource, ztunnel's ports) lives
// with that data plane instead. Internal.

/**
 * The namespace istiod runs in by default, which is also the mesh root namespace: istiod's
 * `meshConfig.rootNamespace` defaults to its own namespace (Istio docs, "Global Mesh Options").
 */
export const ISTIO_NAMESPACE = 'istio-system';

/** Namespace label: `enabled` injects the default revision's sidecar (Istio docs, "Installing the Sidecar"). */
export const INJECTION_LABEL = 'istio-injection';

/** Namespace (or pod) label: inject the sidecar of this revision or revision tag ("Canary Upgrades"). */
export const REVISION_LABEL = 'istio.io/rev';

/** Pod label: `false` keeps a pod of an injected namespace without a sidecar. */
export const SIDECAR_INJECT_LABEL = 'sidecar.istio.io/inject';

/** Namespace (or pod) label: `ambient` puts the pods on ztunnel (Istio docs, "Ambient mode"). */
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';

/** istiod's default `meshConfig.trustDomain`, the first part of every principal. */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

/** Kubernetes' default cluster DNS domain (`<service>.<namespace>.svc.<domain>`). */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/**
 * A workload's identity as AuthorizationPolicy `principals` match it: its SPIFFE ID without
 * `spiffe://` (Istio docs, "Authorization Policy", `Source.principals`).
 */
export function principal(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The fully qualified host of a Kubernetes Service. */
export function serviceHost(name: string, namespace: string, clusterDomain: string = DEFAULT_CLUSTER_DOMAIN): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}

/** Ports Istio's components listen on (Istio docs, "Ports used by Istio"). */
export const ISTIO_PORTS = {
  /** istiod: xDS and the certificate authority, over TLS; every proxy connects to it. */
  XDS: 15012,
  /** istiod: its own metrics and debug endpoints (`http-monitoring`). */
  MONITORING: 15014,
  /** pilot-agent: merged Prometheus metrics of the proxy and the application. */
  AGENT_METRICS: 15020,
  /** The health check port of gateways (`status-port`), where load balancers probe them. */
  STATUS: 15021,
  /** Envoy's own Prometheus metrics. */
  ENVOY_METRICS: 15090,
  /** HBONE, the mTLS tunnel of ambient mode, on every ambient pod and waypoint. */
  HBONE: 15008,
} as const;

/** The pod label istiod's pods carry in every revision (manifests/charts/istio-control/istio-discovery). */
export const ISTIOD_POD_LABELS = { app: 'istiod' };

/**
 * The ingress gateway `istioctl install` deploys with the default profile: its name (Deployment and
 * Service), service account and pod labels (manifests/charts/gateways/istio-ingress).
 */
export const INGRESS_GATEWAY = {
  name: 'istio-ingressgateway',
  serviceAccount: 'istio-ingressgateway-service-account',
  podLabels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
} as const;
