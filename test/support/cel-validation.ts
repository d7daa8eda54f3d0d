// The CEL rules of a CRD schema (`x-kubernetes-validations`), evaluated as the API server does when
// an object is created (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/validation.go;
// Kubernetes docs, "Validation rules"). Internal to test/support/schema-validation.ts.
//
// - The object is defaulted first, from the schema's `default`s (structural defaulting), as the
//   API server defaults before it validates.
// - A rule runs at the schema node that declares it, once per value there (per item under `items`,
//   per entry under `additionalProperties`), never on null; `self` is that value, typed by the schema:
//   `integer` as CEL int, `number` as double, int-or-string as either, `format: byte` as bytes,
//   objects with properties as objects (absent field: `has()` false; names escaped: `namespace` is
//   `__namespace__`), `additionalProperties` as maps.
// - Transition rules (using `oldSelf`) only run on updates: skipped, we only create.
// - The message: `messageExpression` when it yields a non-empty line, else `message`, else
//   `failed rule: <rule>`; an evaluation error reads `<error> evaluating rule: <message or rule>`.
// - Rules are compiled on first use and cached with the schema; a rule that does not compile here
//   (a function not declared in cel-library.ts, optionalOldSelf) is reported as an error, never passed.
import { CelResult, CelValue, celEnv, celList, celMap, isCelError, parse, plan } from '@bufbuild/cel';
import { KUBERNETES_CEL_FUNCTIONS } from './cel-library';

const ENV = celEnv({ funcs: KUBERNETES_CEL_FUNCTIONS });

/** Checks one document against the CEL rules of its schema; returns `<field path>: <message>` lines. */
export type CelValidator = (doc: unknown) => string[];

/** A validator for the rules of a CRD version's openAPIV3Schema; reuse it, it caches compiled rules. */
export function celValidator(openApiV3Schema: unknown): CelValidator {
  const root = schemaNode(openApiV3Schema, []);
  return doc => {
    if (!root.rulesBelow) return [];
    const errors: string[] = [];
    visit(root, doc, '', false, errors, true);
    return errors;
  };
}

/**
 * Compiles every rule of a schema now (transition rules included) and returns one line per rule that
 * does not compile, so that a CRD with a rule the evaluator cannot run is known before any document.
 */
export function celCompileErrors(openApiV3Schema: unknown): string[] {
  const errors: string[] = [];
  const walk = (node: SchemaNode): void => {
    for (const rule of node.rules) {
      const compiled = compiledRule(rule);
      if ('error' in compiled) errors.push(`${node.schemaPath.join('.') || '<root>'}: ${compiled.error}`);
    }
    node.properties.forEach(p => walk(p.node));
    if (node.additional) walk(node.additional);
    if (node.items) walk(node.items);
  };
  walk(schemaNode(openApiV3Schema, []));
  return errors;
}

// -- the schema, as the evaluator walks it ---------------------------------------------------------

interface Rule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly optionalOldSelf?: boolean;
  compiled?: CompiledRule;
}

interface Property {
  readonly node: SchemaNode;
  /** The name a rule uses for the field (Kubernetes escaping); undefined when rules cannot see it. */
  readonly celName: string | undefined;
  readonly default: unknown;
}

interface SchemaNode {
  readonly schema: any;
  readonly schemaPath: string[];
  readonly rules: Rule[];
  readonly properties: Map<string, Property>;
  readonly additional?: SchemaNode;
  readonly items?: SchemaNode;
  /** Whether this node or one below it has rules: other subtrees are only read as values. */
  readonly rulesBelow: boolean;
}

function schemaNode(schema: any, schemaPath: string[]): SchemaNode {
  for (const key of ['allOf', 'anyOf', 'oneOf', 'not']) {
    if (JSON.stringify(schema?.[key] ?? null).includes('"x-kubernetes-validations"')) {
      throw new Error(`${schemaPath.join('.')}: x-kubernetes-validations under ${key} are not evaluated by test/support/cel-validation.ts`);
    }
  }
  const properties = new Map<string, Property>();
  for (const [name, sub] of Object.entries<any>(schema?.properties ?? {})) {
    properties.set(name, { node: schemaNode(sub, [...schemaPath, name]), celName: escapeFieldName(name), default: sub?.default });
  }
  const additional = typeof schema?.additionalProperties === 'object' ? schemaNode(schema.additionalProperties, [...schemaPath, '*']) : undefined;
  const items = typeof schema?.items === 'object' ? schemaNode(schema.items, [...schemaPath, '[]']) : undefined;
  const rules: Rule[] = (schema?.['x-kubernetes-validations'] ?? []).map((r: Rule) => ({ ...r }));
  const rulesBelow = rules.length > 0 || [...properties.values()].some(p => p.node.rulesBelow) ||
    !!additional?.rulesBelow || !!items?.rulesBelow;
  return { schema: schema ?? {}, schemaPath, rules, properties, additional, items, rulesBelow };
}

const CEL_RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for',
  'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

/** Kubernetes docs, "Escaping": reserved words become `__word__`; `__`, `.`, `-`, `/` are spelled out. */
export function escapeFieldName(name: string): string | undefined {
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  const escaped = name.replace(/__|[./-]/g, s => ({ '__': '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' })[s]!);
  return /^[_a-zA-Z][_a-zA-Z0-9]*$/.test(escaped) ? escaped : undefined;
}

// -- values: defaulting and typing, then the rules -------------------------------------------------

/**
 * Walks a value with its schema node: applies defaults, evaluates the node's rules, recurses.
 * Returns the CEL value of `value` when a rule here or above needs it (`needed`).
 */
function visit(node: SchemaNode, value: unknown, path: string, needed: boolean, errors: string[], isRoot = false): CelValue | undefined {
  if (value === null || value === undefined) return null; // rules only see non-null values
  const evaluate = node.rules.length > 0;
  if (!needed && !node.rulesBelow) return undefined;
  const childNeeded = needed || evaluate;
  const childErrors: string[] = [];
  const self = celValue(node, value, path, childNeeded, childErrors, isRoot);
  if (evaluate) errors.push(...evaluateRules(node, self as CelValue, path));
  errors.push(...childErrors);
  return self;
}

function celValue(node: SchemaNode, value: unknown, path: string, needed: boolean, errors: string[], isRoot: boolean): CelValue | undefined {
  const s = node.schema;
  if (s['x-kubernetes-int-or-string'] === true) return untyped(value);
  switch (s.type) {
    case 'integer': return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : untyped(value);
    case 'number': return typeof value === 'number' ? value : untyped(value);
    case 'string':
      if (typeof value === 'string' && s.format === 'byte') return new Uint8Array(Buffer.from(value, 'base64'));
      return untyped(value);
    case 'array': {
      if (!Array.isArray(value) || !node.items) return untyped(value);
      const items = value.map((item, i) => visit(node.items!, item, `${path}[${i}]`, needed, errors));
      return needed ? celList(items as CelValue[]) : undefined;
    }
    case 'object': return objectValue(node, value, path, needed, errors, isRoot);
    default: return untyped(value);
  }
}

function objectValue(node: SchemaNode, value: unknown, path: string, needed: boolean, errors: string[], isRoot: boolean): CelValue | undefined {
  if (typeof value !== 'object' || Array.isArray(value)) return untyped(value);
  const object = value as Record<string, unknown>;
  const entries = new Map<string, CelValue>();
  if (node.additional) {
    for (const [key, v] of Object.entries(object)) {
      const cel = visit(node.additional, v, `${path}[${key}]`, needed, errors);
      if (needed) entries.set(key, cel as CelValue);
    }
  } else if (node.properties.size === 0 && node.schema['x-kubernetes-preserve-unknown-fields'] === true) {
    return untyped(value);
  } else {
    for (const [name, prop] of node.properties) {
      let v = object[name];
      // structural defaulting: an absent field, or a null one that may not be null, takes its default
      if (prop.default !== undefined && (v === undefined || (v === null && prop.node.schema.nullable !== true))) {
        v = structuredClone(prop.default);
      }
      if (v === undefined) continue;
      const cel = visit(prop.node, v, path ? `${path}.${name}` : name, needed, errors);
      if (needed && prop.celName !== undefined) entries.set(prop.celName, cel as CelValue);
    }
    if (node.schema['x-kubernetes-preserve-unknown-fields'] === true && needed) {
      for (const [name, v] of Object.entries(object)) {
        const celName = node.properties.has(name) ? undefined : escapeFieldName(name);
        if (celName !== undefined) entries.set(celName, untyped(v));
      }
    }
  }
  if (isRoot && needed) {
    // at the root, rules see apiVersion, kind and of metadata only name and generateName
    const meta = (object.metadata ?? {}) as Record<string, unknown>;
    for (const k of ['apiVersion', 'kind']) if (typeof object[k] === 'string') entries.set(k, object[k] as string);
    entries.set('metadata', celMap(new Map(['name', 'generateName'].filter(k => typeof meta[k] === 'string').map(k => [k, meta[k] as string]))));
  }
  return needed ? celMap(entries) : undefined;
}

/** A value the schema does not type: as the API server decodes JSON (integral numbers are int). */
function untyped(value: unknown): CelValue {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return celList(value.map(untyped));
  if (value !== null && typeof value === 'object') {
    return celMap(new Map(Object.entries(value as object).map(([k, v]) => [k, untyped(v)])));
  }
  return value as CelValue;
}

// -- rules ------------------------------------------------------------------------------------------

type Program = (bindings: { self: CelValue }) => CelResult;
type CompiledRule = { transition: true } | { error: string } | { program: Program; message?: Program };

function evaluateRules(node: SchemaNode, self: CelValue, path: string): string[] {
  const errors: string[] = [];
  const where = path || '<root>';
  for (const rule of node.rules) {
    const compiled = compiledRule(rule);
    if ('transition' in compiled) continue;
    if ('error' in compiled) {
      errors.push(`${where}: ${compiled.error}`);
      continue;
    }
    const result = compiled.program({ self });
    if (result === true) continue;
    if (isCelError(result)) {
      errors.push(`${where}: ${result.message} evaluating rule: ${ruleErrorString(rule)}`);
    } else if (typeof result !== 'boolean') {
      errors.push(`${where}: rule does not evaluate to a bool: ${ruleErrorString(rule)}`);
    } else {
      const at = rule.fieldPath ? `${path}${rule.fieldPath}`.replace(/^\./, '') : where;
      errors.push(`${at}: ${messageOf(rule, compiled.message, self)}`);
    }
  }
  return errors;
}

function messageOf(rule: Rule, message: Program | undefined, self: CelValue): string {
  const text = message?.({ self });
  if (typeof text === 'string' && text.trim() !== '' && !text.includes('\n')) return text.trim();
  return rule.message?.trim() ? rule.message.trim() : `failed rule: ${rule.rule.trim()}`;
}

function ruleErrorString(rule: Rule): string {
  return rule.message?.trim() ? rule.message.trim() : rule.rule.trim();
}

function compiledRule(rule: Rule): CompiledRule {
  if (!rule.compiled) {
    try {
      const expr = parse(rule.rule);
      const idents = checkReferences(expr.expr);
      if (rule.optionalOldSelf) {
        throw new Error('optionalOldSelf: the API server evaluates it on create with oldSelf = optional.none(), and optional types are not supported here');
      }
      if (idents.has('oldSelf')) {
        rule.compiled = { transition: true };
      } else {
        let message: Program | undefined;
        if (rule.messageExpression) {
          const m = parse(rule.messageExpression);
          checkReferences(m.expr);
          message = plan(ENV, m) as Program;
        }
        rule.compiled = { program: plan(ENV, expr) as Program, message };
      }
    } catch (e) {
      rule.compiled = { error: `rule compile error: ${(e as Error).message} (rule: ${rule.rule.trim()})` };
    }
  }
  return rule.compiled;
}

/** Special forms the planner evaluates itself; every other function must be declared in ENV. */
const SPECIAL_FORMS = new Set(['_&&_', '_||_', '_?_:_', '_[_]', '_[?_]', '_?._', '@not_strictly_false', '__not_strictly_false__']);
/** Type names rules may compare with `type(x) == ...`. */
const TYPE_NAMES = new Set(['bool', 'int', 'uint', 'double', 'string', 'bytes', 'list', 'map', 'null_type', 'type']);

/**
 * Fails, as the API server's type check would, on a function or variable it does not know (at run
 * time @bufbuild/cel would only say "unbound function"). Returns the variables referenced.
 */
function checkReferences(root: any): Set<string> {
  const found = new Set<string>();
  const walk = (e: any, scope: Set<string>): void => {
    const k = e?.exprKind;
    switch (k?.case) {
      case 'identExpr':
        if (!scope.has(k.value.name) && !TYPE_NAMES.has(k.value.name)) {
          if (k.value.name !== 'self' && k.value.name !== 'oldSelf') throw new Error(`undeclared reference to '${k.value.name}'`);
          found.add(k.value.name);
        }
        return;
      case 'selectExpr': return walk(k.value.operand, scope);
      case 'callExpr':
        if (!SPECIAL_FORMS.has(k.value.function) && !ENV.funcs.find(k.value.function)) {
          throw new Error(`undeclared reference to '${k.value.function}'`);
        }
        if (k.value.target) walk(k.value.target, scope);
        return k.value.args.forEach((a: any) => walk(a, scope));
      case 'listExpr': return k.value.elements.forEach((x: any) => walk(x, scope));
      case 'structExpr': return k.value.entries.forEach((x: any) => {
        if (x.keyKind.case === 'mapKey') walk(x.keyKind.value, scope);
        walk(x.value, scope);
      });
      case 'comprehensionExpr': {
        const c = k.value;
        walk(c.iterRange, scope);
        walk(c.accuInit, scope);
        const inner = new Set([...scope, c.iterVar, c.iterVar2, c.accuVar].filter(Boolean));
        for (const x of [c.loopCondition, c.loopStep, c.result]) walk(x, inner);
        return;
      }
      default: return;
    }
  };
  walk(root, new Set());
  return found;
}
