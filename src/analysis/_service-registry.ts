// The hosts of the mesh as istioctl's analyzers look them up (analyzers/util/service_lookup.go):
// every ServiceEntry host and every Kubernetes Service, each visible in the namespaces its exportTo
// (the `networking.istio.io/exportTo` annotation for a Service) names. Internal.
import { ALL_NAMESPACES, scopedFqdn, wildcardSuffixes } from './_hosts';
import type { AnalyzedObject } from './_object-index';

/** A port of a host. */
export interface HostPort {
  readonly number: number;
  readonly name?: string;
  readonly protocol?: string;
}

/** A host of the mesh: a ServiceEntry, or a Service seen as one. */
export interface MeshHost {
  readonly object: AnalyzedObject;
  readonly ports: HostPort[];
  /** The ServiceEntry's workloadSelector labels (a Service has none here, as in istioctl). */
  readonly workloadSelector?: Record<string, string>;
}

const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

/** Looks hosts up by the namespace that asks and the exportTo it is given. */
export class ServiceRegistry {
  private readonly hosts = new Map<string, MeshHost>();
  /** Wildcard hosts by scope, then by the suffix after `*`. */
  private readonly wildcards = new Map<string, Map<string, MeshHost>>();

  public constructor(serviceEntries: AnalyzedObject[], services: AnalyzedObject[]) {
    for (const se of serviceEntries) this.addServiceEntry(se);
    // Services come second and replace a ServiceEntry of the same scoped host, as in istioctl
    for (const svc of services) this.addService(svc);
  }

  /**
   * The host a destination names, seen from `namespace` with the asking object's `exportTo`
   * (util.GetDestinationHost), or undefined when no ServiceEntry or Service defines it.
   */
  public lookup(namespace: string, exportTo: string[] | undefined, host: string): MeshHost | undefined {
    const all = this.hosts.get(scopedFqdn(ALL_NAMESPACES, namespace, host));
    if (all) return all;
    const scopes = exportTo === undefined || exportTo.length === 0
      ? [namespace]
      : exportTo.map(e => e === '.' ? namespace : e);
    for (const scope of scopes) {
      const found = this.hosts.get(scopedFqdn(scope, namespace, host));
      if (found) return found;
    }
    // wildcard hosts visible to the namespace; the longest suffix first, so the answer is the most specific
    const bare = host.startsWith('*') ? host.slice(1) : host;
    for (const suffix of wildcardSuffixes(bare)) {
      const found = this.wildcards.get(ALL_NAMESPACES)?.get(suffix) ?? this.wildcards.get(namespace)?.get(suffix);
      if (found) return found;
    }
    return undefined;
  }

  private addServiceEntry(se: AnalyzedObject): void {
    const spec = se.spec;
    const namespace = se.namespace!;
    const exportTo: string[] = spec.exportTo ?? [];
    const entry: MeshHost = {
      object: se,
      ports: (spec.ports ?? []).map((p: any) => ({ number: Number(p.number), name: p.name, protocol: p.protocol })),
      workloadSelector: spec.workloadSelector?.labels,
    };
    const scopes = exportTo.length === 0 || exportTo.includes(ALL_NAMESPACES)
      ? [ALL_NAMESPACES]
      : exportTo.map(e => e === '.' ? namespace : e);
    for (const host of (spec.hosts ?? []).map(String)) {
      for (const scope of scopes) this.set(scope, namespace, host, entry);
    }
  }

  private addService(svc: AnalyzedObject): void {
    const namespace = svc.namespace!;
    const entry: MeshHost = {
      object: svc,
      ports: (svc.spec.ports ?? []).map((p: any) => ({ number: Number(p.port), name: p.name, protocol: p.protocol })),
    };
    const annotation = svc.annotations[EXPORT_TO_ANNOTATION];
    const scopes = annotation === undefined || annotation === ''
      ? [ALL_NAMESPACES]
      : annotation.split(',').map(s => s.trim()).map(s => s === '.' ? namespace : s);
    for (const scope of scopes) this.set(scope, namespace, svc.name, entry);
  }

  private set(scope: string, namespace: string, host: string, entry: MeshHost): void {
    this.hosts.set(scopedFqdn(scope, namespace, host), entry);
    if (host.startsWith('*')) {
      let byScope = this.wildcards.get(scope);
      if (!byScope) this.wildcards.set(scope, byScope = new Map());
      byScope.set(host.slice(1), entry);
    }
  }
}
