// The Argo CD delivery: one `argoproj.io/v1alpha1` Application per chart release, from Istio's Helm
// repository at a pinned version, with the values inline and sync waves in install order. Internal.
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { IstioHelmChart } from './helm-chart';
import { ReleaseToWrite } from './helm-delivery';
import { Application, ApplicationSpecIgnoreDifferences } from '../../imports/argoproj.io';
import { ArgoCdSyncWaves } from '../gitops/sync-waves';

/**
 * The wave of the first stage: before everything ArgoCdSyncWaves orders (namespaces at -2), so
 * Istio's CRDs and webhooks exist before any policy or workload when one parent app holds them all.
 */
export const FIRST_SYNC_WAVE = -10;

/** Where Argo CD applies a release, and how it syncs it. */
export interface ArgoCdSettings {
  readonly namespace: string;
  readonly project: string;
  readonly destinationServer: string;
  readonly repository: string;
  readonly chartVersion: string;
  readonly automated: boolean;
}

/**
 * Fields istiod rewrites after install, which Argo CD would otherwise report as drift and revert at
 * every sync: the validation webhooks start with `failurePolicy: Ignore` and istiod switches them to
 * `Fail` and patches in its `caBundle` once it serves them; the injection webhooks get the
 * `caBundle` too (base and istiod charts, templates/*webhook*.yaml; istio/istio#44285, #57643).
 */
const IGNORE_DIFFERENCES: Partial<Record<IstioHelmChart, ApplicationSpecIgnoreDifferences[]>> = {
  [IstioHelmChart.BASE]: [{
    group: 'admissionregistration.k8s.io',
    kind: 'ValidatingWebhookConfiguration',
    name: 'istiod-default-validator',
    jqPathExpressions: ['.webhooks[]?.failurePolicy', '.webhooks[]?.clientConfig.caBundle'],
  }],
  [IstioHelmChart.ISTIOD]: [
    {
      group: 'admissionregistration.k8s.io',
      kind: 'ValidatingWebhookConfiguration',
      jqPathExpressions: ['.webhooks[]?.failurePolicy', '.webhooks[]?.clientConfig.caBundle'],
    },
    {
      group: 'admissionregistration.k8s.io',
      kind: 'MutatingWebhookConfiguration',
      jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'],
    },
  ],
};

/** Writes the Application of one release. */
export function writeApplication(scope: Construct, settings: ArgoCdSettings, release: ReleaseToWrite): ApiObject {
  const { plan } = release;
  const ignore = IGNORE_DIFFERENCES[plan.chart];
  return new Application(scope, plan.id, {
    metadata: {
      name: plan.objectName,
      namespace: settings.namespace,
      annotations: { [ArgoCdSyncWaves.ANNOTATION]: String(FIRST_SYNC_WAVE + plan.stage) },
    },
    spec: {
      project: settings.project,
      source: {
        repoUrl: settings.repository,
        chart: plan.chart,
        targetRevision: settings.chartVersion,
        helm: { releaseName: plan.releaseName, valuesObject: Lazy.any({ produce: release.values }) },
      },
      destination: { server: settings.destinationServer, namespace: plan.namespace },
      ...(ignore ? { ignoreDifferences: ignore } : {}),
      syncPolicy: {
        ...(settings.automated ? { automated: { prune: true, selfHeal: true } } : {}),
        syncOptions: [
          'CreateNamespace=true',
          // a sync must not undo what ignoreDifferences ignores
          ...(ignore ? ['RespectIgnoreDifferences=true'] : []),
          // Istio's CRDs exceed the size of the last-applied annotation that client-side apply writes
          ...(plan.chart === IstioHelmChart.BASE ? ['ServerSideApply=true'] : []),
        ],
      },
    },
  });
}
