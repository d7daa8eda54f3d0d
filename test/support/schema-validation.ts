// Strict schema validation of synthesized manifests, as `kubectl apply --validate=strict` would do:
// core kinds against the Kubernetes OpenAPI definitions (every version in KUBERNETES_VERSIONS),
// custom kinds against the openAPIV3Schema of their upstream CRD, hand-written schemas in
// test/schemas/ for kinds without a structural CRD (IstioOperator). Unknown fields are rejected.
// The CRDs' CEL rules (`x-kubernetes-validations`) are evaluated too (cel-validation.ts), on the
// documents the schema accepts, as the API server skips them after a schema error. Kubernetes'
// built-in kinds have no CEL rules in their OpenAPI definitions.
//
// Not checked: string formats; the API server checks those.
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import * as YAML from 'yaml';
import { celValidator } from './cel-validation';

/** Kubernetes versions every core document must be valid against. */
export const KUBERNETES_VERSIONS = ['1.27.0', '1.36.0'];

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SHARED = path.resolve(REPO_ROOT, '..', 'shared');

/** Folder of upstream CRD files (override with CDK8S_MESH_CRDS_DIR). */
export const CRDS_DIR = path.resolve(process.env.CDK8S_MESH_CRDS_DIR ?? path.join(SHARED, 'crds'));
/** Folder of Kubernetes `k8s-<version>-definitions.json` files (override with CDK8S_MESH_SCHEMAS_DIR). */
export const SCHEMAS_DIR = path.resolve(process.env.CDK8S_MESH_SCHEMAS_DIR ?? path.join(SHARED, 'schemas'));
/** Hand-written schemas of this repository, for kinds whose CRD has no structural schema. */
const LOCAL_SCHEMAS_DIR = path.join(REPO_ROOT, 'test', 'schemas');

/** Whether the upstream schema folders are present, so that validation really runs. */
export function schemasAvailable(): boolean {
  return fs.existsSync(CRDS_DIR) && KUBERNETES_VERSIONS.every(v => fs.existsSync(definitionsFile(v)));
}

let warnedMissing = false;

/**
 * Validates every document strictly and returns one message per problem (empty when all are valid).
 * Each message names the document (kind, namespace/name, index) and the field path.
 *
 * Without the schema folders, validation is skipped with a loud warning; with CI=true that is an error.
 */
export function validateDocuments(docs: any[]): string[] {
  if (!schemasAvailable()) {
    const where = `CRDs: ${CRDS_DIR}, Kubernetes definitions: ${SCHEMAS_DIR}`;
    if (process.env.CI && process.env.CI !== 'false') {
      throw new Error(`schema folders not found (${where}); set CDK8S_MESH_CRDS_DIR and CDK8S_MESH_SCHEMAS_DIR`);
    }
    if (!warnedMissing) {
      warnedMissing = true;
      console.warn(`!!! SCHEMA VALIDATION SKIPPED: schema folders not found (${where}). ` +
        'Set CDK8S_MESH_CRDS_DIR and CDK8S_MESH_SCHEMAS_DIR to validate manifests.');
    }
    return [];
  }
  return [...docs.flatMap((doc, index) => validateDocument(doc, index)), ...duplicates(docs)];
}

/** Objects the API server would take as one: the same group, kind, namespace and name. */
function duplicates(docs: any[]): string[] {
  const seen = new Map<string, number>();
  const errors: string[] = [];
  docs.forEach((doc, index) => {
    const group = String(doc?.apiVersion ?? '').split('/').slice(-2, -1)[0] ?? '';
    const key = `${group}/${doc?.kind} ${doc?.metadata?.namespace ?? ''}/${doc?.metadata?.name}`;
    const first = seen.get(key);
    if (first !== undefined) errors.push(`${describeDocument(doc, index)}: same group, kind, namespace and name as document #${first}`);
    else seen.set(key, index);
  });
  return errors;
}

/** Throws with every problem found when any document is invalid. */
export function expectValidDocuments(docs: any[]): void {
  const errors = validateDocuments(docs);
  if (errors.length > 0) {
    throw new Error(`${errors.length} schema violation(s):\n  ${errors.join('\n  ')}`);
  }
}

function validateDocument(doc: any, index: number): string[] {
  const label = describeDocument(doc, index);
  if (typeof doc?.apiVersion !== 'string' || typeof doc?.kind !== 'string') {
    return [`${label}: apiVersion and kind are required`];
  }
  const validators = validatorsFor(doc.apiVersion, doc.kind);
  if (typeof validators === 'string') {
    return [`${label}: ${validators}`];
  }
  const errors: string[] = [];
  const check = (validator: NamedValidator) => {
    for (const e of validator.check(doc)) errors.push(`${label} against ${validator.source}: ${e}`);
  };
  validators.filter(v => !v.afterSchema).forEach(check);
  if (errors.length === 0) validators.filter(v => v.afterSchema).forEach(check);
  return [...new Set(errors)];
}

function describeDocument(doc: any, index: number): string {
  const name = doc?.metadata?.name ?? '<no name>';
  const ns = doc?.metadata?.namespace ? `${doc.metadata.namespace}/` : '';
  return `document #${index} ${doc?.kind ?? '<no kind>'} ${ns}${name}`;
}

// -- error formatting ---------------------------------------------------------------------------

/** JSON pointer `/spec/http/0/route` to a field path `spec.http[0].route`. */
function fieldPath(pointer: string, extra?: string): string {
  const parts = pointer.split('/').slice(1).map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const p of parts) {
    out += /^\d+$/.test(p) ? `[${p}]` : (out ? `.${p}` : p);
  }
  return out || '<root>';
}

function formatError(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown field ${fieldPath(e.instancePath, e.params.additionalProperty)}`;
    case 'required':
      return `missing required field ${fieldPath(e.instancePath, e.params.missingProperty)}`;
    case 'enum':
      return `${fieldPath(e.instancePath)} must be one of ${e.params.allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${fieldPath(e.instancePath)} ${e.message}`;
  }
}

/**
 * anyOf/oneOf failures repeat the errors of each branch; keep the deepest errors, which name the
 * field that is wrong, and drop the generic "must match a schema in anyOf" wrappers.
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter(e => !['anyOf', 'oneOf', 'if', 'not'].includes(e.keyword));
  return specific.length > 0 ? specific : errors;
}

// -- schema loading -----------------------------------------------------------------------------

interface NamedValidator {
  readonly source: string;
  /** One message per problem, each starting with the field path. */
  readonly check: (doc: any) => string[];
  /** Runs only when every schema validator accepted the document (the CEL rules). */
  readonly afterSchema?: boolean;
}

/** An ajv schema as a NamedValidator. */
function schemaCheck(source: string, validate: ValidateFunction): NamedValidator {
  return { source, check: doc => validate(doc) ? [] : relevantErrors(validate.errors ?? []).map(formatError) };
}

const validatorCache = new Map<string, NamedValidator[] | string>();

function validatorsFor(apiVersion: string, kind: string): NamedValidator[] | string {
  const key = `${apiVersion}/${kind}`;
  let cached = validatorCache.get(key);
  if (cached === undefined) {
    cached = buildValidators(apiVersion, kind);
    validatorCache.set(key, cached);
  }
  return cached;
}

function buildValidators(apiVersion: string, kind: string): NamedValidator[] | string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const gvk = { group, version, kind };

  const local = localSchemas().get(gvkKey(gvk));
  if (local) {
    return KUBERNETES_VERSIONS.map(v => schemaCheck(
      `test/schemas (${local.file}) with Kubernetes ${v} metadata`, compile(v, withObjectMeta(local.schema, v))));
  }

  const crd = crdSchemas().get(gvkKey(gvk));
  if (crd) {
    if (typeof crd === 'string') return crd;
    return [
      ...KUBERNETES_VERSIONS.map(v => schemaCheck(
        `CRD ${crd.file} with Kubernetes ${v} metadata`, compile(v, withObjectMeta(crdToJsonSchema(crd.schema), v)))),
      { source: `CRD ${crd.file}`, check: celValidator(crd.schema), afterSchema: true },
    ];
  }

  const out: NamedValidator[] = [];
  const missing: string[] = [];
  for (const v of KUBERNETES_VERSIONS) {
    const name = definitions(v).byGvk.get(gvkKey(gvk));
    if (name) {
      out.push(schemaCheck(`Kubernetes ${v} ${name}`, compile(v, { $ref: `k8s-${v}#/definitions/${name}` })));
    } else {
      missing.push(v);
    }
  }
  if (missing.length === KUBERNETES_VERSIONS.length) {
    return `no schema for ${apiVersion} ${kind} (not a Kubernetes ${KUBERNETES_VERSIONS.join('/')} kind, no CRD in ${CRDS_DIR}, nothing in test/schemas)`;
  }
  if (missing.length > 0) {
    return `${apiVersion} ${kind} does not exist in Kubernetes ${missing.join(', ')}`;
  }
  return out;
}

function gvkKey(gvk: { group: string; version: string; kind: string }): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

const ajvByVersion = new Map<string, Ajv>();

/** One Ajv per Kubernetes version, holding that version's definitions under the id `k8s-<version>`. */
function ajvFor(version: string): Ajv {
  let ajv = ajvByVersion.get(version);
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ $id: `k8s-${version}`, definitions: definitions(version).schemas });
    ajvByVersion.set(version, ajv);
  }
  return ajv;
}

function compile(version: string, schema: any): ValidateFunction {
  return ajvFor(version).compile(schema);
}

/** The API server always accepts apiVersion, kind and ObjectMeta at the root of a custom resource. */
function withObjectMeta(schema: any, version: string): any {
  return {
    ...schema,
    properties: {
      ...schema.properties,
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: `k8s-${version}#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta` },
    },
  };
}

// -- Kubernetes definitions ---------------------------------------------------------------------

interface Definitions {
  readonly schemas: Record<string, any>;
  readonly byGvk: Map<string, string>;
}

const definitionsByVersion = new Map<string, Definitions>();

function definitionsFile(version: string): string {
  return path.join(SCHEMAS_DIR, `k8s-${version}-definitions.json`);
}

function definitions(version: string): Definitions {
  let defs = definitionsByVersion.get(version);
  if (!defs) {
    const raw = JSON.parse(fs.readFileSync(definitionsFile(version), 'utf8')).definitions as Record<string, any>;
    const schemas: Record<string, any> = {};
    const byGvk = new Map<string, string>();
    for (const [name, schema] of Object.entries(raw)) {
      schemas[name] = strictify(rewriteRefs(schema, version));
      for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
        byGvk.set(gvkKey(gvk), name);
      }
    }
    defs = { schemas, byGvk };
    definitionsByVersion.set(version, defs);
  }
  return defs;
}

/** Swagger `#/definitions/X` refs point into the shared `k8s-<version>` schema. */
function rewriteRefs(schema: any, version: string): any {
  if (Array.isArray(schema)) return schema.map(s => rewriteRefs(s, version));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^#\//, `k8s-${version}#/`) : rewriteRefs(v, version);
  }
  return out;
}

/**
 * Objects with declared properties reject unknown fields unless they preserve unknown fields,
 * as the API server's strict field validation does.
 */
function strictify(schema: any): any {
  if (Array.isArray(schema)) return schema.map(strictify);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) {
    // `properties` and `definitions` map names to schemas: recurse into each value, not the map
    out[k] = (k === 'properties' || k === 'definitions' || k === 'patternProperties')
      ? Object.fromEntries(Object.entries(v as object).map(([n, s]) => [n, strictify(s)]))
      : strictify(v);
  }
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

// -- CRDs ---------------------------------------------------------------------------------------

interface CrdSchema {
  readonly file: string;
  readonly schema: any;
}

let crdIndex: Map<string, CrdSchema | string> | undefined;

/** Every served version of every CRD in CRDS_DIR, keyed by group/version/kind. */
function crdSchemas(): Map<string, CrdSchema | string> {
  if (!crdIndex) {
    crdIndex = new Map();
    for (const file of fs.readdirSync(CRDS_DIR).filter(f => /\.ya?ml$/.test(f)).sort()) {
      for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(CRDS_DIR, file), 'utf8'))) {
        const crd = doc.toJSON();
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        for (const v of crd.spec.versions ?? []) {
          const k = gvkKey({ group: crd.spec.group, version: v.name, kind: crd.spec.names.kind });
          if (!v.served) {
            crdIndex.set(k, `${crd.spec.group}/${v.name} ${crd.spec.names.kind} is not served by its CRD (${file})`);
          } else {
            crdIndex.set(k, { file, schema: v.schema?.openAPIV3Schema ?? { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true } });
          }
        }
      }
    }
  }
  return crdIndex;
}

/** Structural CRD schema (OpenAPI v3 subset) to a JSON schema with Kubernetes' pruning semantics. */
export function crdToJsonSchema(schema: any): any {
  if (Array.isArray(schema)) return schema.map(crdToJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  let out: any = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties') {
      out[k] = Object.fromEntries(Object.entries(v as object).map(([n, s]) => [n, crdToJsonSchema(s)]));
    } else if (k === 'pattern' && !isJsRegExp(v as string)) {
      continue; // an RE2-only pattern; the API server checks it
    } else {
      out[k] = crdToJsonSchema(v);
    }
  }
  const preserve = out['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.type === 'object' && out.additionalProperties === undefined && !preserve) {
    // a structural object without properties and without preserve-unknown-fields prunes everything
    out.additionalProperties = false;
    out.properties ??= {};
  }
  if (out['x-kubernetes-int-or-string'] === true && !out.anyOf && !out.oneOf) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out.nullable === true) {
    out = { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function isJsRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

// -- hand-written schemas -----------------------------------------------------------------------

let localIndex: Map<string, CrdSchema> | undefined;

/** test/schemas/*.json: JSON schemas carrying `x-kubernetes-group-version-kind` like the definitions. */
function localSchemas(): Map<string, CrdSchema> {
  if (!localIndex) {
    localIndex = new Map();
    if (fs.existsSync(LOCAL_SCHEMAS_DIR)) {
      for (const file of fs.readdirSync(LOCAL_SCHEMAS_DIR).filter(f => f.endsWith('.json')).sort()) {
        const schema = JSON.parse(fs.readFileSync(path.join(LOCAL_SCHEMAS_DIR, file), 'utf8'));
        for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
          localIndex.set(gvkKey(gvk), { file, schema });
        }
      }
    }
  }
  return localIndex;
}
