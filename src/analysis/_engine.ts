// Runs the checks over the indexed objects and turns what they report into messages, sorted and
// deduplicated as istioctl does (diag.Messages.SortedDedupedCopy), without the ones an object's
// `galley.istio.io/analyze-suppress` annotation suppresses (istioctl's resource annotation). Internal.
import { documentationUrl, MessageType } from './_catalog';
import { goFormat } from './_format';
import { assumedGateways, MeshConfigOverrides, resolveMeshConfig } from './_mesh-config';
import { AnalysisInput, AnalyzedObject, FieldPath, ObjectIndex } from './_object-index';
import { AnalysisLevel } from './analysis-level';
import { AnalysisMessage } from './analysis-message';
import { CHECKS } from './checks';

/** A check: one of istioctl's analyzers, or one of the library's. */
export interface Check {
  /** istioctl's analyzer name (`istioctl analyze -L`), or the library's `mesh.Name`. */
  readonly name: string;
  /** What it looks for, in one line (`cdk8s-mesh analyze -L`). */
  readonly description: string;
  /** The messages it reports. */
  readonly messages: readonly MessageType[];
  run(context: CheckContext): void;
}

/**
 * A call between two workloads that the app declares (the service graph, issue 13), as the app's
 * analysis passes it (src/analysis/_app.ts); the check `mesh0009-call-graph-policies` judges it.
 */
export interface DeclaredCall {
  /** The caller: its namespace, service account (its mTLS identity) and pod labels. */
  readonly from: {
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly labels: Record<string, string>;
    /** Whether a Sidecar of the app scopes its proxy (so its egress hosts must list the callee). */
    readonly scoped: boolean;
  };
  /** The callee: its namespace, the labels of its pods and its fully qualified host. */
  readonly to: { readonly namespace: string; readonly labels: Record<string, string>; readonly host: string };
  /** The principal the callee's policies see. */
  readonly principal: string;
  /** The callee's container ports the call reaches (what authorization matches). */
  readonly ports: number[];
  /** The ports its connections arrive on at the callee's pods (what NetworkPolicies see). */
  readonly networkPorts: number[];
  /** Whether the call is HTTP (methods and paths apply). */
  readonly http: boolean;
  readonly methods?: string[];
  readonly paths?: string[];
  /** How messages name the call, e.g. `frontend/web -> orders/checkout`. */
  readonly description: string;
}

/** What a check gets. */
export interface CheckContext {
  readonly index: ObjectIndex;
  /** The calls the app's service graph declares (none for files). */
  readonly calls: readonly DeclaredCall[];
  /**
   * Whether a reference to something in `namespace` can be judged missing: always when the objects
   * are the whole cluster (files), only in the namespaces the objects hold when they are part of it
   * (a cdk8s app). Undefined (a name outside any namespace) can always be judged; `*` (anywhere
   * in the cluster) only when the objects are the whole cluster.
   */
  judges(namespace: string | undefined): boolean;
  /** Reports a message on an object; `field` is where in the object, for its line in a file. */
  report(object: AnalyzedObject, type: MessageType, args: readonly unknown[], field?: FieldPath): void;
}

/** A message as a check reported it. */
export interface Finding {
  readonly type: MessageType;
  readonly object: AnalyzedObject;
  readonly args: readonly unknown[];
  readonly field?: FieldPath;
  /** The formatted message. */
  readonly text: string;
  /** The line of the field, else of the object, when the source knows it. */
  readonly line?: number;
}

/** Options of one analysis. */
export interface AnalysisOptions {
  /** The namespace of namespaced objects that name none. @default "default" */
  readonly defaultNamespace?: string;
  /** A --meshConfigFile. */
  readonly meshConfig?: MeshConfigOverrides;
  /** Objects that exist but are not analyzed (what an app names without deploying it), never reported on. */
  readonly assumed?: AnalysisInput[];
  readonly calls?: readonly DeclaredCall[];
  /**
   * Whether the objects are only part of the cluster (a cdk8s app): references into namespaces
   * they do not hold are then not judged. @default false (the objects are the whole cluster)
   */
  readonly partOfCluster?: boolean;
  /** The checks to run. @default every check */
  readonly checks?: readonly Check[];
}

/** The outcome of one analysis. */
export interface AnalysisResult {
  readonly index: ObjectIndex;
  /** Sorted and deduplicated as istioctl does, suppressions applied. */
  readonly findings: Finding[];
}

const SUPPRESS_ANNOTATION = 'galley.istio.io/analyze-suppress';
const LEVEL_ORDER = [AnalysisLevel.ERROR, AnalysisLevel.WARNING, AnalysisLevel.INFO];

/** Analyzes objects: one index, every check once. */
export function analyze(inputs: AnalysisInput[], options: AnalysisOptions = {}): AnalysisResult {
  const manifests = inputs.map(i => i.manifest);
  const meshConfig = resolveMeshConfig(manifests, options.meshConfig);
  const index = new ObjectIndex(inputs, {
    defaultNamespace: options.defaultNamespace ?? 'default',
    meshConfig,
    synthetic: [...assumedGateways(manifests, meshConfig), ...options.assumed ?? []],
  });
  const findings: Finding[] = [];
  const context: CheckContext = {
    index,
    calls: options.calls ?? [],
    judges: namespace => !options.partOfCluster || namespace === undefined || (namespace !== '*' && index.heldNamespaces.has(namespace)),
    report: (object, type, args, field) => {
      if (object.synthetic || suppressed(object, type.code)) return;
      const line = (field && object.source.lineOf?.(field)) ?? object.source.line;
      findings.push({ type, object, args, field, text: goFormat(type.template, args), line });
    },
  };
  for (const check of options.checks ?? CHECKS) check.run(context);
  return { index, findings: sortedDeduped(findings) };
}

/** The line `istioctl analyze` prints: `Error [IST0101] (VirtualService default/reviews ref) Referenced host not found: "reviews"`. */
export function logLine(finding: Finding): string {
  const reference = referenceOf(finding);
  return `${finding.type.level} [${finding.type.code}] (${finding.object.origin}${reference ? ` ${reference}` : ''}) ${finding.text}`;
}

/** Where the object came from, as istioctl's `reference`: `file:line` (a .json file: no line), or the construct path. */
export function referenceOf(finding: Finding): string | undefined {
  const source = finding.object.source;
  if (source.construct) return source.construct.node.path;
  if (source.file === undefined) return source.reference;
  return finding.line !== undefined && !source.file.endsWith('.json') ? `${source.file}:${finding.line}` : source.file;
}

/** The public form of a finding. */
export function toMessage(finding: Finding): AnalysisMessage {
  const source = finding.object.source;
  return {
    code: finding.type.code,
    level: finding.type.level,
    origin: finding.object.origin,
    message: finding.text,
    documentationUrl: documentationUrl(finding.type.code),
    ...source.construct ? { path: source.construct.node.path } : {},
    ...source.file !== undefined ? { file: source.file, documentIndex: source.documentIndex } : {},
    ...finding.line !== undefined ? { line: finding.line } : {},
  };
}

function suppressed(object: AnalyzedObject, code: string): boolean {
  const codes = object.annotations[SUPPRESS_ANNOTATION];
  return codes !== undefined && codes.split(',').some(c => c.trim() === '*' || c.trim() === code);
}

/** istioctl's order: level, code, `Kind/name/namespace`, then the line itself; identical lines once. */
function sortedDeduped(findings: Finding[]): Finding[] {
  const keyed = findings.map(f => ({ f, line: logLine(f), comparator: `${f.object.kind}/${f.object.name}/${f.object.namespace ?? ''}` }));
  keyed.sort((a, b) =>
    LEVEL_ORDER.indexOf(a.f.type.level) - LEVEL_ORDER.indexOf(b.f.type.level)
    || compare(a.f.type.code, b.f.type.code)
    || compare(a.comparator, b.comparator)
    || compare(a.line, b.line));
  const out: Finding[] = [];
  let previous: string | undefined;
  for (const { f, line } of keyed) {
    if (line !== previous) out.push(f);
    previous = line;
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
