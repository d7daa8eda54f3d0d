// The objects under analysis, indexed in one pass: by type, by namespace and name, workloads by
// their pods' labels, and hosts (built from the ServiceEntry and Service lists). Checks ask the
// index and never compare every object with every other one. Internal.
import { IConstruct } from 'constructs';
import { MeshConfig } from './_mesh-config';
import { ServiceRegistry } from './_service-registry';
import { podTemplateOf } from '../common/pod-spec';

/** A field of an object: keys and list indexes from the top of the manifest, e.g. `['spec', 'http', 0]`. */
export type FieldPath = ReadonlyArray<string | number>;

/** Where an object comes from. */
export interface ObjectSource {
  /** The construct that renders it, in a cdk8s app. */
  readonly construct?: IConstruct;
  /** The file it was read from. */
  readonly file?: string;
  /** Its document in the file, from 0. */
  readonly documentIndex?: number;
  /** The line it starts on, from 1 (YAML files). */
  readonly line?: number;
  /** The line of one of its fields, when the source knows it. */
  readonly lineOf?: (field: FieldPath) => number | undefined;
  /** A reference for messages: the construct path, or `file:line`. */
  readonly reference?: string;
}

/** An object to analyze and where it comes from. */
export interface AnalysisInput {
  readonly manifest: any;
  readonly source: ObjectSource;
}

/** An object under analysis. */
export interface AnalyzedObject {
  /** `Kind.group` (`Service.core`), as the keys of `TYPES`. */
  readonly type: string;
  readonly kind: string;
  /** Undefined for cluster-scoped kinds. */
  readonly namespace: string | undefined;
  readonly name: string;
  readonly manifest: any;
  /** `spec`, or `{}`. */
  readonly spec: any;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly source: ObjectSource;
  /** How istioctl names it: `Kind namespace/name`, or `Kind name` when cluster-scoped. */
  readonly origin: string;
  /** Stands in for what istioctl assumes exists (the ingress gateway), never reported on. */
  readonly synthetic: boolean;
}

/** A workload's pods, as far as the objects tell: a Pod, or a workload's pod template. */
export interface Workload {
  readonly object: AnalyzedObject;
  readonly namespace: string;
  /** The object's name (istioctl names pods; without a cluster there are only templates). */
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  /** The pod spec. */
  readonly spec: any;
}

/** The types the checks read. */
export const TYPES = {
  Namespace: 'Namespace.core',
  Service: 'Service.core',
  Pod: 'Pod.core',
  Secret: 'Secret.core',
  Deployment: 'Deployment.apps',
  VirtualService: 'VirtualService.networking.istio.io',
  DestinationRule: 'DestinationRule.networking.istio.io',
  Gateway: 'Gateway.networking.istio.io',
  ServiceEntry: 'ServiceEntry.networking.istio.io',
  Sidecar: 'Sidecar.networking.istio.io',
  AuthorizationPolicy: 'AuthorizationPolicy.security.istio.io',
  NetworkPolicy: 'NetworkPolicy.networking.k8s.io',
  PeerAuthentication: 'PeerAuthentication.security.istio.io',
  Telemetry: 'Telemetry.telemetry.istio.io',
  IstioOperator: 'IstioOperator.install.istio.io',
} as const;

/** Namespaces every cluster has (istioctl also skips objects in all of them but `default`, pkg/kube/inject IgnoredNamespaces). */
const CLUSTER_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const IGNORED_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/** Kinds without a namespace: they get none, even when read from a file or rendered in a namespaced chart. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ComponentStatus', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition',
  'StorageClass', 'PriorityClass', 'RuntimeClass', 'IngressClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'APIService',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'CertificateSigningRequest', 'ClusterTrustBundle', 'FlowSchema',
  'PriorityLevelConfiguration', 'GatewayClass', 'ClusterIssuer', 'ClusterSecretStore', 'ClusterPolicy', 'ClusterServingRuntime',
]);

/** The group of an apiVersion (`core` for `v1`). */
export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : 'core';
}

/** Whether a kind has no namespace. */
export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** Options of the index. */
export interface IndexOptions {
  /** The namespace of namespaced objects that name none (istioctl: `default`, or `-n`). */
  readonly defaultNamespace: string;
  readonly meshConfig: MeshConfig;
  /** Stand-ins for what the objects do not hold but istioctl assumes (the ingress gateway). */
  readonly synthetic: AnalysisInput[];
}

/** Every object under analysis, indexed. */
export class ObjectIndex {
  /** Every object, in input order (ignored namespaces included). */
  public readonly all: AnalyzedObject[] = [];
  /** The workloads (their pods), in input order. */
  public readonly workloads: Workload[] = [];
  /** Namespaces that exist, as far as the objects tell: declared, used, or in every cluster. */
  public readonly knownNamespaces = new Set<string>(CLUSTER_NAMESPACES);
  /** Namespaces the objects hold: declared by a Namespace object, or with objects in them. */
  public readonly heldNamespaces = new Set<string>();
  public readonly meshConfig: MeshConfig;

  private readonly byType = new Map<string, AnalyzedObject[]>();
  private readonly byName = new Map<string, AnalyzedObject>();
  private readonly workloadsByNamespace = new Map<string, Workload[]>();
  /** Workloads by `namespace\0key\0value`, and by `*\0key\0value` across namespaces. */
  private readonly workloadsByLabel = new Map<string, Workload[]>();
  private readonly anyWorkloadCache = new Map<string, boolean>();
  private registry?: ServiceRegistry;
  private servicesByWorkload?: Map<Workload, AnalyzedObject[]>;

  public constructor(inputs: AnalysisInput[], options: IndexOptions) {
    this.meshConfig = options.meshConfig;
    this.knownNamespaces.add(options.meshConfig.rootNamespace).add(options.meshConfig.istioNamespace);
    for (const input of inputs) this.add(input, options.defaultNamespace, false);
    for (const input of options.synthetic) this.add(input, options.defaultNamespace, true);
  }

  /** The objects of a type (a value of `TYPES`), ignored namespaces left out. */
  public ofType(type: string): AnalyzedObject[] {
    return this.byType.get(type) ?? [];
  }

  /** The object of a type with that namespace (undefined when cluster-scoped) and name. */
  public find(type: string, namespace: string | undefined, name: string): AnalyzedObject | undefined {
    return this.byName.get(key(type, namespace, name));
  }

  /** The workloads of a namespace. */
  public workloadsIn(namespace: string): Workload[] {
    return this.workloadsByNamespace.get(namespace) ?? [];
  }

  /**
   * The workloads whose pods carry every label of `selector`, in `namespace` or in every namespace.
   * An empty selector selects them all, as a Kubernetes label selector does.
   */
  public selectWorkloads(selector: Record<string, unknown> | undefined, namespace?: string): Workload[] {
    const entries = Object.entries(selector ?? {}).map(([k, v]) => [k, String(v)] as const);
    if (entries.length === 0) return namespace === undefined ? this.workloads : this.workloadsIn(namespace);
    let smallest: Workload[] | undefined;
    for (const [k, v] of entries) {
      const list = this.workloadsByLabel.get(labelKey(namespace ?? '*', k, v));
      if (!list) return [];
      if (!smallest || list.length < smallest.length) smallest = list;
    }
    return smallest!.filter(w => entries.every(([k, v]) => w.labels[k] === v));
  }

  /**
   * Whether any workload, in any namespace, carries every label of `selector`. Remembered per
   * selector: many DestinationRule subsets ask the same (`version: v1`) across the whole mesh.
   */
  public anyWorkload(selector: Record<string, unknown>): boolean {
    const id = Object.keys(selector).sort().map(k => `${k}=${selector[k]}`).join('\u0000');
    let found = this.anyWorkloadCache.get(id);
    if (found === undefined) {
      found = this.selectWorkloads(selector).length > 0;
      this.anyWorkloadCache.set(id, found);
    }
    return found;
  }

  /** The hosts of the mesh (ServiceEntries and Services). */
  public get services(): ServiceRegistry {
    this.registry ??= new ServiceRegistry(this.ofType(TYPES.ServiceEntry), this.ofType(TYPES.Service));
    return this.registry;
  }

  /** The Services (with a selector) that select a workload's pods, in input order. */
  public servicesSelecting(workload: Workload): AnalyzedObject[] {
    if (!this.servicesByWorkload) {
      this.servicesByWorkload = new Map();
      for (const svc of this.ofType(TYPES.Service)) {
        const selector = svc.spec.selector;
        if (!selector || Object.keys(selector).length === 0) continue;
        for (const w of this.selectWorkloads(selector, svc.namespace)) {
          const list = this.servicesByWorkload.get(w);
          if (list) list.push(svc);
          else this.servicesByWorkload.set(w, [svc]);
        }
      }
    }
    return this.servicesByWorkload.get(workload) ?? [];
  }

  private add(input: AnalysisInput, defaultNamespace: string, synthetic: boolean): void {
    const manifest = input.manifest;
    const kind = String(manifest.kind);
    const metadata = manifest.metadata ?? {};
    const namespace = isClusterScoped(kind) ? undefined : String(metadata.namespace || defaultNamespace);
    const name = String(metadata.name);
    const object: AnalyzedObject = {
      type: `${kind}.${groupOf(String(manifest.apiVersion ?? ''))}`,
      kind,
      namespace,
      name,
      manifest,
      spec: manifest.spec ?? {},
      labels: stringMap(metadata.labels),
      annotations: stringMap(metadata.annotations),
      source: input.source,
      origin: namespace === undefined ? `${kind} ${name}` : `${kind} ${namespace}/${name}`,
      synthetic,
    };
    this.all.push(object);
    const holds = object.type === TYPES.Namespace ? name : namespace;
    if (holds !== undefined) {
      this.knownNamespaces.add(holds);
      if (!synthetic) this.heldNamespaces.add(holds);
    }
    // istioctl reads nothing of the namespaces Kubernetes runs itself
    if (IGNORED_NAMESPACES.has(object.type === TYPES.Namespace ? name : namespace ?? '')) return;

    push(this.byType, object.type, object);
    const k = key(object.type, namespace, name);
    if (!this.byName.has(k)) this.byName.set(k, object);

    const template = namespace === undefined ? undefined : podTemplateOf(manifest);
    if (template) this.addWorkload(object, namespace!, template);
  }

  private addWorkload(object: AnalyzedObject, namespace: string, template: any): void {
    const workload: Workload = {
      object,
      namespace,
      name: object.name,
      labels: stringMap(template.metadata?.labels),
      annotations: stringMap(template.metadata?.annotations),
      spec: template.spec,
    };
    this.workloads.push(workload);
    push(this.workloadsByNamespace, namespace, workload);
    for (const [k, v] of Object.entries(workload.labels)) {
      push(this.workloadsByLabel, labelKey(namespace, k, v), workload);
      push(this.workloadsByLabel, labelKey('*', k, v), workload);
    }
  }
}

function key(type: string, namespace: string | undefined, name: string): string {
  return `${type}\u0000${namespace ?? ''}\u0000${name}`;
}

function labelKey(namespace: string, k: string, v: string): string {
  return `${namespace}\u0000${k}\u0000${v}`;
}

function stringMap(value: any): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function push<K, V>(map: Map<K, V[]>, k: K, value: V): void {
  const list = map.get(k);
  if (list) list.push(value);
  else map.set(k, [value]);
}
