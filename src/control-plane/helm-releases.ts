// The model as releases of Istio's Helm charts, with their values: one translation that the Argo CD
// and Flux deliveries both write. The releases, their names and order follow Istio's docs ("Install
// with Helm", "Install ambient with Helm", "Install the Istio CNI node agent"); the value keys are the
// charts' own (the keys under `_internal_defaults_do_not_set` in each values.yaml, set at the top
// level). Internal.
import { compact, ResolvedControlPlane } from './control-plane-model';
import { IstioHelmChart } from './helm-chart';
import { IstioProfile } from './profile';
import { ResolvedGateway } from './resolve-gateway';
import { ISTIO_NAMESPACE } from '../common/istio';

/** A release of one of Istio's charts. */
export interface HelmReleasePlan {
  /** The construct ID of the object that delivers it. */
  readonly id: string;
  /** The Helm release name: it names the chart's objects (a gateway's Deployment and Service). */
  readonly releaseName: string;
  /** The name of the Argo CD Application or Flux HelmRelease, unique among them. */
  readonly objectName: string;
  readonly chart: IstioHelmChart;
  /** The namespace the chart installs into. */
  readonly namespace: string;
  /** Its place in the install order: releases of a stage wait for the stage before. */
  readonly stage: number;
  /** The values, read at synth time (gateways and user values are added after construction). */
  readonly values: () => any;
}

/**
 * The install stages. Sidecars: the CNI agent before istiod, so no injected pod starts without it
 * (Istio docs, "Install the Istio CNI node agent", Helm); ambient: istiod, then the CNI agent, then
 * ztunnel (Istio docs, "Install ambient with Helm"). Gateways last: their pods are injected by istiod.
 */
export const STAGES = { BASE: 0, CNI_SIDECAR: 1, ISTIOD: 2, CNI_AMBIENT: 3, ZTUNNEL: 4, GATEWAYS: 5 } as const;

/** The profiles the charts have (files/profile-*.yaml); `default` and `minimal` are the charts' defaults. */
const CHART_PROFILES: Partial<Record<IstioProfile, string | undefined>> = {
  [IstioProfile.DEFAULT]: undefined,
  [IstioProfile.MINIMAL]: undefined,
  [IstioProfile.DEMO]: 'demo',
  [IstioProfile.AMBIENT]: 'ambient',
  [IstioProfile.PREVIEW]: 'preview',
};

/** Whether the charts can install a profile; `remote` and `empty` need istioctl. */
export function helmSupportsProfile(profile: IstioProfile): boolean {
  return profile in CHART_PROFILES;
}

/** Options of the translation that are the delivery's, not the control plane's. */
export interface HelmPlanOptions {
  /** Whether this control plane installs the cluster-wide charts (base, cni, ztunnel). */
  readonly clusterComponents: boolean;
}

/** The releases of everything but the gateways, in install order. */
export function controlPlaneReleases(model: ResolvedControlPlane, options: HelmPlanOptions): HelmReleasePlan[] {
  const ns = model.namespace;
  const istiod = model.revision ? `istiod-${model.revision}` : 'istiod';
  const releases: HelmReleasePlan[] = [];
  if (options.clusterComponents) {
    releases.push({ id: 'base', releaseName: 'istio-base', objectName: 'istio-base', chart: IstioHelmChart.BASE, namespace: ns, stage: STAGES.BASE, values: () => baseValues(model) });
  }
  if (options.clusterComponents && model.cni) {
    releases.push({
      id: 'cni',
      releaseName: 'istio-cni',
      objectName: 'istio-cni',
      chart: IstioHelmChart.CNI,
      namespace: ns,
      stage: model.ambient ? STAGES.CNI_AMBIENT : STAGES.CNI_SIDECAR,
      values: () => cniValues(model),
    });
  }
  releases.push({ id: 'istiod', releaseName: istiod, objectName: istiod, chart: IstioHelmChart.ISTIOD, namespace: ns, stage: STAGES.ISTIOD, values: () => istiodValues(model) });
  if (options.clusterComponents && model.ambient) {
    // istiod trusts the node proxies of the `ztunnel` service account in its namespace (CA_TRUSTED_NODE_ACCOUNTS)
    releases.push({ id: 'ztunnel', releaseName: 'ztunnel', objectName: 'ztunnel', chart: IstioHelmChart.ZTUNNEL, namespace: ns, stage: STAGES.ZTUNNEL, values: () => ztunnelValues(model) });
  }
  return releases.sort((a, b) => a.stage - b.stage);
}

/** The release of a gateway; the release name is the gateway's, which names its Deployment and Service. */
export function gatewayRelease(model: ResolvedControlPlane, gateway: ResolvedGateway): HelmReleasePlan {
  const namespace = gateway.namespace ?? model.namespace;
  const objectName = namespace === model.namespace ? gateway.name : `${gateway.name}-${namespace}`;
  return {
    id: `gateway-${objectName}`,
    releaseName: gateway.name,
    objectName,
    chart: IstioHelmChart.GATEWAY,
    namespace,
    stage: STAGES.GATEWAYS,
    values: () => gatewayValues(model, gateway),
  };
}

function baseValues(model: ResolvedControlPlane): any {
  return compact({
    // the default validation webhook calls the istiod of this revision (base templates/defaultrevision-*)
    defaultRevision: model.revision,
    global: { istioNamespace: istioNamespace(model) },
  }) ?? {};
}

function istiodValues(model: ResolvedControlPlane): any {
  const scaling = model.pilotScaling;
  return compact({
    profile: CHART_PROFILES[model.profile],
    revision: model.revision,
    revisionTags: model.revisionTags.length > 0 ? [...model.revisionTags] : undefined,
    global: {
      hub: model.hub,
      tag: model.tag,
      istioNamespace: istioNamespace(model),
      proxy: { resources: model.proxyResources },
    },
    resources: model.pilotResources,
    // a fixed count needs the autoscaler off, or the HPA overrides it
    autoscaleEnabled: scaling ? scaling.replicas === undefined : undefined,
    replicaCount: scaling?.replicas,
    autoscaleMin: scaling?.minReplicas,
    autoscaleMax: scaling?.maxReplicas,
    cpu: scaling?.targetCpuUtilization === undefined ? undefined : { targetAverageUtilization: scaling.targetCpuUtilization },
    // injected pods leave traffic redirection to the CNI agent instead of istio-init
    cni: model.cni ? { enabled: true } : undefined,
    gateways: { seccompProfile: model.gatewaySeccompProfile },
    meshConfig: model.meshConfig,
  }) ?? {};
}

function cniValues(model: ResolvedControlPlane): any {
  return compact({
    profile: model.ambient ? 'ambient' : undefined,
    global: { hub: model.hub, tag: model.tag },
  }) ?? {};
}

function ztunnelValues(model: ResolvedControlPlane): any {
  return compact({
    // ztunnel connects to the istiod of this revision
    revision: model.revision,
    hub: model.hub,
    tag: model.tag,
    istioNamespace: istioNamespace(model),
  }) ?? {};
}

function gatewayValues(model: ResolvedControlPlane, gateway: ResolvedGateway): any {
  return compact({
    // injected by this revision's istiod
    revision: model.revision,
    labels: gateway.labels,
    serviceAccount: { name: gateway.serviceAccount },
    resources: gateway.resources,
    service: {
      // the chart's default is LoadBalancer for every gateway: an egress gateway is ClusterIP, as with istioctl
      type: gateway.effectiveServiceType,
      annotations: gateway.serviceAnnotations,
      ports: gateway.ports?.map(p => ({ ...p })),
    },
  }) ?? {};
}

function istioNamespace(model: ResolvedControlPlane): string | undefined {
  // the charts locate istiod through it: it must follow a non-default namespace
  return model.namespace === ISTIO_NAMESPACE ? undefined : model.namespace;
}
