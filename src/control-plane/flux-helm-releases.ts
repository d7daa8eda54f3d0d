// The Flux delivery: a `source.toolkit.fluxcd.io/v1` HelmRepository for Istio's charts and one
// `helm.toolkit.fluxcd.io/v2` HelmRelease per chart release, with `dependsOn` in install order.
// Internal.
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { ReleaseToWrite } from './helm-delivery';
import { HelmRelease, HelmReleaseSpecChartSpecSourceRefKind } from '../../imports/helm.toolkit.fluxcd.io';
import { HelmRepository } from '../../imports/source.toolkit.fluxcd.io';

/** The name of the HelmRepository every HelmRelease of the charts refers to. */
export const HELM_REPOSITORY_NAME = 'istio';

/** Where Flux keeps the objects, and how often it reconciles them. */
export interface FluxSettings {
  readonly namespace: string;
  readonly repository: string;
  readonly chartVersion: string;
  /** Go duration ("10m"). */
  readonly interval: string;
}

/** Writes the HelmRepository of Istio's charts. */
export function writeHelmRepository(scope: Construct, settings: FluxSettings): ApiObject {
  return new HelmRepository(scope, 'HelmRepository', {
    metadata: { name: HELM_REPOSITORY_NAME, namespace: settings.namespace },
    spec: { url: settings.repository, interval: settings.interval },
  });
}

/**
 * Writes the HelmRelease of one release. It lives beside Flux (the namespace exists before Istio's
 * does) and installs into the chart's namespace, creating it, with the Helm release stored there as
 * `helm install -n` would; the release name is set, since Flux would otherwise prefix it with the
 * target namespace, and the gateway chart names its Deployment and Service after it.
 */
export function writeHelmRelease(scope: Construct, settings: FluxSettings, release: ReleaseToWrite): ApiObject {
  const { plan } = release;
  return new HelmRelease(scope, plan.id, {
    metadata: { name: plan.objectName, namespace: settings.namespace },
    spec: {
      interval: settings.interval,
      releaseName: plan.releaseName,
      targetNamespace: plan.namespace,
      storageNamespace: plan.namespace,
      install: { createNamespace: true },
      chart: {
        spec: {
          chart: plan.chart,
          version: settings.chartVersion,
          sourceRef: { kind: HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: HELM_REPOSITORY_NAME },
        },
      },
      ...(release.after.length > 0 ? { dependsOn: release.after.map(p => ({ name: p.objectName })) } : {}),
      values: Lazy.any({ produce: release.values }),
    },
  });
}
