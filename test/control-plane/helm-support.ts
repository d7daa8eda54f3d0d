// Test helpers for the Helm deliveries: the releases an Argo CD or Flux delivery emits, and the value
// keys of Istio's charts read from the charts themselves (not from the library's generated table).
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import * as YAML from 'yaml';
import { chartDir, HelmReleaseInput } from '../support/helm';

/** The releases of an Argo CD or Flux delivery, as `helm template` takes them. */
export function releasesOf(docs: any[]): HelmReleaseInput[] {
  return docs.flatMap(d => {
    if (d.kind === 'Application') {
      const { source, destination } = d.spec;
      const values = source.helm.valuesObject ?? {};
      return [{ releaseName: source.helm.releaseName, namespace: destination.namespace, chart: source.chart, values }];
    }
    if (d.kind === 'HelmRelease') {
      return [{ releaseName: d.spec.releaseName, namespace: d.spec.targetNamespace, chart: d.spec.chart.spec.chart, values: d.spec.values ?? {} }];
    }
    return [];
  });
}

/**
 * Every value path that the chart does not define: keys under `_internal_defaults_do_not_set` in
 * values.yaml, the gateway chart's values.schema.json, and the profile keys zzz_profile.yaml reads.
 * Maps that are empty by default take any key; `meshConfig` is checked against Istio's MeshConfig.
 */
export function unknownValuePaths(chart: string, values: any): string[] {
  const defaults = YAML.parse(fs.readFileSync(path.join(chartDir(chart), 'values.yaml'), 'utf8'))._internal_defaults_do_not_set;
  const schemaFile = path.join(chartDir(chart), 'values.schema.json');
  const schema = fs.existsSync(schemaFile) ? JSON.parse(fs.readFileSync(schemaFile, 'utf8')).$defs.values : undefined;
  const profile = fs.readFileSync(path.join(chartDir(chart), 'templates', 'zzz_profile.yaml'), 'utf8');
  const unknown: string[] = [];
  const walk = (value: any, at: string[]) => {
    for (const [key, v] of Object.entries(value)) {
      const here = [...at, key];
      // a Kubernetes ResourceRequirements, which the charts pass to the container as it is
      const resources = at[at.length - 1] === 'resources' && ['requests', 'limits'].includes(key);
      const inDefaults = resources ? {} : lookup(defaults, here);
      const inSchema = schemaLookup(schema, here);
      const read = at.length === 0 && new RegExp(`Values\\)?\\.${key}\\b`).test(profile);
      if (inDefaults === undefined && inSchema === undefined && !read) {
        unknown.push(here.join('.'));
      } else if (isMap(v) && isMap(inDefaults) && Object.keys(inDefaults).length > 0 && !FREE_FORM.includes(here.join('.'))) {
        walk(v, here);
      }
    }
  };
  walk(values, []);
  if (values.meshConfig) unknown.push(...meshConfigProblems(values.meshConfig));
  return unknown;
}

/** Maps that list defaults but take keys of the user's choice. */
const FREE_FORM = ['meshConfig', 'labels', 'podAnnotations'];

function lookup(tree: any, at: string[]): any {
  let node = tree;
  for (const key of at) {
    if (!isMap(node) || !(key in node)) return undefined;
    node = node[key];
  }
  return node === null ? '' : node;
}

function schemaLookup(schema: any, at: string[]): any {
  let node = schema;
  for (const key of at) {
    node = node?.properties?.[key];
    if (node === undefined) return undefined;
  }
  return node;
}

/** Istio's MeshConfig as the IstioOperator test schema (test/schemas) types it, strictly. */
function meshConfigProblems(meshConfig: any): string[] {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'schemas', 'istio-operator.schema.json'), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile({ ...schema.definitions.MeshConfig, definitions: schema.definitions });
  return validate(meshConfig) ? [] : (validate.errors ?? []).map(e => `meshConfig${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

function isMap(value: unknown): value is Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
