// Every Helm value the library writes, and every one a user adds, is checked against the keys of
// Istio's chart (imports/istio-helm-values.ts, generated from the charts' values.yaml and schema):
// Helm ignores a key a chart does not read, so a typo would install silently without the setting.
// Internal.
import { IConstruct } from 'constructs';
import { IstioHelmChart } from './helm-chart';
import { ISTIO_HELM_CHARTS_VERSION, ISTIO_HELM_VALUE_KEYS, IstioHelmValueKeys } from '../../imports/istio-helm-values';
import { invalid } from '../common/validation';

/**
 * Maps whose keys are the user's although the chart lists a few defaults: mesh config (Istio's
 * MeshConfig, passed through), labels and annotations.
 */
const OPEN_MAPS: Record<string, string[]> = {
  [IstioHelmChart.ISTIOD]: ['meshConfig'],
  [IstioHelmChart.ZTUNNEL]: ['meshConfig', 'podAnnotations'],
  [IstioHelmChart.GATEWAY]: ['labels', 'podAnnotations'],
};

/** The dotted paths of a values object that the chart does not have (empty when all are known). */
export function unknownHelmValuePaths(chart: IstioHelmChart, values: any): string[] {
  const unknown: string[] = [];
  const walk = (value: any, keys: IstioHelmValueKeys, at: string[]) => {
    if (keys === '*' || isOpen(chart, at)) return;
    if (!isMap(value)) return;
    if (at[at.length - 1] === 'resources' && keys !== true) {
      // a Kubernetes ResourceRequirements, which the charts pass to the container as it is
      keys = { requests: '*', limits: '*' };
    }
    if (keys === true) {
      unknown.push(at.join('.'));
      return;
    }
    for (const [key, v] of Object.entries(value)) {
      const next = (keys as any)[key] as IstioHelmValueKeys | undefined;
      if (next === undefined) unknown.push([...at, key].join('.'));
      else walk(v, next, [...at, key]);
    }
  };
  walk(values, ISTIO_HELM_VALUE_KEYS[chart], []);
  return unknown;
}

/** Throws naming the first value path the chart lacks. */
export function checkHelmValues(scope: IConstruct, field: string, chart: IstioHelmChart, values: any): void {
  const [unknown] = unknownHelmValuePaths(chart, values);
  if (unknown !== undefined) {
    throw invalid(scope, field, unknown, `Istio's ${chart} chart (${ISTIO_HELM_CHARTS_VERSION}) has no such value, so Helm would ignore it; ` +
      'check its values.yaml for the key (the keys under _internal_defaults_do_not_set are set at the top level)');
  }
}

function isOpen(chart: string, at: string[]): boolean {
  return (OPEN_MAPS[chart] ?? []).includes(at.join('.'));
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
