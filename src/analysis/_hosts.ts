// Host names as istioctl's analyzers resolve them (pkg/config/analysis/analyzers/util/hosts.go,
// service_lookup.go; pkg/config/host/name.go): short names are completed in the namespace of the
// object that names them, hosts are visible in the namespaces their exportTo names, and wildcard
// hosts match by suffix. Lookups go through maps (exact names, and wildcards by suffix), never a
// scan of every host. Internal.
import { DEFAULT_CLUSTER_DOMAIN } from '../common/istio';

/** The cluster-local suffix istioctl completes short names with (util.DefaultClusterLocalDomain). */
const CLUSTER_LOCAL = `svc.${DEFAULT_CLUSTER_DOMAIN}`;
const FQDN = new RegExp(`^(.+)\\.(.+)\\.${CLUSTER_LOCAL.replace(/\./g, '\\.')}$`);

/** `*`: visible in every namespace (exportTo `*`, or no exportTo). */
export const ALL_NAMESPACES = '*';

/** A short name completed in `namespace`; FQDNs, external names (with a dot) and wildcards stay as they are. */
export function toFqdn(namespace: string, host: string): string {
  return host.startsWith('*') || host.includes('.') ? host : `${host}.${namespace}.${CLUSTER_LOCAL}`;
}

/** `scope/fqdn`, istioctl's ScopedFqdn. */
export function scopedFqdn(scope: string, namespace: string, host: string): string {
  return `${scope}/${toFqdn(namespace, host)}`;
}

/** The namespace and name of a cluster-local FQDN, or of a short name in `namespace` (util.GetResourceNameFromHost). */
export function serviceNameOf(namespace: string, host: string): { namespace: string; name: string } {
  const match = FQDN.exec(host);
  return match ? { namespace: match[2], name: match[1] } : { namespace, name: host };
}

/**
 * The namespace a host would live in: a cluster-local FQDN's, or `namespace` for a short name;
 * undefined for other names (external hosts and wildcards, which ServiceEntries define anywhere).
 */
export function hostNamespace(namespace: string, host: string): string | undefined {
  if (host.startsWith('*')) return undefined;
  if (!host.includes('.')) return namespace;
  return FQDN.exec(host)?.[2];
}

/** Whether two host names overlap, wildcards included (host.Name.Matches). */
export function hostsMatch(a: string, b: string): boolean {
  const aWild = a.startsWith('*');
  const bWild = b.startsWith('*');
  if (aWild && bWild) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aWild) return b.endsWith(a.slice(1));
  if (bWild) return a.endsWith(b.slice(1));
  return a === b;
}

/**
 * Every suffix of a name that a wildcard could stand for: the name itself, each part after a dot
 * (with the dot), and the empty suffix of `*`. A wildcard `*<suffix>` matches a name exactly when
 * its suffix is one of these.
 */
export function wildcardSuffixes(name: string): string[] {
  const suffixes = [name];
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) suffixes.push(name.slice(i));
  suffixes.push('');
  return suffixes;
}

/**
 * Names, each with a value, that can be asked which of them overlap a given name (host.Name.Matches)
 * without comparing it to all of them.
 */
export class HostIndex<T> {
  private readonly exact = new Map<string, T[]>();
  /** Wildcards by the suffix after `*`. */
  private readonly wildcards = new Map<string, T[]>();
  /** Every name (wildcard or not) by each of its dot suffixes, for wildcard queries. */
  private readonly bySuffix = new Map<string, T[]>();

  public add(name: string, value: T): void {
    if (name.startsWith('*')) push(this.wildcards, name.slice(1), value);
    else push(this.exact, name, value);
    const bare = name.startsWith('*') ? name.slice(1) : name;
    for (const suffix of wildcardSuffixes(bare)) {
      if (suffix !== '') push(this.bySuffix, suffix, value);
    }
  }

  /** The values of every name that overlaps `name`, each once, in the order they were added. */
  public overlapping(name: string): T[] {
    const found = new Set<T>();
    const bare = name.startsWith('*') ? name.slice(1) : name;
    if (!name.startsWith('*')) {
      for (const v of this.exact.get(name) ?? []) found.add(v);
    } else {
      // a wildcard covers every name that ends with its suffix
      for (const v of bare === '' ? this.all() : this.bySuffix.get(bare) ?? []) found.add(v);
    }
    // wildcards whose suffix ends the name (for `*.a.b` also `*.b` and `*`)
    for (const suffix of wildcardSuffixes(bare)) {
      for (const v of this.wildcards.get(suffix) ?? []) found.add(v);
    }
    return [...found];
  }

  private all(): T[] {
    return [...new Set([...[...this.exact.values()].flat(), ...[...this.wildcards.values()].flat()])];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
