// The mesh configuration the analysis assumes, and the gateway pods it assumes exist. istioctl
// starts from Istio's defaults (pkg/config/mesh DefaultMeshConfig), overridden by --meshConfigFile;
// without a cluster it adds an ingress gateway Pod and Service (pkg/config/analysis/local/defaults.go)
// unless ingressControllerMode is OFF. Here an IstioOperator among the objects also counts: its
// meshConfig is what `istioctl install -f` applies, and its gateways are the pods that will run.
// Internal.
import type { AnalysisInput } from './_object-index';
import { INGRESS_GATEWAY, ISTIO_NAMESPACE, ISTIO_PORTS } from '../common/istio';

/** The mesh configuration fields the checks read. */
export interface MeshConfig {
  /** meshConfig.rootNamespace: policies there apply to the whole mesh. */
  readonly rootNamespace: string;
  /** The namespace the control plane runs in (istioctl --istioNamespace). */
  readonly istioNamespace: string;
  /** meshConfig.ingressControllerMode (`OFF` turns the assumed ingress gateway off). */
  readonly ingressControllerMode: string;
  /** meshConfig.ingressService: the name of the assumed ingress gateway Service. */
  readonly ingressService: string;
  /** meshConfig.defaultConfig.proxyMetadata. */
  readonly proxyMetadata: Record<string, string>;
}

/** The meshConfig fields of a MeshConfig document (a --meshConfigFile, or an IstioOperator's spec.meshConfig). */
export interface MeshConfigOverrides {
  readonly rootNamespace?: string;
  readonly ingressControllerMode?: string;
  readonly ingressService?: string;
  readonly defaultConfig?: { readonly proxyMetadata?: Record<string, string> };
}

/**
 * The mesh configuration: Istio's defaults, then the meshConfig of the first IstioOperator among
 * the manifests, then `overrides` (a --meshConfigFile).
 */
export function resolveMeshConfig(manifests: any[], overrides?: MeshConfigOverrides): MeshConfig {
  const operator = manifests.find(isIstioOperator);
  const layers: MeshConfigOverrides[] = [operator?.spec?.meshConfig ?? {}, overrides ?? {}];
  let config: MeshConfig = {
    rootNamespace: ISTIO_NAMESPACE,
    istioNamespace: operator?.metadata?.namespace ?? ISTIO_NAMESPACE,
    ingressControllerMode: 'STRICT',
    ingressService: INGRESS_GATEWAY.name,
    proxyMetadata: {},
  };
  for (const layer of layers) {
    config = {
      ...config,
      ...(layer.rootNamespace ? { rootNamespace: layer.rootNamespace } : {}),
      ...(layer.ingressControllerMode ? { ingressControllerMode: String(layer.ingressControllerMode) } : {}),
      ...(layer.ingressService ? { ingressService: layer.ingressService } : {}),
      proxyMetadata: { ...config.proxyMetadata, ...layer.defaultConfig?.proxyMetadata },
    };
  }
  return config;
}

/** The gateway pods and Services the analysis assumes: an IstioOperator's gateways, else istioctl's ingress gateway. */
export function assumedGateways(manifests: any[], mesh: MeshConfig): AnalysisInput[] {
  const operator = manifests.find(isIstioOperator);
  if (operator) return operatorGateways(operator, mesh);
  if (mesh.ingressControllerMode === 'OFF') return [];
  // istioctl's stand-in: a pod labelled istio=ingressgateway and its Service (local/defaults.go)
  return gatewayObjects(mesh.ingressService, mesh.istioNamespace, { istio: 'ingressgateway' },
    [80, 443, 31400, 15443].map((port, i) => ({ name: ['http2', 'https', 'tcp', 'tls'][i], port, targetPort: port, protocol: 'TCP' })),
    'istioctl');
}

/** Labels and ports of Istio's gateway charts for a gateway that sets none (manifests/charts/gateways). */
const CHART_GATEWAYS = {
  ingressGateways: {
    labels: INGRESS_GATEWAY.podLabels,
    ports: [
      { name: 'status-port', port: ISTIO_PORTS.STATUS, targetPort: ISTIO_PORTS.STATUS, protocol: 'TCP' },
      { name: 'http2', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
    ],
  },
  egressGateways: {
    labels: { app: 'istio-egressgateway', istio: 'egressgateway' },
    ports: [
      { name: 'http2', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
    ],
  },
};

function operatorGateways(operator: any, mesh: MeshConfig): AnalysisInput[] {
  const components = operator.spec?.components ?? {};
  const profile = operator.spec?.profile ?? 'default';
  const inputs: AnalysisInput[] = [];
  for (const list of ['ingressGateways', 'egressGateways'] as const) {
    const gateways: any[] = [...components[list] ?? []];
    // the default profile deploys istio-ingressgateway, the demo profile both gateways (manifests/profiles)
    const implied = list === 'ingressGateways' ? ['default', 'demo'].includes(profile) : profile === 'demo';
    const name = list === 'ingressGateways' ? INGRESS_GATEWAY.name : 'istio-egressgateway';
    if (implied && !gateways.some(g => g?.name === name)) gateways.push({ name, enabled: true });
    for (const gateway of gateways) {
      if (!gateway?.name || gateway.enabled === false) continue;
      const chart = CHART_GATEWAYS[list];
      inputs.push(...gatewayObjects(gateway.name, gateway.namespace ?? mesh.istioNamespace,
        { ...chart.labels, ...gateway.label }, gateway.k8s?.service?.ports ?? chart.ports, `IstioOperator ${operator.metadata?.name}`));
    }
  }
  return inputs;
}

function gatewayObjects(name: string, namespace: string, labels: Record<string, string>, ports: any[], from: string): AnalysisInput[] {
  const source = { reference: `assumed from ${from}` };
  return [
    {
      manifest: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${name}-assumed`, namespace, labels },
        spec: { containers: [{ name: 'istio-proxy', image: 'auto' }] },
      },
      source,
    },
    { manifest: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: labels, ports } }, source },
  ];
}

function isIstioOperator(manifest: any): boolean {
  return manifest?.kind === 'IstioOperator' && String(manifest.apiVersion ?? '').startsWith('install.istio.io/');
}
