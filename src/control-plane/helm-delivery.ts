// What the Argo CD and Flux deliveries share: the releases of the model (helm-releases.ts), the
// values users add, the check of every value against its chart, and the order of the releases.
// Each GitOps tool only writes the object that delivers a release. Internal.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ResolvedControlPlane } from './control-plane-model';
import { DeliveryBinding } from './delivery-binding';
import { IstioHelmChart } from './helm-chart';
import { controlPlaneReleases, gatewayRelease, helmSupportsProfile, HelmReleasePlan } from './helm-releases';
import { checkHelmValues } from './helm-values-check';
import { ResolvedGateway } from './resolve-gateway';
import { invalid } from '../common/validation';

/** Istio's Helm repository (Istio docs, "Install with Helm"). */
export const ISTIO_HELM_REPOSITORY = 'https://istio-release.storage.googleapis.com/charts';

/** The chart version the deliveries install by default: the Istio release this library is built and tested with. */
export const DEFAULT_CHART_VERSION = '1.30.3';

/** A release as a GitOps tool delivers it. */
export interface ReleaseToWrite {
  readonly plan: HelmReleasePlan;
  /** The chart's values, resolved at synth time. */
  readonly values: () => any;
  /** The releases it waits for: those of the latest stage before its own. */
  readonly after: HelmReleasePlan[];
}

/** Writes the object of one release (an Argo CD Application, a Flux HelmRelease). */
export type ReleaseWriter = (scope: Construct, release: ReleaseToWrite) => ApiObject;

/** The delivery-neutral options of both GitOps deliveries, checked. */
export interface HelmDeliverySettings {
  readonly clusterComponents: boolean;
}

/** Binds a Helm delivery: the control plane's releases now, a gateway's when it is added. */
export function bindHelmDelivery(scope: Construct, model: ResolvedControlPlane, settings: HelmDeliverySettings,
  write: ReleaseWriter): DeliveryBinding {
  if (!helmSupportsProfile(model.profile)) {
    throw invalid(scope, 'profile', model.profile,
      'Istio\'s Helm charts have no such profile; deliver it with IstioDelivery.istioctl(), or use default, minimal, demo, ambient or preview');
  }
  const extra = new Map<IstioHelmChart, Array<{ [key: string]: any }>>();
  const plans: HelmReleasePlan[] = [];
  const releases: ApiObject[] = [];

  const add = (plan: HelmReleasePlan) => {
    const earlier = plans.filter(p => p.stage < plan.stage);
    const latest = Math.max(...earlier.map(p => p.stage));
    const values = () => {
      const merged = (extra.get(plan.chart) ?? []).reduce(deepMerge, plan.values());
      checkHelmValues(scope, `${plan.chart} values`, plan.chart, merged);
      return merged;
    };
    plans.push(plan);
    releases.push(write(scope, { plan, values, after: earlier.filter(p => p.stage === latest) }));
  };

  controlPlaneReleases(model, settings).forEach(add);
  return {
    releases,
    helm: true,
    addGateway: (gateway: ResolvedGateway) => {
      if (!gateway.enabled) return;
      const plan = gatewayRelease(model, gateway);
      if (plans.some(p => p.objectName === plan.objectName)) {
        throw invalid(scope, 'gateway', gateway.name, `its release "${plan.objectName}" has the name of another release of this control plane; rename the gateway`);
      }
      add(plan);
    },
    addHelmValues: (chart: IstioHelmChart, values: { [key: string]: any }) => {
      if (!Object.values(IstioHelmChart).includes(chart)) {
        throw invalid(scope, 'addHelmValues chart', chart, `must be one of ${Object.values(IstioHelmChart).join(', ')}`);
      }
      if (!isMap(values)) throw invalid(scope, `addHelmValues ${chart}`, values, 'must be an object of chart values');
      checkHelmValues(scope, `addHelmValues ${chart}`, chart, values);
      extra.set(chart, [...(extra.get(chart) ?? []), values]);
    },
  };
}

/** Checks a pinned chart version: Helm resolves ranges at install time, which GitOps must not leave open. */
export function checkChartVersion(scope: Construct, field: string, version: string): string {
  // semver.org 2.0.0, without a leading "v"
  const semver = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
  if (typeof version !== 'string' || !semver.test(version)) {
    throw invalid(scope, field, version, 'must be a pinned semantic version of Istio\'s charts, without "v" or a range (e.g. "1.30.3")');
  }
  return version;
}

/** Deep merge: maps merge key by key, anything else (lists too) is replaced, as Helm merges values. */
function deepMerge(base: any, over: any): any {
  if (!isMap(base) || !isMap(over)) return over;
  const out: Record<string, any> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out;
}

function isMap(value: unknown): value is Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
